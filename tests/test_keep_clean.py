"""ppo.keep_clean_coef: a loss that keeps the reference model's clean greedy summaries likely."""

import pytest
import torch

from rlhf_core import Reward, build_dataset, build_policy, get_config
from rlhf_core.reward import RewardModel, Scores
from rlhf_core.run_loop import make_trainer


def tiny(algo, **overrides):
    return get_config("tiny", {"steps": 3, "algo": algo, "ppo.batch_size": 4, "ppo.mini_batch_size": 4,
                               "critic_free.num_generations": 2, "critic_free.kl_coef": 0.0,
                               "ppo.keep_clean_coef": 1.0, **overrides})


def trainer_for(config, source):
    policy, tokenizer = build_policy(config.model, value_head=config.algo == "ppo")
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    return make_trainer(config, policy, tokenizer, Reward(source)), data, tokenizer


def anchor_nll(trainer, targets) -> float:
    """Mean token NLL of the (prompt, summary ids) pairs under the policy, adapter on."""
    from rlhf_core.batching import pad_right

    with torch.no_grad():
        ids, mask = pad_right([s for _, s in targets], trainer.pad_id, trainer.device)
        logprobs, _, _ = trainer._forward(trainer.unwrapped, [q for q, _ in targets], ids)
    return float(-(logprobs * mask).sum() / mask.sum())


def test_targets_are_the_reference_summaries_ids_of_clean_prompts_only(monkeypatch):
    config = tiny("rloo")
    model = RewardModel.from_config(config.reward)
    trainer, data, tokenizer = trainer_for(config, model)
    rows = data.select([0, 1, 2])
    queries = [list(q) for q in rows["input_ids"]]
    texts = trainer.anchor_summaries(queries)
    toxic = {texts[1]}  # the second prompt's summary is judged toxic, the others clean
    monkeypatch.setattr(model, "score", lambda ts: Scores([0.0] * len(ts), [0.9 if t in toxic else 0.1 for t in ts]))
    targets = trainer.clean_anchors(queries + queries[:1])  # a repeated prompt counts once
    assert [q for q, _ in targets] == [queries[0], queries[2]]
    for (_, ids), text in zip(targets, [texts[0], texts[2]]):
        assert tokenizer.decode(ids, skip_special_tokens=True).strip() == text
        assert ids.count(trainer.eos_id) <= 1 and trainer.pad_id not in ids[:-1]


def test_with_a_callable_reward_every_summary_counts_as_clean():
    trainer, data, _ = trainer_for(tiny("grpo"), lambda p, s: [0.0] * len(s))
    queries = [list(q) for q in data.select([0, 1])["input_ids"]]
    assert [q for q, _ in trainer.clean_anchors(queries)] == queries


@pytest.mark.parametrize("algo", ["rloo", "ppo"])
def test_the_loss_makes_clean_reference_summaries_more_likely(algo):
    """The same seeded steps with and without the term: with it, the reference summaries' NLL
    falls below both its start and the run without it, and the step logs it."""
    after = {}
    for coef in (5.0, 0.0):
        torch.manual_seed(0)
        config = tiny(algo, **{"ppo.learning_rate": 1e-2, "ppo.init_kl_coef": 0.0, "ppo.adaptive_kl": False,
                               "ppo.keep_clean_coef": coef})
        trainer, data, _ = trainer_for(config, lambda p, s: [float(len(x)) for x in s])
        rows = data.select([0, 1, 2, 3] if algo == "ppo" else [0, 1])
        targets = trainer.clean_anchors(rows["input_ids"])
        before = anchor_nll(trainer, targets)
        for _ in range(3):
            _, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
        after[coef] = anchor_nll(trainer, targets)
        assert ("objective/keep_clean_nll" in stats) == bool(coef)
    assert after[5.0] < before - 0.1 and after[5.0] < after[0.0] - 0.1, (before, after)


def test_off_by_default_and_then_no_stat():
    config = tiny("rloo", **{"ppo.keep_clean_coef": 0.0})
    trainer, data, _ = trainer_for(config, lambda p, s: [float(len(x)) for x in s])
    rows = data.select([0, 1])
    _, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
    assert "objective/keep_clean_nll" not in stats and trainer._anchors == {}
    assert get_config("demo").ppo.keep_clean_coef == 0.0
