"""Critic-free policy-gradient math (RLOO, GRPO, Dr. GRPO) as pure tensor functions.

No models, no I/O; the companions of `ppo.py`. A step samples k responses per prompt, laid out
prompt-major: rows p*k .. p*k+k-1 belong to prompt p, so a (B,) vector reshapes to (B/k, k) groups.

Shapes:
    B   number of responses (prompts * k)
    T   response length (right-padded)

RLOO (Ahmadian et al. 2024): the advantage of a response is its reward minus the mean reward of
the other k-1 responses to the same prompt. The KL to the reference enters the *reward* (per
sequence, k1 estimator), not the loss: the k1 estimator `logp - ref_logp` has a gradient whose
expectation is zero when used as a loss term (E[grad log p] = 0), so as a loss it would not pull
the policy back at all; through the score function it gives the exact gradient of
E[r] - beta * KL. The leave-one-out baseline then removes the KL's shared part along with the
reward's.

GRPO (Shao et al. 2024): advantage (r - mean_group) / (std_group + eps), the same for every token
of a response; PPO's clipped ratio per token; KL as a loss term with the k3 estimator
exp(ref - logp) - (ref - logp) - 1 (>= 0, unbiased, and its gradient does penalise the KL).
Dr. GRPO (Liu et al. 2025) drops the std division and the per-response length normalisation.
"""

from __future__ import annotations

from typing import Dict, Tuple

import torch

from .ppo import masked_mean

__all__ = [
    "group_rewards",
    "sequence_kl",
    "rloo_advantages",
    "grpo_advantages",
    "k3_kl",
    "clipped_surrogate",
    "policy_loss",
    "LOSS_TYPES",
    "GRPO_STD_EPS",
]

GRPO_STD_EPS = 1e-4  # TRL's GRPOTrainer adds this to the group std
LOSS_TYPES = ("rloo", "grpo", "dr_grpo")  # how per-token losses become one number (see `policy_loss`)


def group_rewards(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """Return rewards (B,) reshaped to (B/k, k) groups; raises ValueError if B is not a multiple of k."""
    if rewards.dim() != 1:
        raise ValueError(f"rewards must be (B,); got {tuple(rewards.shape)}")
    if k < 1 or rewards.shape[0] % k:
        raise ValueError(f"{rewards.shape[0]} rewards do not split into groups of k={k}")
    return rewards.view(-1, k)


def sequence_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return the per-response KL estimate (B,): sum_t mask * (logprobs - ref_logprobs) (k1 estimator).

    Masked-out positions are selected away, so padding holding nan/inf does not leak in.
    """
    diff = torch.where(mask.bool(), logprobs - ref_logprobs, torch.zeros_like(logprobs))  # (B, T)
    return diff.sum(dim=-1)  # (B,)


def rloo_advantages(rewards: torch.Tensor, k: int) -> torch.Tensor:
    """Return leave-one-out advantages (B,): A_i = r_i - mean_{j != i} r_j = k/(k-1) * (r_i - mean_j r_j).

    `rewards` already include the KL penalty (r - beta * sequence_kl). Needs k >= 2.
    """
    if k < 2:
        raise ValueError(f"RLOO needs at least 2 samples per prompt (got k={k})")
    groups = group_rewards(rewards, k)  # (P, k)
    baseline = (groups.sum(dim=1, keepdim=True) - groups) / (k - 1)  # (P, k): mean of the others
    advantages = groups - baseline  # (P, k)
    no_spread = (groups == groups[:, :1]).all(dim=1, keepdim=True)  # exactly 0 there, not float dust
    return torch.where(no_spread, torch.zeros_like(advantages), advantages).reshape(-1)  # (B,)


def grpo_advantages(rewards: torch.Tensor, k: int, scale: bool = True,
                    eps: float = GRPO_STD_EPS) -> Tuple[torch.Tensor, torch.Tensor]:
    """Return (advantages (B,), zero_std (P,) bool): A_i = (r_i - mean(r)) / (std(r) + eps) within each group.

    std is the unbiased sample std (as TRL's `.std(dim=1)`); with `scale=False` (Dr. GRPO) the
    division is dropped: A_i = r_i - mean(r). `zero_std` flags groups whose rewards are all equal
    (their advantages are 0: they teach nothing). Needs k >= 2.
    """
    if k < 2:
        raise ValueError(f"GRPO needs at least 2 samples per prompt (got k={k})")
    groups = group_rewards(rewards, k)  # (P, k)
    centred = groups - groups.mean(dim=1, keepdim=True)  # (P, k)
    std = groups.std(dim=1, keepdim=True)  # (P, 1)
    advantages = centred / (std + eps) if scale else centred
    zero_std = (groups == groups[:, :1]).all(dim=1)  # (P,)
    advantages = torch.where(zero_std[:, None], torch.zeros_like(advantages), advantages)  # exactly 0, not float dust
    return advantages.reshape(-1), zero_std


def k3_kl(logprobs: torch.Tensor, ref_logprobs: torch.Tensor) -> torch.Tensor:
    """Return the k3 KL estimate per token (B, T): exp(ref - logp) - (ref - logp) - 1, always >= 0."""
    delta = ref_logprobs - logprobs  # (B, T)
    # expm1 keeps precision near delta = 0; the clamp only removes rounding below the true minimum 0
    return (torch.expm1(delta) - delta).clamp(min=0.0)


def clipped_surrogate(logprobs: torch.Tensor, old_logprobs: torch.Tensor, advantages: torch.Tensor,
                      epsilon_low: float = 0.2, epsilon_high: float = 0.2
                      ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (per-token loss (B, T), low-clipped (B, T) bool, high-clipped (B, T) bool).

    loss_t = -min(ratio_t * A, clamp(ratio_t, 1 - epsilon_low, 1 + epsilon_high) * A),
    ratio_t = exp(logprobs_t - old_logprobs_t), A = advantages (B,) broadcast over tokens.
    A token is low-clipped when ratio < 1 - epsilon_low and A < 0, high-clipped when
    ratio > 1 + epsilon_high and A > 0 (TRL 1.x's clip_ratio/low_mean and high_mean).
    """
    adv = advantages.unsqueeze(-1)  # (B, 1)
    ratio = torch.exp(logprobs - old_logprobs)  # (B, T)
    clipped = torch.clamp(ratio, 1.0 - epsilon_low, 1.0 + epsilon_high)  # (B, T)
    loss = -torch.min(ratio * adv, clipped * adv)  # (B, T)
    low = (ratio < 1.0 - epsilon_low) & (adv < 0)
    high = (ratio > 1.0 + epsilon_high) & (adv > 0)
    return loss, low, high


def policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    mask: torch.Tensor,
    loss_type: str = "grpo",
    ref_logprobs: torch.Tensor | None = None,
    beta: float = 0.0,
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    max_length: int | None = None,
) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """Return (loss, stats) for a critic-free update over (B, T) tokens with one advantage per response.

    per-token l_t = clipped_surrogate(...) + beta * k3_kl(logprobs, ref_logprobs)_t  (KL term only if beta > 0)
        "grpo":    mean over responses of (mean over each response's tokens of l_t)   (the paper's form)
        "dr_grpo": sum of l_t over all tokens / (B * max_length)   (a constant: no length bias)
        "rloo":    mean over responses of (sum over each response's tokens of l_t): REINFORCE on the
                   sequence log-prob, -A * sum_t logp_t, with the ratio clipped per token
    `max_length` (the generation cap) is needed for "dr_grpo" (defaults to T). Masked-out positions
    are selected away. stats (detached 0-d tensors, TRL 1.x names): loss, kl (mean k3 per token),
    clip_ratio/low_mean, clip_ratio/high_mean, clip_ratio/region_mean.
    """
    if loss_type not in LOSS_TYPES:
        raise ValueError(f"unknown loss_type {loss_type!r}; expected one of {', '.join(LOSS_TYPES)}")
    if beta and ref_logprobs is None:
        raise ValueError("a KL loss term (beta > 0) needs ref_logprobs")
    real = mask.bool()
    surrogate, low, high = clipped_surrogate(logprobs, old_logprobs, advantages, epsilon_low, epsilon_high)
    per_token = surrogate
    kl = None
    if beta:
        kl = k3_kl(logprobs, ref_logprobs)  # (B, T)
        per_token = per_token + beta * kl
    per_token = torch.where(real, per_token, torch.zeros_like(per_token))  # (B, T)
    lengths = real.sum(dim=-1).clamp(min=1).to(per_token.dtype)  # (B,)
    if loss_type == "grpo":
        loss = (per_token.sum(dim=-1) / lengths).mean()
    elif loss_type == "rloo":
        loss = per_token.sum(dim=-1).mean()
    else:
        loss = per_token.sum() / (per_token.shape[0] * (max_length or per_token.shape[1]))
    with torch.no_grad():
        low_mean = masked_mean(low.to(per_token.dtype), mask)
        high_mean = masked_mean(high.to(per_token.dtype), mask)
        stats = {
            "loss": loss.detach(),
            "clip_ratio/low_mean": low_mean,
            "clip_ratio/high_mean": high_mean,
            "clip_ratio/region_mean": low_mean + high_mean,
        }
        if kl is not None:
            stats["kl"] = masked_mean(kl, mask)
    return loss, stats
