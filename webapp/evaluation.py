"""Before vs after for a finished run: its evaluation on the held-out test dialogues with the
shared models (`rlhf_core.evaluation.evaluate_run`), and the last one saved in its folder."""

from __future__ import annotations

import contextvars
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from rlhf_core.errors import UserError
from rlhf_core.training.runs import RunDir, atomic_write_text, read_json, run_path

from .knobs import whole_number
from .limits import limits, within_limit
from .run_list import ASKED, asked_size, finished_run
from .shared_models import models_for

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    """A run's evaluation report (evaluation.compare's dict) and per-dialogue table."""

    run_name: str
    report: dict
    table: pd.DataFrame


_SECONDS_PER_DIALOGUE: list[float] = []  # this server's last evaluation speed: the next one's estimate


def _report_progress(progress: Callable, samples: int, done: threading.Event) -> None:
    """Tells `progress` (gr.Progress) every second how far the evaluation is: the engine reports no
    progress, so dialogues done and time left are estimated from the server's last evaluation."""
    start = time.monotonic()
    while True:
        elapsed = time.monotonic() - start
        if not _SECONDS_PER_DIALOGUE:
            progress(0.01, desc=f"Summarising and scoring {samples} test dialogues before and after "
                                f"({elapsed:.0f} s so far; the first evaluation has no estimate)")
        else:
            expected = _SECONDS_PER_DIALOGUE[-1] * samples
            share = min(elapsed / expected, 0.99)
            progress(share, desc=f"About {int(share * samples)} of {samples} test dialogues done, "
                                 f"about {max(expected - elapsed, 0):.0f} s left (estimated from the last evaluation)")
        if done.wait(1.0):
            return


def evaluate(name: str, samples: int, progress: Callable | None = None) -> Evaluation:
    """Evaluates a finished run on its test split with the shared models (writes eval.json);
    `progress` (a gr.Progress) hears the estimated dialogues done and time left every second."""
    run = finished_run(name)
    samples = within_limit(whole_number(samples, "samples"), "samples", limits().max_eval_samples,
                           "RLHF_MAX_EVAL_SAMPLES")
    done, start = threading.Event(), time.monotonic()
    if progress is not None:
        report_in_context = contextvars.copy_context().run  # gr.Progress finds its event in the context
        threading.Thread(target=report_in_context, args=(_report_progress, progress, samples, done),
                         daemon=True).start()
    try:
        from rlhf_core.evaluation.evaluate import evaluate_run

        models = models_for(run.config())
        with models.lock:  # checked and written under the lock: no evaluation slips in between
            if limits().public:
                _refuse_a_smaller_evaluation(name, samples)
            judge, problem = models.judge(run.config().eval)
            report, table = evaluate_run(run.path, samples, summarizer=models.summarizer, judge=judge or False,
                                         judge_problem=problem)
            # What was asked for, beside what the test split gave ("samples"): the size rules compare requests.
            report[ASKED] = samples
            atomic_write_text(run.path / "eval.json", json.dumps(report, indent=2))
    finally:
        done.set()
    _SECONDS_PER_DIALOGUE[:] = [(time.monotonic() - start) / samples]
    return Evaluation(name, report, table)


def _refuse_a_smaller_evaluation(name: str, samples: int) -> None:
    """On a public server an evaluation replaces a saved one only if it covers at least as many test
    dialogues: one visitor cannot overwrite another's larger evaluation (and the default "after")."""
    saved = saved_evaluation(name)
    size = asked_size(saved.report) if saved else 0
    if samples < size:
        raise UserError(f"run {name} already has an evaluation that asked for {size} test dialogues; on this "
                        f"public server a smaller one does not replace it (evaluate on {size} or more, or read the "
                        f"saved one)")


def saved_evaluation(name: str) -> Evaluation | None:
    """Returns the run's last saved evaluation, or None if it was never evaluated."""
    run = RunDir(run_path(name))
    report_file, table_file = run.path / "eval.json", run.path / "eval_samples.json"
    if not (report_file.is_file() and table_file.is_file()):
        return None
    try:
        report, table = read_json(report_file), pd.DataFrame(read_json(table_file))
    except (UserError, ValueError) as error:
        log.warning("ignoring the damaged evaluation of run %s: %s", name, error)
        return None
    return Evaluation(name, report, table) if isinstance(report, dict) else None


def evaluation_csv(name: str | None) -> Path | None:
    """The per-dialogue CSV of the run's last evaluation, or None: only a regular file really inside
    the run's folder (a symlink, or a path that resolves elsewhere, would serve another file)."""
    if not name:
        return None
    try:
        folder = run_path(name).resolve(strict=True)
        path = folder / "eval_samples.csv"
        if path.is_symlink() or not path.is_file() or path.resolve(strict=True).parent != folder:
            return None
    except (OSError, UserError, RuntimeError):  # a missing folder, a link loop, a bad name
        return None
    return path
