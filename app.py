"""detox-rlhf in the browser: train with PPO live, compare before and after, try your own dialogue.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

Wiring only: handlers call `webapp.serving` (shared models, the server's one training job,
limits; README: "The app") and format with `webapp.views` / `webapp.plots`. `build_app()` builds the
page; importing this module loads no model, and `python app.py` answers before the models are
loaded (a loading banner shows meanwhile; buttons that need them wait).

UI handlers show errors as one line in the tab (no stale results); the API endpoints raise them.
"""

import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # nothing is sent home
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from rlhf_core import UserError, get_config  # noqa: E402
from webapp import serving
from webapp.examples import examples_for, toy_notice  # noqa: E402
from webapp.plots import (  # noqa: E402
    SMOOTHING_HELP,
    figures_html,
    kl_figure,
    overlay_figure,
    pareto_figure,
    placeholder,
    returns_figure,
    reward_figure,
    rouge_bars,
    toxicity_bars,
    toxicity_figure,
)
from webapp.views import (  # noqa: E402
    COMPARISON_DATATYPES,
    COMPARISON_LABEL,
    CSS,
    KL_NOTE,
    ORDERS,
    TABLE_STEPS,
    WHAT_AM_I_LOOKING_AT,
    banner_html,
    comparison_table,
    dialogue_notes_html,
    error_html,
    esc,
    evaluation_cells,
    evaluation_html,
    fmt,
    headline_html,
    model_name,
    progress_html,
    samples_table,
    score_html,
    startup_line,
    stats_table,
)

EXAMPLE_DIALOGUE = examples_for("demo")[0].dialogue  # a dialogue every preset's tokenizer reads

__all__ = ["build_app", "launch_kwargs", "EXAMPLE_DIALOGUE", "banner_html", "model_name", "progress_html"]

POLL_SECONDS = 1.0
TRAIN_OUTPUT_COUNT = 11  # what train_view returns: the Train tab's outputs
DIFF_COLORS = {"added": "#22c55e", "removed": "#94a3b8", "toxic": "#ef4444", "toxic, added": "#ef4444",
               "toxic, removed": "#f97316"}

# --------------------------------------------------------------------------------------------
# Handlers: each one calls serving and formats what comes back
# --------------------------------------------------------------------------------------------


def _viewer(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None)


_FIGURES: dict[tuple, tuple] = {}  # the last snapshots' charts, shared by every visitor polling them


def _train_figures(snap: serving.JobSnapshot, smoothing: float) -> tuple:
    """The Train tab's four charts for a snapshot, built once per job version and smoothing (a
    chart costs 0.1-0.4 s of CPU; every visitor's tick would otherwise rebuild them)."""
    key = (snap.run_name, snap.version, len(snap.stats), snap.total_steps, smoothing)
    if key not in _FIGURES:
        stats = serving.clean_stats(snap.stats)
        target = snap.settings.get("target_kl") if snap.settings.get("adaptive_kl") else None
        if len(_FIGURES) >= 8:
            _FIGURES.pop(next(iter(_FIGURES)))
        _FIGURES[key] = (
            toxicity_figure(stats, snap.total_steps, smoothing), reward_figure(stats, snap.total_steps, smoothing),
            kl_figure(stats, snap.total_steps, target, smoothing), returns_figure(stats, snap.total_steps, smoothing))
    return _FIGURES[key]


def train_view(snap: serving.JobSnapshot, viewer: str | None = None, notice: str | None = None,
               smoothing: float = 0.0, error: str | None = None) -> tuple:
    """Everything the Train tab shows for one snapshot (the outputs of start, stop and poll)."""
    stats = serving.clean_stats(snap.stats)
    smoothing = float(smoothing or 0.0)
    card = progress_html(snap, viewer, notice)
    if error:
        card = error_html(error) + card
    return (
        card, headline_html(stats), *_train_figures(snap, smoothing),
        stats_table(stats), samples_table(snap.samples),
        gr.Button(interactive=not snap.active), gr.Button(interactive=snap.active and snap.state != serving.STOPPING),
        snap.version,
    )


def start_training(preset, steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed,
                   algo="ppo", toxicity_weight=1.0, fidelity_weight=0.0, label: str = "", smoothing: float = 0.0,
                   request: gr.Request = None):
    """Starts a run; a refused start (limits, bad values) shows one error line on the run card."""
    settings = serving.TrainSettings(preset, steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl,
                                     seed, algo, toxicity_weight, fidelity_weight)
    try:
        started, snap = serving.start_training(settings, owner=_viewer(request), label=label)
    except UserError as error:
        return train_view(serving.JOBS.snapshot(), _viewer(request), smoothing=smoothing, error=str(error))
    notice = None if started else ("A run is already in progress, so a second one was not started. "
                                   "You are watching it live; Start is available again when it ends.")
    return train_view(snap, _viewer(request), notice, smoothing)


def stop_training(smoothing: float = 0.0, request: gr.Request = None):
    try:
        snap = serving.stop_training(_viewer(request))
    except UserError as error:
        return train_view(serving.JOBS.snapshot(), _viewer(request), smoothing=smoothing, error=str(error))
    return train_view(snap, _viewer(request), smoothing=smoothing)


def poll_training(seen_version=None, smoothing: float = 0.0, request: gr.Request = None):
    """The timer's tick: the Train tab's view, or no update if nothing changed since `seen_version`."""
    snap = serving.JOBS.snapshot()
    if seen_version == snap.version:
        return tuple(gr.skip() for _ in range(TRAIN_OUTPUT_COUNT))
    return train_view(snap, _viewer(request), smoothing=smoothing)


def redraw_training(smoothing: float = 0.0, request: gr.Request = None):
    """The Train tab's view with a new smoothing."""
    return train_view(serving.JOBS.snapshot(), _viewer(request), smoothing=smoothing)


def training_progress() -> dict:
    """The training job as JSON: state, run, step i/N, time per step, messages and the last step's stats."""
    snap = serving.JOBS.snapshot()
    stats = serving.clean_stats(snap.stats)
    return {
        "state": snap.state, "run_name": snap.run_name, "preset": snap.preset, "step": snap.step,
        "total_steps": snap.total_steps, "seconds_per_step": snap.seconds_per_step, "status": snap.status,
        "error": snap.error, "stopped": snap.stopped, "kl_warning": snap.kl_warning,
        "last_stats": stats[-1] if stats else None,
    }


def preset_defaults(preset: str):
    try:
        s = serving.default_settings(preset)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return (s.steps, s.batch_size, s.learning_rate, s.init_kl_coef, s.adaptive_kl, s.target_kl, s.seed, s.algo,
            s.toxicity_weight, s.fidelity_weight)


def show_banner(plan: serving.StartupPlan):
    """The models banner while they load; the timer that polls it stops once they are loaded (or failed)."""
    loaded, error = serving.loaded_startup(), serving.startup_error()
    return banner_html(plan, loaded, error), gr.Timer(active=loaded is None and error is None)


def after_choices(current: str | None = None):
    """The runs that can be "after", labelled (steps, algorithm, evaluation); keeps `current` if it
    still qualifies, else the best evaluated run (serving.best_after_run)."""
    choices = serving.after_run_choices()
    names = [c.name for c in choices]
    value = current if current in names else serving.best_after_run(choices)
    return gr.Dropdown(choices=[(c.label, c.name) for c in choices], value=value)


def refresh_after(chosen: str | None):
    """Both "after" pickers: the visitor's explicit choice if it still exists, else the best run."""
    update = after_choices(chosen)
    return update, update


def remember(run_name: str | None) -> str | None:
    """Keeps the visitor's explicit "after" choice (a picker changed by hand or "Use as after")."""
    return run_name


def open_shared_run(request: gr.Request = None):
    """`?run=NAME` in the address opens that run's comparison (Before vs after) for this visitor."""
    name = (getattr(request, "query_params", None) or {}).get("run") if request else None
    if not name or name not in serving.finished_run_names():
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    update = after_choices(name)
    return update, update, name, gr.Tabs(selected="compare")


def _choice(run_name: str | None) -> "serving.RunChoice | None":
    return next((c for c in serving.after_run_choices() if c.name == run_name), None)


def _share_html(run_name: str | None) -> str:
    if not run_name:
        return ""
    return (f'<div class="muted small">Link to this comparison: <a href="?run={esc(run_name)}" '
            f'id="share-link">?run={esc(run_name)}</a></div>')


def _downloads(evaluation: "serving.Evaluation | None", run_name: str | None):
    """The evaluation's CSV and its charts (one HTML file) as download buttons, or hidden buttons."""
    csv = serving.evaluation_csv(run_name) if evaluation else None
    if evaluation is None:
        return gr.DownloadButton(visible=False, value=None), gr.DownloadButton(visible=False, value=None)
    metrics = next((i.metrics for i in serving.runs() if i.name == run_name), [])
    figures = [toxicity_bars(evaluation.report), rouge_bars(evaluation.report), toxicity_figure(metrics),
               reward_figure(metrics), kl_figure(metrics)]
    folder = Path(tempfile.mkdtemp(prefix="detox-charts-"))
    charts = folder / f"{run_name}-charts.html"
    charts.write_text(figures_html(figures), encoding="utf-8")
    return (gr.DownloadButton(value=str(csv), visible=csv is not None),
            gr.DownloadButton(value=str(charts), visible=True))


def show_evaluation(run_name: str | None, order: str, error: str | None = None):
    evaluation = serving.saved_evaluation(run_name) if run_name else None
    report = evaluation.report if evaluation else {}
    share = _share_html(run_name)
    if error:
        summary = error_html(error)
    else:
        summary = evaluation_html(evaluation, run_name)
        choice = _choice(run_name)
        if choice is not None and choice.too_short:
            summary = dialogue_notes_html(None, after=choice) + summary
    if evaluation is None:
        return (summary + share, placeholder("Toxicity", "Evaluate a run to compare"),
                placeholder("ROUGE", "Evaluate a run to compare"), comparison_table(None, order),
                *_downloads(None, run_name))
    return (summary + share, toxicity_bars(report), rouge_bars(report), comparison_table(evaluation, order),
            *_downloads(evaluation, run_name))


def evaluate_api(run_name: str | None, samples: int, order: str):
    """The API's evaluation: raises the error (the page shows it in the tab instead)."""
    try:
        serving.evaluate(run_name, samples)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return show_evaluation(run_name, order)[:4]


def run_evaluation(run_name: str | None, samples: int, order: str):
    """Evaluates the run; an error replaces the tab's results with one line."""
    try:
        serving.evaluate(run_name, samples)
    except UserError as error:
        return show_evaluation(None, order, error=str(error))
    return show_evaluation(run_name, order)


def _dialogue_outputs(result: "serving.DialogueComparison") -> tuple:
    choice = _choice(result.after_run) if result.after_run else None
    notes = dialogue_notes_html(None, result.unknown_share,
                                result.max_prompt_tokens if result.truncated else None, choice,
                                no_after=result.after is None)
    before_spans, after_spans = result.diff()
    after_title = f"After RLHF (run {result.after_run})" if result.after_run else "After RLHF"
    # The legend lists only the kinds of change this diff has (Gradio shows every color_map key).
    present = {label for _, label in before_spans + after_spans if label}
    after = gr.HighlightedText(after_spans, color_map={k: v for k, v in DIFF_COLORS.items() if k in present})
    return notes, before_spans, score_html(result.before, "Before RLHF"), after, score_html(result.after,
                                                                                              after_title)


def summarize_dialogue(dialogue: str, run_name: str | None) -> tuple[str, str, str, str, str]:
    """The API: summaries before and after RLHF as text, with reward and toxicity (raises on bad input)."""
    try:
        result = serving.compare_dialogue(dialogue, run_name or None)
    except UserError as error:
        raise gr.Error(str(error)) from None
    notes, _, before_scores, _, after_scores = _dialogue_outputs(result)  # the API returns plain text
    return (notes, result.before.text, before_scores, result.after.text if result.after else "", after_scores)


def compare_dialogue_view(dialogue: str, run_name: str | None):
    """The page: the word-level diff of both summaries, toxic words marked; an error is one line, no stale result."""
    try:
        result = serving.compare_dialogue(dialogue, run_name or None)
    except UserError as error:
        return (error_html(str(error)), None, score_html(None, "Before RLHF", "The starting policy."), None,
                score_html(None, "After RLHF", "The policy of the picked run."))
    return _dialogue_outputs(result)


def picked_after(run_name: str | None) -> str:
    """The note under the "after" picker: a warning when the picked run is too short to mean much."""
    choice = _choice(run_name)
    return dialogue_notes_html(None, after=choice) if choice is not None and choice.too_short else ""


def runs_view(selected: str | None = None):
    """The Runs tab: overlaid curves, the table of configs and evaluations, the run picker."""
    infos = serving.runs()
    rows = []
    for info in infos:
        cfg, ev, last = info.config, info.evaluation or {}, (info.metrics[-1] if info.metrics else {})
        toxicity, rouge_l = evaluation_cells(ev)
        status = ("training" if info.training else "evaluated" if ev else "ready" if info.has_checkpoint
                  else "no checkpoint")
        rows.append({
            "run": info.name, "status": status, "preset": cfg.preset,
            "steps": f"{info.steps_done}/{cfg.steps}", "batch": cfg.optim.batch_size,
            "lr": f"{cfg.optim.learning_rate:g}",
            "KL control": (f"adaptive {cfg.ppo.init_kl_coef:g} → {cfg.ppo.target_kl:g}" if cfg.ppo.adaptive_kl
                           else f"fixed {cfg.ppo.init_kl_coef:g}"),
            "seed": cfg.seed, "reward on": cfg.reward.text, "algo": cfg.algo,
            "last reward": fmt(last.get("env/reward_mean")), "last KL": fmt(last.get("objective/kl")),
            "flagged toxic": toxicity, "ROUGE-L": rouge_l,
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created)),
        })
    columns = ["run", "status", "algo", "steps", "flagged toxic", "ROUGE-L", "last reward", "last KL", "preset",
               "batch", "lr", "KL control", "seed", "reward on", "created"]
    names = [info.name for info in infos]
    value = selected if selected in names else (names[0] if names else None)
    curves = [(info.name, info.metrics) for info in infos]
    points = [p for p in (serving.evaluation_point(info.name, info.config.algo, info.evaluation) for info in infos)
              if p is not None]
    return (overlay_figure(curves, "env/reward_mean", "Reward (mean) by run", "reward (logit)"),
            overlay_figure(curves, "objective/kl", "KL to the starting model by run", "KL (nats)"),
            pd.DataFrame(rows, columns=columns), gr.Dropdown(choices=names, value=value),
            pareto_figure(points))


def use_as_after(run_name: str | None):
    if not run_name:
        raise gr.Error("pick a run first")
    if run_name not in serving.finished_run_names():
        raise gr.Error(f"run {run_name} cannot be used as 'after': it is training or has no checkpoint")
    update = after_choices(run_name)
    return update, update, run_name, gr.Tabs(selected="compare")


def ask_delete(run_name: str | None):
    if not run_name:
        raise gr.Error("pick a run to delete")
    return gr.Button(value=f"Delete {run_name} permanently", visible=True), gr.Button(visible=True)


def hide_delete():
    return gr.Button(visible=False), gr.Button(visible=False)


def confirm_delete(run_name: str | None):
    try:
        serving.delete(run_name or "")
    except UserError as error:
        raise gr.Error(str(error)) from None
    gr.Info(f"Deleted run {run_name}")
    return (*runs_view(), gr.Button(visible=False), gr.Button(visible=False))


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate")


def launch_kwargs() -> dict:
    """Theme, CSS and the upload cap (launch() options in Gradio 6), shared by `python app.py` and the tests."""
    return {"theme": THEME, "css": CSS, "run_history": False, "max_file_size": serving.limits().max_upload}


# Run pickers get their choices per visitor; API callers name runs that did not exist when the page
# was built, so any value passes the component and serving checks that the run exists.
RUN_PICKER = dict(allow_custom_value=True)


def _intro(text: str) -> gr.Markdown:
    return gr.Markdown(text, elem_classes="tab-intro")


def build_app(startup: "serving.Startup | None" = None) -> gr.Blocks:
    """Builds the page on `startup`'s models, or on the server's start-up plan while its models load
    in the background (`serving.start_loading`)."""
    plan = startup or serving.startup_plan()
    if plan.preset is None:
        raise UserError("no preset can be loaded: " + "; ".join(plan.problems))
    limits = serving.limits()
    startup_settings = serving.default_settings(plan.preset)
    eval_default = min(get_config(plan.preset).eval.samples, limits.max_eval_samples)
    examples = examples_for(plan.preset)

    with gr.Blocks(title="Detox RLHF") as demo:
        gr.Markdown(
            "# Detox RLHF: less toxic dialogue summaries\n"
            "PPO fine-tunes a summarizer's LoRA adapter to please a hate-speech reward model, while a KL penalty "
            "keeps it close to the starting model. Train a run, watch it learn, then compare before and after.",
            elem_id="app-title")
        banner = gr.HTML(banner_html(plan, startup), elem_id="models-banner-slot")
        plan_state = gr.State(plan)
        after_run = gr.State(None)  # this visitor's choice of "after" run, shared by the tabs
        seen_version = gr.State(-1)  # the job version this visitor's Train tab shows

        with gr.Tabs(selected="train") as tabs:
            with gr.Tab("Train", id="train", elem_id="tab-train"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=280, elem_id="train-controls"):
                        with gr.Row():
                            start_btn = gr.Button("Start", variant="primary", elem_id="start", min_width=100)
                            stop_btn = gr.Button("Stop", variant="stop", interactive=False, elem_id="stop",
                                                 min_width=100)
                        presets = serving.available_presets()
                        with gr.Row():
                            preset = gr.Dropdown(presets, value=plan.preset, label="Preset", elem_id="preset",
                                                 info="Models and data; demo = shipped toy models", min_width=130)
                            label = gr.Textbox("", label="Run label", placeholder="e.g. strong-kl", max_length=40,
                                               elem_id="run-label", info="Added to the run's name", min_width=130)
                        steps = gr.Slider(1, limits.max_steps, value=startup_settings.steps, step=1, label="PPO steps",
                                          elem_id="steps",
                                          info=f"Updates of the policy; at most {limits.max_steps} on this server "
                                               "(RLHF_MAX_STEPS; the API refuses more with one line)")
                        batch_size = gr.Slider(1, limits.max_batch_size, value=startup_settings.batch_size, step=1,
                                               label="Batch size", elem_id="batch-size",
                                               info=f"Dialogues summarised per step (at most {limits.max_batch_size})")
                        with gr.Row():
                            learning_rate = gr.Number(startup_settings.learning_rate, label="Learning rate",
                                                      elem_id="learning-rate", min_width=120,
                                                      info="Step size of the adapter's updates")
                            seed = gr.Number(startup_settings.seed, precision=0, label="Seed", elem_id="seed",
                                             min_width=100, info="Same seed, same run")
                        adaptive_kl = gr.Checkbox(startup_settings.adaptive_kl,
                                                  label="Adaptive KL coefficient (aims at the target KL)",
                                                  elem_id="adaptive-kl",
                                                  info="Raises β when KL is above the target, lowers it below")
                        with gr.Row():
                            init_kl_coef = gr.Number(startup_settings.init_kl_coef, label="KL coefficient β",
                                                     elem_id="kl-coef", min_width=120,
                                                     info="Penalty per nat of KL (start value)")
                            target_kl = gr.Number(startup_settings.target_kl, label="Target KL (nats)",
                                                  elem_id="target-kl", min_width=120,
                                                  info="Used by the adaptive coefficient")
                        algo = gr.Dropdown([("PPO (value head)", "ppo"), ("RLOO (no critic)", "rloo"),
                                            ("GRPO (no critic)", "grpo")], value=startup_settings.algo,
                                           label="Algorithm", elem_id="algo",
                                           info="RLOO/GRPO sample several summaries per dialogue, no value head")
                        with gr.Row():
                            toxicity_weight = gr.Number(startup_settings.toxicity_weight, label="Toxicity weight",
                                                        elem_id="toxicity-weight", min_width=120,
                                                        info="Reward term: the classifier")
                            fidelity_weight = gr.Number(startup_settings.fidelity_weight, label="Fidelity weight",
                                                        elem_id="fidelity-weight", min_width=120,
                                                        info="Reward term: ROUGE-L, no invented names/numbers")
                        smoothing = gr.Slider(0, 0.95, value=0.6, step=0.05, label="Chart smoothing",
                                              elem_id="smoothing", info=SMOOTHING_HELP)
                    with gr.Column(scale=3, min_width=300):
                        progress = gr.HTML(progress_html(serving.JobSnapshot()), elem_id="train-progress")
                        headline = gr.HTML(headline_html([]), elem_id="headline-slot")
                        with gr.Row(equal_height=False):
                            toxicity_plot = gr.Plot(toxicity_figure([]), show_label=False, elem_id="toxicity-plot",
                                                    min_width=300)
                            reward_plot = gr.Plot(reward_figure([]), show_label=False, elem_id="reward-plot",
                                                  min_width=300)
                        with gr.Row(equal_height=False):
                            kl_plot = gr.Plot(kl_figure([]), show_label=False, elem_id="kl-plot", min_width=300)
                            with gr.Column(min_width=300):
                                gr.Markdown(KL_NOTE, elem_classes="limits")
                                with gr.Accordion("What am I looking at?", open=False, elem_id="explain"):
                                    gr.Markdown(WHAT_AM_I_LOOKING_AT)
                        with gr.Accordion("Sampled summaries of the latest step", open=False):
                            samples_df = gr.Dataframe(samples_table([]), show_label=False, interactive=False,
                                                      wrap=True, datatype=["markdown", "number", "markdown"],
                                                      column_widths=["45%", "10%", "45%"], elem_id="samples-table")
                        with gr.Accordion("More statistics (returns or advantages, the last steps)", open=False):
                            returns_plot = gr.Plot(returns_figure([]), show_label=False, elem_id="returns-plot")
                            stats_df = gr.Dataframe(stats_table([]), label=f"Last {TABLE_STEPS} steps",
                                                    interactive=False, elem_id="stats-table")

            with gr.Tab("Before vs after", id="compare", elem_id="tab-compare") as compare_tab:
                gr.Markdown("The same held-out test dialogues for every run, summarised by the starting policy and by "
                            "a trained run (greedy, and sampled several times), scored by the reward model and by an "
                            "independent judge: toxicity, ROUGE, invented numbers and names, every summary side by "
                            "side.", elem_classes="tab-intro")
                with gr.Row(equal_height=False):
                    compare_run = gr.Dropdown([], label="After: trained run", scale=3, elem_id="compare-run",
                                              info="Steps, algorithm and evaluation status; the default is the "
                                                   "evaluated run that cut toxicity most", min_width=260,
                                              **RUN_PICKER)
                    eval_samples = gr.Slider(1, limits.max_eval_samples, value=eval_default, step=1,
                                             label="Test dialogues", scale=2, elem_id="eval-samples", min_width=200,
                                             info=f"At most {limits.max_eval_samples} here (RLHF_MAX_EVAL_SAMPLES)")
                    with gr.Column(scale=1, min_width=160):
                        evaluate_btn = gr.Button("Evaluate", variant="primary", elem_id="evaluate")
                        csv_btn = gr.DownloadButton("Download CSV", visible=False, elem_id="download-csv", size="sm")
                        charts_btn = gr.DownloadButton("Download charts", visible=False, elem_id="download-charts",
                                                       size="sm")
                evaluation_summary = gr.HTML(evaluation_html(None, None), elem_id="evaluation-summary")
                with gr.Row():
                    toxicity_bar = gr.Plot(placeholder("Toxicity", "Evaluate a run to compare"), show_label=False,
                                           elem_id="toxicity-bars", min_width=300)
                    rouge_bar = gr.Plot(placeholder("ROUGE", "Evaluate a run to compare"), show_label=False,
                                        elem_id="rouge-bars", min_width=300)
                order = gr.Radio(ORDERS, value=ORDERS[0], label="Order", elem_id="order")
                comparison = gr.Dataframe(comparison_table(None, ORDERS[0]), label=COMPARISON_LABEL,
                                          interactive=False, wrap=True, max_height=640, elem_id="comparison-table",
                                          datatype=COMPARISON_DATATYPES,
                                          column_widths=["24%", "19%", "19%", "11%", "9%", "8%", "10%"])

            with gr.Tab("Your dialogue", id="dialogue", elem_id="tab-dialogue") as dialogue_tab:
                notice = toy_notice(plan.preset)
                gr.HTML(f'<div class="toy" id="toy-notice">{esc(notice)}</div>' if notice else "",
                        elem_id="toy-notice-slot")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=300):
                        dialogue = gr.Textbox(examples[0].dialogue, lines=8, max_lines=24, label="Dialogue",
                                              placeholder="#Person1#: ...\n#Person2#: ...", elem_id="dialogue-input")
                        dialogue_examples = gr.Examples(
                            [[e.dialogue] for e in examples], inputs=[dialogue], label="Examples (click one)",
                            example_labels=[e.title for e in examples],
                            cache_examples=False, elem_id="dialogue-examples")
                        dialogue_run = gr.Dropdown([], label="After: trained run", elem_id="dialogue-run",
                                                   info="Default: the evaluated run that cut toxicity most",
                                                   **RUN_PICKER)
                        run_note = gr.HTML("", elem_id="dialogue-run-note")
                        dialogue_btn = gr.Button("Summarize before and after", variant="primary", elem_id="dialogue-go")
                    with gr.Column(scale=3, min_width=300):
                        dialogue_notice = gr.HTML("", elem_id="dialogue-notice")
                        before_scores = gr.HTML(score_html(None, "Before RLHF", "The starting policy."),
                                                elem_id="before-scores")
                        before_diff = gr.HighlightedText(label="Summary before RLHF (grey: dropped after RLHF)",
                                                         color_map=DIFF_COLORS, combine_adjacent=True,
                                                         show_legend=False, elem_id="summary-before")
                        after_scores = gr.HTML(score_html(None, "After RLHF", "The policy of the picked run."),
                                               elem_id="after-scores")
                        after_diff = gr.HighlightedText(label="Summary after RLHF (green: new words)",
                                                        color_map=DIFF_COLORS, combine_adjacent=True,
                                                        show_legend=True, elem_id="summary-after")
                        gr.Markdown("Red marks words the reward model alone rates as hateful (P(hate) > 50%).",
                                    elem_classes="limits")

            with gr.Tab("Runs", id="runs", elem_id="tab-runs") as runs_tab:
                gr.Markdown("Every saved run on this server: compare their curves, configurations and evaluations; "
                            "pick one as the \"after\" model or delete it.", elem_classes="tab-intro")
                with gr.Row():
                    runs_reward = gr.Plot(placeholder("Reward by run", ""), show_label=False, elem_id="runs-reward",
                                          min_width=300)
                    runs_kl = gr.Plot(placeholder("KL by run", ""), show_label=False, elem_id="runs-kl",
                                      min_width=300)
                runs_pareto = gr.Plot(placeholder("Toxicity vs quality", ""), show_label=False, elem_id="runs-pareto")
                runs_table = gr.Dataframe(label=("Saved runs (share of summaries flagged toxic and ROUGE-L: "
                                                 "before → after, from the last evaluation)"),
                                          interactive=False, elem_id="runs-table")
                with gr.Row(equal_height=False):
                    runs_pick = gr.Dropdown([], label="Run", scale=2, elem_id="runs-pick", min_width=260, **RUN_PICKER)
                    with gr.Column(scale=2, min_width=260):
                        with gr.Row():
                            use_btn = gr.Button("Use as \"after\"", variant="primary", elem_id="use-after")
                            delete_btn = gr.Button("Delete…", variant="stop", elem_id="delete",
                                                   visible=not limits.public)  # off on a public server
                            refresh_btn = gr.Button("Refresh", elem_id="refresh-runs")
                        with gr.Row():
                            confirm_btn = gr.Button("Delete permanently", variant="stop", visible=False,
                                                    elem_id="confirm-delete")
                            cancel_btn = gr.Button("Cancel", visible=False, elem_id="cancel-delete")

        timer = gr.Timer(POLL_SECONDS)
        banner_timer = gr.Timer(0.5, active=startup is None)

        train_outputs = [progress, headline, toxicity_plot, reward_plot, kl_plot, returns_plot, stats_df, samples_df,
                         start_btn, stop_btn, seen_version]
        assert len(train_outputs) == TRAIN_OUTPUT_COUNT
        knobs = [steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed, algo, toxicity_weight,
                 fidelity_weight]
        fast = dict(concurrency_limit=None)  # cheap reads of shared state: never queue behind model work
        on_models = dict(concurrency_id="models", concurrency_limit=1)  # inference and evaluation take turns
        quiet = dict(show_progress="hidden")  # errors come as one toast, not a red badge on every output

        start_btn.click(start_training, [preset, *knobs, label, smoothing], train_outputs, api_name="start_training",
                        **fast)
        # Stop acts in the page at once (the button greys out, the card says so), then asks the job,
        # outside the queue, to end after its current step.
        stop_btn.click(None, None, None, js=STOP_NOW_JS)
        stop_btn.click(stop_training, smoothing, train_outputs, api_name="stop_training", queue=False)
        timer.tick(poll_training, [seen_version, smoothing], train_outputs, api_name="poll_training",
                   api_visibility="undocumented", **fast)
        smoothing.release(redraw_training, smoothing, train_outputs, api_visibility="private", **fast)
        preset.change(preset_defaults, preset, knobs, api_visibility="undocumented", **fast)
        gr.api(training_progress, api_name="training_progress", **fast)
        banner_timer.tick(show_banner, plan_state, [banner, banner_timer], api_visibility="private", **fast)

        compare_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented", **fast)
        evaluation_outputs = [evaluation_summary, toxicity_bar, rouge_bar, comparison, csv_btn, charts_btn]
        compare_run.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented",
                           **fast)
        compare_run.input(remember, compare_run, after_run, api_visibility="private", **fast)
        order.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented", **fast)
        evaluate_btn.click(run_evaluation, [compare_run, eval_samples, order], evaluation_outputs,
                           api_visibility="private", show_progress_on=[evaluation_summary], **on_models)
        api_evaluate = gr.Button(visible=False)  # the API's endpoint: raises errors instead of showing them
        api_evaluate.click(evaluate_api, [compare_run, eval_samples, order], evaluation_outputs[:4],
                           api_name="evaluate", **on_models)

        dialogue_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented",
                            **fast)
        dialogue_run.input(remember, dialogue_run, after_run, api_visibility="private", **fast)
        dialogue_run.change(picked_after, dialogue_run, run_note, api_visibility="private", **fast)
        dialogue_outputs = [dialogue_notice, before_diff, before_scores, after_diff, after_scores]
        dialogue_btn.click(compare_dialogue_view, [dialogue, dialogue_run], dialogue_outputs,
                           api_visibility="private", show_progress_on=[dialogue_notice], **on_models)
        dialogue_examples.load_input_event.then(compare_dialogue_view, [dialogue, dialogue_run], dialogue_outputs,
                                                api_visibility="private", show_progress_on=[dialogue_notice],
                                                **on_models)
        gr.api(summarize_dialogue, api_name="summarize_dialogue", **on_models)

        runs_outputs = [runs_reward, runs_kl, runs_table, runs_pick, runs_pareto]
        runs_tab.select(runs_view, runs_pick, runs_outputs, api_visibility="undocumented", **fast)
        refresh_btn.click(runs_view, runs_pick, runs_outputs, api_name="list_runs", **fast)
        use_btn.click(use_as_after, runs_pick, [compare_run, dialogue_run, after_run, tabs],
                      api_visibility="undocumented", **quiet, **fast)
        delete_btn.click(ask_delete, runs_pick, [confirm_btn, cancel_btn], api_visibility="undocumented", **quiet,
                         **fast)
        cancel_btn.click(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
        runs_pick.change(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
        confirm_btn.click(confirm_delete, runs_pick, [*runs_outputs, confirm_btn, cancel_btn], api_name="delete_run",
                          **quiet, **fast)

        demo.load(poll_training, [seen_version, smoothing], train_outputs, api_visibility="private", **fast)
        demo.load(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="private", **fast).then(
            open_shared_run, None, [compare_run, dialogue_run, after_run, tabs], api_visibility="private", **fast)
        demo.load(runs_view, runs_pick, runs_outputs, api_visibility="private", **fast)

    demo.queue(default_concurrency_limit=1)  # unlimited queue: requests wait their turn, none is dropped
    return demo


STOP_NOW_JS = """() => {
  const stop = document.querySelector('#stop');
  if (stop) stop.disabled = true;
  const badge = document.querySelector('#run-card .badge');
  if (badge) badge.textContent = 'Stopping';
  const status = document.querySelector('#run-card .run-status');
  if (status) status.textContent = 'stopping after the current step';
}"""


def main() -> None:
    """`python app.py`: the page answers first, the models load behind a loading banner."""
    plan = serving.startup_plan()
    print(startup_line(plan), flush=True)
    demo = build_app()
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), prevent_thread_lock=True,
                **launch_kwargs())
    serving.start_loading()
    demo.block_thread()


if __name__ == "__main__":
    main()
