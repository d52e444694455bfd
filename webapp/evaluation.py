"""Before vs after for a finished run: its evaluation on the held-out test dialogues with the
shared models (`rlhf_core.evaluation.evaluate_run`), and the last one saved in its folder."""

from __future__ import annotations

import json
import logging
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


def _progress_line(progress: Callable, samples: int) -> Callable[[int, int], None]:
    """The engine's progress (summary passes done of all) as gr.Progress's bar: share done and time left."""
    start = time.monotonic()

    def heard(done: int, total: int) -> None:
        elapsed = time.monotonic() - start
        left = elapsed * (total - done) / done if done else 0.0
        progress(done / total, desc=f"Summaries of {samples} test dialogues, before and after: "
                                    f"{100 * done / total:.0f}% done, about {left:.0f} s left")

    return heard


def evaluate(name: str, samples: int, progress: Callable | None = None) -> Evaluation:
    """Evaluates a finished run on its test split with the shared models (writes eval.json);
    `progress` (a gr.Progress) hears each decoded batch: the share done and the time left."""
    run = finished_run(name)
    samples = within_limit(whole_number(samples, "samples"), "samples", limits().max_eval_samples,
                           "RLHF_MAX_EVAL_SAMPLES")
    from rlhf_core.evaluation.evaluate import evaluate_run

    on_progress = _progress_line(progress, samples) if progress is not None else None
    models = models_for(run.config())
    with models.lock:  # checked and written under the lock: no evaluation slips in between
        if limits().public:
            _refuse_a_smaller_evaluation(name, samples)
        judge, problem = models.judge(run.config().eval)
        report, table = evaluate_run(run.path, samples, summarizer=models.summarizer, judge=judge or False,
                                     judge_problem=problem, on_progress=on_progress)
        # What was asked for, beside what the test split gave ("samples"): the size rules compare requests.
        report[ASKED] = samples
        atomic_write_text(run.path / "eval.json", json.dumps(report, indent=2))
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
