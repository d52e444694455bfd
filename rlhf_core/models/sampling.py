"""Sampling PPO rollouts from an encoder-decoder policy, recording what the update needs.

`transformers`' `generate` returns only tokens, so TRL 0.11 runs a second forward pass over
every response to get the log-probs and values of the "old" policy. This loop records both
while it samples (same network, same weights, dropout off, so in float32 the numbers agree with
a teacher-forced pass to float rounding), which removes that pass. In bf16 they do not: one
token at a time against the KV cache rounds differently from a whole-sequence pass (-0.16 nats
of step-1 KL per sequence on flan-t5 shapes), so bf16 training samples without recording and
runs the teacher-forced pass after all (`RolloutTrainer.records_while_sampling`). It also:
- encodes prompts in length buckets (prompts vary 2x in length; one padded batch wastes ~30%);
- decodes the whole batch at once with the KV cache (decoding is memory-bound, so one read of
  the weights serves every row);
- samples by inverse CDF with one uniform number per row instead of `torch.multinomial`'s
  exponential draw over the whole vocabulary (10x cheaper per token here, same distribution);
- lets rows that have ended leave the batch, so a batch does not decode every row to its longest.

The evaluation and the app decode summaries with the same loop (`decode`, greedy or sampled,
without recording). Logit processing uses `transformers`' own processors (min length, min new tokens,
temperature, top-k, top-p), in the order `generate` applies them.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers.cache_utils import DynamicCache, EncoderDecoderCache
from transformers.generation.logits_process import (
    LogitsProcessorList,
    MinLengthLogitsProcessor,
    MinNewTokensLengthLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)
from transformers.modeling_outputs import BaseModelOutput

from .batching import length_buckets, length_mask, pad_right, response_lengths


@dataclass
class SamplingSettings:
    """How to sample: the fields of `config.GenerationConfig` plus the model's special ids."""

    max_new_tokens: int
    pad_id: int
    eos_id: int
    start_id: int
    top_k: int = 0
    top_p: float = 1.0
    temperature: float = 1.0
    min_length: int = 0
    min_new_tokens: int | None = None
    encoder_batch_size: int = 4  # prompts per encoder pass, grouped by length


@dataclass
class Samples:
    """Sampled responses with the sampling policy's log-probs and values, all (B, T) (a trainer that
    did not record them hands on None: `RolloutTrainer.generate`)."""

    response_ids: torch.Tensor  # right-padded with pad_id after the first EOS
    mask: torch.Tensor  # float, 1 up to and including the first EOS
    logprobs: torch.Tensor | None  # log softmax(logits / temperature) of each sampled token; 0 on padding
    values: torch.Tensor | None  # value head on the final decoder hidden state; 0 on padding (all 0 without a head)


def logits_processors(s: SamplingSettings, device=None) -> LogitsProcessorList:
    """Returns the processors `generate` would build for these settings, in its order."""
    device = device or "cpu"
    eos = torch.tensor([s.eos_id], device=device)
    processors = LogitsProcessorList()
    if s.min_length and s.min_length > 0:
        processors.append(MinLengthLogitsProcessor(s.min_length, eos, device=device))
    if s.min_new_tokens and s.min_new_tokens > 0:  # skip the decoder-start token
        processors.append(MinNewTokensLengthLogitsProcessor(1, s.min_new_tokens, eos, device=device))
    if s.temperature != 1.0:
        processors.append(TemperatureLogitsWarper(s.temperature))
    if s.top_k:
        processors.append(TopKLogitsWarper(top_k=s.top_k))
    if s.top_p < 1.0:
        processors.append(TopPLogitsWarper(top_p=s.top_p))
    return processors


def sample_from_scores(scores: torch.Tensor, generator: torch.Generator | None = None,
                       uniform: torch.Tensor | None = None) -> torch.Tensor:
    """Returns one token id per row (B,) drawn from softmax(scores) by inverse CDF.

    `uniform` (B, 1) float64 in [0, 1) gives the draws (default: fresh ones from `generator`).
    The CDF is summed in float64 so that tokens with tiny probabilities keep their share;
    a token with probability 0 (a -inf score) is never drawn.
    """
    probs = torch.softmax(scores.float(), dim=-1)  # (B, V)
    cdf = probs.double().cumsum_(dim=-1)  # (B, V)
    u = uniform if uniform is not None else torch.rand((scores.shape[0], 1), dtype=torch.float64,
                                                       device=scores.device, generator=generator)
    ids = torch.searchsorted(cdf, u * cdf[:, -1:], right=True).clamp_(max=scores.shape[-1] - 1)  # (B, 1)
    # Float ties at the very top of the CDF could land on a trailing zero-probability token.
    impossible = probs.gather(1, ids) == 0
    if impossible.any():
        ids = torch.where(impossible, probs.argmax(dim=-1, keepdim=True), ids)
    return ids.squeeze(1)


def encode_in_buckets(encoder, query_ids: Sequence[Sequence[int]], pad_id: int, bucket_size: int, device):
    """Returns (hidden (B, L, H), attention_mask (B, L)) for all prompts, in input order.

    Prompts are encoded in groups of similar length, then right-padded to the longest; padded
    positions are masked out of cross-attention, so their (zero) states are never read.
    """
    lengths = [len(q) for q in query_ids]
    width = max(lengths)
    attention_mask = torch.zeros((len(query_ids), width), dtype=torch.long, device=device)
    hidden = None
    for bucket in length_buckets(lengths, bucket_size):
        input_ids, mask = pad_right([query_ids[i] for i in bucket], pad_id, device)
        states = encoder(input_ids=input_ids, attention_mask=mask, return_dict=True).last_hidden_state
        if hidden is None:
            hidden = states.new_zeros((len(query_ids), width, states.shape[-1]))
        rows = torch.as_tensor(bucket, device=device)
        hidden[rows, : states.shape[1]] = states
        attention_mask[rows, : mask.shape[1]] = mask
    return hidden, attention_mask


def sample(policy, query_ids: Sequence[Sequence[int]], s: SamplingSettings, device=None,
           autocast=contextlib.nullcontext, repeats: int = 1, record: bool = True,
           generator: torch.Generator | None = None) -> Samples:
    """Samples `repeats` responses per prompt (prompt-major rows) from `policy`, in eval mode.

    Each prompt is encoded once and its states shared by its `repeats` rows (RLOO/GRPO sample
    k per prompt). With `record`, the sampled tokens' log-probs (and values) are recorded while
    decoding; without it they are left at 0 and the caller runs a teacher-forced pass (bf16:
    see `RolloutTrainer.records_while_sampling`). Uniform draws come from `generator` (default:
    torch's global generator). Runs under `torch.inference_mode`; the returned tensors are
    ordinary ones.
    """
    model = policy.model  # the PEFT model: LoRA layers are live in every call below
    model.eval()
    with torch.inference_mode():
        samples = decode(model.get_base_model(), query_ids, s, device, head=policy.value_head,
                         autocast=autocast, repeats=repeats, record=record, generator=generator)
    return Samples(*(t.clone() for t in (samples.response_ids, samples.mask, samples.logprobs, samples.values)))


def decode(seq2seq, query_ids: Sequence[Sequence[int]], s: SamplingSettings, device=None, *, head=None,
           autocast=contextlib.nullcontext, repeats: int = 1, greedy: bool = False, record: bool = True,
           drop_ended: bool = True, generator: torch.Generator | None = None) -> Samples:
    """Decodes `repeats` responses per prompt with the KV cache; call under `torch.inference_mode`.

    `seq2seq` is the model whose forward runs (a PEFT model's base model keeps its LoRA layers,
    and `disable_adapter()` turns them off). `greedy` takes the most likely token after the
    length processors, as `generate(do_sample=False)` does; sampling's warpers cannot change
    the argmax. Without `record`, log-probs and values are left at 0 (summaries for reading).
    Sampling draws its uniform numbers from `generator`, or from torch's global generator without
    one. A seeded trainer (`RolloutTrainer.seed`), the evaluation and the app each pass their own,
    so none of them moves a stream another thread draws from.

    With `drop_ended`, rows that have ended leave the batch (and the cache) once enough of them
    have: summaries vary in length, and a batch would otherwise decode every row to its longest
    one (sampled demo summaries: 42 tokens on average, 80 at most). Every row still draws its
    uniform number from one (B, 1) draw per step, so what a row samples does not depend on which
    other rows are still decoding.
    """
    B = len(query_ids) * repeats
    if greedy:
        s = dataclasses.replace(s, temperature=1.0, top_k=0, top_p=1.0)
    processors = logits_processors(s, device)
    head = head if record else None
    with autocast():
        hidden, attention_mask = encode_in_buckets(seq2seq.get_encoder(), query_ids, s.pad_id,
                                                   s.encoder_batch_size, device)
        if repeats > 1:
            hidden = hidden.repeat_interleave(repeats, dim=0)
            attention_mask = attention_mask.repeat_interleave(repeats, dim=0)
        cache = EncoderDecoderCache(DynamicCache(), DynamicCache())
        tokens = torch.full((B, s.max_new_tokens + 1), s.pad_id, dtype=torch.long, device=device)
        tokens[:, 0] = s.start_id  # start + what each row drew so far
        logprobs = torch.zeros((B, s.max_new_tokens), device=device)
        values = torch.zeros((B, s.max_new_tokens), device=device)
        rows = torch.arange(B, device=device)  # the rows still decoding, in cache order
        finished = torch.zeros(B, dtype=torch.bool, device=device)  # of those rows
        steps = 0
        for t in range(s.max_new_tokens):
            out = seq2seq(encoder_outputs=BaseModelOutput(last_hidden_state=hidden), attention_mask=attention_mask,
                          decoder_input_ids=tokens[rows, t : t + 1], past_key_values=cache, use_cache=True,
                          output_hidden_states=head is not None, return_dict=True)
            logits = out.logits[:, -1, :].float()  # (rows, V)
            if head is not None:
                final_hidden = out.decoder_hidden_states[-1][:, -1]  # (rows, H)
                values[rows, t] = head(final_hidden.to(head.weight.dtype)).squeeze(-1).float()
            scores = processors(tokens[rows, : t + 1], logits.clone() if record else logits)
            if greedy:
                next_ids = scores.argmax(dim=-1)
            else:
                u = torch.rand((B, 1), dtype=torch.float64, device=device, generator=generator)[rows]
                next_ids = sample_from_scores(scores, uniform=u)  # (rows,)
            next_ids = torch.where(finished, torch.full_like(next_ids, s.pad_id), next_ids)
            if record:  # log softmax(logits / T) at the drawn token, as the update's `ppo.token_logprobs`
                x = logits / s.temperature if s.temperature != 1.0 else logits
                logprobs[rows, t] = x.gather(1, next_ids[:, None]).squeeze(1) - torch.logsumexp(x, dim=-1)
            tokens[rows, t + 1] = next_ids
            steps = t + 1
            finished |= next_ids == s.eos_id
            done = int(finished.sum())
            if done == len(rows):
                break
            if drop_ended and done >= max(8, len(rows) // 4):
                keep = (~finished).nonzero().squeeze(1)
                cache.batch_select_indices(keep)
                hidden, attention_mask, rows = hidden[keep], attention_mask[keep], rows[keep]
                finished = finished[keep]
    response_ids = tokens[:, 1 : steps + 1]
    mask = length_mask(response_lengths(response_ids, s.eos_id), response_ids.shape[1])
    real = mask.bool()
    return Samples(
        response_ids=torch.where(real, response_ids, torch.full_like(response_ids, s.pad_id)),
        mask=mask,
        logprobs=torch.where(real, logprobs[:, :steps], 0.0),
        values=torch.where(real, values[:, :steps], 0.0),
    )


def merge_samples(parts: Sequence[Samples], buckets: Sequence[Sequence[int]], pad_id: int) -> Samples:
    """Returns the samples of several groups of prompts as one batch, in the prompts' order."""
    n = sum(len(b) for b in buckets)
    width = max(p.response_ids.shape[1] for p in parts)
    first = parts[0].response_ids
    response_ids = torch.full((n, width), pad_id, dtype=first.dtype, device=first.device)
    mask, logprobs, values = (torch.zeros((n, width), device=first.device) for _ in range(3))
    for part, bucket in zip(parts, buckets):
        rows, t = torch.as_tensor(list(bucket), device=first.device), part.response_ids.shape[1]
        response_ids[rows, :t] = part.response_ids
        mask[rows, :t], logprobs[rows, :t], values[rows, :t] = part.mask, part.logprobs, part.values
    return Samples(response_ids, mask, logprobs, values)
