"""A public server (RLHF_PUBLIC=1, a Space): what one visitor must not be able to do to the next.

Tiny preset, fresh runs folder per test (`app_runs`), handlers called directly.
"""

import json
import time

import gradio as gr
import pytest

from rlhf_core import UserError
from webapp import evaluation, run_list, shared_models, tab_views
from webapp.evaluation_views import ORDERS
from webapp.job_control import JOBS
from webapp.jobs import DONE, FAILED

TINY = dict(algo="ppo", steps=2, batch_size=4, learning_rate=1e-3, seed=42, adaptive_kl=True, kl_coef=0.2,
            target_kl=6.0, toxicity_weight=1.0, fidelity_weight=0.0)


def train_run(app, **changes) -> str:
    app.start_training("tiny", **{**TINY, **changes})
    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE, snap.error
    return snap.run_name


def test_a_smaller_evaluation_never_overwrites_a_larger_one_on_a_public_server(app_module, app_runs, monkeypatch):
    monkeypatch.setenv("RLHF_PUBLIC", "1")
    run = train_run(app_module)
    evaluation.evaluate(run, 3)  # visitor A
    folder = app_runs / run
    saved = {f: (folder / f).read_bytes() for f in ("eval.json", "eval_samples.csv", "eval_samples.json")}
    cards = {p: p.read_bytes() for p in folder.rglob("README.md")}
    assert cards

    with pytest.raises(UserError, match="already has an evaluation that asked for 3 test dialogues"):
        evaluation.evaluate(run, 1)  # visitor B
    summary, *_ = app_module.run_evaluation(run, 1, ORDERS[0])
    assert "smaller one does not replace it" in summary
    with pytest.raises(gr.Error, match="evaluate on 3 or more"):
        app_module.evaluate_api(run, 1, ORDERS[0])
    assert {f: (folder / f).read_bytes() for f in saved} == saved
    assert {p: p.read_bytes() for p in folder.rglob("README.md")} == cards
    saved_report = evaluation.saved_evaluation(run).report
    assert saved_report["samples_asked"] == 3 and saved_report["samples"] == 2  # the tiny test split has 2

    evaluation.evaluate(run, 4)  # a larger one replaces it
    assert evaluation.saved_evaluation(run).report["samples_asked"] == 4
    monkeypatch.setenv("RLHF_PUBLIC", "0")
    evaluation.evaluate(run, 1)  # a private server's owner may do as they like
    assert len(evaluation.saved_evaluation(run).table) == 1


def test_the_default_after_run_counts_only_standard_size_evaluations(app_module, app_runs, monkeypatch):
    first = train_run(app_module, steps=10)
    second = train_run(app_module, steps=10)
    standard = run_list.standard_eval_size(next(r for r in run_list.runs() if r.name == first).config)
    assert standard == 4  # the tiny preset's eval.samples
    evaluation.evaluate(first, standard)
    evaluation.evaluate(second, 1)
    # Make the small evaluation look like a landslide: it must still not become the default.
    for name, change in ((first, -0.1), (second, -0.9)):
        path = app_runs / name / "eval.json"
        report = json.loads(path.read_text())
        for by_scorer in report["toxicity"].values():
            for block in by_scorer.values():
                if isinstance(block, dict):
                    block["flagged_relative_change"] = change
        path.write_text(json.dumps(report))
    choices = {c.name: c for c in run_list.after_run_choices()}
    assert choices[first].standard_size and not choices[second].standard_size
    assert choices[second].toxicity_change == pytest.approx(-0.9)
    assert "fewer test dialogues than the standard" in choices[second].label
    assert "fewer" not in choices[first].label
    assert run_list.best_after_run(list(choices.values())) == first
    monkeypatch.setenv("RLHF_MAX_EVAL_SAMPLES", "1")  # the standard size is capped by the server's limit
    assert run_list.best_after_run(run_list.after_run_choices()) == second


def test_the_csv_download_serves_only_a_regular_file_inside_the_run(app_module, app_runs, tmp_path):
    run = train_run(app_module)
    evaluation.evaluate(run, 1)
    csv = app_runs / run / "eval_samples.csv"
    assert evaluation.evaluation_csv(run) == csv.resolve()
    secret = tmp_path / "secret.csv"
    secret.write_text("password,hunter2\n")
    csv.unlink()
    csv.symlink_to(secret)
    assert evaluation.evaluation_csv(run) is None
    assert not tab_views.show_evaluation(run, ORDERS[0])[4].visible
    csv.unlink()
    csv.mkdir()  # not a regular file either
    assert evaluation.evaluation_csv(run) is None
    assert evaluation.evaluation_csv("../" + run) is None


def test_loaded_adapters_are_kept_to_the_most_recently_used_few(app_module, app_runs, monkeypatch):
    from webapp.compare import compare_dialogue

    monkeypatch.setenv("RLHF_MAX_ADAPTERS", "2")
    names = [train_run(app_module, steps=1) for _ in range(3)]
    models = shared_models.models_for(run_list.finished_run(names[0]).config())
    loaded = lambda: [p.name for p in models.loaded_runs()]  # noqa: E731
    adapters = lambda: set(models.summarizer.adapters)  # noqa: E731
    for name in names:
        assert compare_dialogue("#Person1#: Hello there.", name).after is not None
    assert loaded() == names[1:]  # the first, least recently used, was unloaded
    before = adapters()
    compare_dialogue("#Person1#: Hello there.", names[1])  # used again: now the most recent
    compare_dialogue("#Person1#: Hello there.", names[0])  # loaded again, in place of names[2]
    assert loaded() == [names[1], names[0]]
    assert len(adapters()) == len(before)  # one unloaded for the one loaded: the summarizer does not grow


def test_reward_weights_are_bounded_and_a_run_that_fails_at_once_leaves_no_folder(app_module, app_runs):
    for knob in ("toxicity_weight", "fidelity_weight"):
        progress = app_module.start_training("tiny", **{**TINY, knob: 1e308})[0]
        assert "must be at most 100" in progress and not JOBS.snapshot().active
    assert not app_runs.exists() or not any(app_runs.iterdir())

    app_module.start_training("tiny", **{**TINY, "batch_size": 16})  # the tiny training split has 8 dialogues
    assert JOBS.wait(60) and JOBS.snapshot().state == FAILED
    assert not (app_runs / JOBS.snapshot().run_name).exists()  # nothing a public server could not delete


def test_the_api_beyond_a_limit_gets_the_line_naming_its_variable(app_url, app_module, app_runs):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app_url, verbose=False)
    progress = client.predict(preset="tiny", **{**TINY, "steps": 51}, api_name="/start_training")[0]
    assert "RLHF_MAX_STEPS" in progress and "greater than maximum" not in progress
    progress = client.predict(preset="tiny", **{**TINY, "batch_size": 33}, api_name="/start_training")[0]
    assert "RLHF_MAX_BATCH_SIZE" in progress
    progress = client.predict(preset="tiny", **{**TINY, "toxicity_weight": 1e308}, api_name="/start_training")[0]
    assert "must be at most 100" in progress
    assert not JOBS.snapshot().active and (not app_runs.exists() or not any(app_runs.iterdir()))
    run = train_run(app_module, steps=1)
    with pytest.raises(AppError, match="RLHF_MAX_EVAL_SAMPLES"):
        client.predict(run, 101, ORDERS[0], api_name="/evaluate")


def test_a_visitor_over_their_budget_is_refused_in_one_line_and_others_are_not(app_module, app_runs, monkeypatch):
    from types import SimpleNamespace

    from webapp import budgets

    def visitor(host, session):
        return SimpleNamespace(username=None, headers={}, client=SimpleNamespace(host=host), session_hash=session)

    monkeypatch.setenv("RLHF_PUBLIC", "1")
    monkeypatch.setenv("RLHF_VISITOR_RUNS_PER_DAY", "1")
    assert JOBS.wait(60)  # nothing of an earlier test still running: this start must really start
    asked = time.time()
    app_module.start_training("tiny", request=visitor("203.0.113.5", "a"), **{**TINY, "steps": 1})
    assert JOBS.wait(60) and JOBS.snapshot().state == DONE and JOBS.snapshot().started_at >= asked
    assert len(json.loads((app_runs / budgets.LEDGER).read_text())["runs"]) == 1
    progress = app_module.start_training("tiny", request=visitor("203.0.113.5", "a new tab"), **TINY)[0]
    assert "RLHF_VISITOR_RUNS_PER_DAY" in progress and not JOBS.snapshot().active
    app_module.start_training("tiny", request=visitor("198.51.100.7", "b"), **{**TINY, "steps": 1})
    assert JOBS.wait(60) and JOBS.snapshot().state == DONE
    assert len(run_list.runs()) == 2
    assert len(json.loads((app_runs / budgets.LEDGER).read_text())["runs"]) == 2
