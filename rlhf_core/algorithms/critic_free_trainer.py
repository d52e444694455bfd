"""One RLOO or GRPO step for an encoder-decoder policy: k samples per prompt, no value head.

`CriticFreeTrainer` is a `RolloutTrainer` (`rollout.py`: sampling with the sampling policy's
log-probs recorded while decoding in float32 (a teacher-forced pass in bf16), reward scoring,
the reference pass with the adapter off, length-bucketed mini- and micro-batches) with group
advantages and its own update; the math lives in `critic_free.py`. It has no value head, no GAE
and no KL controller: beta is `critic_free.kl_coef`, fixed, so a checkpoint carries nothing of
this trainer.

Prompts are repeated k times, prompt-major, so rows p*k .. p*k+k-1 answer prompt p.
`optim.batch_size` counts samples (as TRL's GRPO batch counts completions): batch_size / k prompts.
Stats use TRL 1.x's RLOO/GRPO names where the meaning matches, plus the names every algorithm
shares here (env/reward_mean, objective/kl, env/toxicity_mean, env/reward/<term>_mean).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from ..config import Config
from ..models.memory import trim_heap
from ..models.policy import PolicyWithValueHead
from ..models.reward import Reward
from . import critic_free, ppo
from .rollout import Rollout, RolloutTrainer, reward_term_stats


@dataclass
class CriticFreeBatch:
    """What the update's mini-batches read: the sampling policy's and the reference's log-probs and
    the response mask (B, T), and each sample's advantage (B,)."""

    old_logprobs: torch.Tensor
    ref_logprobs: torch.Tensor
    advantages: torch.Tensor
    mask: torch.Tensor


class CriticFreeTrainer(RolloutTrainer):
    """Runs RLOO (`config.algo == "rloo"`) or GRPO (`"grpo"`) steps; see `step`.

    `kl_coef` (beta, from `critic_free.kl_coef`) weighs the KL to the reference: RLOO subtracts
    beta * sequence KL from each reward, GRPO adds beta * k3 KL to its loss.
    """

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        if config.algo not in ("rloo", "grpo"):
            raise ValueError(f"CriticFreeTrainer runs rloo or grpo, not {config.algo!r}")
        super().__init__(config, policy, tokenizer, reward, accelerator)
        self.kl_coef = float(config.critic_free.kl_coef)

    @property
    def samples_per_prompt(self) -> int:
        return self.config.critic_free.num_generations

    def advantages(self, scores: torch.Tensor, seq_kl: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns (advantages (B,), zero-spread groups (P,)) for the configured algorithm.

        RLOO: leave-one-out on score - kl_coef * sequence KL (KL in the reward: see critic_free.py).
        GRPO: group-normalised scores (centred only with dr_grpo); its KL is a loss term.
        """
        k = self.samples_per_prompt
        if self.config.algo == "rloo":
            shaped = scores - self.kl_coef * seq_kl
            _, zero_std = critic_free.grpo_advantages(scores, k)
            return critic_free.rloo_advantages(shaped, k), zero_std
        return critic_free.grpo_advantages(scores, k, scale=not self.config.critic_free.dr_grpo)

    # ---------------------------------------------------------------- the step

    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one RLOO/GRPO update on a scored rollout of k samples per prompt; returns its stats."""
        timing = dict(rollout.timing)
        t0 = time.perf_counter()
        trim_heap()  # sampling's freed memory: back to the OS before the update's activations
        mask = rollout.response_mask
        # 1. the sampling policy's log-probs (recorded while sampling in float32, else a no-grad pass)
        #    and the reference's (no-grad pass).
        #    Clones: inference-mode tensors cannot enter the autograd graph of the update.
        old_logprobs = self.old_logprobs(rollout).clone()
        ref_logprobs = self.reference_logprobs(rollout).clone()
        self.check_stop()
        t1 = time.perf_counter()
        # 2. group advantages: each sample against the other samples of its prompt
        seq_kl = critic_free.sequence_kl(old_logprobs, ref_logprobs, mask)  # (B,)
        advantages, zero_std = self.advantages(rollout.scores, seq_kl)
        t2 = time.perf_counter()
        # 3. critic_free.num_iterations passes over length-bucketed mini-batches, in random order
        train_stats = self._optimize(rollout, CriticFreeBatch(old_logprobs, ref_logprobs, advantages, mask))
        t3 = time.perf_counter()
        # 4. stats, averaged over processes
        stats = {**self._rollout_stats(rollout, old_logprobs, ref_logprobs, seq_kl, advantages, zero_std),
                 **train_stats, **self._reward_stats(rollout)}
        stats = self._gather(stats)
        timing.update({"time/ppo/forward_pass": t1 - t0, "time/ppo/compute_advantages": t2 - t1,
                       "time/ppo/optimize_step": t3 - t2})
        timing["time/ppo/total"] = sum(timing.values())
        stats.update(timing)
        return stats

    def _rollout_stats(self, rollout: Rollout, old_logprobs, ref_logprobs, seq_kl, advantages,
                       zero_std) -> dict[str, float]:
        """The rollout's stats: TRL 1.x's RLOO/GRPO names, then the names every algorithm shares
        (the reward's own stats are `_reward_stats`)."""
        mask, scores = rollout.response_mask, rollout.scores
        lengths = mask.sum(-1)  # (B,)
        last = (lengths.long() - 1).clamp(min=0)
        ended = rollout.response_ids.gather(1, last[:, None]).squeeze(1) == self.eos_id
        return {
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
            "objective/kl_coef": self.kl_coef,
            "tokens/responses_len_mean": lengths.mean().item(),
        }

    @staticmethod
    def _reward_stats(rollout: Rollout) -> dict[str, float]:
        """The reward's stats: mean toxicity, and each reward term under both naming schemes."""
        stats = {}
        if rollout.toxicity is not None:
            stats["env/toxicity_mean"] = float(np.mean(rollout.toxicity))
        stats.update(reward_term_stats(rollout))
        for name, values in rollout.terms.items():  # TRL 1.x's per-term names too
            stats[f"rewards/{name}/mean"] = float(np.mean(values))
            stats[f"rewards/{name}/std"] = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
        return stats

    def _optimize(self, rollout: Rollout, batch: CriticFreeBatch) -> dict[str, float]:
        """`critic_free.num_iterations` passes over length-bucketed mini-batches in random order, one
        optimizer step each; returns the mini-batches' mean loss, clip and entropy stats."""
        opt, c = self.config.optim, self.config.critic_free
        loss_type = "rloo" if self.config.algo == "rloo" else ("dr_grpo" if c.dr_grpo else "grpo")
        beta = 0.0 if self.config.algo == "rloo" else self.kl_coef  # RLOO's KL is in the reward already
        mask = batch.mask
        max_length = rollout.response_ids.shape[1]
        self.policy.eval()  # dropout off: the first mini-batch's ratio is exactly 1
        collected: dict[str, list[float]] = {}
        params = [p for p in self.policy.parameters() if p.requires_grad]
        for _ in range(c.num_iterations):
            for idx in self._minibatches(rollout):
                self.check_stop(updated=bool(collected))  # between mini-batch updates
                # gradients of the mini-batch's loss, accumulated over its micro-batches
                n_tokens = mask[idx].sum()
                entropy_sum = 0.0
                parts: dict[str, float] = {}
                for rows in self._micro_batches(idx):
                    lp, _, logits, token_entropy = self._forward(self.policy, [rollout.query_ids[i] for i in rows],
                                                                 rollout.response_ids[rows], entropy=True)
                    loss, part = critic_free.policy_loss(
                        lp, batch.old_logprobs[rows], batch.advantages[rows], mask[rows], loss_type,
                        batch.ref_logprobs[rows], beta, c.epsilon_low, c.epsilon_high, max_length,
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
                # one optimizer step per mini-batch
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
