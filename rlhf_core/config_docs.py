"""Every configuration field's one-line description, read from its trailing comment in config.py.

Each field is documented once, where it is declared (`lora_r: int = 32  # LoRA rank`); the CLI's
`--help` and `presets --show` read the descriptions from here, and a test checks that none is missing.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import inspect
import io
import tokenize
from typing import Any

from . import config as config_module
from .config import Config


@functools.cache
def _comments_by_class() -> dict[str, dict[str, str]]:
    source = inspect.getsource(config_module)
    comments = {tok.start[0]: tok.string.lstrip("#").strip()
                for tok in tokenize.generate_tokens(io.StringIO(source).readline) if tok.type == tokenize.COMMENT}
    found: dict[str, dict[str, str]] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {item.target.id: comments.get(item.end_lineno, "")
                                for item in node.body
                                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)}
    return found


def field_docs() -> dict[str, str]:
    """Maps every dotted configuration key (`ppo.learning_rate`, `steps`) to its description."""
    by_class = _comments_by_class()
    docs: dict[str, str] = {}
    for f in dataclasses.fields(Config):
        default = getattr(Config(), f.name)
        if dataclasses.is_dataclass(default):
            for sub in dataclasses.fields(default):
                docs[f"{f.name}.{sub.name}"] = by_class.get(type(default).__name__, {}).get(sub.name, "")
        else:
            docs[f.name] = by_class["Config"].get(f.name, "")
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
