"""One RLOO or GRPO step for an encoder-decoder policy: k samples per prompt, no value head.

The math lives in `critic_free.py`; this class reuses PPOTrainer's sampling engine (with the
sampling policy's log-probs recorded while decoding), reward scoring, reference pass (the same
network with its adapter off) and length-bucketed micro-batching. What it drops: the value head,
its memory, its output in every pass and its loss; GAE; the adaptive KL controller.

Prompts are repeated k times, prompt-major, so rows p*k .. p*k+k-1 answer prompt p.
`optim.batch_size` counts samples (as TRL's GRPO batch counts completions): batch_size / k prompts.
Stats use TRL 1.x's RLOO/GRPO names where the meaning matches, plus the names every algorithm
shares here (env/reward_mean, objective/kl, env/toxicity_mean, env/reward/<term>_mean).
"""

from __future__ import annotations

import math
import time

import numpy as np
import torch

from ..config import Config
from ..models.batching import length_buckets
from ..models.memory import trim_heap
from ..models.policy import PolicyWithValueHead
from ..models.reward import Reward
from ..models.sampling import merge_samples, sample
from . import critic_free, ppo
from .kl_control import FixedKLController
from .ppo_trainer import PPOTrainer, Rollout, reward_term_stats


class CriticFreeTrainer(PPOTrainer):
    """Runs RLOO (`config.algo == "rloo"`) or GRPO (`"grpo"`) steps; see `step`."""

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        if config.algo not in ("rloo", "grpo"):
            raise ValueError(f"CriticFreeTrainer runs rloo or grpo, not {config.algo!r}")
        super().__init__(config, policy, tokenizer, reward, accelerator)
        self.kl_ctl = FixedKLController(config.critic_free.kl_coef)  # saved/restored like PPO's

    @property
    def samples_per_prompt(self) -> int:
        return self.config.critic_free.num_generations

    def rollout(self, query_ids, prompts, max_new_tokens, dialogues=None, references=None) -> Rollout:
        """Samples k responses per prompt (prompt-major) and scores them."""
        k = self.samples_per_prompt

        def repeat(items):
            return None if items is None else [item for item in items for _ in range(k)]

        return super().rollout(repeat(query_ids), repeat(prompts), max_new_tokens, repeat(dialogues),
                               repeat(references))

    def _group_buckets(self, query_ids, size: int) -> list[list[int]]:
        """Returns row buckets made of whole groups (k rows of one prompt), prompts of similar length together."""
        k = self.samples_per_prompt
        prompts = length_buckets([len(q) for q in query_ids[::k]], max(size // k, 1))
        return [[p * k + j for p in bucket for j in range(k)] for bucket in prompts]

    def generate(self, query_ids, max_new_tokens):
        """Samples the prompt-major rows of `query_ids`, encoding each prompt once for its k rows."""
        k = self.samples_per_prompt
        settings = self.sampling_settings(max_new_tokens)
        trim_heap()
        unique = list(query_ids[::k])
        chunk = self.config.generation.batch_size
        if not chunk or chunk >= len(query_ids):
            return sample(self.unwrapped, unique, settings, self.device, self.accelerator.autocast, repeats=k)
        buckets = self._group_buckets(query_ids, chunk)
        parts = [sample(self.unwrapped, [query_ids[i] for i in bucket[::k]], settings, self.device,
                        self.accelerator.autocast, repeats=k) for bucket in buckets]
        return merge_samples(parts, buckets, self.pad_id)

    @torch.inference_mode()
    def reference_logprobs(self, rollout: Rollout) -> torch.Tensor:
        """Returns the reference (adapter off) log-probs (B, T), in eval mode, in buckets of whole
        groups: each prompt is encoded once for its k rows (`PolicyWithValueHead.forward`)."""
        policy = self.unwrapped
        policy.eval()
        ref = torch.zeros(rollout.response_ids.shape, device=self.device)
        size = self.config.optim.forward_batch_size or self.config.optim.mini_batch_size
        with policy.reference():
            for bucket in self._group_buckets(rollout.query_ids, size):
                ref[bucket], _, _, _ = self._forward(policy, [rollout.query_ids[i] for i in bucket],
                                                     rollout.response_ids[bucket])
        return ref

    def advantages(self, scores: torch.Tensor, seq_kl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (advantages (B,), zero-spread groups (P,)) for the configured algorithm.

        RLOO: leave-one-out on score - kl_coef * sequence KL (KL in the reward: see critic_free.py).
        GRPO: group-normalised scores (centred only with dr_grpo); its KL is a loss term.
        """
        c, k = self.config.critic_free, self.samples_per_prompt
        if self.config.algo == "rloo":
            shaped = scores - c.kl_coef * seq_kl
            _, zero_std = critic_free.grpo_advantages(scores, k)
            return critic_free.rloo_advantages(shaped, k), zero_std
        return critic_free.grpo_advantages(scores, k, scale=not c.dr_grpo)

    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one RLOO/GRPO update on a scored rollout of k samples per prompt; returns its stats."""
        c = self.config.critic_free
        timing = dict(rollout.timing)
        t0 = time.perf_counter()
        trim_heap()
        mask = rollout.response_mask
        # Clones: inference-mode tensors cannot enter the autograd graph of the update.
        old_logprobs = rollout.logprobs.clone()
        ref_logprobs = self.reference_logprobs(rollout).clone()
        t1 = time.perf_counter()
        seq_kl = critic_free.sequence_kl(old_logprobs, ref_logprobs, mask)  # (B,)
        advantages, zero_std = self.advantages(rollout.scores, seq_kl)
        t2 = time.perf_counter()
        train_stats = self._optimize(rollout, old_logprobs, ref_logprobs, advantages)
        t3 = time.perf_counter()

        lengths = mask.sum(-1)  # (B,)
        last = (lengths.long() - 1).clamp(min=0)
        ended = rollout.response_ids.gather(1, last[:, None]).squeeze(1) == self.eos_id
        scores = rollout.scores
        stats = {
            "reward": scores.mean().item(),
            "reward_std": scores.std().item() if len(scores) > 1 else 0.0,
            "frac_reward_zero_std": zero_std.float().mean().item(),
            "kl": ppo.masked_mean(critic_free.k3_kl(old_logprobs, ref_logprobs), mask).item(),
            "completions/mean_length": lengths.mean().item(),
            "completions/min_length": lengths.min().item(),
            "completions/max_length": lengths.max().item(),
            "completions/clipped_ratio": (~ended).float().mean().item(),
            "advantages/mean": advantages.mean().item(),
            "advantages/std": advantages.std().item() if len(advantages) > 1 else 0.0,
            # the names every algorithm shares here (charts, benchmarks, the learning tests)
            "env/reward_mean": scores.mean().item(),
            "env/reward_std": scores.std(unbiased=False).item() if len(scores) > 1 else 0.0,
            "objective/kl": seq_kl.mean().item(),
            "objective/kl_coef": float(c.kl_coef),
            "tokens/responses_len_mean": lengths.mean().item(),
            **train_stats,
        }
        if rollout.toxicity is not None:
            stats["env/toxicity_mean"] = float(np.mean(rollout.toxicity))
        stats.update(reward_term_stats(rollout))
        for name, values in rollout.terms.items():  # TRL 1.x's per-term names too
            stats[f"rewards/{name}/mean"] = float(np.mean(values))
            stats[f"rewards/{name}/std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        stats = self._gather(stats)
        timing.update({"time/ppo/forward_pass": t1 - t0, "time/ppo/compute_advantages": t2 - t1,
                       "time/ppo/optimize_step": t3 - t2})
        timing["time/ppo/total"] = sum(timing.values())
        stats.update(timing)
        return stats

    def _optimize(self, rollout: Rollout, old_logprobs, ref_logprobs, advantages) -> dict[str, float]:
        """critic_free.num_iterations passes over length-bucketed mini-batches in random order, one optimizer
        step each."""
        opt, c = self.config.optim, self.config.critic_free
        loss_type = "rloo" if self.config.algo == "rloo" else ("dr_grpo" if c.dr_grpo else "grpo")
        beta = 0.0 if self.config.algo == "rloo" else c.kl_coef  # RLOO's KL is in the reward already
        mask = rollout.response_mask
        max_length = rollout.response_ids.shape[1]
        self.policy.eval()  # dropout off: the first mini-batch's ratio is exactly 1
        collected: dict[str, list[float]] = {}
        lengths = [len(q) for q in rollout.query_ids]
        micro = opt.micro_batch_size or (2 if self.device.type == "cpu" else opt.mini_batch_size)
        params = [p for p in self.policy.parameters() if p.requires_grad]
        for _ in range(c.num_iterations):
            buckets = length_buckets(lengths, opt.mini_batch_size)
            for b in torch.randperm(len(buckets)).tolist():
                idx = buckets[b]
                n_tokens = mask[idx].sum()
                entropy_sum = 0.0
                parts: dict[str, float] = {}
                for start in range(0, len(idx), micro):
                    rows = idx[start : start + micro]
                    lp, _, logits, token_entropy = self._forward(self.policy, [rollout.query_ids[i] for i in rows],
                                                                 rollout.response_ids[rows], entropy=True)
                    loss, part = critic_free.policy_loss(
                        lp, old_logprobs[rows], advantages[rows], mask[rows], loss_type, ref_logprobs[rows], beta,
                        c.epsilon_low, c.epsilon_high, max_length,
                    )
                    if not math.isfinite(loss.item()):
                        raise FloatingPointError(f"{self.config.algo.upper()} loss is not finite")
                    entropy_sum += (token_entropy * mask[rows]).sum().item()
                    del logits
                    # every loss type is a mean over rows, so row shares make the sum exact
                    share = len(rows) / len(idx)
                    self.accelerator.backward(loss * share)
                    tokens = mask[rows].sum().item() / n_tokens.item()
                    for key, value in part.items():  # token-weighted for the clip/kl shares, row-weighted loss
                        weight = share if key == "loss" else tokens
                        parts[key] = parts.get(key, 0.0) + float(value) * weight
                grad_norm = self.accelerator.clip_grad_norm_(params, opt.max_grad_norm or float("inf"))
                self.optimizer.step()
                self.optimizer.zero_grad()
                parts["entropy"] = entropy_sum / n_tokens.item()
                parts["grad_norm"] = float(grad_norm)
                for key, value in parts.items():
                    collected.setdefault(key, []).append(value)
        out = {key: float(np.mean(values)) for key, values in collected.items()}
        out.pop("kl", None)  # the step reports kl over the whole rollout
        out["learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out
