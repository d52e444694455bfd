"""Sampling: the inverse-CDF draw, the logits processors, and the rollout it returns."""

import math

import torch

from rlhf_core import build_policy, get_config
from rlhf_core.models.sampling import SamplingSettings, logits_processors, sample, sample_from_scores


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


def _eos_likely_policy(p_eos_share: float = 4):
    """The tiny policy with its EOS logit raised so that rows end after a few tokens, at varied steps."""
    config = get_config("tiny")
    torch.manual_seed(0)
    policy, _ = build_policy(config.model)
    bias = math.log(policy.config.vocab_size / p_eos_share)
    seen_rows = []

    def eos_likely(module, inputs, logits):
        seen_rows.append(logits.shape[0])
        logits[..., 1] += bias
        return logits

    policy.model.get_base_model().lm_head.register_forward_hook(eos_likely)
    return policy, seen_rows


def test_decode_drops_ended_rows_without_changing_what_any_row_samples():
    from rlhf_core.models.sampling import decode

    policy, seen_rows = _eos_likely_policy()
    policy.model.eval()
    prompts = [list(range(3, 3 + n)) + [1] for n in (30, 5, 18, 9, 12, 7) * 4]  # 24 prompts
    s = SamplingSettings(max_new_tokens=16, pad_id=0, eos_id=1, start_id=0, encoder_batch_size=4)
    seq2seq = policy.model.get_base_model()
    outs = {}
    for drop_ended in (True, False):
        seen_rows.clear()
        torch.manual_seed(7)
        with torch.inference_mode():
            outs[drop_ended] = decode(seq2seq, prompts, s, head=policy.value_head, drop_ended=drop_ended)
        if drop_ended:
            assert min(seen_rows) < 24, f"rows per step {seen_rows}: no row was dropped, the test tests nothing"
        else:
            assert set(seen_rows) == {24}
    kept, full = outs[True], outs[False]
    assert torch.equal(kept.response_ids, full.response_ids) and torch.equal(kept.mask, full.mask)
    assert torch.allclose(kept.logprobs, full.logprobs, atol=1e-6)
    assert torch.allclose(kept.values, full.values, atol=1e-6)
    # What was recorded for the dropped-and-kept batch is what a teacher-forced pass gives.
    lengths = kept.mask.sum(1).long()
    assert len(set(lengths.tolist())) > 3
    input_ids = torch.zeros((24, 31), dtype=torch.long)
    for i, p in enumerate(prompts):
        input_ids[i, : len(p)] = torch.tensor(p)
    decoder_input_ids = torch.cat([torch.zeros((24, 1), dtype=torch.long), kept.response_ids[:, :-1]], dim=1)
    with torch.no_grad():
        logits, values = policy(input_ids, (input_ids != 0).long(), decoder_input_ids)
    teacher = torch.log_softmax(logits, -1).gather(2, kept.response_ids[..., None]).squeeze(2)
    real = kept.mask.bool()
    assert torch.allclose(kept.logprobs[real], teacher[real], atol=1e-5)
    assert torch.allclose(kept.values[real], values[real], atol=1e-5)


def test_greedy_summaries_are_those_of_generate():
    from rlhf_core.models.summarizer import BEFORE, Summarizer

    config = get_config("tiny")
    config.generation.min_length = 6
    summarizer = Summarizer(config)
    dialogues = [f"#Person1#: {text}\n#Person2#: fine" for text in ("hello Anna", "the price is 30 dollars",
                                                                     "x" * 60, "we meet at noon on Friday")]
    ours = summarizer.summarize(dialogues, BEFORE, do_sample=False, max_new_tokens=12, batch_size=3)
    batch = summarizer.tokenizer(summarizer.prompts(dialogues), padding=True, return_tensors="pt")
    with torch.inference_mode(), summarizer.model.disable_adapter():
        ids = summarizer.model.generate(**batch, do_sample=False, max_new_tokens=12, min_length=6)
    theirs = [t.strip() for t in summarizer.tokenizer.batch_decode(ids, skip_special_tokens=True)]
    assert ours == theirs
    assert len(set(ours)) > 1
