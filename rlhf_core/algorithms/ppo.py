"""PPO math as pure tensor functions: masks, whitening, log-probs, KL, rewards, GAE, losses.

No models, no I/O, no optimizer. The semantics follow TRL 0.11 (`trl/core.py` and
`PPOTrainer.compute_rewards / compute_advantages / loss`), written in the CleanRL style:
every function's docstring opens with what it returns and the formula, and tensors carry
shape comments.

Shapes:
    B   batch size (number of responses)
    T   response length (decoder tokens, right-padded)
    V   vocabulary size

Masks are float or bool tensors of shape (B, T) with 1 (True) at real response tokens and
0 (False) at padding. Responses are right-padded, so a row looks like [1, 1, 1, 0, 0].
Masked-out positions are selected away with `torch.where`, not multiplied by zero, so that a
`nan`/`inf` left in padding by a model never leaks into a statistic.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple, Union

import torch
import torch.nn.functional as F

from ..config import KL_KINDS

__all__ = [
    "masked_mean",
    "masked_var",
    "masked_whiten",
    "logprobs_from_logits",
    "entropy_from_logits",
    "token_logprobs",
    "kl_penalty",
    "compute_rewards",
    "compute_advantages",
    "ppo_losses",
    "KL_KINDS",
]

WHITEN_EPS = 1e-8

Number = Union[float, int, torch.Tensor]


def _zero_masked(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return `values` with masked-out positions set to 0: where(mask, values, 0).

    Equivalent to `values * mask` (TRL) for finite values, but a nan/inf at a masked-out
    position becomes 0 instead of nan.
    """
    return torch.where(mask.bool(), values, torch.zeros_like(values))


def _upcast(x: torch.Tensor) -> torch.Tensor:
    """Return x in float32 if it is a half type (bf16/fp16), else x unchanged (float64 stays float64)."""
    return x.float() if x.dtype in (torch.float16, torch.bfloat16) else x


def masked_mean(values: torch.Tensor, mask: torch.Tensor, dim: Optional[int] = None) -> torch.Tensor:
    """Return the mean over masked positions: sum(values * mask) / sum(mask).

    With `dim` the sums run over that dimension only (e.g. dim=1 gives one mean per row, (B,)).
    A mask with no 1s gives nan (0 / 0), as in TRL; `masked_var` turns that case into an error.
    """
    mask_f = mask.to(_upcast(values).dtype) if values.is_floating_point() else mask.float()  # (B, T)
    masked = _zero_masked(values, mask)  # (B, T)
    if dim is not None:
        return masked.sum(dim=dim) / mask_f.sum(dim=dim)
    return masked.sum() / mask_f.sum()


def masked_var(values: torch.Tensor, mask: torch.Tensor, unbiased: bool = True) -> torch.Tensor:
    """Return the masked variance: mean_m((values - mean_m(values))^2), times n / (n - 1) if unbiased.

    mean_m is `masked_mean` and n = sum(mask). This is TRL's centered second moment with Bessel's
    correction. Raises ValueError if the mask selects nothing (n == 0), or if `unbiased` and the
    mask selects a single element (n == 1, where n / (n - 1) would divide by zero).
    """
    mask_sum = mask.sum()
    n = float(mask_sum)
    if n == 0:
        raise ValueError(
            "masked_var: the mask selects no elements (sum(mask) == 0), so the variance is undefined; "
            "this can happen with mini_batch_size=1 and empty responses"
        )
    if unbiased and n == 1:
        raise ValueError(
            "masked_var: the unbiased variance needs at least 2 masked elements but the mask selects 1 "
            "(the Bessel correction n/(n-1) divides by zero); use unbiased=False or a larger mini-batch"
        )
    mean = masked_mean(values, mask)  # ()
    centered = values - mean  # (B, T)
    variance = masked_mean(centered**2, mask)  # ()
    if unbiased:
        variance = variance * (n / (n - 1.0))
    return variance


def masked_whiten(
    values: torch.Tensor, mask: torch.Tensor, shift_mean: bool = True, zero_padding: bool = True
) -> torch.Tensor:
    """Return whitened values: (values - mean_m) * rsqrt(var_m + 1e-8) (+ mean_m if not shift_mean).

    mean_m and var_m (unbiased) are computed over masked positions only, so the result has masked
    mean ~0 and masked (unbiased) variance ~1. Masked-out positions of the output are 0 unless
    `zero_padding=False`, which leaves them whitened with the masked statistics, as TRL's
    `masked_whiten` does (needed where padding feeds a later computation, see `compute_advantages`).
    Needs at least 2 masked elements (see `masked_var`).
    """
    mean = masked_mean(values, mask)  # ()
    var = masked_var(values, mask, unbiased=True)  # ()
    whitened = (values - mean) * torch.rsqrt(var + WHITEN_EPS)  # (B, T)
    if not shift_mean:
        whitened = whitened + mean
    return _zero_masked(whitened, mask) if zero_padding else whitened  # (B, T)


def logprobs_from_logits(logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """Return per-token log-probs (B, T): log_softmax(logits / temperature)[b, t, labels[b, t]].

    logits: (B, T, V); labels: (B, T) token ids. Computed in float32 even if logits are bf16/fp16,
    so the result is float32 (or float64 for float64 logits).
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (got {temperature})")
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(
            f"logits must be (B, T, V) and labels (B, T); got logits {tuple(logits.shape)}, "
            f"labels {tuple(labels.shape)}"
        )
    logits = _upcast(logits)
    logp = F.log_softmax(logits / temperature, dim=-1)  # (B, T, V)
    return torch.gather(logp, 2, labels.long().unsqueeze(-1)).squeeze(-1)  # (B, T)


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Return the softmax entropy per position (B, T): H = -sum_v p(v) log p(v), p = softmax(logits).

    logits: (B, T, V), computed in float32. Vocabulary entries with p(v) == 0 (e.g. -inf logits)
    contribute 0, not nan.
    """
    logits = _upcast(logits)
    logp = F.log_softmax(logits, dim=-1)  # (B, T, V)
    p = logp.exp()  # (B, T, V)
    plogp = torch.where(p > 0, p * logp, torch.zeros_like(p))  # (B, T, V)
    return -plogp.sum(dim=-1)  # (B, T)


def _chunk_rows(logits: torch.Tensor) -> int:
    """Positions per chunk of `token_logprobs`: about 2 MB of float32 on a CPU (the chunk stays in
    cache across its passes), 64 MB on a GPU (fewer launches)."""
    budget = 2**19 if logits.device.type == "cpu" else 2**24
    return max(1, budget // logits.shape[-1])


class _TokenLogprobs(torch.autograd.Function):
    """log softmax(logits / t)[label] without a (B, T, V) float32 copy: a chunk of positions at a
    time, forward and backward (the gradient is -g * softmax + g at the label)."""

    @staticmethod
    def forward(ctx, logits, labels, temperature, with_entropy):
        V = logits.shape[-1]
        flat, flat_labels = logits.reshape(-1, V), labels.reshape(-1, 1).long()
        N = flat.shape[0]
        out = torch.empty(N, dtype=torch.float32 if flat.dtype != torch.float64 else flat.dtype, device=flat.device)
        lse, entropy = torch.empty_like(out), torch.empty_like(out) if with_entropy else None
        step = _chunk_rows(logits)
        for s in range(0, N, step):
            raw = _upcast(flat[s : s + step])  # (n, V)
            x = raw / temperature if temperature != 1.0 else raw
            lse[s : s + step] = torch.logsumexp(x, dim=-1)
            out[s : s + step] = x.gather(1, flat_labels[s : s + step]).squeeze(1) - lse[s : s + step]
            if with_entropy:  # of the logits as they are, like entropy_from_logits
                raw_lse = lse[s : s + step] if x is raw else torch.logsumexp(raw, dim=-1)
                p = torch.exp(raw - raw_lse[:, None])
                # H = lse - sum_v p(v) x(v); nansum drops 0 * -inf (p(v) = 0), a nan logit poisons lse anyway
                entropy[s : s + step] = raw_lse - torch.nansum(p * raw, dim=-1)
        ctx.save_for_backward(logits, flat_labels, lse)
        ctx.temperature = temperature
        if not with_entropy:
            return out.view(labels.shape), None
        entropy = entropy.view(labels.shape)
        ctx.mark_non_differentiable(entropy)
        return out.view(labels.shape), entropy

    @staticmethod
    def backward(ctx, grad_out, _grad_entropy):
        logits, flat_labels, lse = ctx.saved_tensors
        t = ctx.temperature
        V = logits.shape[-1]
        flat = logits.reshape(-1, V)
        g = grad_out.reshape(-1, 1).to(lse.dtype)
        grad = torch.empty_like(flat)
        step = _chunk_rows(logits)
        for s in range(0, flat.shape[0], step):
            x = _upcast(flat[s : s + step])
            x = x / t if t != 1.0 else x
            d = torch.exp(x - lse[s : s + step, None]).mul_(-g[s : s + step])  # -g * softmax
            d.scatter_add_(1, flat_labels[s : s + step], g[s : s + step])  # + g at the label
            grad[s : s + step] = d / t if t != 1.0 else d
        return grad.view_as(logits), None, None, None


def token_logprobs(
    logits: torch.Tensor, labels: torch.Tensor, temperature: float = 1.0, with_entropy: bool = False
) -> Tuple[torch.Tensor, Optional[torch.Tensor]]:
    """Return (logprobs_from_logits(logits, labels, temperature), entropy_from_logits(logits) or None).

    The same values (to float32 rounding) and gradient as those two, computed a chunk of positions
    at a time: no (B, T, V) float32 copy, log-softmax or probability tensor is ever held, which on
    a CPU cuts the update's vocabulary-sized passes (each a trip through main memory) from about
    ten to three, and on a GPU the update's peak memory. The entropy carries no gradient.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive (got {temperature})")
    if logits.dim() != 3 or labels.shape != logits.shape[:2]:
        raise ValueError(
            f"logits must be (B, T, V) and labels (B, T); got logits {tuple(logits.shape)}, "
            f"labels {tuple(labels.shape)}"
        )
    return _TokenLogprobs.apply(logits, labels, float(temperature), with_entropy)


def kl_penalty(
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    kind: str = "kl",
    logits: Optional[torch.Tensor] = None,
    ref_logits: Optional[torch.Tensor] = None,
) -> torch.Tensor:
    """Return a per-token KL(policy || ref) estimate (B, T) for the sampled tokens.

    With d = logprobs - ref_logprobs (log-probs of the sampled tokens, (B, T)):
        "kl":   d                     (unbiased k1 estimator; can be negative per token)
        "abs":  |d|
        "mse":  0.5 * d^2
        "full": sum_v p(v) (log p(v) - log q(v)), the exact KL from full logits (B, T, V),
                p = softmax(logits), q = softmax(ref_logits); needs `logits` and `ref_logits`.
    Raises ValueError for an unknown `kind` or for "full" without both logits.
    """
    if kind not in KL_KINDS:
        raise ValueError(f"unknown kl_penalty kind {kind!r}; expected one of {', '.join(KL_KINDS)}")
    if kind == "full":
        if logits is None or ref_logits is None:
            raise ValueError('kl_penalty kind "full" needs both logits and ref_logits of shape (B, T, V)')
        if logits.shape != ref_logits.shape:
            raise ValueError(
                f"logits {tuple(logits.shape)} and ref_logits {tuple(ref_logits.shape)} must have the same shape"
            )
        logp = F.log_softmax(_upcast(logits), dim=-1)  # (B, T, V)
        logq = F.log_softmax(_upcast(ref_logits), dim=-1)  # (B, T, V)
        p = logp.exp()  # (B, T, V)
        terms = torch.where(p > 0, p * (logp - logq), torch.zeros_like(p))  # (B, T, V)
        return terms.sum(dim=-1)  # (B, T)

    if logprobs.shape != ref_logprobs.shape:
        raise ValueError(
            f"logprobs {tuple(logprobs.shape)} and ref_logprobs {tuple(ref_logprobs.shape)} must have the same shape"
        )
    diff = logprobs - ref_logprobs  # (B, T)
    if kind == "kl":
        return diff
    if kind == "abs":
        return diff.abs()
    return 0.5 * diff.square()  # "mse"


def _last_real_index(mask: torch.Tensor) -> torch.Tensor:
    """Return the index of the last 1 in each row of mask (B,): max{t : mask[b, t] == 1}.

    Raises ValueError if some row has no 1 at all.
    """
    B, T = mask.shape
    positions = torch.arange(T, device=mask.device).expand(B, T)  # (B, T)
    last = torch.where(mask.bool(), positions, torch.full_like(positions, -1)).max(dim=1).values  # (B,)
    empty = (last < 0).nonzero().flatten().tolist()
    if empty:
        raise ValueError(f"compute_rewards: response mask is all zeros for row(s) {empty}; nothing to score")
    return last


def compute_rewards(
    scores: torch.Tensor,
    logprobs: torch.Tensor,
    ref_logprobs: torch.Tensor,
    mask: torch.Tensor,
    kl_coef: Number,
    kind: str = "kl",
    logits: Optional[torch.Tensor] = None,
    ref_logits: Optional[torch.Tensor] = None,
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return (rewards, non_score_rewards, kls), each (B, T): r_t = -kl_coef * kl_t + score * [t == last real token].

    scores: (B,) one scalar reward per response. kls = kl_penalty(...) * mask;
    non_score_rewards = -kl_coef * kls; rewards = non_score_rewards with scores[b] added at the
    last position where mask[b] == 1 (found from the mask, so trailing padding and a leading 1
    are both handled). Raises ValueError if a row's mask is all zeros or shapes disagree.
    """
    if mask.dim() != 2:
        raise ValueError(f"mask must be (B, T); got {tuple(mask.shape)}")
    B, T = mask.shape
    if scores.shape != (B,):
        raise ValueError(f"scores must be (B,) = ({B},); got {tuple(scores.shape)}")
    if logprobs.shape != (B, T):
        raise ValueError(f"logprobs must match mask {(B, T)}; got {tuple(logprobs.shape)}")
    last = _last_real_index(mask)  # (B,)

    kls = _zero_masked(kl_penalty(logprobs, ref_logprobs, kind, logits, ref_logits), mask)  # (B, T)
    non_score_rewards = -kl_coef * kls  # (B, T)
    rewards = non_score_rewards.clone()  # (B, T)
    rows = torch.arange(B, device=mask.device)
    rewards[rows, last] += scores.to(device=rewards.device, dtype=rewards.dtype)
    return rewards, non_score_rewards, kls


def compute_advantages(
    values: torch.Tensor,
    rewards: torch.Tensor,
    mask: torch.Tensor,
    gamma: float = 1.0,
    lam: float = 0.95,
    whiten_advantages: bool = True,
    whiten_rewards: bool = False,
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Return (advantages, returns), each (B, T), by GAE: A_t = sum_k (gamma*lam)^k delta_{t+k}, R_t = A_t + V_t.

    delta_t = r_t + gamma * V_{t+1} - V_t with V_T = 0, after values and rewards are zeroed at
    masked-out positions (TRL 0.11). As in TRL the backward loop does not stop at the mask: because
    responses are right-padded, positions after the last real token have V = r = 0 and so add
    nothing to the real positions; a 0 *inside* a row would be bridged with V = r = 0.
    `whiten_rewards` (TRL's option) then whitens the zeroed rewards with their masked statistics,
    keeping the mean (shift_mean=False), before the loop, in TRL 0.11's order: the padding is
    whitened too, so r_pad = mean_m - mean_m / std_m (not 0), and a shorter row's padding flows into
    its advantages through the loop exactly as in TRL.
    Returns are computed before whitening; advantages are then `masked_whiten`-ed if
    `whiten_advantages` (masked-out positions become 0). Both outputs are detached.
    """
    values = _zero_masked(values, mask)  # (B, T)
    rewards = _zero_masked(rewards, mask)  # (B, T)
    if whiten_rewards:
        rewards = masked_whiten(rewards, mask, shift_mean=False, zero_padding=False)  # (B, T)
    T = rewards.shape[-1]

    lastgaelam = torch.zeros_like(rewards[:, 0])  # (B,)
    advantages_reversed = []
    for t in reversed(range(T)):
        nextvalues = values[:, t + 1] if t < T - 1 else torch.zeros_like(values[:, t])  # (B,)
        delta = rewards[:, t] + gamma * nextvalues - values[:, t]  # (B,)
        lastgaelam = delta + gamma * lam * lastgaelam  # (B,)
        advantages_reversed.append(lastgaelam)
    advantages = torch.stack(advantages_reversed[::-1], dim=1)  # (B, T)

    returns = advantages + values  # (B, T)
    if whiten_advantages:
        advantages = masked_whiten(advantages, mask)  # (B, T)
    return advantages.detach(), returns.detach()


def _stat_var(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Return masked_var(values, mask), unbiased when >= 2 masked elements, else biased (0 for one element)."""
    return masked_var(values, mask, unbiased=float(mask.sum()) >= 2)


def ppo_losses(
    old_logprobs: torch.Tensor,
    old_values: torch.Tensor,
    logprobs: torch.Tensor,
    vpreds: torch.Tensor,
    advantages: torch.Tensor,
    returns: torch.Tensor,
    mask: torch.Tensor,
    cliprange: float = 0.2,
    cliprange_value: float = 0.2,
    vf_coef: float = 0.1,
) -> Tuple[torch.Tensor, Dict[str, torch.Tensor]]:
    """Return (loss, stats): loss = pg_loss + vf_coef * vf_loss, the clipped PPO objective of TRL 0.11.

    All inputs are (B, T); old_* / advantages / returns come from the rollout, logprobs / vpreds
    from the current forward pass.
        ratio     = exp(logprobs - old_logprobs)
        pg_loss   = mean_m(max(-A * ratio, -A * clamp(ratio, 1 - cliprange, 1 + cliprange)))
        vpredclip = clamp(vpreds, old_values - cliprange_value, old_values + cliprange_value)
        vf_loss   = 0.5 * mean_m(max((vpreds - R)^2, (vpredclip - R)^2))
    mean_m is `masked_mean`. `stats` maps TRL's "ppo/..." names to detached 0-d tensors. The
    variances in stats are unbiased when the mask has >= 2 elements and biased otherwise, so a
    one-token mini-batch does not raise. "ppo/val/var_explained" = 1 - val_error / return_var
    (nan/inf when all returns are equal, as in TRL). Entropy is not computed here (needs logits).
    """
    vpredclipped = torch.clamp(vpreds, old_values - cliprange_value, old_values + cliprange_value)  # (B, T)
    vf_losses1 = (vpreds - returns) ** 2  # (B, T)
    vf_losses2 = (vpredclipped - returns) ** 2  # (B, T)
    vf_loss = 0.5 * masked_mean(torch.max(vf_losses1, vf_losses2), mask)  # ()
    vf_clipfrac = masked_mean(torch.gt(vf_losses2, vf_losses1).to(vf_losses1.dtype), mask)  # ()

    logratio = logprobs - old_logprobs  # (B, T)
    ratio = torch.exp(logratio)  # (B, T)
    pg_losses = -advantages * ratio  # (B, T)
    pg_losses2 = -advantages * torch.clamp(ratio, 1.0 - cliprange, 1.0 + cliprange)  # (B, T)
    pg_loss = masked_mean(torch.max(pg_losses, pg_losses2), mask)  # ()
    pg_clipfrac = masked_mean(torch.gt(pg_losses2, pg_losses).to(pg_losses.dtype), mask)  # ()

    loss = pg_loss + vf_coef * vf_loss  # ()

    with torch.no_grad():
        approxkl = 0.5 * masked_mean(logratio**2, mask)
        policykl = masked_mean(-logratio, mask)  # mean_m(old_logprobs - logprobs)
        return_mean, return_var = masked_mean(returns, mask), _stat_var(returns, mask)
        value_mean, value_var = masked_mean(old_values, mask), _stat_var(old_values, mask)
        val_error = masked_mean((vpreds - returns) ** 2, mask)
        stats = {
            "ppo/loss/policy": pg_loss,
            "ppo/loss/value": vf_loss,
            "ppo/loss/total": loss,
            "ppo/policy/approxkl": approxkl,
            "ppo/policy/policykl": policykl,
            "ppo/policy/clipfrac": pg_clipfrac,
            "ppo/policy/advantages_mean": masked_mean(advantages, mask),
            "ppo/policy/ratio_mean": masked_mean(ratio, mask),
            "ppo/returns/mean": return_mean,
            "ppo/returns/var": return_var,
            "ppo/val/vpred": masked_mean(vpreds, mask),
            "ppo/val/error": val_error,
            "ppo/val/clipfrac": vf_clipfrac,
            "ppo/val/mean": value_mean,
            "ppo/val/var": value_var,
            "ppo/val/var_explained": 1 - val_error / return_var,
        }
        stats = {k: v.detach().reshape(()) for k, v in stats.items()}
    return loss, stats
