"""`validate`: every field's type and range from its declaration, plus the rules between fields.

The CLI, the Python API (`iter_train`), the app and the run-folder reader all call it, so one bad
value gives the same one-line message wherever it comes from."""

from __future__ import annotations

import dataclasses
import math
import string
import types
import typing
from typing import Annotated, Any

from ..errors import UserError
from .schema import TRACKERS, Check, Config


def _type_problem(value: Any, hint: Any) -> str | None:
    """Returns "must be a whole number"-style text if `value` does not have the declared type."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _type_problem(value, next(a for a in args if a is not type(None)))
    if typing.get_origin(hint) is list:
        ok = isinstance(value, list) and all(_type_problem(v, args[0]) is None for v in value)
        return None if ok else f"must be a list of {args[0].__name__}"
    wanted = {bool: ((bool,), "true or false"), int: ((int,), "a whole number"),
              float: ((int, float), "a number"), str: ((str,), "text")}.get(hint)
    if wanted is None:
        return None
    types_, words = wanted
    if isinstance(value, types_) and (hint is bool or not isinstance(value, bool)):
        return None
    return f"must be {words}"


def field_checks(cfg: Config) -> list[tuple[str, Any, Any, Check | None]]:
    """Every field as (dotted key, value, type, Check or None), read from the declarations."""
    out = []

    def walk(obj, prefix):
        hints = typing.get_type_hints(type(obj), include_extras=True)
        for f in dataclasses.fields(obj):
            value, hint = getattr(obj, f.name), hints[f.name]
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
                continue
            check = None
            if typing.get_origin(hint) is Annotated:
                hint, *extras = typing.get_args(hint)
                check = next((e for e in extras if isinstance(e, Check)), None)
            out.append((f"{prefix}{f.name}", value, hint, check))

    walk(cfg, "")
    return out


def validate(cfg: Config) -> Config:
    """Raises UserError naming the first field whose type or range is wrong, or the first rule
    between fields that fails; returns the config otherwise."""
    for section in ("model", "data", "reward", "generation", "ppo", "critic_free", "eval"):
        if not dataclasses.is_dataclass(getattr(cfg, section, None)):
            raise UserError(f"configuration section '{section}' must be an object")
    for key, value, hint, check in field_checks(cfg):
        problem = _type_problem(value, hint)
        if problem is None and check is not None and value is not None:
            problem = check.problem(value)
        if problem is None and isinstance(value, float) and not math.isfinite(value):
            problem = "must be a finite number"
        if problem:
            raise UserError(f"{key} {problem} (got {value!r})")
    o, g, d = cfg.optim, cfg.generation, cfg.data
    checks = [
        (o.mini_batch_size <= o.batch_size,
         f"optim.mini_batch_size must be between 1 and optim.batch_size={o.batch_size} (got {o.mini_batch_size})"),
        (o.batch_size % o.mini_batch_size == 0,
         f"optim.batch_size ({o.batch_size}) must be a multiple of optim.mini_batch_size ({o.mini_batch_size})"),
        (g.max_new_tokens_min <= g.max_new_tokens_max,
         f"need generation.max_new_tokens_min <= generation.max_new_tokens_max (got {g.max_new_tokens_min}, {g.max_new_tokens_max})"),
        (d.min_chars <= d.max_chars, f"need data.min_chars <= data.max_chars (got {d.min_chars}, {d.max_chars})"),
        (not set(cfg.report_to) - set(TRACKERS),
         f"report_to: unknown tracker(s) {', '.join(sorted(set(cfg.report_to) - set(TRACKERS)))}; "
         f"choose from {', '.join(TRACKERS)} or none"),
        (bool(cfg.tracker_project.strip()), "tracker_project must not be empty"),
        (cfg.model.lora_target_modules != [], "model.lora_target_modules must name at least one module"),
        *_critic_free_checks(cfg),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    _check_template(d.prompt_template)
    return cfg


def _check_template(template: str) -> None:
    """Refuses a prompt template whose only field is not a bare `{dialogue}`: no other name, no
    attribute or index lookup (`{dialogue.__class__}`), no conversion (`!r`) or format spec (`:>9`)."""
    try:
        fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                  if name is not None]
    except ValueError as error:  # a lone { or }
        raise UserError(f"data.prompt_template can only use the {{dialogue}} placeholder ({error}); "
                        "write literal braces as {{ and }}") from None
    wrong = [name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
             for name, spec, conversion in fields if (name, spec, conversion) != ("dialogue", "", None)]
    if wrong:
        raise UserError(f"data.prompt_template can only use the {{dialogue}} placeholder, bare (got {{{wrong[0]}}}); "
                        "write literal braces as {{ and }}")
    if not fields:
        raise UserError("data.prompt_template must contain '{dialogue}'")


def _critic_free_checks(cfg: Config) -> list[tuple[bool, str]]:
    """The checks that only apply to RLOO/GRPO runs (k samples per prompt)."""
    if cfg.algo == "ppo":
        return []
    c, o = cfg.critic_free, cfg.optim
    k = c.num_generations
    return [
        (k >= 2, f"critic_free.num_generations must be at least 2 for {cfg.algo} (got {k})"),
        (k < 2 or o.batch_size % k == 0,
         f"optim.batch_size ({o.batch_size}) counts samples and must be a multiple of critic_free.num_generations ({k})"),
        (c.kl_coef >= 0, f"critic_free.kl_coef must be >= 0 (got {c.kl_coef})"),
        (0 < c.epsilon_low < 1 and c.epsilon_high > 0,
         f"need 0 < critic_free.epsilon_low < 1 and critic_free.epsilon_high > 0 (got {c.epsilon_low}, {c.epsilon_high})"),
    ]


def prompts_per_step(cfg: Config) -> int:
    """Dialogues drawn per step: optim.batch_size for PPO; batch_size / k for RLOO/GRPO (k samples each)."""
    return cfg.optim.batch_size if cfg.algo == "ppo" else max(cfg.optim.batch_size // cfg.critic_free.num_generations, 1)
