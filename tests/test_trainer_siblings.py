"""The trainers are siblings over one rollout base, and each checkpoints only what it carries:
PPO its KL controller (the `kl_ctl` key checkpoints always had), RLOO/GRPO nothing."""

import inspect
import json
import shutil

import pytest
import torch

from rlhf_core import CriticFreeTrainer, PPOTrainer, Reward, UserError, build_dataset, build_policy, get_config, train
from rlhf_core.algorithms import critic_free
from rlhf_core.algorithms.rollout import RolloutTrainer
from rlhf_core.training.run_loop import make_trainer
from rlhf_core.training.runs import STATE_FILE


def tiny(algo="rloo", **overrides):
    return get_config("tiny", {"steps": 3, "algo": algo, "optim.batch_size": 4, "critic_free.num_generations": 2,
                               **overrides})


def trainer_for(config, reward_fn):
    policy, tokenizer = build_policy(config.model, value_head=config.algo == "ppo")
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    return make_trainer(config, policy, tokenizer, Reward(reward_fn)), data


def lengths(prompts, summaries):
    return [float(len(s)) for s in summaries]


def test_ppo_and_critic_free_trainers_are_siblings_over_the_rollout_base():
    assert issubclass(PPOTrainer, RolloutTrainer) and issubclass(CriticFreeTrainer, RolloutTrainer)
    assert not issubclass(PPOTrainer, CriticFreeTrainer) and not issubclass(CriticFreeTrainer, PPOTrainer)
    assert inspect.isabstract(RolloutTrainer)  # `step` is each algorithm's own
    for cls in (PPOTrainer, CriticFreeTrainer):
        for name, member in vars(cls).items():
            inherited = getattr(RolloutTrainer, name, None)
            if name.startswith("__") or inherited is None:
                continue
            if callable(member):  # an override keeps the base's signature
                assert inspect.signature(member) == inspect.signature(inherited), (cls.__name__, name)
            else:
                assert type(member) is type(inherited), (cls.__name__, name)


def _state(run_dir):
    return json.loads((run_dir / "checkpoint" / STATE_FILE).read_text())


def test_a_ppo_checkpoint_keeps_its_kl_controller_under_the_same_key(tmp_path):
    config = get_config("tiny", {"steps": 2, "ppo.target_kl": 0.01, "ppo.horizon": 10})
    train(config, tmp_path / "run")
    state = _state(tmp_path / "run")
    assert set(state) == {"step", "kl_ctl"} and state["kl_ctl"]["value"] != pytest.approx(config.ppo.init_kl_coef)
    trainer, _ = trainer_for(config, lengths)
    trainer.load_state_dict(state)
    assert trainer.kl_ctl.value == state["kl_ctl"]["value"]
    assert trainer.state_dict() == {"kl_ctl": state["kl_ctl"]}
    # A PPO checkpoint without its controller cannot resume as it ran: damaged, one line.
    (tmp_path / "run" / "checkpoint" / STATE_FILE).write_text(json.dumps({"step": 2}))
    with pytest.raises(UserError, match="checkpoint state.*is damaged"):
        train(get_config("tiny", {"steps": 3, "ppo.target_kl": 0.01, "ppo.horizon": 10}), tmp_path / "run",
              resume=True)


@pytest.mark.parametrize("style", ["new", "old"])
def test_an_rloo_checkpoint_holds_the_step_alone_and_an_old_one_with_kl_ctl_resumes(tmp_path, style):
    full = train(tiny("rloo"), tmp_path / "full")
    train(tiny("rloo", steps=2), tmp_path / "part")
    assert _state(tmp_path / "part") == {"step": 2}  # no KL controller to pretend with
    if style == "old":  # what RLOO/GRPO checkpoints held before: a fixed controller, ignored now
        (tmp_path / "part" / "checkpoint" / STATE_FILE).write_text(json.dumps({"step": 2, "kl_ctl": {"value": 0.05}}))
    shutil.copytree(tmp_path / "part", tmp_path / "copy")
    resumed = train(tiny("rloo"), tmp_path / "part", resume=True)
    assert [r.step for r in resumed] == [3]
    keys = [k for k in full[2].stats if not k.startswith("time/")]
    assert [resumed[0].stats[k] for k in keys] == pytest.approx([full[2].stats[k] for k in keys], rel=1e-5, abs=1e-6)
    assert _state(tmp_path / "part") == {"step": 3}


def test_the_critic_free_state_round_trips_and_ignores_an_old_kl_ctl():
    trainer, _ = trainer_for(tiny("grpo"), lengths)
    assert trainer.state_dict() == {} and not hasattr(trainer, "kl_ctl")
    trainer.load_state_dict({"step": 4, **trainer.state_dict()})
    trainer.load_state_dict({"step": 4, "kl_ctl": {"value": 0.05}})
    assert trainer.kl_coef == tiny("grpo").critic_free.kl_coef and trainer.state_dict() == {}


@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_beta_is_critic_free_kl_coef(algo, monkeypatch):
    config = tiny(algo, **{"critic_free.kl_coef": 0.37, "ppo.init_kl_coef": 0.11, "optim.mini_batch_size": 4})
    trainer, data = trainer_for(config, lengths)
    assert trainer.kl_coef == pytest.approx(0.37)
    scores, seq_kl = torch.tensor([1.0, 2.0, 3.0, 5.0]), torch.tensor([0.5, 0.0, 1.0, 2.0])
    advantages, _ = trainer.advantages(scores, seq_kl)
    if algo == "rloo":  # beta weighs the sequence KL inside the reward
        torch.testing.assert_close(advantages, critic_free.rloo_advantages(scores - 0.37 * seq_kl, 2))
    else:  # GRPO's advantages read the scores alone; beta weighs its loss's KL term
        torch.testing.assert_close(advantages, critic_free.grpo_advantages(scores, 2)[0])
    betas, policy_loss = [], critic_free.policy_loss
    monkeypatch.setattr(critic_free, "policy_loss", lambda *a: (betas.append(a[6]), policy_loss(*a))[1])
    rows = data.select([0, 1])
    _, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
    assert betas and all(beta == pytest.approx(0.0 if algo == "rloo" else 0.37) for beta in betas)
    assert stats["objective/kl_coef"] == pytest.approx(0.37)
