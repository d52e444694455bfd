"""The server's single training job: one `iter_train` at a time in a daemon thread.

Any number of visitors read the same state through `JobManager.snapshot()`; the job can be
stopped inside a step (its unfinished work dropped). It takes a validated `Config` and an
`on_done(config, run)` hook, so it knows nothing of the app's models or limits (job_control.py wires those in).
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from rlhf_core.config import Config
from rlhf_core.errors import UserError
from rlhf_core.training.diagnostics import kl_warning
from rlhf_core.training.runs import RunDir, run_path

from .knobs import knob_values

log = logging.getLogger(__name__)

IDLE, LOADING, RUNNING, STOPPING, DONE, FAILED = "idle", "loading", "running", "stopping", "done", "failed"
ACTIVE_STATES = (LOADING, RUNNING, STOPPING)


@dataclass
class JobSnapshot:
    """A consistent copy of the training job's state, safe to read outside the lock."""

    state: str = IDLE
    run_name: str | None = None
    preset: str | None = None
    settings: dict = field(default_factory=dict)  # {knob name: value} of the knobs the run's algorithm reads
    total_steps: int = 0
    stats: list[dict] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)
    status: str = ""
    error: str | None = None
    stopped: bool = False
    owner: str | None = None
    started_at: float | None = None
    finished_at: float | None = None
    version: int = 0

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def step(self) -> int:
        return int(self.stats[-1]["step"]) if self.stats else 0

    @property
    def seconds_per_step(self) -> float | None:
        """Mean wall time of the last (up to) five steps."""
        recent = [s["seconds"] for s in self.stats[-5:]]
        return sum(recent) / len(recent) if recent else None

    @property
    def seconds_left(self) -> float | None:
        per_step = self.seconds_per_step
        return None if per_step is None else per_step * max(self.total_steps - self.step, 0)

    @property
    def kl_warning(self) -> str | None:
        return kl_warning(self.stats)


MAX_LABEL_CHARS = 24


def run_label(text: str | None) -> str:
    """A visitor's run label made safe for a folder name: lower-case letters, digits and single
    hyphens, at most MAX_LABEL_CHARS ("Strong KL, lr 2e-4!" -> "strong-kl-lr-2e-4")."""
    words = "".join(c if c.isalnum() else " " for c in (text or "").lower()).split()
    return "-".join(words)[:MAX_LABEL_CHARS].strip("-")


def new_run_name(preset: str, label: str | None = None) -> str:
    """Returns a fresh run name, `YYYYmmdd-HHMMSS-<preset>[-<label>]`, with a counter if that one is taken."""
    safe_preset = "".join(c if c.isalnum() or c in "._-" else "-" for c in preset)
    base = datetime.now().strftime("%Y%m%d-%H%M%S") + "-" + safe_preset
    if run_label(label):
        base += "-" + run_label(label)
    name, n = base, 2
    while run_path(name).exists():
        name, n = f"{base}-{n}", n + 1
    return name


class JobManager:
    """Runs at most one `iter_train` at a time in a daemon thread; everyone reads the same state."""

    def __init__(self, on_done: Callable[[Config, RunDir], None] | None = None):
        """`on_done(config, run)` runs in the job's thread after a run that saved at least one step."""
        self._on_done = on_done
        self._lock = threading.Lock()
        self._snapshot = JobSnapshot()
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None

    def snapshot(self) -> JobSnapshot:
        """Returns a copy of the current (or last) job's state."""
        with self._lock:
            s = self._snapshot
            return JobSnapshot(**{**s.__dict__, "stats": list(s.stats), "samples": list(s.samples),
                                  "settings": dict(s.settings)})

    def start(self, config: Config, owner: str | None = None, label: str | None = None) -> tuple[bool, JobSnapshot]:
        """Starts a run of `config` (named after its preset and `label`) and returns (True, snapshot);
        (False, snapshot) if one is already running."""
        with self._lock:
            if self._snapshot.active:
                started = False
            else:
                name = new_run_name(config.preset, label)
                self._cancel = threading.Event()
                self._snapshot = JobSnapshot(
                    state=LOADING, run_name=name, preset=config.preset, total_steps=config.steps,
                    settings=knob_values(config),
                    status="starting", owner=owner, started_at=time.time(), version=self._snapshot.version + 1)
                self._thread = threading.Thread(target=self._work, args=(config, run_path(name), self._cancel),
                                                name="rlhf-training", daemon=True)
                self._thread.start()
                started = True
        return started, self.snapshot()

    def stop(self, requester: str | None = None, owner_only: bool = False) -> JobSnapshot:
        """Asks the running job to stop now: the step under way is dropped, the last finished one kept.

        With `owner_only` (a public server), only the `requester` that started the job may stop it."""
        with self._lock:
            if owner_only and self._snapshot.active and (requester is None or requester != self._snapshot.owner):
                raise UserError("only the visitor who started this run can stop it on this public server")
            if self._snapshot.active and self._snapshot.state != STOPPING:
                self._cancel.set()
                message = (f"stopping: step {self._snapshot.step + 1} is dropped" if self._snapshot.state == RUNNING
                           else "stopping before the first step")
                self._update(state=STOPPING, status=message)
        return self.snapshot()

    def wait(self, timeout: float | None = None) -> bool:
        """Waits for the job's thread to end; returns True if no job is running any more."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return not self.snapshot().active

    def _update(self, **changes) -> None:
        for key, value in changes.items():
            setattr(self._snapshot, key, value)
        self._snapshot.version += 1

    def _on_status(self, message: str) -> None:
        with self._lock:
            self._update(status=message)

    def _work(self, config: Config, path: Path, cancel: threading.Event) -> None:
        try:
            from rlhf_core.training.run_loop import iter_train  # torch and transformers load here, not at start

            for result in iter_train(config, path, cancel=cancel, on_status=self._on_status):
                with self._lock:
                    self._snapshot.stats.append({**result.stats, "seconds": result.seconds})
                    state = RUNNING if self._snapshot.state == LOADING else self._snapshot.state  # keep STOPPING
                    self._update(samples=result.samples, state=state,
                                 status=f"step {result.step}/{result.total_steps} done in {result.seconds:.2f} s")
            self._finish(config, path, cancel)
        except UserError as error:
            self._fail(path, str(error))
        except Exception as error:  # a bug: keep the traceback in the log, tell the visitor in one line
            log.exception("training run %s failed", path.name)
            self._fail(path, f"unexpected error: {type(error).__name__}: {error}")

    def _fail(self, path: Path, error: str) -> None:
        """Marks the job failed; a run that failed before its first checkpoint leaves no folder behind
        (it would be clutter that a public server cannot delete)."""
        self._remove_if_empty(path)
        with self._lock:
            self._update(state=FAILED, error=error, status="failed", finished_at=time.time())

    @staticmethod
    def _remove_if_empty(path: Path) -> None:
        if path.is_dir() and RunDir(path).checkpoint_dir() is None:
            shutil.rmtree(path, ignore_errors=True)

    def _finish(self, config: Config, path: Path, cancel: threading.Event) -> None:
        run = RunDir(path)
        with self._lock:
            steps = len(self._snapshot.stats)
        stopped = cancel.is_set() and steps < config.steps
        if steps == 0:
            # Stopped before the first step finished: an empty run is only clutter.
            self._remove_if_empty(path)
            message = "stopped before the first step; nothing was saved"
        else:
            message = (f"stopped after step {steps} of {config.steps}; checkpoint kept, the unfinished step dropped"
                       if stopped else f"finished {steps} steps")
            from rlhf_core.evaluation.model_card import write_model_card

            write_model_card(path)
            if self._on_done is not None:
                try:
                    self._on_done(config, run)
                except Exception:
                    log.exception("the on_done hook failed for run %s", path.name)
        with self._lock:
            self._update(state=DONE, stopped=stopped, status=message, finished_at=time.time())
