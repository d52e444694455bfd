"""Dotted-key overrides (`{"optim.learning_rate": 1e-5}`, `--optim.learning_rate 1e-5`) applied
to a `Config`, with CLI strings converted to each field's declared type."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

from ..errors import UserError
from .schema import Config


def apply_overrides(cfg: Config, overrides: dict[str, Any]) -> Config:
    """Sets `section.field` (or top-level `field`) values, converting strings to the field's type."""
    for key, value in overrides.items():
        target, name = _resolve(cfg, key)
        hint = typing.get_type_hints(type(target))[name]
        setattr(target, name, coerce(value, hint, key))
    return cfg


def field_paths(cfg: Config | None = None) -> dict[str, Any]:
    """Maps every overridable dotted key to its type hint (for building CLI flags)."""
    cfg = cfg or Config()
    paths: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            hints = typing.get_type_hints(type(value))
            for sub in dataclasses.fields(value):
                paths[f"{f.name}.{sub.name}"] = hints[sub.name]
        else:
            paths[f.name] = typing.get_type_hints(Config)[f.name]
    return paths


def _resolve(cfg: Config, key: str):
    parts = key.split(".")
    target: Any = cfg
    for part in parts[:-1]:
        if not hasattr(target, part) or not dataclasses.is_dataclass(getattr(target, part)):
            raise UserError(f"unknown configuration key '{key}'")
        target = getattr(target, part)
    name = parts[-1]
    if name not in {f.name for f in dataclasses.fields(target)} or dataclasses.is_dataclass(getattr(target, name)):
        raise UserError(f"unknown configuration key '{key}'")
    return target, name


def coerce(value: Any, hint: Any, key: str = "value") -> Any:
    """Converts a CLI string (or any value) to the type a field declares; None for 'none'."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], key)
    if origin is list:
        if isinstance(value, str):
            value = [] if value.strip().lower() == "none" else [v.strip() for v in value.split(",") if v.strip()]
        return [coerce(v, args[0], key) for v in value]
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise UserError(f"invalid value {value!r} for '{key}': expected {getattr(hint, '__name__', hint)}") from None
    return value
