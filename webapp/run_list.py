"""The saved runs as the app lists them: the Runs table's rows, the "after" pickers' labelled
choices and their default, and deleting a run."""

from __future__ import annotations

from dataclasses import dataclass, fields

from rlhf_core.errors import UserError
from rlhf_core.training.runs import RunDir, delete_run, holder_pid, run_path, runs_root

from .job_control import JOBS
from .limits import limits
from .run_choices import (  # noqa: F401 (the app's modules and tests read these here)
    ASKED,
    MIN_USEFUL_STEPS,
    RunChoice,
    asked_size,
    best_after_run,
    choice_of,
    standard_eval_size,
)
from .run_index import INDEX, IndexedRun
from .shared_models import forget_run


@dataclass(frozen=True)
class RunInfo(IndexedRun):
    """A saved run as the app lists it: what the index knows, and whether it trains now."""

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


def after_run_choices() -> list[RunChoice]:
    """The runs that can serve as "after" (a checkpoint, not training now), newest first."""
    cap = limits().max_eval_samples
    return [choice_of(info, cap) for info in runs() if info.has_checkpoint and not info.training]


def run_choice(name: str | None) -> RunChoice | None:
    """The "after" picker's entry for run `name`, or None if it cannot serve as "after"."""
    info = next((info for info in runs() if info.name == name), None)
    if info is None or not info.has_checkpoint or info.training:
        return None
    return choice_of(info, limits().max_eval_samples)


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
