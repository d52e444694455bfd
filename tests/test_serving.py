"""The serving layer without any UI: limits, the training job, runs, before/after, your dialogue.

Runs on the tiny preset with a fresh runs folder (RLHF_RUNS_DIR) per test; no Gradio import.
"""

import subprocess
import sys
import threading

import pytest

from rlhf_core import RunDir, UserError, get_config, serving
from rlhf_core.jobs import DONE, JobManager

TINY = dict(preset="tiny", steps=2, batch_size=4, learning_rate=1e-3, init_kl_coef=0.2, adaptive_kl=True,
            target_kl=6.0, seed=42)


@pytest.fixture
def runs_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("RLHF_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RLHF_PRESET", "tiny")
    assert serving.JOBS.wait(60)
    yield tmp_path / "runs"
    serving.JOBS.stop()
    assert serving.JOBS.wait(60)


def trained_run(**changes) -> str:
    started, _ = serving.start_training(serving.TrainSettings(**{**TINY, **changes}))
    assert started and serving.JOBS.wait(60)
    snap = serving.JOBS.snapshot()
    assert snap.state == DONE, snap.error
    return snap.run_name


def test_the_judge_is_loaded_once_and_a_missing_one_is_explained_not_fatal():
    models = serving.models_for(get_config("tiny"))
    config = get_config("tiny").eval
    judge, problem = models.judge(config)
    assert judge is not None and problem is None and models.judge(config)[0] is judge
    config.judge = "/no/such/judge"
    judge, problem = models.judge(config)
    assert judge is None and "/no/such/judge" in problem and "not found" in problem
    config.judge = None
    assert models.judge(config) == (None, None)


@pytest.mark.parametrize("changes, variable", [({"steps": 51}, "RLHF_MAX_STEPS"),
                                                ({"batch_size": 33}, "RLHF_MAX_BATCH_SIZE")])
def test_settings_beyond_the_limits_are_refused_naming_the_variable(changes, variable):
    with pytest.raises(UserError, match=variable):
        serving.training_config(serving.TrainSettings(**{**TINY, **changes}))


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RLHF_MAX_STEPS", "7")
    assert serving.limits().max_steps == 7 and serving.default_settings("tiny").steps <= 7
    monkeypatch.setenv("RLHF_MAX_STEPS", "zero")
    with pytest.raises(UserError, match="RLHF_MAX_STEPS must be a positive whole number"):
        serving.limits()


def test_a_trained_run_is_listed_compared_evaluated_and_deleted(runs_dir):
    name = trained_run()
    info = next(r for r in serving.runs() if r.name == name)
    assert info.steps_done == 2 and info.has_checkpoint and not info.training and len(info.metrics) == 2
    assert name in serving.finished_run_names()

    result = serving.compare_dialogue("#Person1#: Hello there.\n#Person2#: Hi, how are you?", name)
    assert result.after_run == name and result.before.text is not None and result.after is not None
    for summary in (result.before, result.after):
        assert summary.reward is not None and 0.0 <= summary.toxicity <= 1.0

    evaluation = serving.evaluate(name, 2)
    assert len(evaluation.table) == 2 and set(evaluation.report["toxicity"]) == {"greedy", "sampled"}
    assert evaluation.report["scorers"]["judge"] == "builtin:tiny-judge"
    saved = serving.saved_evaluation(name)
    assert saved.report == evaluation.report and len(saved.table) == 2

    serving.delete(name)
    assert name not in [r.name for r in serving.runs()] and not (runs_dir / name).exists()
    with pytest.raises(UserError, match="no run named"):
        serving.compare_dialogue("#Person1#: Hi.", name)


def test_a_second_start_while_one_runs_is_refused(runs_dir):
    started, first = serving.start_training(serving.TrainSettings(**{**TINY, "steps": 20}))
    second, snap = serving.start_training(serving.TrainSettings(**TINY))
    assert started and not second and snap.run_name == first.run_name
    serving.JOBS.stop()
    assert serving.JOBS.wait(60) and serving.JOBS.snapshot().stopped


def test_the_job_manager_calls_on_done_with_the_config_and_the_run(runs_dir):
    done = []
    jobs = JobManager(on_done=lambda config, run: done.append((config.steps, run)))
    config = serving.training_config(serving.TrainSettings(**TINY))
    started, snap = jobs.start(config, owner="me")
    assert started and snap.owner == "me" and jobs.wait(60)
    assert jobs.snapshot().state == DONE and len(done) == 1
    steps, run = done[0]
    assert steps == 2 and isinstance(run, RunDir) and run.load_state()["step"] == 2


def test_the_job_module_does_not_import_serving():
    code = "import sys, rlhf_core.jobs; print('rlhf_core.serving' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "False", out.stderr


def test_models_are_shared_per_base_model_and_loaded_once():
    config = get_config("tiny")
    results = []
    threads = [threading.Thread(target=lambda: results.append(serving.models_for(config))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in results}) == 1 and serving.models_for(config, load=False) is results[0]


def test_an_empty_or_control_only_dialogue_is_refused_in_one_line():
    for text in ("", "   ", "\x00\x01"):
        with pytest.raises(UserError):
            serving.compare_dialogue(text)
