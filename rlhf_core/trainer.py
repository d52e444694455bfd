"""One PPO step for an encoder-decoder policy: generate -> score -> forward passes -> update.

The math lives in `ppo.py` as pure functions; this class only orchestrates. Semantics and stat
names follow TRL 0.11's PPOTrainer, with two deliberate differences: every response token is
scored (decoder input = start token + response shifted right), and sampling / old log-probs
run with dropout off. Work is arranged for speed: the encoder runs once for generation and the
old log-prob/value pass, every pass groups prompts of similar length, and no-grad passes run
under `torch.inference_mode`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from transformers.modeling_outputs import BaseModelOutput

from . import ppo
from .config import Config
from .policy import PolicyWithValueHead, response_decoder_inputs
from .reward import Reward, reward_texts


@dataclass
class Rollout:
    """What one PPO step sampled: prompts, responses and their scores."""

    query_ids: list[list[int]]
    prompts: list[str]
    response_ids: torch.Tensor  # (B, T) right-padded with pad id
    response_mask: torch.Tensor  # (B, T) 1 for real tokens (EOS included)
    summaries: list[str]
    scores: torch.Tensor  # (B,)
    toxicity: list[float] | None = None  # P(hate) of each summary alone, when a reward model scores
    encoder_states: list[torch.Tensor] | None = None  # per query, from generation; reused by the old pass
    timing: dict[str, float] = field(default_factory=dict)


def pad_right(seqs: Sequence[Sequence[int]], pad_id: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (ids (B, L), mask (B, L)) with each sequence left-aligned and padded on the right."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids.to(device), mask.to(device)


def response_lengths(response_ids: torch.Tensor, eos_id: int) -> torch.Tensor:
    """Returns each response's length up to and including its first EOS (all of it if none).

    Built from EOS positions, never from `ids != pad`: T5's pad id is also its decoder-start id.
    """
    is_eos = response_ids == eos_id  # (B, T)
    has_eos = is_eos.any(dim=1)
    first_eos = is_eos.float().argmax(dim=1)
    return torch.where(has_eos, first_eos + 1, torch.full_like(first_eos, response_ids.shape[1]))


def length_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """Returns a (B, width) float mask with ones on the first `lengths[i]` positions."""
    return (torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]).float()


def length_buckets(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Returns index chunks of at most `size`, each holding sequences of similar length."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]


class PPOTrainer:
    """Runs PPO steps on a policy with a value head against a reward; see `step`."""

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        from accelerate import Accelerator

        self.config = config
        self.tokenizer = tokenizer
        self.reward = reward
        self.accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        p = config.ppo
        self.kl_ctl = (
            ppo.AdaptiveKLController(p.init_kl_coef, p.target_kl, p.horizon)
            if p.adaptive_kl
            else ppo.FixedKLController(p.init_kl_coef)
        )
        trainable = [param for param in policy.parameters() if param.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=p.learning_rate)
        self.policy, self.optimizer = self.accelerator.prepare(policy, optimizer)
        if reward.model is not None:
            reward.model.to(self.accelerator.device)
        base_config = self.unwrapped.config
        self.pad_id = base_config.pad_token_id
        self.eos_id = base_config.eos_token_id
        self.start_id = base_config.decoder_start_token_id

    @property
    def unwrapped(self) -> PolicyWithValueHead:
        return self.accelerator.unwrap_model(self.policy)

    @property
    def device(self):
        return self.accelerator.device

    # ---------------------------------------------------------------- rollout

    @torch.inference_mode()
    def generate(self, query_ids: Sequence[Sequence[int]], max_new_tokens: int):
        """Returns (response_ids (B, T), response_mask (B, T), encoder_states list) sampled with dropout off.

        Encoder states are returned per query (unpadded) so the old log-prob pass can reuse them.
        """
        g = self.config.generation
        model = self.unwrapped.model
        model.eval()
        chunk = g.batch_size or len(query_ids)
        responses: list[torch.Tensor | None] = [None] * len(query_ids)
        encoder_states: list[torch.Tensor | None] = [None] * len(query_ids)
        for bucket in length_buckets([len(q) for q in query_ids], chunk):
            input_ids, attention_mask = pad_right([query_ids[i] for i in bucket], self.pad_id, self.device)
            with self.accelerator.autocast():
                encoded = model.get_encoder()(input_ids=input_ids, attention_mask=attention_mask, return_dict=True)
                output = model.generate(
                    encoder_outputs=encoded,
                    attention_mask=attention_mask,
                    do_sample=True,
                    top_k=g.top_k,
                    top_p=g.top_p,
                    temperature=g.temperature,
                    min_length=g.min_length,
                    max_new_tokens=max_new_tokens,
                    min_new_tokens=g.min_new_tokens,
                    pad_token_id=self.pad_id,
                    eos_token_id=self.eos_id,
                    decoder_start_token_id=self.start_id,
                )
            for row, i in enumerate(bucket):
                responses[i] = output[row, 1:]  # drop the decoder-start token
                length = int(attention_mask[row].sum())
                encoder_states[i] = encoded.last_hidden_state[row, :length]
        width = max(r.shape[0] for r in responses)
        response_ids = torch.full((len(responses), width), self.pad_id, dtype=torch.long, device=self.device)
        for i, r in enumerate(responses):
            response_ids[i, : r.shape[0]] = r
        lengths = response_lengths(response_ids, self.eos_id)
        mask = length_mask(lengths, width)
        response_ids = torch.where(mask.bool(), response_ids, torch.full_like(response_ids, self.pad_id))
        return response_ids, mask, encoder_states

    def rollout(self, query_ids: Sequence[Sequence[int]], prompts: Sequence[str], max_new_tokens: int) -> Rollout:
        """Samples responses for the prompts and scores them with the reward."""
        t0 = time.perf_counter()
        response_ids, mask, encoder_states = self.generate(query_ids, max_new_tokens)
        # Clones outside inference mode, so the update's autograd may use them.
        response_ids, mask = response_ids.clone(), mask.clone()
        t1 = time.perf_counter()
        summaries = self.tokenizer.batch_decode(response_ids, skip_special_tokens=True)
        summaries = [s.strip() for s in summaries]
        scores = self.reward(prompts, summaries)
        toxicity = None
        if self.reward.model is not None:
            if self.reward.text == "summary":
                toxicity = self.reward.model.score(summaries).toxicity
            else:
                toxicity = self.reward.model.score(reward_texts(prompts, summaries, "summary")).toxicity
        t2 = time.perf_counter()
        return Rollout(
            list(map(list, query_ids)), list(prompts), response_ids, mask, summaries,
            torch.tensor(scores, dtype=torch.float32, device=self.device), toxicity, encoder_states,
            {"time/ppo/generate": t1 - t0, "time/ppo/reward": t2 - t1},
        )

    # ---------------------------------------------------------------- forward passes

    def _forward(self, model, query_ids, response_ids, encoder_states=None):
        """Returns (logprobs (b, T), values (b, T), logits (b, T, V)) for one group of samples."""
        input_ids, attention_mask = pad_right(query_ids, self.pad_id, self.device)
        encoder_outputs = None
        if encoder_states is not None:
            hidden = torch.zeros(
                (len(encoder_states), input_ids.shape[1], encoder_states[0].shape[-1]),
                dtype=encoder_states[0].dtype, device=self.device,
            )
            for i, state in enumerate(encoder_states):
                hidden[i, : state.shape[0]] = state
            encoder_outputs = BaseModelOutput(last_hidden_state=hidden)
        decoder_input_ids = response_decoder_inputs(response_ids, self.start_id)
        with self.accelerator.autocast():
            logits, values = model(input_ids, attention_mask, decoder_input_ids, encoder_outputs=encoder_outputs)
        logprobs = ppo.logprobs_from_logits(logits, response_ids, self.config.generation.temperature)
        return logprobs, values, logits

    @torch.inference_mode()
    def old_and_reference(self, rollout: Rollout):
        """Returns (old_logprobs, old_values, ref_logprobs), each (B, T), from no-grad passes.

        The policy pass reuses the encoder states from generation; the reference pass runs the
        same network with the adapter disabled. Both run in eval mode, in length buckets.
        """
        policy = self.unwrapped
        policy.eval()
        B, T = rollout.response_ids.shape
        old_logprobs = torch.zeros((B, T), device=self.device)
        old_values = torch.zeros((B, T), device=self.device)
        ref_logprobs = torch.zeros((B, T), device=self.device)
        full_kl = self.config.ppo.kl_penalty == "full"
        old_logits = ref_logits = None
        size = self.config.ppo.forward_batch_size or self.config.ppo.mini_batch_size
        for bucket in length_buckets([len(q) for q in rollout.query_ids], size):
            queries = [rollout.query_ids[i] for i in bucket]
            responses = rollout.response_ids[bucket]
            states = [rollout.encoder_states[i] for i in bucket] if rollout.encoder_states else None
            lp, v, logits = self._forward(policy, queries, responses, states)
            old_logprobs[bucket], old_values[bucket] = lp, v
            with policy.reference():
                rlp, _, rlogits = self._forward(policy, queries, responses)
            ref_logprobs[bucket] = rlp
            if full_kl:
                if old_logits is None:
                    old_logits = torch.zeros((B, T, logits.shape[-1]), device=self.device)
                    ref_logits = torch.zeros_like(old_logits)
                old_logits[bucket], ref_logits[bucket] = logits, rlogits
        return old_logprobs, old_values, ref_logprobs, old_logits, ref_logits

    # ---------------------------------------------------------------- the step

    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one PPO update on a scored rollout and returns TRL-named stats."""
        cfg = self.config.ppo
        timing = dict(rollout.timing)
        t0 = time.perf_counter()
        mask = rollout.response_mask
        old_logprobs, old_values, ref_logprobs, old_logits, ref_logits = self.old_and_reference(rollout)
        old_logprobs, old_values, ref_logprobs = old_logprobs.clone(), old_values.clone(), ref_logprobs.clone()
        t1 = time.perf_counter()

        # 1. per-token reward: -kl_coef * KL, plus the score on the last response token
        kl_coef = self.kl_ctl.value
        rewards, non_score_rewards, kls = ppo.compute_rewards(
            rollout.scores, old_logprobs, ref_logprobs, mask, kl_coef, cfg.kl_penalty,
            logits=old_logits, ref_logits=ref_logits,
        )
        t2 = time.perf_counter()
        # 2. GAE advantages (whitened) and returns
        advantages, returns = ppo.compute_advantages(
            old_values, rewards, mask, cfg.gamma, cfg.lam, cfg.whiten_advantages
        )
        t3 = time.perf_counter()
        # 3. PPO epochs over length-bucketed mini-batches, in random order
        train_stats = self._optimize(rollout, old_logprobs, old_values, advantages, returns, mask)
        t4 = time.perf_counter()

        kl_per_sample = (kls * mask).sum(-1)  # (B,)
        stats = {
            "objective/kl": kl_per_sample.mean().item(),
            "objective/kl_coef": float(kl_coef),
            "objective/entropy": (-old_logprobs * mask).sum(-1).mean().item(),
            "objective/non_score_reward": (non_score_rewards * mask).sum(-1).mean().item(),
            "objective/logprobs": ppo.masked_mean(old_logprobs, mask).item(),
            "objective/ref_logprobs": ppo.masked_mean(ref_logprobs, mask).item(),
            "env/reward_mean": rollout.scores.mean().item(),
            "env/reward_std": rollout.scores.std(unbiased=False).item() if len(rollout.scores) > 1 else 0.0,
            "tokens/responses_len_mean": mask.sum(-1).mean().item(),
            "tokens/queries_len_mean": float(np.mean([len(q) for q in rollout.query_ids])),
            **train_stats,
        }
        if rollout.toxicity is not None:
            stats["env/toxicity_mean"] = float(np.mean(rollout.toxicity))
        stats = self._gather(stats)
        # 4. adapt the KL coefficient to the KL actually seen (TRL counts the global batch)
        self.kl_ctl.update(stats["objective/kl"], cfg.batch_size * self.accelerator.num_processes)
        timing.update({
            "time/ppo/forward_pass": t1 - t0,
            "time/ppo/compute_rewards": t2 - t1,
            "time/ppo/compute_advantages": t3 - t2,
            "time/ppo/optimize_step": t4 - t3,
        })
        timing["time/ppo/total"] = sum(timing.values())
        stats.update(timing)
        return stats

    def _optimize(self, rollout, old_logprobs, old_values, advantages, returns, mask) -> dict[str, float]:
        cfg = self.config.ppo
        # Dropout stays off in the update too: the first mini-batch's ratio is then exactly 1
        # and the loss compares like with like (gradients flow in eval mode all the same).
        self.policy.eval()
        collected: dict[str, list[float]] = {}
        lengths = [len(q) for q in rollout.query_ids]
        skipped = 0
        for _ in range(cfg.ppo_epochs):
            buckets = length_buckets(lengths, cfg.mini_batch_size)
            order = torch.randperm(len(buckets)).tolist()
            for b in order:
                idx = buckets[b]
                queries = [rollout.query_ids[i] for i in idx]
                logprobs, vpreds, logits = self._forward(self.policy, queries, rollout.response_ids[idx])
                loss, stats = ppo.ppo_losses(
                    old_logprobs[idx], old_values[idx], logprobs, vpreds, advantages[idx], returns[idx], mask[idx],
                    cfg.cliprange, cfg.cliprange_value, cfg.vf_coef,
                )
                ratio_mean = float(stats["ppo/policy/ratio_mean"])
                if not math.isfinite(loss.item()):
                    raise FloatingPointError("PPO loss is not finite")
                if ratio_mean > cfg.ratio_threshold:
                    # TRL's guard: a mini-batch whose ratio explodes would wreck the policy; skip it.
                    skipped += 1
                    self.optimizer.zero_grad()
                    continue
                self.optimizer.zero_grad()
                self.accelerator.backward(loss)
                if cfg.max_grad_norm is not None:
                    self.accelerator.clip_grad_norm_(self.policy.parameters(), cfg.max_grad_norm)
                self.optimizer.step()
                with torch.no_grad():
                    stats["ppo/policy/entropy"] = ppo.masked_mean(ppo.entropy_from_logits(logits), mask[idx])
                for key, value in stats.items():
                    collected.setdefault(key, []).append(float(value))
        out = {key: float(np.mean(values)) for key, values in collected.items()}
        out["ppo/skipped_minibatches"] = float(skipped)
        out["ppo/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out

    def _gather(self, stats: dict[str, float]) -> dict[str, float]:
        """Averages stats over processes, so every rank logs and adapts KL on the same numbers."""
        if self.accelerator.num_processes == 1:
            return stats
        keys = sorted(stats)
        values = torch.tensor([stats[k] for k in keys], dtype=torch.float64, device=self.device)
        values = self.accelerator.reduce(values, reduction="mean")
        return dict(zip(keys, values.tolist()))

    def step_from_prompts(self, query_ids, prompts, max_new_tokens) -> tuple[Rollout, dict[str, float]]:
        """Generate, score and update in one call; returns the rollout and its stats."""
        rollout = self.rollout(query_ids, prompts, max_new_tokens)
        stats = self.step(rollout)
        return rollout, stats


def check_finite(stats: dict[str, float]) -> None:
    """Raises FloatingPointError naming the first stat that is NaN or infinite."""
    for key in ("env/reward_mean", "objective/kl", "ppo/loss/total", "ppo/loss/policy", "ppo/loss/value"):
        value = stats.get(key)
        if value is not None and not math.isfinite(value):
            raise FloatingPointError(f"{key} is {value}")

