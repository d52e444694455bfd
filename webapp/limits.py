"""What one visitor may ask of a public server: limits from env vars, and the app's training knobs
turned into a validated `Config` (messages name the variable that sets each limit).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from rlhf_core.config import Config, get_config, list_presets, validate
from rlhf_core.errors import UserError


@dataclass(frozen=True)
class Limits:
    """What one visitor may ask of this server."""

    max_steps: int
    max_batch_size: int
    max_eval_samples: int
    public: bool = False  # RLHF_PUBLIC=1: only a run's starter may stop it, no deleting, small uploads
    max_upload: str = "10mb"  # Gradio's max_file_size for any upload to the server


def public_hosting() -> bool:
    """True when RLHF_PUBLIC is set to 1/true/yes: the app is open to anonymous visitors."""
    raw = os.environ.get("RLHF_PUBLIC", "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise UserError(f"RLHF_PUBLIC must be 1 or 0 (got {raw!r})")


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"{name} must be a positive whole number (got {raw!r})")
    return value


def limits() -> Limits:
    """Returns the limits from RLHF_MAX_STEPS (50), RLHF_MAX_BATCH_SIZE (32), RLHF_MAX_EVAL_SAMPLES (100)
    and RLHF_PUBLIC (off; uploads capped at 1 MB when on, 10 MB otherwise)."""
    public = public_hosting()
    return Limits(
        max_steps=_env_int("RLHF_MAX_STEPS", 50),
        max_batch_size=_env_int("RLHF_MAX_BATCH_SIZE", 32),
        max_eval_samples=_env_int("RLHF_MAX_EVAL_SAMPLES", 100),
        public=public,
        max_upload="1mb" if public else "10mb",
    )


@dataclass
class TrainSettings:
    """The knobs the app exposes; everything else comes from the preset."""

    preset: str
    steps: int
    batch_size: int
    learning_rate: float
    init_kl_coef: float
    adaptive_kl: bool
    target_kl: float
    seed: int
    algo: str = "ppo"  # ppo, rloo or grpo (RLOO/GRPO use the preset's critic_free settings)
    toxicity_weight: float = 1.0  # reward term weights (reward.*_weight)
    fidelity_weight: float = 0.0


def default_settings(preset: str) -> TrainSettings:
    """Returns the preset's settings, with steps and batch size brought within this server's limits."""
    cfg, lim = get_config(preset), limits()
    return TrainSettings(
        preset=preset,
        steps=min(cfg.steps, lim.max_steps),
        batch_size=min(cfg.optim.batch_size, lim.max_batch_size),
        learning_rate=cfg.optim.learning_rate,
        init_kl_coef=cfg.ppo.init_kl_coef,
        adaptive_kl=cfg.ppo.adaptive_kl,
        target_kl=cfg.ppo.target_kl,
        seed=cfg.seed,
        algo=cfg.algo,
        toxicity_weight=cfg.reward.toxicity_weight,
        fidelity_weight=cfg.reward.fidelity_weight,
    )


def whole_number(value, name: str) -> int:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a whole number (got {value!r})") from None
    if not number.is_integer():
        raise UserError(f"{name} must be a whole number (got {value!r})")
    return int(number)


def _positive(value, name: str, allow_zero: bool = False) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a number (got {value!r})") from None
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise UserError(f"{name} must be {'zero or more' if allow_zero else 'positive'} (got {value!r})")
    return number


def training_config(settings: TrainSettings) -> Config:
    """Returns the validated Config for `settings`, or raises UserError naming the limit it breaks."""
    lim = limits()
    if settings.preset not in list_presets():
        raise UserError(f"unknown preset {settings.preset!r}; choose one of: {', '.join(list_presets())}")
    steps = whole_number(settings.steps, "steps")
    if not 1 <= steps <= lim.max_steps:
        raise UserError(f"steps must be between 1 and {lim.max_steps} on this server "
                        f"(got {steps}; limit set by RLHF_MAX_STEPS)")
    batch = whole_number(settings.batch_size, "batch size")
    if not 1 <= batch <= lim.max_batch_size:
        raise UserError(
            f"batch size must be between 1 and {lim.max_batch_size} on this server "
            f"(got {batch}; limit set by RLHF_MAX_BATCH_SIZE)")
    cfg = get_config(settings.preset, {
        "steps": steps,
        "seed": whole_number(settings.seed, "seed"),
        "optim.batch_size": batch,
        "optim.learning_rate": _positive(settings.learning_rate, "learning rate"),
        "ppo.init_kl_coef": _positive(settings.init_kl_coef, "KL coefficient", allow_zero=True),
        "ppo.adaptive_kl": bool(settings.adaptive_kl),
        "ppo.target_kl": _positive(settings.target_kl, "target KL"),
        "algo": settings.algo,
        "reward.toxicity_weight": _positive(settings.toxicity_weight, "toxicity weight", allow_zero=True),
        "reward.fidelity_weight": _positive(settings.fidelity_weight, "fidelity weight", allow_zero=True),
    })
    if cfg.algo != "ppo":  # k samples per prompt: the largest k <= the preset's that divides the batch
        k = [d for d in range(2, cfg.critic_free.num_generations + 1) if batch % d == 0]
        if not k:
            raise UserError(f"{cfg.algo} samples several summaries per dialogue: the batch size must be even "
                            f"(got {batch})")
        cfg.critic_free.num_generations = max(k)
    # The largest mini-batch that divides the batch and is no larger than the preset's.
    cfg.optim.mini_batch_size = max(d for d in range(1, min(cfg.optim.mini_batch_size, batch) + 1) if batch % d == 0)
    cfg.eval.samples = min(cfg.eval.samples, lim.max_eval_samples)
    return validate(cfg)
