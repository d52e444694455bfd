"""--report-to: every step's stats and the evaluation reach TensorBoard and Trackio (offline, local)."""

import json
import math

import pytest

from rlhf_core import UserError, evaluate_run, get_config, train
from rlhf_core.training.tracking import check_trackers, evaluation_metrics


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("tracked") / "tracked-run"
    config = get_config("tiny", {"steps": 2, "report_to": "tensorboard,trackio", "tracker_project": "detox-tests"})
    train(config, run_dir=run)
    report, _ = evaluate_run(run, samples=2)
    return run, report


def _metrics(run):
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


def test_tensorboard_events_hold_every_step_stat_and_the_evaluation(tracked_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    run, report = tracked_run
    events = EventAccumulator(str(run / "tensorboard" / "detox-tests"), size_guidance={"scalars": 0})
    events.Reload()
    tags = set(events.Tags()["scalars"])
    for record in _metrics(run):
        for key, value in record.items():
            if key == "step" or not isinstance(value, float):  # non-finite values are saved as "nan"
                continue
            logged = {e.step: e.value for e in events.Scalars(key)}
            assert logged[record["step"]] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    evaluation = evaluation_metrics(report)
    key = "eval/toxicity/greedy/reward_model/after/mean"
    assert key in evaluation and "eval/rouge/greedy/all/rougeL_diff_ci95_low" in evaluation
    assert set(evaluation) <= tags
    logged = events.Scalars(key)
    assert [e.step for e in logged] == [2]
    assert logged[0].value == pytest.approx(report["toxicity"]["greedy"]["reward_model"]["after"]["mean"], rel=1e-6)


def test_trackio_local_store_holds_every_step_stat_and_the_evaluation(tracked_run):
    from trackio.sqlite_storage import SQLiteStorage

    run, report = tracked_run
    logs = SQLiteStorage.get_logs("detox-tests", run.name)
    by_step = {}
    for entry in logs:
        by_step.setdefault(entry["step"], {}).update(entry)
    for record in _metrics(run):
        for key, value in record.items():
            if key != "step" and isinstance(value, float) and math.isfinite(value):
                assert by_step[record["step"]][key] == pytest.approx(value, rel=1e-6, abs=1e-6), key
    rouge_l = report["rouge"]["greedy"]["all"]["after"]["rougeL"]
    assert by_step[2]["eval/rouge/greedy/all/after/rougeL"] == pytest.approx(rouge_l)


def test_a_tracker_that_is_not_installed_is_refused_by_name(monkeypatch):
    import accelerate.utils

    monkeypatch.setattr(accelerate.utils, "is_wandb_available", lambda: False)
    with pytest.raises(UserError, match=r"--report-to wandb needs the wandb package: pip install wandb==0.31.0"):
        check_trackers(get_config("tiny", {"report_to": "wandb"}), "/tmp/run")


def test_report_to_none_and_unknown_names():
    assert get_config("tiny", {"report_to": "none"}).report_to == []
    with pytest.raises(UserError, match="unknown tracker 'comet'"):
        check_trackers(get_config("tiny", {"report_to": "comet"}), "/tmp/run")
