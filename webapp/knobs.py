"""The app's training knobs: one list that drives the Train tab's controls, their defaults and help,
the checks on a visitor's values, the overrides sent to the engine, the job's settings and the
Runs table's columns.

A knob names the configuration field it sets (a dotted key, or one per algorithm), the control
that shows it and the algorithms that read it. A knob the chosen algorithm does not read is hidden,
not sent, and not listed among the run's settings.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, make_dataclass
from functools import cache, reduce
from typing import Any

from rlhf_core.config import ALGOS, Config
from rlhf_core.config.describe import field_docs
from rlhf_core.errors import UserError

PPO_ONLY = ("ppo",)
_field_docs = cache(field_docs)  # the same for every knob and every visitor


@dataclass(frozen=True)
class Knob:
    """One setting the Train tab exposes; everything else comes from the preset."""

    name: str  # the start handler's keyword and API parameter, the job settings' key
    key: str | dict[str, str]  # the dotted config key it sets, or {algorithm: key}
    label: str
    control: str  # "dropdown", "slider" (1 to its limit), "number", "whole number" or "checkbox"
    column: str  # its short name: the Runs table's header, the run card's label
    algos: tuple[str, ...] = ALGOS  # the algorithms that read it
    bound: str | None = None  # numbers: "positive" or "zero or more"
    most: float | None = None  # numbers: the largest sane value (a reward weight of 1e308 overflows)
    limit: str | None = None  # the env var that caps it on this server (limits.Limits.cap)
    help: str | None = None  # None: the config field's Doc
    choices: tuple[tuple[str, str], ...] = ()  # dropdowns: (label, value)
    what: str | None = None  # its name in error messages; None: `name` with spaces

    @property
    def elem_id(self) -> str:
        return self.name.replace("_", "-")

    @property
    def noun(self) -> str:
        return self.what or self.name.replace("_", " ")

    def applies_to(self, algo: str) -> bool:
        return algo in self.algos

    def key_for(self, algo: str) -> str:
        """The dotted config key this knob sets when `algo` trains."""
        return self.key if isinstance(self.key, str) else self.key[algo]

    def help_for(self, algo: str, cap: int | None = None) -> str:
        """The control's help: the config field's Doc (or `help`), and the server's limit if it has one."""
        text = self.help or _field_docs()[self.key_for(algo)]
        text = text[:1].upper() + text[1:] + (f"; at most {self.most:g}" if self.most is not None else "")
        return f"{text}; at most {cap} on this server (its host can change that with {self.limit})" if self.limit \
            else text

    def read(self, config: Config, algo: str | None = None) -> Any:
        """The knob's value in `config`, for `algo` (default: the config's own)."""
        return reduce(getattr, self.key_for(algo or config.algo).split("."), config)

    def parse(self, value: Any) -> Any:
        """The visitor's value as the config field's type; raises UserError in one line."""
        if self.control == "checkbox":
            return bool(value)
        if self.control == "dropdown":
            allowed = [v for _, v in self.choices]
            if value not in allowed:
                raise UserError(f"{self.noun} must be one of {', '.join(allowed)} (got {value!r})")
            return value
        if self.control in ("slider", "whole number"):
            return whole_number(value, self.noun)
        return real_number(value, self.noun, self.bound, self.most)

    def cell(self, value: Any) -> str:
        """The value as the run card and the Runs table show it."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if self.control == "dropdown":
            return str(value).upper()
        return f"{value:g}" if isinstance(value, float) else str(value)


MAX_REWARD_WEIGHT = 100.0  # the reward terms are about 1 in size: a weight beyond 100 only breaks training
ALGORITHMS = (("PPO (value head)", "ppo"), ("RLOO (no critic)", "rloo"), ("GRPO (no critic)", "grpo"))
KL_COEF_KEYS = {"ppo": "ppo.init_kl_coef", "rloo": "critic_free.kl_coef", "grpo": "critic_free.kl_coef"}

# Display order, API order and the order of the checks.
KNOBS: tuple[Knob, ...] = (
    Knob("algo", "algo", "Algorithm", "dropdown", "algo", choices=ALGORITHMS, what="algorithm",
         help="RLOO and GRPO sample several summaries per dialogue and need no value head"),
    Knob("steps", "steps", "Steps", "slider", "steps", limit="RLHF_MAX_STEPS"),
    Knob("batch_size", "optim.batch_size", "Batch size", "slider", "batch", limit="RLHF_MAX_BATCH_SIZE",
         help="Summaries sampled per step: one per dialogue for PPO; RLOO and GRPO sample several per dialogue"),
    Knob("learning_rate", "optim.learning_rate", "Learning rate", "number", "lr", bound="positive",
         help="Step size of the optimiser (Adam) for the LoRA adapter and PPO's value head"),
    Knob("seed", "seed", "Seed", "whole number", "seed"),
    Knob("adaptive_kl", "ppo.adaptive_kl", "Adaptive KL coefficient", "checkbox", "adaptive KL", algos=PPO_ONLY,
         help="Raise the KL coefficient when KL is above the target, lower it when below"),
    Knob("kl_coef", KL_COEF_KEYS, "KL coefficient β", "number", "β (KL)", bound="zero or more",
         what="KL coefficient"),
    Knob("target_kl", "ppo.target_kl", "Target KL (nats)", "number", "target KL", algos=PPO_ONLY, bound="positive",
         what="target KL"),
    Knob("toxicity_weight", "reward.toxicity_weight", "Toxicity weight", "number", "toxicity w.",
         bound="zero or more", most=MAX_REWARD_WEIGHT),
    Knob("fidelity_weight", "reward.fidelity_weight", "Fidelity weight", "number", "fidelity w.",
         bound="zero or more", most=MAX_REWARD_WEIGHT),
)
KNOB = {knob.name: knob for knob in KNOBS}

# A preset and a value for every knob, by knob name (limits.training_config turns it into a Config).
TrainSettings = make_dataclass("TrainSettings", [("preset", str), *((knob.name, Any) for knob in KNOBS)])
TrainSettings.__doc__ = "A preset and the visitor's value of every knob (KNOBS), by knob name."


def knob_values(config: Config) -> dict[str, Any]:
    """{knob name: value} of the knobs `config`'s algorithm reads: the settings a run really used."""
    return {knob.name: knob.read(config) for knob in KNOBS if knob.applies_to(config.algo)}


def settings_line(values: dict[str, Any], skip: tuple[str, ...] = ()) -> str:
    """`PPO · batch 4 · lr 0.001 · ...`: knob values (as from knob_values) in knob order."""
    parts = []
    for knob in KNOBS:
        if knob.name in values and knob.name not in skip:
            cell = knob.cell(values[knob.name])
            parts.append(cell if knob.control == "dropdown" else f"{knob.column} {cell}")
    return " · ".join(parts)


EXAMPLES = {"learning rate": 0.0005, "KL coefficient": 0.2, "target KL": 6, "toxicity weight": 1,
            "fidelity weight": 0.5}  # what an "is empty" message suggests


def whole_number(value: Any, what: str) -> int:
    """`value` as an int; raises UserError if it is not a whole number."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError(f"{what[:1].upper() + what[1:]} is empty: enter a whole number such as 1")
    try:
        as_float = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{what} must be a whole number (got {value!r})") from None
    if not as_float.is_integer():
        raise UserError(f"{what} must be a whole number (got {value!r})")
    return int(as_float)


def real_number(value: Any, what: str, bound: str | None = None, most: float | None = None) -> float:
    """`value` as a finite float within `bound` ("positive", "zero or more") and at most `most`; raises
    UserError otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UserError(f"{what[:1].upper() + what[1:]} is empty: enter a number such as {EXAMPLES.get(what, 0.5)}")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise UserError(f"{what[:1].upper() + what[1:]} must be a number such as {EXAMPLES.get(what, 0.5)} "
                        f"(got {value!r})") from None
    if not math.isfinite(result) or (bound == "positive" and result <= 0) or (bound == "zero or more" and result < 0):
        raise UserError(f"{what} must be {bound or 'a finite number'} (got {value!r})")
    if most is not None and result > most:
        raise UserError(f"{what} must be at most {most:g} (got {value!r}): a larger weight drowns every other "
                        f"term of the reward and breaks training")
    return result
