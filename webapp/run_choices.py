"""A finished run as the "after" pickers offer it: its label, whether its evaluation is of the standard
size, and which run is the default "after" (the one a public server's pruning keeps too)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from rlhf_core.config import Config
from rlhf_core.errors import UserError

from .limits import limits
from .run_index import IndexedRun

# Runs shorter than this barely moved the policy: "after" reads like "before" (the picker says so).
MIN_USEFUL_STEPS = 10


@dataclass
class RunChoice:
    """A finished run as an "after" picker offers it."""

    name: str
    steps_done: int
    total_steps: int
    algorithm: str
    toxicity_change: float | None  # relative change of the share flagged toxic (headline figure), if evaluated
    evaluated: bool
    standard_size: bool = True  # evaluated on the server's standard number of test dialogues (or more)

    @property
    def too_short(self) -> bool:
        return self.steps_done < MIN_USEFUL_STEPS

    @property
    def label(self) -> str:
        """`NAME · 50/50 steps · PPO · evaluated, toxicity -62%` (or `not evaluated`, `too short`)."""
        parts = [self.name, f"{self.steps_done}/{self.total_steps} steps", self.algorithm]
        if self.evaluated:
            parts.append("evaluated" + ("" if self.standard_size else " on fewer test dialogues than the standard")
                         + (f", flagged toxic {100 * self.toxicity_change:+.0f}%"
                            if self.toxicity_change is not None else ""))
        else:
            parts.append("not evaluated")
        if self.too_short:
            parts.append("too short to mean much")
        return " · ".join(parts)


ASKED = "samples_asked"  # eval.json's key, written by the app: the test dialogues the evaluation asked for


def asked_size(report: dict | None) -> int:
    """How many test dialogues a saved evaluation asked for (a short test split gives fewer; an
    evaluation from the command line records only what it got); 0 if unknown."""
    if not isinstance(report, dict):
        return 0
    size = report.get(ASKED, report.get("samples"))
    return size if isinstance(size, int) and not isinstance(size, bool) else 0


def standard_eval_size(config: Config, cap: int | None = None) -> int:
    """The standard evaluation's test dialogues: the preset's eval.samples, capped by RLHF_MAX_EVAL_SAMPLES
    (`cap`, when the caller has read it already)."""
    samples = _preset_eval_samples(config.preset)
    return min(samples if samples is not None else config.eval.samples,
               limits().max_eval_samples if cap is None else cap)


@functools.lru_cache(maxsize=64)
def _preset_eval_samples(preset: str) -> int | None:
    """A preset's eval.samples, or None for a preset this version no longer has (the run's own setting counts)."""
    from rlhf_core.config import get_config

    try:
        return get_config(preset).eval.samples
    except UserError:
        return None


def choice_of(info: IndexedRun, cap: int) -> RunChoice:
    """`info` as an "after" picker offers it; `cap`: RLHF_MAX_EVAL_SAMPLES, read once per listing."""
    change = None
    if info.evaluation:
        from rlhf_core.evaluation.report import headline_toxicity

        try:
            headline = headline_toxicity(info.evaluation)
        except (AttributeError, TypeError):  # an evaluation.json from an older format
            headline = None
        change = headline[1].get("flagged_relative_change") if headline else None
    standard = asked_size(info.evaluation) >= standard_eval_size(info.config, cap)
    return RunChoice(info.name, info.steps_done, info.config.steps, info.config.algo.upper(),
                     change, info.evaluation is not None, standard)


def best_after_run(choices: list[RunChoice]) -> str | None:
    """The default "after": the run whose standard-size evaluation (`standard_eval_size`: a smaller one is
    anyone's cheap pick) cut toxicity most, among runs long enough to mean something; else the newest
    such run; else the newest run."""
    useful = [c for c in choices if not c.too_short]
    evaluated = [c for c in useful if c.toxicity_change is not None and c.standard_size]
    if evaluated:
        return min(evaluated, key=lambda c: c.toxicity_change).name
    pool = useful or choices
    return pool[0].name if pool else None
