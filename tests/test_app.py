"""The Gradio app: its handlers called directly, then through gradio_client against a launched app.

Everything runs on the tiny preset (a PPO step takes a fraction of a second) with a fresh runs
folder per test (the `app_runs` fixture), and the server's single training job idle in between.
"""

import json
import socket
import threading
import time

import gradio as gr
import pandas as pd
import pytest

from rlhf_core import RunDir, UserError, get_config
from rlhf_core.training.diagnostics import kl_warning
from webapp import compare, run_list, shared_models, tab_views
from webapp import startup as server_startup
from webapp.evaluation import Evaluation
from webapp.evaluation_views import COMPARISON_COLUMNS, ORDERS, comparison_table
from webapp.examples import examples_for
from webapp.job_control import JOBS
from webapp.jobs import DONE, RUNNING, JobSnapshot
from webapp.knobs import KNOB, KNOBS, TrainSettings
from webapp.limits import default_settings, limits, training_config
from webapp.views import banner_html, model_name, progress_html

# The Train tab's knobs (webapp.knobs.KNOBS) on the tiny preset: the start handler takes one keyword each.
TINY = dict(algo="ppo", steps=3, batch_size=4, learning_rate=1e-3, seed=42, adaptive_kl=True, kl_coef=0.2,
            target_kl=6.0, toxicity_weight=1.0, fidelity_weight=0.0)
EXAMPLE_DIALOGUE = examples_for("demo")[0].dialogue  # a dialogue every preset's tokenizer reads


def start(app, **changes):
    return app.start_training("tiny", **{**TINY, **changes})


def view(outputs) -> dict:
    names = ["progress", "headline", "toxicity", "reward", "kl", "returns", "stats", "samples", "start", "stop",
             "version"]
    return dict(zip(names, outputs))


def wait_for_step(step: int, timeout: float = 30) -> JobSnapshot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        snap = JOBS.snapshot()
        if snap.step >= step or not snap.active:
            return snap
        time.sleep(0.05)
    raise AssertionError(f"step {step} not reached in {timeout} s")


def train_run(app, steps: int = 2) -> str:
    start(app, steps=steps)
    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE, snap.error
    return snap.run_name


def trace(fig, name: str):
    return next(t for t in fig.data if t.name == name)


def stats(step: int, **values) -> dict:
    record = {"step": step, "env/reward_mean": 1.0 + step, "env/reward_std": 0.5, "objective/kl": 0.1 * step,
              "objective/kl_coef": 0.2, "ppo/returns/mean": 0.3, "ppo/policy/advantages_mean": 0.0,
              "env/toxicity_mean": 0.4, "seconds": 0.2}
    record.update(values)
    return record


# --------------------------------------------------------------------------------------------
# Train tab
# --------------------------------------------------------------------------------------------


def test_a_run_streams_every_step_to_the_train_tab(app_module, app_runs):
    first = view(start(app_module, steps=3))
    assert "Loading" in first["progress"] and first["start"].interactive is False and first["stop"].interactive

    assert JOBS.wait(60)
    done = view(app_module.poll_training(-1))
    assert "Finished" in done["progress"] and "Step 3 / 3" in done["progress"] and "s per step" in done["progress"]
    assert list(trace(done["reward"], "reward mean").x) == [1, 2, 3]
    assert len(trace(done["kl"], "KL coef").y) == 3 and trace(done["kl"], "KL coef").yaxis == "y2"
    assert len(trace(done["toxicity"], "toxicity").y) == 3
    assert "at start" in done["headline"] and "now" in done["headline"]
    assert list(done["stats"]["step"]) == [3, 2, 1]  # newest first
    assert len(done["samples"]) > 0
    assert done["start"].interactive is True and done["stop"].interactive is False
    assert RunDir(app_runs / JOBS.snapshot().run_name).load_state()["step"] == 3

    unchanged = app_module.poll_training(done["version"])  # nothing new: the tick sends nothing
    assert all(isinstance(o, dict) and o.get("__type__") == "update" and len(o) == 1 for o in unchanged)


def test_a_second_start_while_running_shows_the_running_job_and_leaves_it_alone(app_module, app_runs):
    start(app_module, steps=25)
    first = JOBS.snapshot()

    second = view(start(app_module, steps=3, seed=7))
    assert "already in progress" in second["progress"] and first.run_name in second["progress"]
    assert second["start"].interactive is False
    watcher = progress_html(JOBS.snapshot(), viewer="someone-else")
    assert "watching it live" in watcher

    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert (snap.run_name, snap.total_steps, snap.step, snap.state) == (first.run_name, 25, 25, DONE)
    assert [p.name for p in app_runs.iterdir()] == [first.run_name]


def test_stop_ends_the_run_inside_its_step_and_keeps_the_last_finished_checkpoint(app_module, app_runs):
    start(app_module, steps=50)
    wait_for_step(2)
    stopping = view(app_module.stop_training())
    assert "Stopping" in stopping["progress"] and stopping["stop"].interactive is False

    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE and snap.stopped and 2 <= snap.step < 50
    assert RunDir(app_runs / snap.run_name).load_state()["step"] == snap.step
    assert "Stopped" in progress_html(snap) and "checkpoint kept, the unfinished step dropped" in snap.status


def test_limits_come_from_env_vars_and_are_checked_before_anything_starts(app_module, app_runs, monkeypatch):
    monkeypatch.setenv("RLHF_MAX_STEPS", "5")
    refused = view(start(app_module, steps=6))  # one error line on the run card, Start still available
    assert '<div class="error" role="alert">error: steps must be between 1 and 5' in refused["progress"]
    assert "RLHF_MAX_STEPS" in refused["progress"] and refused["start"].interactive is True
    monkeypatch.setenv("RLHF_MAX_BATCH_SIZE", "2")
    assert "RLHF_MAX_BATCH_SIZE" in view(start(app_module, batch_size=4))["progress"]
    assert "learning rate must be positive" in view(start(app_module, batch_size=2, learning_rate=0))["progress"]
    assert not JOBS.snapshot().active and not app_runs.exists()
    assert default_settings("tiny").steps == 4 and default_settings("tiny").batch_size == 2

    monkeypatch.setenv("RLHF_MAX_STEPS", "lots")
    with pytest.raises(UserError, match="RLHF_MAX_STEPS must be a positive whole number"):
        limits()


@pytest.mark.parametrize("batch,mini", [(6, 2), (3, 1), (4, 2), (1, 1)])
def test_the_mini_batch_always_divides_the_batch(batch, mini):
    config = training_config(TrainSettings("tiny", **{**TINY, "batch_size": batch}))
    assert (config.optim.batch_size, config.optim.mini_batch_size) == (batch, mini)


KL_KEYS = {"ppo": "ppo.init_kl_coef", "rloo": "critic_free.kl_coef", "grpo": "critic_free.kl_coef"}


@pytest.mark.parametrize("algo", ["ppo", "rloo", "grpo"])
def test_each_algorithm_is_labelled_as_itself_and_trains_with_the_kl_knobs_value(app_module, app_runs, algo):
    start(app_module, algo=algo, steps=1, kl_coef=0.125)
    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE, snap.error

    (label, name), = tab_views.after_choices().choices
    assert name == snap.run_name and f" · {algo.upper()} · " in label
    saved = json.loads((app_runs / name / "config.json").read_text())
    section, field = KL_KEYS[algo].split(".")
    assert saved["algo"] == algo and saved[section][field] == 0.125
    other_section, other_field = next(k for a, k in KL_KEYS.items() if k != KL_KEYS[algo]).split(".")
    assert saved[other_section][other_field] == getattr(getattr(get_config("tiny"), other_section), other_field)
    first_step = json.loads((app_runs / name / "metrics.jsonl").read_text().splitlines()[0])
    assert first_step["objective/kl_coef"] == 0.125

    # The run card and the Runs table show the settings this algorithm read, and no other.
    assert ("target_kl" in snap.settings) == (algo == "ppo") and snap.settings["kl_coef"] == 0.125
    assert "β (KL) 0.125" in progress_html(snap) and ("target KL 6" in progress_html(snap)) == (algo == "ppo")
    row = tab_views.runs_view()[2].set_index("run").loc[name]
    assert row[KNOB["kl_coef"].column] == "0.125" and row[KNOB["algo"].column] == algo.upper()
    ppo_only = [row[KNOB[k].column] for k in ("adaptive_kl", "target_kl")]
    assert ppo_only == (["on", "6"] if algo == "ppo" else ["–", "–"])


def test_a_knob_the_chosen_algorithm_does_not_read_is_hidden_and_not_applied(app_module):
    shown = {algo: {k.name: u["visible"] for k, u in zip(KNOBS, tab_views.knob_updates("tiny", algo))}
             for algo in ("ppo", "rloo", "grpo")}
    assert all(shown["ppo"].values())
    for algo in ("rloo", "grpo"):
        assert [name for name, visible in shown[algo].items() if not visible] == ["adaptive_kl", "target_kl"]
    # The KL knob sets another field per algorithm: it takes the preset's value and help for it.
    def updates(*args) -> dict:
        return {k.name: update for k, update in zip(KNOBS, tab_views.knob_updates("tiny", *args))}

    kl = updates("rloo")["kl_coef"]
    assert kl["value"] == get_config("tiny").critic_free.kl_coef and "RLOO" in kl["info"]
    assert "value" not in updates("rloo")["steps"]
    preset = updates()  # a new preset: every knob at its value
    assert preset["steps"]["value"] == 4 and preset["kl_coef"]["value"] == 0.2
    assert "RLHF_MAX_STEPS" in preset["steps"]["info"]

    # A hidden knob is neither checked nor sent: RLOO keeps the preset's PPO settings.
    config = training_config(TrainSettings("tiny", **{**TINY, "algo": "rloo", "target_kl": -1, "kl_coef": 0.3}))
    assert config.critic_free.kl_coef == 0.3 and config.ppo.target_kl == get_config("tiny").ppo.target_kl
    assert config.ppo.init_kl_coef == get_config("tiny").ppo.init_kl_coef
    with pytest.raises(UserError, match="^target KL must be positive"):
        training_config(TrainSettings("tiny", **{**TINY, "target_kl": -1}))


def test_the_page_builds_one_control_per_knob_shown_for_the_presets_algorithm(app_module):
    demo = app_module.build_app()
    controls = {c["props"].get("elem_id"): c["props"] for c in demo.config["components"]}
    for knob in KNOBS:
        assert controls[knob.elem_id]["label"] == knob.label and controls[knob.elem_id]["visible"] is not False
    assert controls["steps"]["maximum"] == limits().max_steps
    api = demo.get_api_info()["named_endpoints"]["/start_training"]["parameters"]
    assert [p["parameter_name"] for p in api] == ["preset", "label", "smoothing", *(k.name for k in KNOBS)]


def test_a_failing_run_shows_its_error_and_frees_start(app_module, app_runs):
    start(app_module, batch_size=16)  # the tiny training split has 8 dialogues
    assert JOBS.wait(60)
    failed = view(app_module.poll_training(-1))
    assert "Failed" in failed["progress"] and "training split" in failed["progress"]
    assert failed["start"].interactive is True


def test_negative_or_exploding_kl_is_flagged(app_module):
    assert kl_warning([stats(1)]) is None
    assert "negative" in kl_warning([stats(1), stats(2, **{"objective/kl": -3.0})])
    assert "exploding" in kl_warning([stats(1, **{"objective/kl": 80.0})])
    snap = JobSnapshot(state=RUNNING, run_name="r", preset="tiny", total_steps=5,
                               stats=[stats(1, **{"objective/kl": 80.0})],
                               settings={"algo": "ppo", "batch_size": 4, "learning_rate": 1e-3, "kl_coef": 0.2,
                                         "adaptive_kl": True, "target_kl": 6.0, "seed": 1})
    assert '<div class="warn">⚠ KL is exploding' in progress_html(snap)


def test_figures_show_reward_band_kl_axes_and_missing_toxicity(app_module):
    from webapp import plots as ui_plots

    rows = [stats(1), stats(2), stats(3)]
    reward = ui_plots.reward_figure(rows, total_steps=10)
    assert list(trace(reward, "reward mean").y) == [2.0, 3.0, 4.0]
    assert list(trace(reward, "± std").y) == [1.5, 2.5, 3.5] and trace(reward, "± std").fill == "tonexty"
    assert reward.layout.xaxis.range == (0.5, 10.5)
    kl = ui_plots.kl_figure(rows, 10, target_kl=6.0)
    assert trace(kl, "KL coef").yaxis == "y2" and list(trace(kl, "target KL").y) == [6.0, 6.0]
    # KL and its coefficient sit in two panels: separate y axes, stacked, neither overlaying the other.
    assert kl.layout.yaxis2.overlaying is None and kl.layout.yaxis.domain[0] > kl.layout.yaxis2.domain[1]
    assert kl.layout.yaxis.title.text == "KL (nats)" and reward.layout.yaxis.title.text == "reward (logit of not-hate)"
    no_toxicity = ui_plots.toxicity_figure([{k: v for k, v in r.items() if k != "env/toxicity_mean"} for r in rows])
    assert not no_toxicity.data and "Not measured" in no_toxicity.layout.annotations[0].text
    assert not ui_plots.reward_figure([]).data

    toxic = [stats(1, **{"env/toxicity_mean": 0.4}), stats(2, **{"env/toxicity_mean": 0.0}),
             stats(3, **{"env/toxicity_mean": 0.2})]
    figure = ui_plots.toxicity_figure(toxic, 10)  # percent, with the level at the start (first 3 steps) across
    assert list(trace(figure, "toxicity").y) == [40.0, 0.0, 20.0]
    assert list(trace(figure, "at the start (mean of the first 3 steps)").y) == [20, 20]
    smoothed = ui_plots.toxicity_figure(toxic, 10, smoothing=0.5)  # EMA, alpha 0.5, bias-corrected like pandas
    assert trace(smoothed, "toxicity").y == pytest.approx([40.0, 40 / 3, (0.25 * 40 + 0.5 * 0 + 20) / 1.75])
    assert list(trace(smoothed, "toxicity (each step)").y) == [40.0, 0.0, 20.0]
    assert ui_plots.smooth([1.0, None, 3.0], 0.0) == [1.0, None, 3.0]
    assert ui_plots.smooth([1.0, None, 3.0], 0.5)[1] is None


def test_the_returns_chart_shows_advantage_spread_for_critic_free_runs(app_module):
    from webapp import plots as ui_plots

    ppo = ui_plots.returns_figure([{"step": 1, "ppo/returns/mean": 0.5, "ppo/policy/advantages_mean": 0.0}])
    assert [t.name for t in ppo.data][-1] == "advantages" and "Returns" in ppo.layout.title.text
    grpo = ui_plots.returns_figure([{"step": 1, "advantages/mean": 0.0, "advantages/std": 0.9,
                                     "frac_reward_zero_std": 0.25}])
    assert list(trace(grpo, "advantage spread (std)").y) == [0.9]
    assert list(trace(grpo, "groups with equal rewards (share, 0-1)").y) == [0.25]
    assert "no critic" in grpo.layout.title.text


def test_the_page_names_no_absolute_path_and_says_an_empty_number_in_plain_words(app_module):
    from pathlib import Path

    from rlhf_core import UserError
    from webapp.evaluation_views import evaluation_cells
    from webapp.knobs import KNOB
    from webapp.views import error_html, model_name

    assert model_name(str(Path.cwd() / "checkpoints" / "demo" / "judge")) == "checkpoints/demo/judge"
    assert model_name("/srv/models/demo/judge") == "…/models/demo/judge" and model_name("org/model") == "org/model"
    shown = error_html("run /srv/runs/abc has no checkpoint; see https://example.org/a/b")
    assert "run …/srv/runs/abc has" in shown and "https://example.org/a/b" in shown
    with pytest.raises(UserError, match=r"^Learning rate is empty: enter a number such as 0.0005$"):
        KNOB["learning_rate"].parse(None)
    report = {"scorers": {"judge": "j"}, "toxicity": {"greedy": {"judge": {
        "before": {"mean": 0.4}, "after": {"mean": 0.2}, "flagged_before": 0.39, "flagged_after": 0.2,
        "flagged_relative_change": -0.487, "flagged_diff_ci95": [-0.3, -0.1], "significant": True}}}}
    assert evaluation_cells(report)[0].startswith("39% → 20% (-19 points, -49% relative)")


def test_the_headline_compares_toxicity_now_with_the_start(app_module):
    from webapp.views import headline_html

    assert "after the first step" in headline_html([])
    rows = [stats(i, **{"env/toxicity_mean": t}) for i, t in enumerate([0.5, 0.4, 0.3, 0.2, 0.1, 0.0], 1)]
    html = headline_html(rows)  # first three steps' mean 40%, latest three 10%
    assert "40.0% <span class=\"muted\">at start</span> → 10.0%" in html and "-30.0 points" in html


# --------------------------------------------------------------------------------------------
# Start-up: models, fallback, banner
# --------------------------------------------------------------------------------------------


def test_startup_falls_back_to_the_best_offline_preset_and_says_so(app_module):
    t0 = time.perf_counter()
    startup = server_startup.load_startup("flan-t5-base")  # not cached here, and HF_HUB_OFFLINE is set
    assert time.perf_counter() - t0 < 10
    expected = next(p for p in server_startup.FALLBACK_PRESETS if server_startup.preset_available(p))
    assert startup.preset == expected and startup.fell_back
    assert any("flan-t5-base" in problem for problem in startup.problems)
    banner = banner_html(startup)
    assert "Offline fallback" in banner and model_name(startup.models.config.model.policy) in banner


def test_an_unreachable_hub_costs_seconds_not_minutes(monkeypatch):
    import datasets.config
    from huggingface_hub import constants

    silent = socket.socket()  # accepts connections, never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
    monkeypatch.setattr(constants, "ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_OFFLINE", False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    try:
        t0 = time.perf_counter()
        startup = server_startup.load_startup("flan-t5-small")
        elapsed = time.perf_counter() - t0
    finally:
        silent.close()
    assert elapsed < 10, f"start-up waited {elapsed:.1f} s on the network"
    assert startup.offline and startup.preset in server_startup.FALLBACK_PRESETS
    assert any("not reachable" in problem for problem in startup.problems)


def test_the_app_loads_its_models_once_and_shares_them(app_module, app_runs):
    startup = server_startup.startup()
    assert startup.preset == "tiny" and "builtin:tiny-t5" in banner_html(startup)
    summarizer = startup.models.summarizer
    app_module.summarize_dialogue("#Person1#: Hello.\n#Person2#: Hi.", None)
    assert server_startup.startup().models.summarizer is summarizer
    assert shared_models.models_for(get_config("tiny")) is startup.models


# --------------------------------------------------------------------------------------------
# Your dialogue, Before vs after, Runs
# --------------------------------------------------------------------------------------------


def test_the_page_shows_an_error_as_one_line_without_stale_results(app_module, app_runs):
    notice, before, before_scores, after, after_scores = app_module.compare_dialogue_view("  \n ", None)
    assert notice.startswith('<div class="error" role="alert">error: the dialogue is empty')
    assert before is None and after is None and "reward" not in before_scores

    notice, before, _, after, _ = app_module.compare_dialogue_view(EXAMPLE_DIALOGUE, None)
    assert "error" not in notice and "No trained run is picked" in notice
    assert "".join(text for text, _ in before) == compare.compare_dialogue(EXAMPLE_DIALOGUE).before.text
    assert after.value == [] and after.color_map == {}  # no "added"/"toxic" legend for a diff that has none


def test_the_after_picker_labels_runs_and_defaults_to_the_best_evaluated_one(app_module, app_runs, monkeypatch):
    short = train_run(app_module, steps=1)
    picker = tab_views.after_choices()
    (label, name), = picker.choices
    assert name == short and picker.value == short  # the only run, even though it is too short
    assert "1/1 steps" in label and "PPO" in label and "not evaluated" in label and "too short" in label
    assert "trained only 1 step" in tab_views.picked_after(short)

    def choice(name, steps, change):
        return run_list.RunChoice(name, steps, 50, "PPO", change, change is not None)

    runs = [choice("newest-short", 2, -0.9), choice("long-unevaluated", 40, None), choice("mild", 30, -0.2),
            choice("best", 50, -0.6)]
    assert run_list.best_after_run(runs) == "best"  # the short run's -90% means nothing
    assert run_list.best_after_run(runs[:2]) == "long-unevaluated"
    assert run_list.best_after_run(runs[:1]) == "newest-short" and run_list.best_after_run([]) is None
    assert runs[3].label == "best · 50/50 steps · PPO · evaluated, flagged toxic -60%"


def test_your_dialogue_checks_input_and_compares_before_with_after(app_module, app_runs):
    with pytest.raises(gr.Error, match="empty"):
        app_module.summarize_dialogue("  \n ", None)

    html_input = '<img src=x onerror="alert(1)"><b>Hi</b>\n#Person2#: Hello.'
    notice, before, before_scores, after, after_scores = app_module.summarize_dialogue(html_input, None)
    assert "<img" not in notice and "No trained run is picked" in notice
    assert isinstance(before, str) and after == "" and "toxicity" in before_scores

    notice, *_ = app_module.summarize_dialogue("#Person1#: " + "word " * 400, None)
    assert "longer than the model" in notice

    run = train_run(app_module)
    notice, before, before_scores, after, after_scores = app_module.summarize_dialogue(EXAMPLE_DIALOGUE, run)
    assert run in after_scores and "reward" in after_scores and "toxicity" in after_scores
    _, before_spans, _, after_view, _ = app_module.compare_dialogue_view(EXAMPLE_DIALOGUE, run)
    labels = {label for _, label in before_spans} | {s["class_or_confidence"] for s in after_view.value}
    assert set(after_view.color_map) == labels - {None}  # the legend lists only what this diff has

    with pytest.raises(gr.Error, match="no run named"):
        app_module.summarize_dialogue("#Person1#: Hello.", "no-such-run")


def test_before_vs_after_evaluates_a_run_and_sorts_by_improvement(app_module, app_runs, monkeypatch):
    run = train_run(app_module)
    summary, *_ = tab_views.show_evaluation(run, ORDERS[0])
    assert "has not been evaluated yet" in summary

    summary, toxicity, rouge, table, csv, charts = app_module.run_evaluation(run, 2, ORDERS[0])
    assert "Summaries flagged toxic (judge, sampled, k=2)" in summary and "ROUGE-L" in summary and run in summary
    assert "judge: <b>builtin:tiny-judge</b>" in summary and 'id="toxicity-figures"' in summary
    assert "stuck in a loop" in summary  # the fidelity card's share of summaries in a repetition loop
    assert summary.count("<tr><td>") == 4  # greedy/sampled x reward model/judge
    assert [t.name for t in toxicity.data] == ["before", "after"]
    assert list(toxicity.data[0].x) == ["greedy · reward model", "greedy · judge", "sampled · reward model",
                                        "sampled · judge"]
    assert [t.name for t in rouge.data] == ["before", "after"] and list(rouge.data[0].x)[:2] == ["greedy", "sampled"]
    assert list(table.columns) == COMPARISON_COLUMNS and len(table) == 2
    assert table["toxicity before → after"].str.endswith("(judge)").all()
    assert tab_views.show_evaluation(run, ORDERS[0])[0] == summary  # read back from eval.json
    assert f'href="?run={run}"' in summary  # a link that opens this comparison
    path = lambda button: button.value["path"] if isinstance(button.value, dict) else button.value  # noqa: E731
    assert pd.read_csv(path(csv)).shape[0] == 2 and csv.visible  # the evaluation's CSV, downloadable
    assert "Plotly.newPlot" in open(path(charts), encoding="utf-8").read()

    monkeypatch.setenv("RLHF_MAX_EVAL_SAMPLES", "1")
    summary, _, _, table, csv, _ = app_module.run_evaluation(run, 2, ORDERS[0])  # one line, no stale table
    assert "error: samples must be between 1 and 1" in summary and "RLHF_MAX_EVAL_SAMPLES" in summary
    assert table.empty and not csv.visible
    with pytest.raises(gr.Error, match="pick a trained run"):
        app_module.evaluate_api(None, 1, ORDERS[0])  # the API raises instead


def test_the_comparison_table_sorts_by_improvement_regression_and_changed_facts(app_module):
    table = pd.DataFrame({"dialogue": ["a 30", "b 30", "c 30"], "summary_before": ["It costs 30."] * 3,
                          "summary_after": ["It costs 30.", "It costs 20.", "It costs 30."],
                          "reward_before": [0.0] * 3, "reward_after": [1.0, 3.0, -2.0],
                          "greedy_judge_toxicity_before": [0.5] * 3, "greedy_judge_toxicity_after": [0.1] * 3})
    table["reward_diff"] = table["reward_after"] - table["reward_before"]
    evaluation = Evaluation("r", {}, table)
    order = lambda o: [d[0] for d in comparison_table(evaluation, o)["dialogue"]]  # noqa: E731
    assert order(ORDERS[0]) == ["b", "a", "c"]
    assert order(ORDERS[1]) == ["c", "a", "b"]
    # b's reward went up, but its price changed: a regression the reward sort alone would hide
    assert order(ORDERS[2]) == ["b", "c", "a"]
    assert order(ORDERS[3]) == ["a", "b", "c"]
    shown = comparison_table(evaluation, ORDERS[3])
    assert list(shown["toxicity before → after"]) == ["50% → 10% (judge)"] * 3
    assert list(shown["changed facts"]) == ["", "30 → 20", ""]  # computed from the text for an older table
    assert shown["summary before"][1] == "It costs ~~30.~~" and shown["summary after"][1] == "It costs **20.**"


def test_the_comparison_table_reads_saved_changed_facts_and_marks_toxic_words(app_module):
    table = pd.DataFrame({"dialogue": ["x"], "summary_before": ["You idiot, pay 5."], "summary_after": ["Pay 5."],
                          "reward_before": [0.0], "reward_after": [1.0], "changed_facts": ["saved"],
                          "toxic_words": ["idiot"]})
    table["reward_diff"] = table["reward_after"] - table["reward_before"]
    shown = comparison_table(Evaluation("r", {}, table), ORDERS[0])
    assert list(shown["changed facts"]) == ["saved"]
    mark = '<span class="toxic-mark" title="the reward model reads it as hateful">⚠</span>'
    assert shown["summary before"][0] == f"~~You~~ ~~{mark}idiot,~~ pay 5." and shown["summary after"][0] == "Pay 5."


def test_runs_tab_overlays_lists_picks_and_deletes(app_module, app_runs):
    older, newer = train_run(app_module), train_run(app_module)
    reward, kl, table, picker, pareto = tab_views.runs_view()
    assert not pareto.data  # no run evaluated yet: a placeholder
    assert {t.name for t in reward.data} == {older, newer} and len(kl.data) == 2
    assert list(table["run"]) == [newer, older] and set(table["status"]) == {"ready"}
    assert picker.value == newer

    compare_pick, dialogue_pick, chosen, tabs = app_module.use_as_after(older)
    assert compare_pick.value == dialogue_pick.value == chosen == older and tabs.selected == "compare"
    assert app_module.refresh_after(older)[0].value == older and app_module.refresh_after(None)[0].value == newer

    confirm, cancel = app_module.ask_delete(older)
    assert confirm.visible and older in confirm.value
    *_, table, picker, _pareto, confirm, cancel = app_module.confirm_delete(older)
    assert list(table["run"]) == [newer] and not (app_runs / older).exists() and confirm.visible is False

    start(app_module, steps=50)
    running = JOBS.snapshot().run_name
    with pytest.raises(gr.Error, match="stop it first"):
        app_module.confirm_delete(running)
    assert running not in run_list.finished_run_names()
    with pytest.raises(gr.Error, match="cannot be used"):
        app_module.use_as_after(running)


# --------------------------------------------------------------------------------------------
# Through gradio_client, against the launched app
# --------------------------------------------------------------------------------------------


def test_clients_share_one_training_job_and_get_summaries(app_url, app_module, app_runs):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    alice, bob = Client(app_url, verbose=False), Client(app_url, verbose=False)
    alice.predict(preset="tiny", **{**TINY, "steps": 30}, api_name="/start_training")
    deadline = time.monotonic() + 30
    while (progress := alice.predict(api_name="/training_progress"))["step"] < 2:
        assert time.monotonic() < deadline and progress["state"] in ("loading", "running"), progress
        time.sleep(0.2)
    assert progress["last_stats"]["env/reward_mean"] is not None and progress["total_steps"] == 30

    refused = bob.predict(preset="tiny", **{**TINY, "steps": 3, "seed": 7}, api_name="/start_training")
    assert "already in progress" in refused[0]
    seen_by_bob = bob.predict(api_name="/training_progress")
    assert seen_by_bob["run_name"] == progress["run_name"] and seen_by_bob["total_steps"] == 30

    deadline = time.monotonic() + 60
    while (progress := alice.predict(api_name="/training_progress"))["state"] != "done":
        assert time.monotonic() < deadline and progress["state"] != "failed", progress
        time.sleep(0.3)
    assert progress["step"] == 30 and not progress["stopped"]

    notice, before, before_scores, after, after_scores = bob.predict(
        EXAMPLE_DIALOGUE, progress["run_name"], api_name="/summarize_dialogue")
    assert progress["run_name"] in after_scores and "toxicity" in before_scores
    with pytest.raises(AppError, match="empty"):
        bob.predict("   ", None, api_name="/summarize_dialogue")


def test_a_run_link_picks_that_run_and_opens_its_comparison(app_module, app_runs):
    from types import SimpleNamespace

    run = train_run(app_module, steps=1)
    compare_pick, dialogue_pick, chosen, tabs = app_module.open_shared_run(SimpleNamespace(query_params={"run": run}))
    assert compare_pick.value == dialogue_pick.value == chosen == run and tabs.selected == "compare"
    skipped = app_module.open_shared_run(SimpleNamespace(query_params={"run": "no-such-run"}))
    assert all(update == gr.skip() for update in skipped)


def test_malformed_run_folders_and_oversized_uploads_are_handled_by_the_server(app_url, app_module, app_runs):
    import httpx
    from gradio_client import Client

    for name, content in (("null-config", "null"), ("list-config", "[]"), ("bad-section", '{"ppo": 5}')):
        (app_runs / name).mkdir(parents=True)
        (app_runs / name / "config.json").write_text(content)
    reward, kl, table, pick, pareto = Client(app_url, verbose=False).predict(None, api_name="/list_runs")
    assert table["data"] == []  # every malformed folder skipped; the list itself works

    cap = app_module.launch_kwargs()["max_file_size"]
    assert cap == limits().max_upload == "10mb"  # 1mb with RLHF_PUBLIC=1
    upload = f"{app_url.rstrip('/')}/gradio_api/upload"
    small = httpx.post(upload, files={"files": ("a.txt", b"x" * 1000)}, timeout=30)
    big = httpx.post(upload, files={"files": ("b.txt", b"x" * (11 * 1024 * 1024))}, timeout=60)
    assert small.status_code == 200 and big.status_code == 413, (small.text, big.text[:200])


def test_train_tab_runs_grpo_with_a_fidelity_term_and_draws_each_term(app_module, app_runs):
    start(app_module, steps=2, algo="grpo", toxicity_weight=1.0, fidelity_weight=2.0)
    assert JOBS.wait(60)
    snap = JOBS.snapshot()
    assert snap.state == DONE, snap.error
    config = RunDir(app_runs / snap.run_name).config()
    assert config.algo == "grpo" and config.reward.fidelity_weight == 2.0
    assert "env/reward/fidelity_mean" in snap.stats[-1] and "ppo/loss/total" not in snap.stats[-1]
    reward_fig = view(tab_views.train_view(snap))["reward"]
    assert {"toxicity", "fidelity"} <= {t.name for t in reward_fig.data}


def test_the_fast_placeholder_chart_equals_the_validated_one():
    from webapp.plots import placeholder, validated_placeholder

    for title, message in (("Reward", "Start a run to see it"), ("Toxicity", "Evaluate a run to compare")):
        assert placeholder(title, message).to_plotly_json() == validated_placeholder(title, message).to_plotly_json()
    assert placeholder("A", "x").layout.title.text == "A"  # a fresh figure each time, not the cached layout
    assert placeholder("B", "y").layout.title.text == "B" and placeholder("A", "x").layout.annotations[0].text == "x"
