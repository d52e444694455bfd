"""Every configuration field's one-line help, read from the `Doc` in its declaration
(`lora_r: Annotated[int, AT_LEAST_1, Doc("LoRA rank")] = 32`); the CLI's `--help` and
`presets --show` print it, and `--resume` lists the settings that differ from the saved run.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Annotated, Any

from .schema import Config, Doc


def _docs_of(cls) -> dict[str, str]:
    hints = typing.get_type_hints(cls, include_extras=True)
    found = {}
    for name, hint in hints.items():
        extras = typing.get_args(hint)[1:] if typing.get_origin(hint) is Annotated else ()
        found[name] = next((e.text for e in extras if isinstance(e, Doc)), "")
    return found


def field_docs() -> dict[str, str]:
    """Maps every dotted configuration key (`optim.learning_rate`, `steps`) to its help text."""
    docs: dict[str, str] = {}
    top = _docs_of(Config)
    for f in dataclasses.fields(Config):
        default = getattr(Config(), f.name)
        if dataclasses.is_dataclass(default):
            docs.update({f"{f.name}.{key}": text for key, text in _docs_of(type(default)).items()})
        else:
            docs[f.name] = top[f.name]
    return docs


def describe(config: Config, only_changed_from: Config | None = None) -> str:
    """Returns the configuration as `key = value  # description` lines, one section per block."""
    docs, values = field_docs(), _flat(config.to_dict())
    base = _flat(only_changed_from.to_dict()) if only_changed_from else None
    lines, section = [], None
    for key, value in values.items():
        if base is not None and base.get(key) == value:
            continue
        head = key.split(".")[0] if "." in key else ""
        if head != section:
            section = head
            if head:
                lines.append(f"[{head}]")
        lines.append(f"{'  ' if head else ''}{key} = {value!r}  # {docs.get(key, '')}")
    return "\n".join(lines)


def flat_settings(config: Config) -> dict[str, Any]:
    """Returns the configuration as {dotted key: value}, in declaration order."""
    return _flat(config.to_dict())


def _flat(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def changed_settings(saved: Config, requested: Config) -> dict[str, tuple[Any, Any]]:
    """Returns {dotted key: (saved value, requested value)} for every setting that differs."""
    a, b = _flat(saved.to_dict()), _flat(requested.to_dict())
    return {key: (a.get(key), b.get(key)) for key in b if a.get(key) != b.get(key)}
