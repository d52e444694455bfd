"""Run trackers (`report_to`: TensorBoard, Trackio, Weights & Biases) through accelerate's trackers.

Training hands the trackers to its `Accelerator` (`log_with`, then `init_trackers` with the
resolved configuration) and logs every step's stats with `accelerator.log`; evaluation reopens
the same trackers and logs its report at the run's last step, so a dashboard shows both.
Where each one writes (see the README for opening the dashboards):
    tensorboard   RUN/tensorboard/PROJECT/ (event files)
    trackio       Trackio's local store ($TRACKIO_DIR, default ~/.cache/huggingface/trackio),
                  project PROJECT, run RUN's folder name; offline, no account
    wandb         W&B project PROJECT, run RUN's folder name, files under RUN/ (WANDB_MODE=offline works)
Only the main process tracks (stats are averaged over processes before they are logged).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import TRACKERS, Config
from ..errors import UserError

# What to install for each tracker (requirements-tracking.txt pins the same versions).
PACKAGES = {"tensorboard": "tensorboard==2.21.0", "trackio": "trackio==0.43.0", "wandb": "wandb==0.31.0"}
TENSORBOARD_DIR = "tensorboard"


def check_trackers(config: Config, run_dir: str | Path | None) -> None:
    """Raises UserError naming what is missing when a requested tracker cannot run here."""
    if not config.report_to:
        return  # before importing accelerate (and torch): the CLI's other errors come within a second
    from accelerate.utils import is_tensorboard_available, is_trackio_available, is_wandb_available

    available = {"tensorboard": is_tensorboard_available, "trackio": is_trackio_available,
                 "wandb": is_wandb_available}
    for name in config.report_to:
        if name not in TRACKERS:
            raise UserError(f"report_to: unknown tracker {name!r}; choose from {', '.join(TRACKERS)} or none")
        if not available[name]():
            raise UserError(f"--report-to {name} needs the {name} package: pip install {PACKAGES[name]} "
                            "(or pip install -r requirements-tracking.txt)")
    if config.report_to and run_dir is None:
        raise UserError("--report-to needs a run directory (--run-dir): the trackers are named after it")


def make_trackers(config: Config, run_dir: str | Path | None) -> list:
    """Returns accelerate tracker objects for `config.report_to` (none off the main process), not started."""
    from accelerate import PartialState
    from accelerate.tracking import TensorBoardTracker, TrackioTracker, WandBTracker

    if not config.report_to or not PartialState().is_main_process:
        return []
    check_trackers(config, run_dir)
    run = Path(run_dir)
    project = config.tracker_project
    trackers = []
    for name in config.report_to:
        if name == "tensorboard":
            trackers.append(TensorBoardTracker(project, str(run / TENSORBOARD_DIR)))
        elif name == "trackio":
            # One Trackio run per run folder; evaluation and --resume add to it (resume="allow").
            trackers.append(TrackioTracker(project, name=run.name, resume="allow", embed=False,
                                           auto_log_cpu=False, auto_log_gpu=False))
        elif name == "wandb":
            trackers.append(WandBTracker(project, name=run.name, dir=str(run), resume="allow"))
    return trackers


def tracker_config(config: Config) -> dict[str, Any]:
    """The configuration as flat `section.field` -> bool/int/float/str (what TensorBoard's hparams take)."""
    from ..config.describe import flat_settings

    return {key: (",".join(map(str, value)) if isinstance(value, list) else value)
            for key, value in flat_settings(config).items()}


def evaluation_metrics(report: dict) -> dict[str, float]:
    """Returns every figure of an evaluation report as an `eval/...` scalar named by its path in
    eval.json (`eval/toxicity/greedy/judge/after/mean`; an interval gives `..._low` and `..._high`)."""
    metrics: dict[str, float] = {"eval/samples": float(report["samples"])}

    def walk(node, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}/{key}")
        elif isinstance(node, list) and len(node) == 2 and all(isinstance(v, (int, float)) for v in node):
            metrics[f"{path}_low"], metrics[f"{path}_high"] = float(node[0]), float(node[1])
        elif isinstance(node, (int, float)) and not isinstance(node, bool):
            metrics[path] = float(node)

    for section in ("toxicity", "reward", "rouge", "fidelity"):
        if report.get(section):
            walk(report[section], f"eval/{section}")
    return metrics


def log_evaluation(config: Config, run_dir: str | Path, report: dict) -> None:
    """Logs an evaluation report to the run's trackers at the evaluated checkpoint's step."""
    trackers = make_trackers(config, run_dir)
    metrics = evaluation_metrics(report)
    for tracker in trackers:
        tracker.start()
        tracker.log(metrics, step=report.get("step"))
        tracker.finish()
