"""A TRL 0.11 `PPOConfig` (as a dict or its JSON) -> this project's configuration overrides.

Every TRL field with a counterpart is mapped (note `target` -> `ppo.target_kl`, the adaptive KL
target, and TRL's own `target_kl` -> `ppo.early_stopping_kl`); fields that only label a tracker
run or tune TRL's data loading are ignored and listed; fields this engine cannot honour are
refused by name unless they hold TRL's default (a full `PPOConfig.to_dict()` loads as it is).
Every value must have its field's JSON type (a whole number where one is counted: `steps` 10.7 is
refused, not rounded); ranges are then checked like any other setting.
"""

from __future__ import annotations

import math
import types
import typing
from pathlib import Path
from typing import Any

from ..errors import UserError
from .json_files import json_type_name, read_json_file
from .overrides import field_paths

# TRL field -> dotted key here; the meaning is the same.
MAPPED = {
    "seed": "seed",
    "learning_rate": "optim.learning_rate",
    "adap_kl_ctrl": "ppo.adaptive_kl",
    "init_kl_coef": "ppo.init_kl_coef",
    "kl_penalty": "ppo.kl_penalty",
    "target": "ppo.target_kl",
    "horizon": "ppo.horizon",
    "gamma": "ppo.gamma",
    "lam": "ppo.lam",
    "cliprange": "ppo.cliprange",
    "cliprange_value": "ppo.cliprange_value",
    "vf_coef": "ppo.vf_coef",
    "batch_size": "optim.batch_size",
    "mini_batch_size": "optim.mini_batch_size",
    "ppo_epochs": "ppo.ppo_epochs",
    "max_grad_norm": "optim.max_grad_norm",
    "early_stopping": "ppo.early_stopping",
    "target_kl": "ppo.early_stopping_kl",
    "ratio_threshold": "ppo.ratio_threshold",
    "whiten_rewards": "ppo.whiten_rewards",
    "tracker_project_name": "tracker_project",
}

# Fields that change nothing here: run labels for trackers, TRL's data loading and device-cache
# options, and values TRL derives from the others.
IGNORED = {
    "exp_name", "task_name", "model_name", "query_dataset", "reward_model", "remove_unused_columns",
    "dataset_num_proc", "optimize_cuda_cache", "optimize_device_cache", "compare_steps", "world_size",
    "backward_batch_size", "global_backward_batch_size", "global_batch_size", "total_ppo_epochs",
}

# Fields this engine cannot honour: accepted only at TRL's default, refused by name otherwise.
REFUSED = {
    "gradient_accumulation_steps": (1, "use optim.mini_batch_size for the rows per update "
                                       "(optim.micro_batch_size splits it for memory)"),
    "use_score_scaling": (False, "no running score scaling here"),
    "use_score_norm": (False, "no running score normalisation here"),
    "score_clip": (None, "no score clipping here"),
    "gradient_checkpointing": (False, "no gradient checkpointing here"),
    "tracker_kwargs": ({}, "use --report-to and --tracker_project"),
    "accelerator_kwargs": ({}, "use mixed_precision, or accelerate launch's own options"),
    "project_kwargs": ({}, "trackers write under the run directory"),
    "push_to_hub_if_best_kwargs": ({}, "push a finished run with `python -m rlhf_core push`"),
    "is_encoder_decoder": (None, "this engine trains encoder-decoder policies only"),
    "is_peft_model": (None, "the policy is always a LoRA (PEFT) model here"),
}
ALWAYS_TRUE = {"is_encoder_decoder", "is_peft_model"}  # True is what we do; only False is refused


def overrides_from_trl(trl: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Returns (overrides for `apply_overrides`, names of the TRL fields ignored).

    Raises UserError naming every field that cannot be honoured or is not a TRL 0.11 PPOConfig field.
    """
    trl = _unflatten(trl)
    overrides: dict[str, Any] = {}
    ignored, refused, unknown = [], [], []
    hints = field_paths()
    for name, value in trl.items():
        if name in MAPPED:
            overrides[MAPPED[name]] = _typed(name, value, hints[MAPPED[name]])
        elif name in IGNORED:
            ignored.append(name)
        elif name in REFUSED:
            default, why = REFUSED[name]
            if value == default or (name in ALWAYS_TRUE and value is True):
                continue
            refused.append(f"{name}={value!r} ({why})")
        elif name in ("log_with", "forward_batch_size", "steps"):
            continue  # below
        else:
            unknown.append(name)
    if unknown:
        raise UserError(f"not TRL 0.11 PPOConfig field(s): {', '.join(sorted(unknown))}")
    if refused:
        raise UserError("cannot honour TRL setting(s): " + "; ".join(refused))
    log_with = trl.get("log_with")
    if log_with is not None:
        overrides["report_to"] = _typed("log_with", [log_with] if isinstance(log_with, str) else log_with, list[str])
    if trl.get("forward_batch_size") is not None:  # TRL: the deprecated name overrides mini_batch_size
        overrides["optim.mini_batch_size"] = _whole("forward_batch_size", trl["forward_batch_size"])
    if "steps" in trl:  # TRL counts samples: its number of PPO steps is total_ppo_epochs = ceil(steps / batch_size)
        batch_size = _whole("batch_size", trl.get("batch_size", 128))
        overrides["steps"] = math.ceil(_whole("steps", trl["steps"]) / batch_size)
    return overrides, sorted(ignored)


def _whole(name: str, value: Any, minimum: int = 1) -> int:
    """`value` as an int if it is a whole number >= `minimum` (10.0 is, 10.7 and "10" are not)."""
    value = _typed(name, value, int)
    if value < minimum:
        raise UserError(f"{name} must be at least {minimum} (got {value})")
    return value


def _typed(name: str, value: Any, hint: Any) -> Any:
    """Returns `value` if it has the JSON type that `hint` (a field's type) asks for, a whole float as
    an int where an int is asked; raises UserError naming the TRL field otherwise."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        hint = next(a for a in args if a is not type(None))
    if typing.get_origin(hint) is list:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise UserError(f"{name} must be a name or a list of names (got {json_type_name(value)})")
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if hint is int and number and float(value).is_integer():
        return int(value)
    if (hint is float and number) or (hint in (bool, str) and isinstance(value, hint)):
        return value
    words = {int: "a whole number", float: "a number", bool: "true or false", str: "text"}.get(hint, str(hint))
    shown = repr(value) if number or isinstance(value, str) else json_type_name(value)
    raise UserError(f"{name} must be {words} (got {shown})")


def _unflatten(trl: dict[str, Any]) -> dict[str, Any]:
    """Folds `PPOConfig.to_dict()`'s flattened `tracker_kwargs/wandb/...` keys back into their field."""
    out: dict[str, Any] = {}
    for key, value in trl.items():
        head, _, rest = key.partition("/")
        clash = not isinstance(out.setdefault(head, {}), dict) if rest else head in out
        if clash:
            raise UserError(f"{head} is given both as a value and as {head}/... keys")
        if rest:
            out[head][rest] = value
        else:
            out[key] = value
    return out


def load_trl_config(path: str | Path) -> tuple[dict[str, Any], list[str]]:
    """Reads a TRL PPOConfig saved as JSON and returns `overrides_from_trl` of it."""
    if not Path(path).exists():
        raise UserError(f"--trl-config {path}: no such file")
    trl = read_json_file(path, "--trl-config", expect=dict)  # one object of PPOConfig fields
    try:
        return overrides_from_trl(trl)
    except UserError as error:
        raise UserError(f"--trl-config {path}: {error}") from None
