"""The app's layer without any UI: limits, the training job, runs, before/after, your dialogue,
shared models (webapp.limits, job_control, run_list, evaluation, compare, shared_models).

Runs on the tiny preset with a fresh runs folder (RLHF_RUNS_DIR) per test; no Gradio import.
"""

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from rlhf_core import RunDir, UserError, get_config
from webapp import job_control, run_list, shared_models
from webapp.compare import compare_dialogue
from webapp.evaluation import evaluate, saved_evaluation
from webapp.job_control import JOBS
from webapp.jobs import DONE, JobManager
from webapp.knobs import TrainSettings
from webapp.limits import default_settings, limits, training_config

TINY = dict(algo="ppo", steps=2, batch_size=4, learning_rate=1e-3, seed=42, adaptive_kl=True, kl_coef=0.2,
            target_kl=6.0, toxicity_weight=1.0, fidelity_weight=0.0)


def settings(**changes) -> TrainSettings:
    return TrainSettings("tiny", **{**TINY, **changes})


@pytest.fixture
def runs_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("RLHF_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RLHF_PRESET", "tiny")
    assert JOBS.wait(60)
    yield tmp_path / "runs"
    JOBS.stop()
    assert JOBS.wait(60)


def trained_run(**changes) -> str:
    started, _ = job_control.start_training(settings(**changes))
    assert started and JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE, snap.error
    return snap.run_name


def test_the_judge_is_loaded_once_and_a_missing_one_is_explained_not_fatal():
    models = shared_models.models_for(get_config("tiny"))
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
        training_config(settings(**changes))


def test_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("RLHF_MAX_STEPS", "7")
    assert limits().max_steps == 7 and default_settings("tiny").steps <= 7
    monkeypatch.setenv("RLHF_MAX_STEPS", "zero")
    with pytest.raises(UserError, match="RLHF_MAX_STEPS must be a positive whole number"):
        limits()


def test_a_trained_run_is_listed_compared_evaluated_and_deleted(runs_dir):
    name = trained_run()
    info = next(r for r in run_list.runs() if r.name == name)
    assert info.steps_done == 2 and info.has_checkpoint and not info.training and len(info.metrics) == 2
    assert name in run_list.finished_run_names()

    result = compare_dialogue("#Person1#: Hello there.\n#Person2#: Hi, how are you?", name)
    assert result.after_run == name and result.before.text is not None and result.after is not None
    for summary in (result.before, result.after):
        assert summary.reward is not None and 0.0 <= summary.toxicity <= 1.0

    shown = []
    evaluation = evaluate(name, 2, progress=lambda share, desc: shown.append((share, desc)))
    assert len(evaluation.table) == 2 and set(evaluation.report["toxicity"]) == {"greedy", "sampled"}
    assert shown[-1][0] == 1.0 and "of 2 test dialogues" in shown[-1][1] and "100% done" in shown[-1][1]
    assert evaluation.report["scorers"]["judge"] == "builtin:tiny-judge"
    saved = saved_evaluation(name)
    assert saved.report == evaluation.report and len(saved.table) == 2

    run_list.delete(name)
    assert name not in [r.name for r in run_list.runs()] and not (runs_dir / name).exists()
    with pytest.raises(UserError, match="no run named"):
        compare_dialogue("#Person1#: Hi.", name)


def test_a_second_start_while_one_runs_is_refused(runs_dir):
    started, first = job_control.start_training(settings(steps=20))
    second, snap = job_control.start_training(settings())
    assert started and not second and snap.run_name == first.run_name
    JOBS.stop()
    assert JOBS.wait(60) and JOBS.snapshot().stopped


def test_the_job_manager_calls_on_done_with_the_config_and_the_run(runs_dir):
    done = []
    jobs = JobManager(on_done=lambda config, run: done.append((config.steps, run)))
    config = training_config(settings())
    started, snap = jobs.start(config, owner="me")
    assert started and snap.owner == "me" and jobs.wait(60)
    assert jobs.snapshot().state == DONE and len(done) == 1
    steps, run = done[0]
    assert steps == 2 and isinstance(run, RunDir) and run.load_state()["step"] == 2


def test_the_job_module_does_not_import_the_apps_models_limits_or_job_control():
    """jobs.py knows nothing of the app's models, limits or job control (job_control.py wires them in)."""
    wiring = ("webapp.job_control", "webapp.shared_models", "webapp.limits", "webapp.startup")
    code = f"import sys, webapp.jobs; print([m for m in {wiring!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_models_are_shared_per_base_model_and_loaded_once():
    config = get_config("tiny")
    results = []
    threads = [threading.Thread(target=lambda: results.append(shared_models.models_for(config))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(m) for m in results}) == 1 and shared_models.models_for(config, load=False) is results[0]


def test_an_empty_or_control_only_dialogue_is_refused_in_one_line():
    for text in ("", "   ", "\x00\x01"):
        with pytest.raises(UserError):
            compare_dialogue(text)


MALFORMED = {
    "config null": ("config.json", "null"),
    "config list": ("config.json", "[]"),
    "config section not an object": ("config.json", '{"ppo": 5}'),
    "config wrong type": ("config.json", '{"steps": "many"}'),
    "config not JSON": ("config.json", "{"),
    "config not UTF-8": ("config.json", b"\xff\xfe"),
}


def _write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())


def test_malformed_run_folders_never_break_the_runs_list(runs_dir):
    name = trained_run()
    for bad, (file, content) in MALFORMED.items():
        _write(runs_dir / bad.replace(" ", "-") / file, content)
    good = runs_dir / name
    with open(good / "metrics.jsonl", "a") as f:
        f.write("5\nnull\n[1]\n{\"step\": \"x\"}\n")  # lines that are not step records are skipped
    _write(runs_dir / "state-damaged" / "config.json", (good / "config.json").read_text())
    _write(runs_dir / "state-damaged" / "checkpoint" / "trainer_state.json", "null")
    _write(runs_dir / "eval-damaged" / "config.json", (good / "config.json").read_text())
    _write(runs_dir / "eval-damaged" / "eval.json", "5")
    (runs_dir / "a-file").write_text("not a run")

    listed = {info.name: info for info in run_list.runs()}
    assert set(listed) == {name, "eval-damaged"}
    assert [m["step"] for m in listed[name].metrics] == [1, 2]
    assert listed["eval-damaged"].evaluation is None and saved_evaluation("eval-damaged") is None
    assert run_list.finished_run_names() == [name]


def test_the_app_refuses_a_seed_out_of_range_in_one_line(runs_dir):
    for seed, shown in ((-1, "-1"), (10**30, "1000000000000000019884624838656")):
        with pytest.raises(UserError, match=f"^seed must be at least 0 and at most 4,294,967,295 \\(got {shown}\\)$"):
            job_control.start_training(settings(seed=seed))
    assert not JOBS.snapshot().active


def test_public_hosting_lets_only_the_starter_stop_a_run_and_turns_deleting_off(runs_dir, monkeypatch):
    name = trained_run()
    monkeypatch.setenv("RLHF_PUBLIC", "1")
    assert limits().public and limits().max_upload == "1mb"
    with pytest.raises(UserError, match="deleting runs is turned off on this public server"):
        run_list.delete(name)
    assert (runs_dir / name).is_dir()

    started, _ = job_control.start_training(settings(steps=20), owner="alice")
    assert started
    for stranger in ("bob", None):
        with pytest.raises(UserError, match="only the visitor who started this run can stop it"):
            job_control.stop_training(stranger)
    assert JOBS.snapshot().state != "stopping"
    assert job_control.stop_training("alice").state == "stopping"
    assert JOBS.wait(60) and JOBS.snapshot().stopped

    monkeypatch.setenv("RLHF_PUBLIC", "maybe")
    with pytest.raises(UserError, match="RLHF_PUBLIC must be 1 or 0"):
        limits()


def test_a_run_trained_by_another_process_is_marked_training_and_not_offered(runs_dir):
    from rlhf_core.training.runs import RunLock

    name = trained_run()
    lock = RunLock(runs_dir / name).acquire()  # as `train --resume` from the CLI would hold it
    try:
        assert next(r for r in run_list.runs() if r.name == name).training
        assert name not in run_list.finished_run_names()
        with pytest.raises(UserError, match="still training"):
            compare_dialogue("#Person1#: Hi.", name)
    finally:
        lock.release()
    assert name in run_list.finished_run_names()


def test_importing_the_app_skips_the_heavy_libraries_its_first_page_does_not_need():
    """`python app.py` answers before the models load; torch, transformers and nltk wait for them."""
    heavy = ("torch", "transformers", "peft", "nltk", "rouge_score", "datasets")
    code = f"import sys, app; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0 and out.stdout.strip().splitlines()[-1] == "[]", out.stderr
