"""Typed run settings: the schema (every field with its help text), presets, overrides, validation,
the readers of older run folders and TRL 0.11 config files, and the one safe JSON reader
(`json_files.py`) every layer uses."""

from .overrides import apply_overrides, coerce, field_paths
from .presets import DEMO_DIR, get_config, list_presets
from .schema import (
    ALGOS,
    KL_KINDS,
    PROMPT_TEMPLATE,
    REWARD_TERMS,
    TRACKERS,
    Config,
    DataConfig,
    EvalConfig,
    ModelConfig,
    RewardConfig,
)
from .validation import prompts_per_step, validate

__all__ = ["ALGOS", "DEMO_DIR", "KL_KINDS", "PROMPT_TEMPLATE", "REWARD_TERMS", "TRACKERS", "Config", "DataConfig",
           "EvalConfig", "ModelConfig", "RewardConfig", "apply_overrides", "coerce", "field_paths", "get_config",
           "list_presets", "prompts_per_step", "validate"]
