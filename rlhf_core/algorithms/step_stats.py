"""Every stat a PPO step logs: its name, its definition, and the code that computes it.

Names and meanings are TRL 0.11's `PPOTrainer` (`record_step_stats`, `loss`, `log_stats`) where
the name is TRL's; the few of our own say so in their definition. This is the one place where
step-level stat names are made (`ppo.ppo_losses` makes the per-mini-batch `ppo/...` ones), and
`STAT_DEFINITIONS` is the README's table of them (a test keeps the two in step).
TRL's distribution stats (`objective/kl_dist`, `env/reward_dist`, `tokens/*_dist`,
`ppo/policy/advantages`, `ppo/policy/ratio`) are not logged: every tracker here takes scalars.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from . import ppo

# Notation: B responses, T response tokens, m = response mask, scores s_b (one per response),
# kl_t the ppo.kl_penalty estimate, mean_m = masked mean over real tokens; "per mini-batch, then
# averaged" = computed on each mini-batch of each PPO epoch and averaged over them, as TRL does.
STAT_DEFINITIONS: dict[str, str] = {
    "objective/kl": "mean over responses of sum_t kl_t (KL to the reference, nats per response)",
    "objective/kl_coef": "the KL coefficient used this step (before the adaptive controller's update)",
    "objective/entropy": "mean over responses of sum_t -log p(token) of the sampled tokens (nats per response)",
    "objective/logprobs": "mean_m of the sampling policy's per-token log-probs (TRL logs the (B, T) array)",
    "objective/ref_logprobs": "mean_m of the reference's per-token log-probs (TRL logs the (B, T) array)",
    "objective/non_score_reward": "mean over responses of sum_t -kl_coef * kl_t (TRL PPOv2's meaning)",
    "ppo/mean_non_score_reward": "mean_m of the per-token -kl_coef * kl_t (TRL 0.11 PPOTrainer's meaning)",
    "ppo/mean_scores": "mean of the scores s_b",
    "ppo/std_scores": "standard deviation of the scores (unbiased, n - 1; 0 for one response)",
    "env/reward_mean": "mean of the scores s_b (as TRL's log_stats)",
    "env/reward_std": "standard deviation of the scores (unbiased, n - 1, as torch.std; 0 for one response)",
    "env/toxicity_mean": "ours: mean P(hate) of the sampled summaries read alone (only with a reward model)",
    "env/reward/<term>_mean": "ours: mean unweighted value of one reward term (toxicity, fidelity, length, custom)",
    "tokens/queries_len_mean": "mean prompt length in tokens",
    "tokens/queries_len_std": "standard deviation of prompt lengths (unbiased; 0 for one prompt)",
    "tokens/responses_len_mean": "mean response length in tokens, EOS included",
    "tokens/responses_len_std": "standard deviation of response lengths (unbiased; 0 for one response)",
    "ppo/loss/policy": "clipped policy loss mean_m(max(-A r, -A clip(r, 1 +- eps))), per mini-batch, then averaged",
    "ppo/loss/value": "clipped value loss 0.5 mean_m(max((V - R)^2, (Vclip - R)^2)), per mini-batch, then averaged",
    "ppo/loss/total": "policy loss + vf_coef * value loss, per mini-batch, then averaged",
    "ppo/policy/entropy": "mean_m of the full-vocabulary entropy of the policy, per mini-batch, then averaged",
    "ppo/policy/approxkl": "0.5 mean_m((log p - log p_old)^2), per mini-batch, then averaged",
    "ppo/policy/policykl": "mean_m(log p_old - log p), per mini-batch, then averaged (early stopping reads it)",
    "ppo/policy/clipfrac": "share of tokens where the clipped policy term wins, per mini-batch, then averaged",
    "ppo/policy/advantages_mean": "mean_m of the (whitened) advantages, per mini-batch, then averaged",
    "ppo/policy/ratio_mean": "ours: mean_m of r = p / p_old, per mini-batch, then averaged (TRL logs the array)",
    "ppo/returns/mean": "mean_m of the returns R = A + V_old, per mini-batch, then averaged",
    "ppo/returns/var": "masked unbiased variance of the returns, per mini-batch, then averaged",
    "ppo/val/vpred": "mean_m of the current value predictions, per mini-batch, then averaged",
    "ppo/val/error": "mean_m((V - R)^2), per mini-batch, then averaged",
    "ppo/val/clipfrac": "share of tokens where the clipped value term wins, per mini-batch, then averaged",
    "ppo/val/mean": "mean_m of the old values, per mini-batch, then averaged",
    "ppo/val/var": "masked unbiased variance of the old values, per mini-batch, then averaged",
    "ppo/val/var_explained": "1 - ppo/val/error / ppo/returns/var, from the averaged parts (as TRL)",
    "ppo/learning_rate": "the optimizer's learning rate",
    "ppo/skipped_minibatches": "ours: mini-batches skipped because their mean ratio exceeded ppo.ratio_threshold",
    "ppo/early_stopped": "ours: 1 if ppo.early_stopping ended this step's PPO epochs early, else 0",
    "time/ppo/generate": "ours: seconds sampling the responses",
    "time/ppo/reward": "ours: seconds scoring them",
    "time/ppo/forward_pass": "seconds in the no-grad reference (and, if needed, old-policy) passes",
    "time/ppo/compute_rewards": "seconds computing the per-token rewards",
    "time/ppo/compute_advantages": "seconds computing GAE advantages and returns",
    "time/ppo/optimize_step": "seconds in the PPO epochs (forward, backward, optimizer)",
    "time/ppo/total": "sum of the time/ppo/* above",
}


def _std(values: torch.Tensor) -> float:
    """Unbiased std (torch.std, as TRL); 0 for a single value instead of nan."""
    return values.std().item() if values.numel() > 1 else 0.0


def rollout_stats(
    scores: torch.Tensor,
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    non_score_rewards: torch.Tensor,
    kls: torch.Tensor,
    mask: torch.Tensor,
    query_lengths: Sequence[int],
    kl_coef: float,
) -> dict[str, float]:
    """Returns the step-level stats of TRL's `record_step_stats` and `log_stats` as floats.

    scores (B,); logprobs, ref_logprobs, non_score_rewards, kls, mask (B, T).
    """
    mask_f = mask.to(logprobs.dtype)
    scores = scores.float()
    query_lens = torch.tensor([float(n) for n in query_lengths])  # (B,)
    response_lens = mask_f.sum(-1).float().cpu()  # (B,)
    return {
        "objective/kl": (kls * mask_f).sum(-1).mean().item(),
        "objective/kl_coef": float(kl_coef),
        "objective/entropy": (-logprobs * mask_f).sum(-1).mean().item(),
        "objective/logprobs": ppo.masked_mean(logprobs, mask).item(),
        "objective/ref_logprobs": ppo.masked_mean(ref_logprobs, mask).item(),
        "objective/non_score_reward": (non_score_rewards * mask_f).sum(-1).mean().item(),
        "ppo/mean_non_score_reward": ppo.masked_mean(non_score_rewards, mask).item(),
        "ppo/mean_scores": scores.mean().item(),
        "ppo/std_scores": _std(scores),
        "env/reward_mean": scores.mean().item(),
        "env/reward_std": _std(scores),
        "tokens/queries_len_mean": query_lens.mean().item(),
        "tokens/queries_len_std": _std(query_lens),
        "tokens/responses_len_mean": response_lens.mean().item(),
        "tokens/responses_len_std": _std(response_lens),
    }


def average_minibatch_stats(minibatch_stats: Sequence[dict[str, float]]) -> dict[str, float]:
    """Returns the mean of each per-mini-batch stat, with `ppo/val/var_explained` recomputed from
    the averaged error and return variance (TRL's `record_step_stats`), not averaged itself."""
    if not minibatch_stats:
        return {}
    out = {key: float(np.mean([float(s[key]) for s in minibatch_stats])) for key in minibatch_stats[0]}
    if "ppo/val/error" in out and "ppo/returns/var" in out:
        with np.errstate(divide="ignore", invalid="ignore"):  # all returns equal: -inf or nan, as in TRL
            error, return_var = np.float64(out["ppo/val/error"]), np.float64(out["ppo/returns/var"])
            out["ppo/val/var_explained"] = float(1 - error / return_var)
    return out
