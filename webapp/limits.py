"""What one visitor may ask of a public server: limits from env vars, and the app's training knobs
(`knobs.KNOBS`) turned into a validated `Config` (messages name the variable that sets each limit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from rlhf_core.config import Config, get_config, list_presets, validate
from rlhf_core.errors import UserError

from .knobs import KNOB, KNOBS, Knob, TrainSettings


@dataclass(frozen=True)
class Limits:
    """What one visitor may ask of this server."""

    max_steps: int
    max_batch_size: int
    max_eval_samples: int
    public: bool = False  # RLHF_PUBLIC=1 or a Space: only a run's starter may stop it, no deleting, small uploads
    max_upload: str = "10mb"  # Gradio's max_file_size for any upload to the server
    max_adapters: int = 8  # trained runs' adapters kept loaded per base model (least recently used unloaded)

    def cap(self, variable: str) -> int:
        """The limit that env var `variable` sets (RLHF_MAX_STEPS, ...)."""
        return {"RLHF_MAX_STEPS": self.max_steps, "RLHF_MAX_BATCH_SIZE": self.max_batch_size,
                "RLHF_MAX_EVAL_SAMPLES": self.max_eval_samples}[variable]


def public_hosting() -> bool:
    """True when the app is open to anonymous visitors: RLHF_PUBLIC=1, or on a Hugging Face Space
    (SPACE_ID is set there) unless RLHF_PUBLIC=0.

    A Space is public by default, so its limits must be on before anyone sets a variable.
    """
    raw = os.environ.get("RLHF_PUBLIC", "").strip().lower()
    if raw == "":
        return bool(os.environ.get("SPACE_ID", "").strip())
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise UserError(f"RLHF_PUBLIC must be 1 or 0 (got {raw!r})")


def env_int(name: str, default: int) -> int:
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
    """Returns the limits from RLHF_MAX_STEPS (50), RLHF_MAX_BATCH_SIZE (32), RLHF_MAX_EVAL_SAMPLES (100),
    RLHF_MAX_ADAPTERS (8 loaded runs' adapters per base model) and `public_hosting()` (off, but on for a
    Space; uploads capped at 1 MB when on, 10 MB otherwise)."""
    public = public_hosting()
    return Limits(
        max_steps=env_int("RLHF_MAX_STEPS", 50),
        max_batch_size=env_int("RLHF_MAX_BATCH_SIZE", 32),
        max_eval_samples=env_int("RLHF_MAX_EVAL_SAMPLES", 100),
        public=public,
        max_upload="1mb" if public else "10mb",
        max_adapters=env_int("RLHF_MAX_ADAPTERS", 8),
    )


def within_limit(value: int, what: str, cap: int, variable: str) -> int:
    """`value` if it is between 1 and `cap`; else UserError naming the env var that sets the limit."""
    if not 1 <= value <= cap:
        raise UserError(f"{what} must be between 1 and {cap} on this server (got {value}; limit set by {variable})")
    return value


def default_settings(preset: str) -> TrainSettings:
    """Returns the preset's value of every knob, brought within this server's limits."""
    cfg, lim = get_config(preset), limits()
    return TrainSettings(preset, **{knob.name: knob_default(knob, cfg, lim) for knob in KNOBS})


def knob_default(knob: Knob, config: Config, lim: Limits, algo: str | None = None) -> Any:
    """The knob's value in `config` (for `algo`, default the config's), within this server's limit."""
    value = knob.read(config, algo)
    return min(value, lim.cap(knob.limit)) if knob.limit else value


def knob_help(knob: Knob, algo: str, lim: Limits) -> str:
    return knob.help_for(algo, lim.cap(knob.limit) if knob.limit else None)


def training_config(settings: TrainSettings) -> Config:
    """Returns the validated Config for `settings` (the knobs the chosen algorithm reads), or raises
    UserError naming the value or the limit it breaks."""
    lim = limits()
    if settings.preset not in list_presets():
        raise UserError(f"unknown preset {settings.preset!r}; choose one of: {', '.join(list_presets())}")
    algo = KNOB["algo"].parse(settings.algo)
    overrides = {}
    for knob in KNOBS:
        if knob.applies_to(algo):
            value = knob.parse(getattr(settings, knob.name))
            if knob.limit:
                value = within_limit(value, knob.noun, lim.cap(knob.limit), knob.limit)
            overrides[knob.key_for(algo)] = value
    cfg = get_config(settings.preset, overrides)
    batch = cfg.optim.batch_size
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
