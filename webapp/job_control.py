"""The server's one training job (`JOBS`, a `jobs.JobManager`): started with a visitor's knob values
checked against this server's limits, stopped by its starter (anyone, unless the server is public),
and its adapter handed to the shared models when it ends."""

from __future__ import annotations

from rlhf_core.config import Config
from rlhf_core.training.diagnostics import clean_stats
from rlhf_core.training.runs import RunDir

from . import budgets
from .jobs import JobManager, JobSnapshot
from .limits import TrainSettings, limits, training_config
from .shared_models import models_for


def _ready_for_your_dialogue(config: Config, run: RunDir) -> None:
    """After a run: loads its adapter into the shared models (if loaded), so "Your dialogue" has it at once."""
    models = models_for(config, load=False)
    if models is not None:
        models.adapter_for(run)


JOBS = JobManager(on_done=_ready_for_your_dialogue)


def start_training(settings: TrainSettings, owner: str | None = None,
                   label: str | None = None, request=None) -> tuple[bool, JobSnapshot]:
    """Starts a run with `settings` (within this server's limits), named after its preset and the
    visitor's `label`; (False, snapshot) if one is running.

    Raises UserError for settings outside the limits, or (a public server) beyond the budgets of the
    visitor `request` comes from or of the whole server (`budgets`), before anything starts or is pruned.
    """
    config = training_config(settings)
    visitor = budgets.visitor_id(request) or owner
    snap = JOBS.snapshot()
    if not snap.active:  # a second start is refused below: it must prune nothing
        budgets.admit(visitor)
    started, snap = JOBS.start(config, owner, label)
    if started and limits().public:
        budgets.record(snap.run_name, visitor)
    return started, snap


def stop_training(viewer: str | None = None) -> JobSnapshot:
    """Stops the running job after its current step; on a public server (limits.public_hosting) only for
    the visitor session that started it (UserError for anyone else)."""
    return JOBS.stop(viewer, owner_only=limits().public)


def training_progress() -> dict:
    """The training job as JSON: state, run, step i/N, time per step, messages and the last step's stats."""
    snap = JOBS.snapshot()
    stats = clean_stats(snap.stats)
    return {
        "state": snap.state, "run_name": snap.run_name, "preset": snap.preset, "step": snap.step,
        "total_steps": snap.total_steps, "seconds_per_step": snap.seconds_per_step, "status": snap.status,
        "error": snap.error, "stopped": snap.stopped, "kl_warning": snap.kl_warning,
        "last_stats": stats[-1] if stats else None,
    }
