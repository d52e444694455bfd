"""One PPO step on the tiny preset: masks, the first-step identities, and a frozen reference."""

import dataclasses

import pytest
import torch

from rlhf_core import PPOTrainer, Reward, build_dataset, build_policy, get_config
from rlhf_core.algorithms.ppo_trainer import PPOBatch
from rlhf_core.models.batching import length_buckets, length_mask, pad_right, response_lengths
from rlhf_core.models.policy import PolicyWithValueHead


def test_response_length_comes_from_the_first_eos_not_from_pad_ids():
    # T5's pad id (0) is also its decoder-start id: a sampled 0 inside a response is a real token.
    responses = torch.tensor([[5, 0, 7, 1, 0, 0], [4, 4, 4, 4, 4, 4], [1, 9, 9, 1, 0, 0]])
    assert response_lengths(responses, eos_id=1).tolist() == [4, 6, 1]
    assert length_mask(torch.tensor([4, 6, 1]), 6).tolist() == [
        [1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 1, 1], [1, 0, 0, 0, 0, 0]]


def test_pad_right_and_length_buckets():
    ids, mask = pad_right([[3, 4], [5], [6, 7, 8]], pad_id=0)
    assert ids.tolist() == [[3, 4, 0], [5, 0, 0], [6, 7, 8]]
    assert mask.tolist() == [[1, 1, 0], [1, 0, 0], [1, 1, 1]]
    assert length_buckets([5, 1, 9, 2], 2) == [[1, 3], [0, 2]]


def make_trainer(rows=4, **overrides):
    config = get_config("tiny", {"optim.batch_size": rows, "optim.mini_batch_size": rows, **overrides})
    torch.manual_seed(0)
    policy, tokenizer = build_policy(config.model)
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"].select(range(rows))
    reward = Reward(lambda prompts, summaries: [float(len(s) % 3) for s in summaries])
    return PPOTrainer(config, policy, tokenizer, reward), data


BATCHINGS = {  # how rows are grouped in sampling and the update; bf16 rounds every grouping differently
    "one group": {},
    "groups of 3": {"generation.batch_size": 3, "optim.micro_batch_size": 3, "optim.forward_batch_size": 8},
}


@pytest.mark.parametrize("batching", BATCHINGS.values(), ids=BATCHINGS.keys())
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_first_step_kl_is_zero_and_ratio_is_one(dtype, batching):
    # One mini-batch, one epoch: the step's ratio is the first mini-batch's.
    trainer, data = make_trainer(8, **{"model.dtype": dtype, "reward.dtype": dtype, "ppo.ppo_epochs": 1, **batching})
    torch.manual_seed(1)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=12)
    stats = trainer.step(rollout)
    # A fresh LoRA adapter (B = 0) makes policy == reference, and dropout is off in every pass.
    assert abs(stats["objective/kl"]) <= 1e-6  # nats per sequence
    assert stats["ppo/policy/ratio_mean"] == pytest.approx(1.0, abs=1e-6)
    assert stats["ppo/policy/approxkl"] == pytest.approx(0.0, abs=1e-8)
    assert stats["ppo/policy/clipfrac"] == 0.0 and stats["ppo/val/clipfrac"] == 0.0
    if dtype == "bfloat16":  # the same kind of pass over the same row groups: exact, not just close
        assert stats["objective/kl"] == 0.0 and stats["ppo/policy/ratio_mean"] == 1.0
    # float32 records the old log-probs while sampling (it saves a pass); bf16 rounds KV-cached
    # decoding differently from a whole-sequence pass, so it runs the teacher-forced pass instead.
    assert (rollout.logprobs is not None) == (dtype == "float32")


def record_forward_calls(monkeypatch, calls):
    """Records what every policy forward pass sees: (prompt ids, prompt mask, decoder inputs) as lists."""
    forward = PolicyWithValueHead.forward

    def recording(self, input_ids, attention_mask, decoder_input_ids, encoder_outputs=None):
        calls.append((input_ids.tolist(), attention_mask.tolist(), decoder_input_ids.tolist()))
        return forward(self, input_ids, attention_mask, decoder_input_ids, encoder_outputs)

    monkeypatch.setattr(PolicyWithValueHead, "forward", recording)


@pytest.mark.parametrize("batching", BATCHINGS.values(), ids=BATCHINGS.keys())
def test_in_bf16_the_old_reference_and_update_passes_see_every_row_padded_alike(monkeypatch, batching):
    """bf16 matmuls of other shapes round differently: every row must meet the same rows, padding
    and shapes in the old, the reference and the update pass. With a trained-looking adapter
    (policy != reference), the first mini-batch's log-probs and values then equal the old pass's
    bit for bit."""
    from rlhf_core.algorithms import ppo

    trainer, data = make_trainer(8, **{"model.dtype": "bfloat16", "ppo.ppo_epochs": 1, "optim.mini_batch_size": 4,
                                       **batching})
    with torch.no_grad():
        for p in trainer.unwrapped.parameters():
            if p.requires_grad:
                p.normal_(0, 0.1)
    torch.manual_seed(1)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=12)
    old, ref, update = [], [], []
    record_forward_calls(monkeypatch, old)
    passes = trainer.old_and_reference(rollout)
    old, ref = old[: len(old) // 2], old[len(old) // 2 :]  # the policy pass, then the reference pass
    first = []
    losses = ppo.ppo_losses

    def first_minibatch(old_logprobs, old_values, logprobs, vpreds, *args):
        if torch.is_grad_enabled() and not first:
            first.append((old_logprobs, old_values, logprobs.detach(), vpreds.detach()))
        return losses(old_logprobs, old_values, logprobs, vpreds, *args)

    monkeypatch.setattr(ppo, "ppo_losses", first_minibatch)
    record_forward_calls(monkeypatch, update)
    trainer.step(rollout)
    update = update[len(old) + len(ref) :]  # after the step's own old and reference passes
    assert len(old) > 1 and sorted(old) == sorted(ref) == sorted(update)
    old_logprobs, old_values, logprobs, values = first[0]
    assert torch.equal(logprobs, old_logprobs) and torch.equal(values, old_values)
    assert not torch.equal(passes.old_logprobs, passes.ref_logprobs)  # the adapter does something


@pytest.mark.parametrize("kl_penalty", ["kl", "full"])
def test_a_step_with_bf16_weights_keeps_bf16_logits_and_matches_the_first_step_identities(kl_penalty):
    """The policy hands its logits over in the weights' dtype (the update reads them a chunk at a
    time in float32); the full-KL buffers must take them as they are."""
    trainer, data = make_trainer(**{"model.dtype": "bfloat16", "ppo.kl_penalty": kl_penalty})
    torch.manual_seed(1)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=12)
    passes = trainer.old_and_reference(rollout)
    if kl_penalty == "full":
        assert passes.old_logits.dtype == torch.bfloat16
        assert passes.old_logits.shape[:2] == rollout.response_ids.shape
    stats = trainer.step(rollout)
    assert stats["objective/kl"] == 0.0  # policy == reference at step 1, and every pass is teacher-forced alike
    assert stats["ppo/policy/ratio_mean"] == 1.0
    assert 0 < stats["ppo/policy/entropy"] < 10


def test_rollout_masks_cover_response_up_to_eos():
    trainer, data = make_trainer()
    torch.manual_seed(2)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=10)
    ids, mask = rollout.response_ids, rollout.response_mask
    assert ids.shape == mask.shape and ids.shape[0] == 4 and ids.shape[1] <= 10
    lengths = mask.sum(1).long()
    for row, length in zip(ids, lengths):
        body = row[:length].tolist()
        assert 1 not in body[:-1]  # no EOS before the last real token
        assert all(t == 0 for t in row[length:].tolist())  # padded after it
    assert len(rollout.summaries) == 4 and rollout.scores.shape == (4,)


def test_stats_have_trl_names():
    trainer, data = make_trainer()
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8)
    stats = trainer.step(rollout)
    for key in ["objective/kl", "objective/kl_coef", "objective/entropy", "env/reward_mean", "env/reward_std",
                "ppo/returns/mean", "ppo/policy/advantages_mean", "ppo/loss/policy", "ppo/loss/value",
                "ppo/policy/clipfrac", "ppo/policy/approxkl", "ppo/val/vpred", "time/ppo/generate",
                "time/ppo/forward_pass", "time/ppo/optimize_step", "time/ppo/total"]:
        assert key in stats, key
        assert isinstance(stats[key], float)


def test_reference_log_probs_do_not_move_while_the_policy_learns():
    trainer, data = make_trainer(**{"optim.learning_rate": 5e-2})
    # Without the sampled log-probs, old_and_reference runs the policy pass too.
    rollout = dataclasses.replace(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8),
                                  logprobs=None, values=None)
    before = trainer.old_and_reference(rollout)
    for _ in range(3):
        trainer.step(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8))
    after = trainer.old_and_reference(rollout)
    assert torch.allclose(before.ref_logprobs, after.ref_logprobs, atol=1e-6)
    assert not torch.allclose(before.old_logprobs, after.old_logprobs, atol=1e-3)


@pytest.mark.parametrize("generation_batch_size", [None, 3])
def test_sampled_log_probs_and_values_equal_a_teacher_forced_pass(generation_batch_size):
    # The update uses what sampling recorded as the old policy; it must be what a separate pass gives.
    trainer, data = make_trainer(**{"generation.batch_size": generation_batch_size})
    with torch.no_grad():  # a non-trivial adapter and value head
        for name, p in trainer.unwrapped.named_parameters():
            if p.requires_grad:
                p.normal_(0, 0.2)
    torch.manual_seed(3)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=10)
    assert rollout.logprobs is not None and rollout.values is not None
    passes = trainer.old_and_reference(dataclasses.replace(rollout, logprobs=None, values=None))
    old, values = passes.old_logprobs, passes.old_values
    mask = rollout.response_mask.bool()
    assert torch.allclose(rollout.logprobs[mask], old[mask], atol=1e-5)
    assert torch.allclose(rollout.values[mask], values[mask], atol=1e-5)
    assert torch.all(rollout.logprobs[~mask] == 0) and torch.all(rollout.values[~mask] == 0)
    assert not torch.all(rollout.logprobs == rollout.logprobs[0, 0])


def test_teacher_forced_passes_stop_at_the_groups_longest_response():
    """The batch is padded to its longest response; a group of shorter ones decodes only as far
    as its own longest (causal decoding: the cut positions are seen by no kept one), and gives the
    full-width pass's log-probs, values and entropy at every real token, zeros after."""
    from rlhf_core.algorithms import ppo
    from rlhf_core.models.policy import response_decoder_inputs

    trainer, data = make_trainer()
    with torch.no_grad():  # a non-trivial adapter and value head
        for p in trainer.unwrapped.parameters():
            if p.requires_grad:
                p.normal_(0, 0.1)
    policy = trainer.unwrapped
    policy.eval()
    queries = [data["input_ids"][0], data["input_ids"][1]]
    responses = torch.tensor([[7, 8, 9, 1, 0, 0, 0, 0, 0, 0], [5, 1, 0, 0, 0, 0, 0, 0, 0, 0]])  # EOS id 1
    widths = []
    forward = policy.forward
    policy.forward = lambda ids, mask, dec: (widths.append(dec.shape[1]), forward(ids, mask, dec))[1]
    with torch.no_grad():
        lp, values, logits, entropy = trainer._forward(policy, queries, responses, entropy=True)
    policy.forward = forward
    assert widths == [4] and logits.shape[1] == 4 and lp.shape == values.shape == entropy.shape == (2, 10)
    input_ids, attention_mask = pad_right(queries, trainer.pad_id)
    with torch.no_grad():
        decoder_inputs = response_decoder_inputs(responses, trainer.start_id)
        full_logits, full_values = policy(input_ids, attention_mask, decoder_inputs)
        full_lp, full_entropy = ppo.token_logprobs(full_logits, responses, 1.0, True)
    mask = length_mask(response_lengths(responses, 1), 10).bool()
    for ours, theirs in ((lp, full_lp), (values, full_values), (entropy, full_entropy)):
        torch.testing.assert_close(ours[mask], theirs[mask], atol=1e-5, rtol=1e-5)
        assert torch.all(ours[:, 4:] == 0)


def test_micro_batches_accumulate_the_gradient_of_the_whole_mini_batch():
    from rlhf_core.algorithms import ppo

    trainer, data = make_trainer(**{"optim.mini_batch_size": 4})
    with torch.no_grad():  # a non-trivial adapter and value head
        for p in trainer.unwrapped.parameters():
            if p.requires_grad:
                p.normal_(0, 0.1)
    torch.manual_seed(4)
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=10)
    rollout.response_mask[0, 3:] = 0  # a short first response: micro-batches hold different token counts
    rollout.response_ids[0, 3:] = 0
    mask = rollout.response_mask
    passes = trainer.old_and_reference(dataclasses.replace(rollout, logprobs=None, values=None))
    old, old_values, ref = passes.old_logprobs, passes.old_values, passes.ref_logprobs
    rewards, _, _ = ppo.compute_rewards(rollout.scores, old, ref, mask, 0.2)
    advantages, returns = ppo.compute_advantages(old_values, rewards, mask)
    old = old + 0.05 * torch.randn_like(old)  # ratios away from 1, so clipping takes part
    trainable = [p for p in trainer.unwrapped.parameters() if p.requires_grad]
    results = []
    for micro in (None, 1, 3):
        trainer.config.optim.micro_batch_size = micro
        trainer.optimizer.zero_grad()
        batch = PPOBatch(old, old_values, advantages, returns, mask)
        stats = trainer._minibatch_gradients(rollout, [0, 1, 2, 3], batch)
        results.append((stats, [p.grad.clone() for p in trainable]))
    (stats_a, grads_a) = results[0]
    assert any(g.abs().max() > 0 for g in grads_a)
    for stats_b, grads_b in results[1:]:
        for g, h in zip(grads_a, grads_b):
            assert torch.allclose(g, h, atol=1e-6, rtol=1e-4)
        for key in ("ppo/loss/total", "ppo/policy/entropy", "ppo/policy/clipfrac", "ppo/returns/var"):
            assert float(stats_a[key]) == pytest.approx(float(stats_b[key]), rel=1e-5, abs=1e-6), key


def test_importing_the_engine_caps_the_onednn_cache_and_heap_trim_runs():
    import os
    import platform

    from rlhf_core.models.memory import ONEDNN_CACHE_CAPACITY, trim_heap

    assert os.environ.get("ONEDNN_PRIMITIVE_CACHE_CAPACITY") == ONEDNN_CACHE_CAPACITY
    if platform.libc_ver()[0] == "glibc":
        assert trim_heap()


def test_a_step_scores_each_summary_once_when_the_reward_reads_the_summary():
    # reward.text="summary" (the demo preset's setting): reward and toxicity come from one pass.
    from rlhf_core import RewardModel

    config = get_config("tiny", {"optim.batch_size": 4, "optim.mini_batch_size": 4, "reward.text": "summary"})
    torch.manual_seed(0)
    policy, tokenizer = build_policy(config.model)
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"].select(range(4))
    reward_model = RewardModel.from_config(config.reward)
    rows_scored = []
    forward = reward_model.model.forward
    reward_model.model.forward = lambda *a, **k: rows_scored.append(k["input_ids"].shape[0]) or forward(*a, **k)
    trainer = PPOTrainer(config, policy, tokenizer, Reward(reward_model, config.reward.text))
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=6)
    assert sum(rows_scored) == 4 and len(rollout.toxicity) == 4
    expected = reward_model.score(rollout.summaries)
    assert rollout.scores.tolist() == pytest.approx(expected.rewards, abs=1e-5)
    assert rollout.toxicity == pytest.approx(expected.toxicity, abs=1e-5)


def test_with_prompt_and_summary_the_reward_reads_both_and_toxicity_the_summary_alone():
    from rlhf_core import RewardModel
    from rlhf_core.models.reward import reward_texts

    model = RewardModel.from_config(get_config("tiny").reward)
    prompts, summaries = ["Summarize: a\n", "Summarize: bb cc\n"], ["fine", "you idiot"]
    scored = Reward(model, "prompt+summary").score(prompts, summaries)
    expected = model.score(reward_texts(prompts, summaries, "prompt+summary")).rewards
    assert scored.rewards == pytest.approx(expected, abs=1e-5)
    assert scored.toxicity == pytest.approx(model.score(summaries).toxicity, abs=1e-5)
    assert Reward(lambda p, s: [1.0, 2.0]).score(prompts, summaries).toxicity is None
