"""RLOO and GRPO on the tiny preset: k samples per prompt, no value head, run folder, resume, learning."""

import threading

import numpy as np
import pytest
import torch

from rlhf_core import Reward, RunDir, UserError, build_dataset, build_policy, get_config, iter_train, train
from rlhf_core.algorithms.critic_free_trainer import CriticFreeTrainer
from rlhf_core.models.reward import term_weights
from rlhf_core.models.reward_terms import anchor_scores
from rlhf_core.training.run_loop import make_trainer


def tiny(algo="grpo", **overrides):
    return get_config("tiny", {"steps": 3, "algo": algo, "optim.batch_size": 4, "critic_free.num_generations": 2,
                               **overrides})


def trainer_for(config, reward_fn):
    policy, tokenizer = build_policy(config.model, value_head=config.algo == "ppo")
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    return make_trainer(config, policy, tokenizer, Reward(reward_fn)), data


def test_k_samples_per_prompt_in_prompt_major_order_and_no_value_head():
    config = tiny("rloo", **{"critic_free.num_generations": 3, "optim.batch_size": 6, "optim.mini_batch_size": 3})
    trainer, data = trainer_for(config, lambda p, s: [0.0] * len(s))
    assert isinstance(trainer, CriticFreeTrainer) and trainer.unwrapped.value_head is None
    assert not any(name.startswith("value_head") for name, _ in trainer.unwrapped.named_parameters())
    rows = data.select([0, 1])
    rollout = trainer.rollout(rows["input_ids"], rows["prompt"], 8, rows["dialogue"], rows["summary"])
    assert rollout.response_ids.shape[0] == 6
    assert rollout.query_ids == [rows["input_ids"][0]] * 3 + [rows["input_ids"][1]] * 3
    assert rollout.prompts == [rows["prompt"][0]] * 3 + [rows["prompt"][1]] * 3


@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_a_reward_without_spread_teaches_nothing(algo):
    # Equal rewards in every group: zero advantages, zero gradient: the adapter must not move. The KL
    # is off here: sampled and teacher-forced log-probs agree only to float rounding (~1e-7), and
    # Adam would turn even that dust into a full-size step.
    config = tiny(algo, **{"optim.mini_batch_size": 4, "critic_free.kl_coef": 0.0})
    trainer, data = trainer_for(config, lambda p, s: [1.5] * len(s))
    before = {n: p.detach().clone() for n, p in trainer.unwrapped.named_parameters() if p.requires_grad}
    rows = data.select([0, 1])
    _, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
    assert stats["frac_reward_zero_std"] == 1.0 and abs(stats["objective/kl"]) < 1e-4
    assert stats["clip_ratio/region_mean"] == 0.0
    for name, p in trainer.unwrapped.named_parameters():
        if p.requires_grad:
            torch.testing.assert_close(p.detach(), before[name], rtol=0, atol=0, msg=name)


@pytest.mark.parametrize("iterations", [1, 3])
def test_num_iterations_sets_the_passes_over_a_batch_not_ppo_epochs(iterations):
    config = tiny("grpo", **{"optim.mini_batch_size": 2, "ppo.ppo_epochs": 5, "critic_free.num_iterations": iterations})
    trainer, data = trainer_for(config, lambda p, s: [float(len(x)) for x in s])
    calls = []
    step = trainer.optimizer.step
    trainer.optimizer.step = lambda *a, **k: (calls.append(1), step(*a, **k))[1]
    rows = data.select([0, 1])
    _, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
    assert len(calls) == 2 * iterations  # 4 samples in mini-batches of 2, per pass
    if iterations == 1:  # one on-policy pass: the ratio is 1, nothing is clipped
        assert stats["clip_ratio/region_mean"] == 0.0


@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_run_folder_has_trl_names_and_a_checkpoint_without_value_head(tmp_path, algo):
    results = train(tiny(algo, **{"reward.fidelity_weight": 1.0}), tmp_path / "run")
    run = RunDir(tmp_path / "run")
    assert run.config().algo == algo
    metrics = run.metrics()
    assert [m["step"] for m in metrics] == [1, 2, 3]
    for key in ("reward", "reward_std", "kl", "loss", "grad_norm", "learning_rate", "entropy",
                "frac_reward_zero_std", "clip_ratio/region_mean", "completions/mean_length",
                "env/reward_mean", "objective/kl", "env/reward/toxicity_mean", "env/reward/fidelity_mean",
                "rewards/fidelity/mean"):
        assert key in metrics[0], key
    assert not any(k.startswith("ppo/") for k in metrics[0])
    names = {p.name for p in run.checkpoint_dir().iterdir()}
    assert {"adapter_model.safetensors", "optimizer.safetensors", "trainer_state.json"} <= names
    assert "value_head.safetensors" not in names
    assert results[-1].samples and all(s["dialogue"] for s in results[-1].samples)


def test_grpo_resume_matches_an_uninterrupted_run(tmp_path):
    config = tiny("grpo", steps=4)
    full = train(config, tmp_path / "full")
    cancel = threading.Event()
    for result in iter_train(config, tmp_path / "part", cancel=cancel):
        if result.step == 2:
            cancel.set()
    resumed = train(config, tmp_path / "part", resume=True)
    assert [r.step for r in resumed] == [3, 4]
    keys = [k for k in full[0].stats if not k.startswith("time/")]
    for a, b in zip(full[2:], resumed):
        assert [a.stats[k] for k in keys] == pytest.approx([b.stats[k] for k in keys], rel=1e-5, abs=1e-6)


def test_bad_critic_free_settings_are_one_line_errors():
    with pytest.raises(UserError, match="multiple of critic_free.num_generations"):
        train(tiny("rloo", **{"optim.batch_size": 4, "critic_free.num_generations": 3}))
    with pytest.raises(UserError, match="num_generations must be at least 2"):
        train(tiny("grpo", **{"critic_free.num_generations": 1}))
    with pytest.raises(UserError, match="algo must be one of ppo, rloo, grpo"):
        train(tiny("a2c"))


def share_of_lowercase(prompts, summaries):
    return [sum(c.islower() for c in s) / max(len(s), 1) for s in summaries]


@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_reward_rises_on_a_simple_task(algo):
    """The PPO learning test's task and budget (8 sampled summaries a step, 30 steps, four seeds),
    here as 2 prompts x k=4: the share of lowercase letters must rise on average and in most seeds."""
    gains = []
    for seed in (42, 43, 44, 45):
        config = get_config("tiny", {"algo": algo, "steps": 30, "optim.batch_size": 8, "optim.mini_batch_size": 4,
                                     "critic_free.num_iterations": 4, "optim.learning_rate": 3e-2,
                                     "reward.text": "summary",
                                     "model.lora_target_modules": "q,v,lm_head",
                                     "generation.max_new_tokens_min": 12, "generation.max_new_tokens_max": 12,
                                     "seed": seed})
        results = train(config, reward_fn=share_of_lowercase)
        rewards = [r.stats["env/reward_mean"] for r in results]
        kls = [r.stats["objective/kl"] for r in results]
        assert all(np.isfinite(kls)) and max(kls) < 100, kls
        gains.append(np.mean(rewards[-5:]) - np.mean(rewards[:5]))
    assert np.mean(gains) > 0.06 and sum(g > 0 for g in gains) >= 3, gains


def test_app_settings_pick_a_k_that_divides_the_batch():
    from webapp.limits import TrainSettings, default_settings, training_config

    base = default_settings("tiny")
    settings = TrainSettings(**{**base.__dict__, "algo": "grpo", "batch_size": 6, "fidelity_weight": 0.5})
    config = training_config(settings)
    assert (config.algo, config.critic_free.num_generations, config.reward.fidelity_weight) == ("grpo", 3, 0.5)
    with pytest.raises(UserError, match="batch size must be even"):
        training_config(TrainSettings(**{**base.__dict__, "algo": "rloo", "batch_size": 1}))
    with pytest.raises(UserError, match="fidelity weight"):
        training_config(TrainSettings(**{**base.__dict__, "fidelity_weight": -1}))


def test_shared_encoder_passes_match_one_pass_per_row():
    # Sampling and the reference pass encode each prompt once for its k rows: the same tokens and
    # log-probs as encoding every row on its own.
    from rlhf_core.models.sampling import sample

    config = tiny("grpo", **{"critic_free.num_generations": 2, "optim.batch_size": 4})
    trainer, data = trainer_for(config, lambda p, s: [0.0] * len(s))
    rows = data.select([0, 1])
    queries = [q for q in rows["input_ids"] for _ in range(2)]
    settings = trainer.sampling_settings(8)
    torch.manual_seed(0)
    shared = sample(trainer.unwrapped, rows["input_ids"], settings, repeats=2)
    torch.manual_seed(0)
    per_row = sample(trainer.unwrapped, queries, settings)
    assert torch.equal(shared.response_ids, per_row.response_ids)
    torch.testing.assert_close(shared.logprobs, per_row.logprobs, rtol=0, atol=1e-5)

    rollout = trainer.rollout(rows["input_ids"], rows["prompt"], 8)
    ref = trainer.reference_logprobs(rollout)
    with torch.inference_mode(), trainer.unwrapped.reference():
        expected, _, _, _ = trainer._forward(trainer.unwrapped, rollout.query_ids, rollout.response_ids)
    torch.testing.assert_close(ref, expected, rtol=0, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_first_step_kl_is_zero_and_ratio_is_one(monkeypatch, algo, dtype):
    """A fresh adapter is the reference: the step-1 KL is 0 and the first mini-batch's ratio 1, in
    float32 (log-probs recorded while sampling) and in bf16 (a teacher-forced pass grouped like
    the reference's and the update's: exactly)."""
    from rlhf_core.algorithms import critic_free

    config = tiny(algo, **{"optim.batch_size": 8, "optim.mini_batch_size": 8, "critic_free.num_iterations": 1,
                           "model.dtype": dtype, "reward.dtype": dtype})
    torch.manual_seed(0)
    trainer, data = trainer_for(config, lambda p, s: [float(len(x) % 3) for x in s])
    deviations = []  # per micro-batch of the one mini-batch: max |ratio - 1| over its tokens
    loss = critic_free.policy_loss

    def recording(logprobs, old_logprobs, advantages, mask, *args):
        deviations.append(float(((torch.exp(logprobs.detach() - old_logprobs) - 1).abs() * mask).max()))
        return loss(logprobs, old_logprobs, advantages, mask, *args)

    monkeypatch.setattr(critic_free, "policy_loss", recording)
    rows = data.select(range(4))
    torch.manual_seed(1)
    stats = trainer.step(trainer.rollout(rows["input_ids"], rows["prompt"], 16))
    assert abs(stats["objective/kl"]) <= 1e-6 and abs(stats["kl"]) <= 1e-6  # nats per sequence, k3 per token
    assert len(deviations) > 1 and max(deviations) <= 1e-6
    if dtype == "bfloat16":
        assert stats["objective/kl"] == 0.0 and max(deviations) == 0.0


def test_anchor_summaries_are_the_reference_models_greedy_summaries_made_once():
    config = tiny("rloo", **{"reward.anchor_weight": 1.0})
    policy, tokenizer = build_policy(config.model, value_head=False)
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    reward = Reward(lambda p, s: [0.0] * len(s), weights=term_weights(config.reward))
    trainer = make_trainer(config, policy, tokenizer, reward)
    with torch.no_grad():  # a trained adapter: on and off now differ
        for name, param in trainer.unwrapped.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.5)
    rows = data.select([0, 1])
    expected = []
    with trainer.unwrapped.reference(), torch.no_grad():
        for ids in rows["input_ids"]:
            out = trainer.unwrapped.model.generate(input_ids=torch.tensor([ids]), do_sample=False,
                                                   max_new_tokens=config.eval.max_new_tokens)
            expected.append(tokenizer.decode(out[0], skip_special_tokens=True).strip())
    rollout = trainer.rollout(rows["input_ids"], rows["prompt"], 8, rows["dialogue"], rows["summary"])
    assert trainer.anchor_summaries(rollout.query_ids) == [e for e in expected for _ in range(2)]  # k=2 rows each
    assert rollout.terms["anchor"] == pytest.approx(anchor_scores(rollout.summaries,
                                                                  [e for e in expected for _ in range(2)]))
    mode, calls = trainer.unwrapped.training, []
    generate = trainer.unwrapped.model.generate
    trainer.unwrapped.model.generate = lambda *a, **k: (calls.append(1), generate(*a, **k))[1]
    trainer.rollout(rows["input_ids"], rows["prompt"], 8, rows["dialogue"], rows["summary"])
    assert calls == []  # the frozen reference's summaries are remembered, not made again
    assert trainer.unwrapped.training == mode


def test_the_probability_form_reaches_training_as_p_not_hate():
    """`reward.toxicity_form probability` is what the trainer pays: the toxicity term's mean is
    1 - mean P(hate) of the same summaries (with the logit form it is the not-hate logit)."""
    [result] = train(tiny("rloo", steps=1, **{"reward.toxicity_form": "probability"}))
    stats = result.stats
    assert stats["env/reward/toxicity_mean"] == pytest.approx(1.0 - stats["env/toxicity_mean"], abs=1e-5)
    [logit] = train(tiny("rloo", steps=1))
    assert logit.stats["env/reward/toxicity_mean"] != pytest.approx(1.0 - logit.stats["env/toxicity_mean"], abs=1e-3)


def test_the_update_encodes_each_prompt_once_for_its_k_rows():
    # Rows of one prompt in a micro-batch (2 rows on a CPU, here one prompt's k=2) share one encoder pass.
    config = tiny("rloo", **{"critic_free.num_generations": 2, "optim.batch_size": 4, "optim.mini_batch_size": 4})
    trainer, data = trainer_for(config, lambda p, s: [float(len(x)) for x in s])
    encoder = trainer.unwrapped.model.get_base_model().get_encoder()
    rows_per_pass, in_update = [], []
    encoder.register_forward_hook(lambda m, i, o: rows_per_pass.append((bool(in_update), o.last_hidden_state.shape[0])))
    optimize = trainer._optimize

    def marked(*args, **kwargs):
        in_update.append(1)
        try:
            return optimize(*args, **kwargs)
        finally:
            in_update.clear()

    trainer._optimize = marked
    rows = data.select([0, 1])
    trainer.step_from_prompts(rows["input_ids"], rows["prompt"], 8)
    assert [n for updating, n in rows_per_pass if updating] == [1, 1]  # 2 micro-batches of 2 rows, 1 prompt each
    assert [n for updating, n in rows_per_pass if not updating] == [2, 2]  # sampling, reference pass: 2 prompts
