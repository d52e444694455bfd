"""Sampling: the inverse-CDF draw, the logits processors, and the rollout it returns."""

import math

import torch

from rlhf_core import build_policy, get_config
from rlhf_core.sampling import SamplingSettings, logits_processors, sample, sample_from_scores


def test_inverse_cdf_draws_follow_the_distribution_and_never_pick_impossible_tokens():
    probs = torch.tensor([0.5, 0.0, 0.3, 0.15, 0.05, 0.0])
    scores = probs.log().expand(40_000, -1)  # log(0) = -inf: impossible tokens
    torch.manual_seed(0)
    counts = torch.bincount(sample_from_scores(scores), minlength=6).float()
    assert counts[1] == 0 and counts[5] == 0
    freq = counts / counts.sum()
    # 4 sigma of a binomial share with n = 40k is at most 0.01
    assert torch.allclose(freq, probs, atol=0.01), freq


def test_inverse_cdf_is_reproducible_with_a_seed():
    scores = torch.randn(8, 100)
    torch.manual_seed(5)
    a = sample_from_scores(scores)
    torch.manual_seed(5)
    assert torch.equal(a, sample_from_scores(scores))


def test_processors_forbid_eos_before_min_new_tokens_and_apply_top_k():
    s = SamplingSettings(max_new_tokens=8, pad_id=0, eos_id=1, start_id=0, top_k=2, min_new_tokens=3)
    processors = logits_processors(s)
    scores = torch.tensor([[0.0, 5.0, 4.0, 1.0, 3.0]])
    early = processors(torch.tensor([[0, 7]]), scores.clone())  # start + 1 new token: EOS not yet allowed
    assert early[0, 1] == float("-inf")
    assert torch.isfinite(early[0]).sum() == 2 and torch.isfinite(early[0, [2, 4]]).all()  # top-2 of the rest
    late = processors(torch.tensor([[0, 7, 8, 9]]), scores.clone())  # 3 new tokens: EOS allowed
    assert torch.isfinite(late[0, 1])


def test_sample_stops_at_eos_and_pads_after_it():
    config = get_config("tiny")
    torch.manual_seed(0)
    policy, tokenizer = build_policy(config.model)
    prompts = [list(range(3, 3 + n)) + [1] for n in (30, 5, 18, 9)]
    bias = math.log(policy.config.vocab_size / 4)  # the tiny model's logits are near 0: P(EOS) ~ 1/5 a step

    def eos_likely(module, inputs, logits):
        logits[..., 1] += bias
        return logits

    policy.model.get_base_model().lm_head.register_forward_hook(eos_likely)
    s = SamplingSettings(max_new_tokens=12, pad_id=0, eos_id=1, start_id=0, encoder_batch_size=2)
    torch.manual_seed(1)
    out = sample(policy, prompts, s)
    lengths = out.mask.sum(1).long()
    assert out.response_ids.shape == out.logprobs.shape == out.values.shape == (4, out.response_ids.shape[1])
    assert len(set(lengths.tolist())) > 1, f"lengths {lengths.tolist()}: the test does not test stopping"
    for row, n in zip(out.response_ids, lengths):
        if n < row.shape[0] or row[n - 1] == 1:
            assert row[n - 1] == 1 and 1 not in row[: n - 1].tolist()
        assert torch.all(row[n:] == 0)
    # Ordinary tensors (not inference tensors), so the update's autograd may use them.
    assert not out.logprobs.is_inference() and not out.response_ids.is_inference()
