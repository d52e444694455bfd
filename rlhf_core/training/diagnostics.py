"""Training health checks shared by the CLI, the run loop and the app: KL out of band, non-finite stats."""

from __future__ import annotations

import math

# KL outside this band means something is off: negative KL is an estimator or sampling bug, a
# large one means the policy ran away from the reference (the lab's copies sat at 21-38).
KL_LOW, KL_HIGH = -1.0, 50.0

# The stats whose NaN/inf ends a run (the last good checkpoint is kept).
CHECKED_STATS = ("env/reward_mean", "objective/kl", "ppo/loss/total", "ppo/loss/policy", "ppo/loss/value", "loss")


def kl_warning(stats: list[dict]) -> str | None:
    """Returns a warning if the latest step's KL is negative or exploding, else None."""
    for record in reversed(stats):
        kl = record.get("objective/kl")
        if kl is None or not isinstance(kl, (int, float)):
            continue
        step = record.get("step", "?")
        if kl < KL_LOW:
            return (f"KL is negative ({kl:.2f} at step {step}): the policy and reference disagree on the "
                    "sampled tokens; check generation settings (top_k=0, top_p=1) and padding")
        if kl > KL_HIGH:
            return (f"KL is exploding ({kl:.1f} at step {step}): the policy is drifting far from the "
                    "reference; lower the learning rate or raise the KL coefficient")
        return None
    return None


def check_finite(stats: dict[str, float]) -> None:
    """Raises FloatingPointError naming the first checked stat that is NaN or infinite."""
    for key in CHECKED_STATS:
        value = stats.get(key)
        if value is not None and not math.isfinite(value):
            raise FloatingPointError(f"{key} is {value}")


def check_finite_weights(module) -> None:
    """Raises FloatingPointError if any trainable weight of `module` is NaN or infinite.

    Runs after the update and before the checkpoint is written: a finite loss does not prove
    finite weights (an infinite learning rate turns finite gradients into infinite weights)."""
    import torch

    bad = total = 0
    with torch.no_grad():
        for param in module.parameters():
            if param.requires_grad:
                total += param.numel()
                bad += int((~torch.isfinite(param)).sum())
    if bad:
        raise FloatingPointError(f"{bad:,} of {total:,} trainable weights are NaN or infinite after the update")


def finite_or_none(value):
    """Returns a float, or None for missing, non-numeric or non-finite values (saved as "nan")."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def clean_stats(records: list[dict]) -> list[dict]:
    """Returns metric records with non-finite values as None (ready for JSON and charts)."""
    return [{k: (finite_or_none(v) if k != "step" else v) for k, v in r.items()} for r in records]
