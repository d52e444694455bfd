"""The one reader of every JSON file the project reads itself: run folders (config.json, metrics.jsonl
lines, trainer_state.json, eval.json), `--trl-config` files and json/jsonl datasets.

Anything malformed is one UserError naming the file, never a traceback: a missing file or a folder
in its place, bytes that are not UTF-8, text that is not JSON, nesting deeper than `MAX_DEPTH`
(the standard parser would raise RecursionError), numbers beyond any setting (`1e999`, which
Python reads as infinity, or thousands of digits), NaN/Infinity literals where they are not
allowed, text holding a lone UTF-16 surrogate (`"\\ud800"`: no encoder can write it back), and a
top-level value of the wrong type.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from ..errors import UserError

MAX_DEPTH = 64  # every file the project writes nests at most a few levels
MAX_INT_DIGITS = 30  # far beyond any setting or counter (int64 has 19 digits)
JSON_TYPES = {dict: "a JSON object", list: "a JSON list"}
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")  # how a surrogate gets into JSON text


class _Malformed(ValueError):
    """A reason the content is refused, raised from the parser's hooks."""


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Malformed(f"a number with {len(text.lstrip('-')):,} digits")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Malformed(f"a number too large to hold ({text[:20]}{'...' if len(text) > 20 else ''})")
    return value


def _refuse_constant(name: str):
    raise _Malformed(f"{name} where a number must be finite")


def _structure_problem(value: Any, strings: bool) -> str | None:
    """Returns why `value` nests too deeply or (with `strings`) holds a lone surrogate, or None
    (walks without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            if depth > MAX_DEPTH:
                return f"nested deeper than {MAX_DEPTH} levels"
            children = [*item, *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
        elif strings and isinstance(item, str) and not item.isascii():
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as error:
                return f"text with a lone UTF-16 surrogate \\u{ord(item[error.start]):04x}"
    return None


def parse_json(text: str, source: str, allow_nan: bool = False) -> Any:
    """Returns the JSON value in `text`, or raises UserError "`source` is damaged (reason)".

    `allow_nan` keeps NaN/Infinity/-Infinity literals as floats (what `json.dumps` writes for a
    non-finite number, e.g. in an evaluation report); otherwise they are refused.
    """
    hooks = {} if allow_nan else {"parse_constant": _refuse_constant}
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float, **hooks)
    except RecursionError:
        reason = f"nested deeper than {MAX_DEPTH} levels"
    except (_Malformed, json.JSONDecodeError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
    else:
        reason = _structure_problem(value, bool(_SURROGATE_ESCAPE.search(text)))
        if reason is None:
            return value
    raise UserError(f"{source} is damaged ({reason})")


def read_json_file(path: str | Path, what: str | None = None, allow_nan: bool = False,
                   expect: type | None = None) -> Any:
    """Returns a JSON file's content, or raises one UserError naming the file ("`what`: PATH ...").

    `expect` (dict or list) also refuses a top-level value of another type.
    """
    path = Path(path)
    source = f"{what}: {path}" if what else str(path)
    try:
        if path.is_dir():
            raise UserError(f"{source} is a folder, not a JSON file")
        if path.exists() and not path.is_file():  # a FIFO or a device would block or never end
            raise UserError(f"{source} is not a regular file")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UserError(f"{source} is missing") from None
    except UnicodeDecodeError as error:
        raise UserError(f"{source} is damaged (not UTF-8 text: byte {error.start:,})") from None
    except OSError as error:
        raise UserError(f"{source} cannot be read ({error.strerror or error})") from None
    value = parse_json(text, source, allow_nan)
    if expect is not None and not isinstance(value, expect):
        raise UserError(f"{source} must hold {JSON_TYPES.get(expect, expect.__name__)} "
                        f"(got {json_type_name(value)})")
    return value


def json_type_name(value: Any) -> str:
    """The JSON name of a parsed value's type: an object, a list, text, a number, true, false or null."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), "a number")
