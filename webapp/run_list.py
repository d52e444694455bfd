"""The saved runs as the app lists them: the Runs table's rows, the "after" pickers' labelled
choices and their default, and deleting a run."""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from pathlib import Path

from rlhf_core.config import Config
from rlhf_core.errors import UserError
from rlhf_core.training.runs import RunDir, delete_run, holder_pid, run_path, runs_root

from .job_control import JOBS
from .limits import limits
from .run_index import INDEX, IndexedRun
from .shared_models import forget_run


@dataclass
class RunInfo:
    """A saved run as the app lists it."""

    name: str
    path: Path
    config: Config
    metrics: list[dict]
    steps_done: int
    has_checkpoint: bool
    evaluation: dict | None
    created: float
    training: bool


def runs() -> list[RunInfo]:
    """Returns the saved runs under runs_root(), newest first; unreadable folders are skipped. Each run
    is parsed once and again only when its files change (`run_index`); whether it trains now is asked live."""
    active = JOBS.snapshot()
    return [RunInfo(**{f.name: getattr(run, f.name) for f in fields(IndexedRun)},
                    training=(active.active and active.run_name == run.name) or holder_pid(run.path) is not None)
            for run in INDEX.runs(runs_root())]


# The Runs tab overlays the curves of the newest runs only: the palette has 10 colours, and 1,000
# overlaid lines could not be told apart (and took seconds to draw). The table lists every run.
CURVE_RUNS = 10


def finished_run_names() -> list[str]:
    """Names of the runs that can serve as "after": a checkpoint, and not training now."""
    return [r.name for r in runs() if r.has_checkpoint and not r.training]


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


def _choice(info: RunInfo, cap: int) -> RunChoice:
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


def after_run_choices() -> list[RunChoice]:
    """The runs that can serve as "after" (a checkpoint, not training now), newest first."""
    cap = limits().max_eval_samples
    return [_choice(info, cap) for info in runs() if info.has_checkpoint and not info.training]


def run_choice(name: str | None) -> RunChoice | None:
    """The "after" picker's entry for run `name`, or None if it cannot serve as "after"."""
    info = next((info for info in runs() if info.name == name), None)
    if info is None or not info.has_checkpoint or info.training:
        return None
    return _choice(info, limits().max_eval_samples)


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


def finished_run(name: str) -> RunDir:
    """Returns the run `name` if it can serve as "after"; raises UserError saying why not."""
    if not name:
        raise UserError("pick a trained run first (train one in the Train tab)")
    run = RunDir(run_path(name))
    if not run.exists():
        raise UserError(f"no run named {name!r} (it may have been deleted); refresh the list")
    snap = JOBS.snapshot()
    if (snap.active and snap.run_name == name) or holder_pid(run.path) is not None:
        raise UserError(f"run {name} is still training; pick it when it has finished")
    if run.checkpoint_dir() is None:
        raise UserError(f"run {name} has no checkpoint; it stopped before its first step")
    return run


def delete(name: str) -> None:
    """Deletes a saved run (not the one training now) and drops its adapter from memory.
    Turned off on a public server (RLHF_PUBLIC=1, or a Space): any visitor could delete anyone's work."""
    if limits().public:
        raise UserError("deleting runs is turned off on this public server (public mode: RLHF_PUBLIC=0 turns it off)")
    snap = JOBS.snapshot()
    if snap.active and snap.run_name == name:
        raise UserError(f"run {name} is training now; stop it first, then delete it")
    path = run_path(name)
    delete_run(name, runs_root())
    forget_run(path)
