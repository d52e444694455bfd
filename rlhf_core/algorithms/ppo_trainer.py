"""One PPO step for an encoder-decoder policy: rollout -> old and reference passes -> GAE -> update.

`PPOTrainer` is a `RolloutTrainer` (`rollout.py`: sampling, scoring, the teacher-forced and
reference passes, mini- and micro-batches) with a value head, GAE, the PPO update and a KL
controller; the math lives in `ppo.py` and `kl_control.py` as pure functions. Semantics and stat
names follow TRL 0.11's PPOTrainer, with two deliberate differences: every response token is
scored (decoder input = start token + response shifted right), and sampling / old log-probs
run with dropout off. Work is arranged for speed: in float32 the old log-probs and values are
recorded while sampling (`sampling.py`), so the update runs one no-grad pass (the reference)
instead of two (in bf16 the old pass runs, grouped like the reference and update passes so that
the first step's KL is exactly 0: `RolloutTrainer.records_while_sampling`); every pass groups
prompts of similar length; no-grad passes run under `torch.inference_mode`.
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
from . import ppo
from .kl_control import AdaptiveKLController, FixedKLController
from .rollout import Rollout, RolloutTrainer, TeacherForced, reward_term_stats
from .step_stats import average_minibatch_stats, rollout_stats


@dataclass
class OldAndReference:
    """The no-grad passes of one step: (B, T) log-probs and values; (B, T, V) logits only for `kl_penalty="full"`."""

    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    ref_logprobs: torch.Tensor
    old_logits: torch.Tensor | None = None
    ref_logits: torch.Tensor | None = None


@dataclass
class PPOBatch:
    """What the update's mini-batches read: the sampling policy's log-probs and values, the
    whitened advantages and returns, and the response mask, all (B, T)."""

    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor
    mask: torch.Tensor


class PPOTrainer(RolloutTrainer):
    """Runs PPO steps on a policy with a value head against a reward; see `step`.

    The KL coefficient comes from `config.ppo`: adaptive (TRL 0.11's controller) or fixed; the
    controller's state is what a resumed run carries (`state_dict`).
    """

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        p = config.ppo
        self.kl_ctl = (
            AdaptiveKLController(p.init_kl_coef, p.target_kl, p.horizon)
            if p.adaptive_kl
            else FixedKLController(p.init_kl_coef)
        )
        super().__init__(config, policy, tokenizer, reward, accelerator)

    def state_dict(self) -> dict:
        """Returns {"kl_ctl": the KL controller's state}: the adaptive coefficient moves every step."""
        return {"kl_ctl": self.kl_ctl.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        """Restores the KL controller from `state_dict()` output (the same key checkpoints always had)."""
        self.kl_ctl.load_state_dict(state["kl_ctl"])

    # ---------------------------------------------------------------- no-grad passes

    def old_and_reference(self, rollout: Rollout) -> OldAndReference:
        """Returns the old log-probs and values and the reference log-probs from no-grad passes.

        The old log-probs and values come from sampling when the rollout recorded them
        (`sampling.sample`, float32), so only the reference pass runs: the same network with its
        adapter disabled. Otherwise (bf16) the policy pass runs too, over the same row groups as
        the reference pass and the update. `kl_penalty="full"` needs both passes' logits, so the
        policy pass runs then too.
        """
        full_kl = self.config.ppo.kl_penalty == "full"
        if full_kl or rollout.logprobs is None or rollout.values is None:
            old = self.teacher_forced(rollout, keep_logits=full_kl)
        else:
            old = TeacherForced(rollout.logprobs, rollout.values)
        ref = self.teacher_forced(rollout, reference=True, keep_logits=full_kl)
        return OldAndReference(old.logprobs, old.values, ref.logprobs, old.logits, ref.logits)

    # ---------------------------------------------------------------- the step

    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one PPO update on a scored rollout and returns TRL-named stats."""
        cfg = self.config.ppo
        timing = dict(rollout.timing)
        t0 = time.perf_counter()
        trim_heap()  # sampling's freed memory: back to the OS before the update's activations
        mask = rollout.response_mask
        # 1. no-grad passes: the sampling policy's log-probs and values, the reference's log-probs
        passes = self.old_and_reference(rollout)
        # Clones: inference-mode tensors cannot enter the autograd graph of the update.
        old_logprobs, old_values = passes.old_logprobs.clone(), passes.old_values.clone()
        ref_logprobs = passes.ref_logprobs.clone()
        self.check_stop()
        t1 = time.perf_counter()

        # 2. per-token reward: -kl_coef * KL, plus the score on the last response token
        kl_coef = self.kl_ctl.value
        rewards, non_score_rewards, kls = ppo.compute_rewards(
            rollout.scores, old_logprobs, ref_logprobs, mask, kl_coef, cfg.kl_penalty,
            logits=passes.old_logits, ref_logits=passes.ref_logits,
        )
        t2 = time.perf_counter()
        # 3. GAE advantages (whitened) and returns
        advantages, returns = ppo.compute_advantages(
            old_values, rewards, mask, cfg.gamma, cfg.lam, cfg.whiten_advantages, cfg.whiten_rewards
        )
        t3 = time.perf_counter()
        # 4. PPO epochs over length-bucketed mini-batches, in random order
        train_stats = self._optimize(rollout, PPOBatch(old_logprobs, old_values, advantages, returns, mask))
        t4 = time.perf_counter()

        # 5. stats, averaged over processes
        stats = {
            **rollout_stats(rollout.scores, old_logprobs, ref_logprobs, non_score_rewards, kls, mask,
                            [len(q) for q in rollout.query_ids], kl_coef),
            **train_stats,
        }
        if rollout.toxicity is not None:
            stats["env/toxicity_mean"] = float(np.mean(rollout.toxicity))
        stats.update(reward_term_stats(rollout))
        stats = self._gather(stats)
        # 6. adapt the KL coefficient to the KL actually seen (TRL counts the global batch)
        self.kl_ctl.update(stats["objective/kl"], self.config.optim.batch_size * self.accelerator.num_processes)
        timing.update({
            "time/ppo/forward_pass": t1 - t0,
            "time/ppo/compute_rewards": t2 - t1,
            "time/ppo/compute_advantages": t3 - t2,
            "time/ppo/optimize_step": t4 - t3,
        })
        timing["time/ppo/total"] = sum(timing.values())
        stats.update(timing)
        return stats

    def _optimize(self, rollout: Rollout, batch: PPOBatch) -> dict[str, float]:
        """`ppo.ppo_epochs` passes over length-bucketed mini-batches in random order, one optimizer
        step each (TRL's ratio guard and early stopping included)."""
        cfg = self.config.ppo
        # Dropout stays off in the update too: the first mini-batch's ratio is then exactly 1
        # and the loss compares like with like (gradients flow in eval mode all the same).
        self.policy.eval()
        collected: list[dict[str, float]] = []
        skipped, early_stop = 0, False
        for _ in range(cfg.ppo_epochs):
            if early_stop:
                break
            for idx in self._minibatches(rollout):
                self.check_stop(updated=bool(collected))  # between mini-batch updates
                stats = self._minibatch_gradients(rollout, idx, batch)
                # Both decisions below are taken from numbers summed over processes in one
                # collective, so every rank skips, steps and stops alike (a rank that went its own
                # way would hold other weights, and meet the other ranks' collectives out of step).
                exploded, kl_sum = self._sum_over_processes(
                    float(stats["ppo/policy/ratio_mean"]) > cfg.ratio_threshold, stats["ppo/policy/policykl"])
                if exploded:
                    # TRL's guard: a mini-batch whose ratio explodes (on any process) would wreck
                    # the policy; skip it.
                    skipped += 1
                    self.optimizer.zero_grad()
                    continue
                if self.config.optim.max_grad_norm is not None:
                    self.accelerator.clip_grad_norm_(self.policy.parameters(), self.config.optim.max_grad_norm)
                self.optimizer.step()
                self.optimizer.zero_grad()
                collected.append({key: float(value) for key, value in stats.items()})
                # TRL's early stopping: after this mini-batch's update, stop every remaining epoch
                # once the policy KL (averaged over processes) exceeds 1.5 * its target_kl.
                if cfg.early_stopping and kl_sum / self.accelerator.num_processes > 1.5 * cfg.early_stopping_kl:
                    early_stop = True
                    break
        out = average_minibatch_stats(collected)
        out["ppo/skipped_minibatches"] = float(skipped)
        out["ppo/early_stopped"] = float(early_stop)
        out["ppo/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out

    def _minibatch_gradients(self, rollout: Rollout, idx: list[int], batch: PPOBatch) -> dict:
        """Accumulates the gradient of one mini-batch's PPO loss; returns its TRL-named stats.

        The mini-batch runs in micro-batches (`_micro_batches`). Each micro-batch's loss is weighted
        by its share of the mini-batch's response tokens, so the summed gradient is exactly that of
        the loss over the whole mini-batch; the stats are computed over the whole mini-batch too.
        """
        cfg = self.config.ppo
        b, mask = batch, batch.mask
        n_tokens = mask[idx].sum()
        logprobs, vpreds, entropy_sum = [], [], 0.0
        for rows in self._micro_batches(idx):
            queries = [rollout.query_ids[i] for i in rows]
            lp, vp, logits, token_entropy = self._forward(self.policy, queries, rollout.response_ids[rows],
                                                          entropy=True)
            loss, _ = ppo.ppo_losses(
                b.old_logprobs[rows], b.old_values[rows], lp, vp, b.advantages[rows], b.returns[rows], mask[rows],
                cfg.cliprange, cfg.cliprange_value, cfg.vf_coef,
            )
            if not math.isfinite(loss.item()):
                raise FloatingPointError("PPO loss is not finite")
            entropy_sum += (token_entropy * mask[rows]).sum()
            del logits
            self.accelerator.backward(loss * (mask[rows].sum() / n_tokens))
            logprobs.append(lp.detach())
            vpreds.append(vp.detach())
        with torch.no_grad():
            _, stats = ppo.ppo_losses(
                b.old_logprobs[idx], b.old_values[idx], torch.cat(logprobs), torch.cat(vpreds), b.advantages[idx],
                b.returns[idx], mask[idx], cfg.cliprange, cfg.cliprange_value, cfg.vf_coef,
            )
        stats["ppo/policy/entropy"] = entropy_sum / n_tokens
        return stats
