"""detox-rlhf in the browser: train with PPO live, compare before and after, try your own dialogue.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

Wiring only: handlers call `rlhf_core.serving` (shared models, the server's one training job,
limits; README: "The app") and format with `ui.views` / `ui.plots`. `build_app()` builds the
page; importing this module loads no model.
"""

import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # nothing is sent home
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import time  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from rlhf_core import UserError, get_config, serving  # noqa: E402
from ui.plots import (  # noqa: E402
    kl_figure,
    overlay_figure,
    placeholder,
    returns_figure,
    reward_figure,
    rouge_bars,
    toxicity_bars,
    toxicity_figure,
)
from ui.views import (  # noqa: E402
    CSS,
    EXAMPLE_DIALOGUE,
    ORDERS,
    TABLE_STEPS,
    banner_html,
    comparison_table,
    esc,
    evaluation_cells,
    evaluation_html,
    fmt,
    model_name,
    progress_html,
    samples_table,
    score_html,
    stats_table,
)

__all__ = ["build_app", "launch_kwargs", "EXAMPLE_DIALOGUE", "banner_html", "model_name", "progress_html"]

POLL_SECONDS = 1.0
TRAIN_OUTPUT_COUNT = 10  # what train_view returns: the Train tab's outputs

# --------------------------------------------------------------------------------------------
# Handlers: each one calls serving and formats what comes back
# --------------------------------------------------------------------------------------------


def _viewer(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None)


def train_view(snap: serving.JobSnapshot, viewer: str | None = None, notice: str | None = None) -> tuple:
    """Everything the Train tab shows for one snapshot (the outputs of start, stop and poll)."""
    stats = serving.clean_stats(snap.stats)
    target = snap.settings.get("target_kl") if snap.settings.get("adaptive_kl") else None
    return (
        progress_html(snap, viewer, notice),
        reward_figure(stats, snap.total_steps), kl_figure(stats, snap.total_steps, target),
        returns_figure(stats, snap.total_steps), toxicity_figure(stats, snap.total_steps),
        stats_table(stats), samples_table(snap.samples),
        gr.Button(interactive=not snap.active), gr.Button(interactive=snap.active and snap.state != serving.STOPPING),
        snap.version,
    )


def start_training(preset, steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed,
                   request: gr.Request = None):
    settings = serving.TrainSettings(preset, steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl,
                                     seed)
    try:
        started, snap = serving.start_training(settings, owner=_viewer(request))
    except UserError as error:
        raise gr.Error(str(error)) from None
    notice = None if started else ("A run is already in progress, so a second one was not started. "
                                   "You are watching it live; Start is available again when it ends.")
    return train_view(snap, _viewer(request), notice)


def stop_training(request: gr.Request = None):
    try:
        snap = serving.stop_training(_viewer(request))
    except UserError as error:
        raise gr.Error(str(error)) from None
    return train_view(snap, _viewer(request))


def poll_training(seen_version=None, request: gr.Request = None):
    """The timer's tick: the Train tab's view, or no update if nothing changed since `seen_version`."""
    snap = serving.JOBS.snapshot()
    if seen_version == snap.version:
        return tuple(gr.skip() for _ in range(TRAIN_OUTPUT_COUNT))
    return train_view(snap, _viewer(request))


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
    return s.steps, s.batch_size, s.learning_rate, s.init_kl_coef, s.adaptive_kl, s.target_kl, s.seed


def after_choices(current: str | None = None):
    """The runs that can be "after", keeping `current` if it still qualifies, else the newest."""
    names = serving.finished_run_names()
    value = current if current in names else (names[0] if names else None)
    return gr.Dropdown(choices=names, value=value)


def refresh_after(chosen: str | None):
    """Both "after" pickers: the visitor's explicit choice if it still exists, else the newest run."""
    update = after_choices(chosen)
    return update, update


def remember(run_name: str | None) -> str | None:
    """Keeps the visitor's explicit "after" choice (a picker changed by hand or "Use as after")."""
    return run_name


def show_evaluation(run_name: str | None, order: str):
    evaluation = serving.saved_evaluation(run_name) if run_name else None
    report = evaluation.report if evaluation else {}
    if evaluation is None:
        return (evaluation_html(None, run_name), placeholder("Toxicity", "Evaluate a run to compare"),
                placeholder("ROUGE", "Evaluate a run to compare"), comparison_table(None, order))
    return (evaluation_html(evaluation, run_name), toxicity_bars(report), rouge_bars(report),
            comparison_table(evaluation, order))


def run_evaluation(run_name: str | None, samples: int, order: str):
    try:
        serving.evaluate(run_name, samples)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return show_evaluation(run_name, order)


def summarize_dialogue(dialogue: str, run_name: str | None):
    """Summaries of the dialogue before and after RLHF, with reward and toxicity for each."""
    try:
        result = serving.compare_dialogue(dialogue, run_name or None)
    except UserError as error:
        raise gr.Error(str(error)) from None
    notes = []
    if result.truncated:
        notes.append(f"The dialogue is longer than the model's window ({result.max_prompt_tokens} tokens with the "
                     "prompt), so only its beginning was summarised.")
    if result.after is None:
        notes.append("No trained run is picked, so only the starting policy's summary is shown.")
    notice = "".join(f'<div class="note">{esc(n)}</div>' for n in notes)
    after_title = f"After RLHF (run {result.after_run})" if result.after_run else "After RLHF"
    return (notice, result.before.text, score_html(result.before, "Before RLHF"),
            result.after.text if result.after else "", score_html(result.after, after_title))


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
            "steps": f"{info.steps_done}/{cfg.steps}", "batch": cfg.ppo.batch_size, "lr": f"{cfg.ppo.learning_rate:g}",
            "KL control": (f"adaptive {cfg.ppo.init_kl_coef:g} → {cfg.ppo.target_kl:g}" if cfg.ppo.adaptive_kl
                           else f"fixed {cfg.ppo.init_kl_coef:g}"),
            "seed": cfg.seed, "reward on": cfg.reward.text,
            "last reward": fmt(last.get("env/reward_mean")), "last KL": fmt(last.get("objective/kl")),
            "flagged toxic": toxicity, "ROUGE-L": rouge_l,
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created)),
        })
    columns = ["run", "status", "steps", "flagged toxic", "ROUGE-L", "last reward", "last KL", "preset", "batch", "lr",
               "KL control", "seed", "reward on", "created"]
    names = [info.name for info in infos]
    value = selected if selected in names else (names[0] if names else None)
    curves = [(info.name, info.metrics) for info in infos]
    return (overlay_figure(curves, "env/reward_mean", "Reward (mean) by run"),
            overlay_figure(curves, "objective/kl", "KL to the reference by run"),
            pd.DataFrame(rows, columns=columns), gr.Dropdown(choices=names, value=value))


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
    """Builds the page on `startup`'s models (default: the server's, loaded on first use)."""
    startup = startup or serving.startup()
    limits = serving.limits()
    startup_settings = serving.default_settings(startup.preset)
    eval_default = min(get_config(startup.preset).eval.samples, limits.max_eval_samples)

    with gr.Blocks(title="Detox RLHF") as demo:
        gr.Markdown(
            "# Detox RLHF: less toxic dialogue summaries\n"
            "PPO fine-tunes a summarizer's LoRA adapter to please a hate-speech reward model, while a KL penalty "
            "keeps it close to the starting model. Train a run, watch it learn, then compare before and after.",
            elem_id="app-title")
        gr.HTML(banner_html(startup))
        after_run = gr.State(None)  # this visitor's choice of "after" run, shared by the tabs
        seen_version = gr.State(-1)  # the job version this visitor's Train tab shows

        with gr.Tabs(selected="train") as tabs:
            with gr.Tab("Train", id="train", elem_id="tab-train"):
                _intro("Start a PPO run and watch the reward climb while KL stays in check. One run at a time on this "
                       "server: everyone sees the same run live.")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=270):
                        presets = serving.available_presets()
                        preset = gr.Dropdown(presets, value=startup.preset, label="Preset", elem_id="preset")
                        steps = gr.Slider(1, limits.max_steps, value=startup_settings.steps, step=1, label="PPO steps",
                                          elem_id="steps")
                        batch_size = gr.Slider(1, limits.max_batch_size, value=startup_settings.batch_size, step=1,
                                               label="Batch size (dialogues per step)", elem_id="batch-size")
                        learning_rate = gr.Number(startup_settings.learning_rate, label="Learning rate",
                                                  elem_id="learning-rate")
                        adaptive_kl = gr.Checkbox(startup_settings.adaptive_kl,
                                                  label="Adaptive KL coefficient (aims at the target KL)",
                                                  elem_id="adaptive-kl")
                        with gr.Row():
                            init_kl_coef = gr.Number(startup_settings.init_kl_coef, label="KL coefficient (start)",
                                                     elem_id="kl-coef", min_width=100)
                            target_kl = gr.Number(startup_settings.target_kl, label="Target KL", elem_id="target-kl",
                                                  min_width=100)
                        seed = gr.Number(startup_settings.seed, precision=0, label="Seed", elem_id="seed")
                        with gr.Row():
                            start_btn = gr.Button("Start", variant="primary", elem_id="start")
                            stop_btn = gr.Button("Stop", variant="stop", interactive=False, elem_id="stop")
                        gr.Markdown(f"Limits on this server: up to {limits.max_steps} steps and a batch of "
                                    f"{limits.max_batch_size} dialogues.", elem_classes="limits")
                    with gr.Column(scale=3):
                        progress = gr.HTML(progress_html(serving.JobSnapshot()), elem_id="train-progress")
                        with gr.Row():
                            reward_plot = gr.Plot(reward_figure([]), show_label=False, elem_id="reward-plot")
                            kl_plot = gr.Plot(kl_figure([]), show_label=False, elem_id="kl-plot")
                        with gr.Row():
                            returns_plot = gr.Plot(returns_figure([]), show_label=False, elem_id="returns-plot")
                            toxicity_plot = gr.Plot(toxicity_figure([]), show_label=False, elem_id="toxicity-plot")
                        stats_df = gr.Dataframe(stats_table([]), label=f"Last {TABLE_STEPS} steps", interactive=False,
                                                elem_id="stats-table")
                        with gr.Accordion("Sampled summaries of the latest step", open=False):
                            samples_df = gr.Dataframe(samples_table([]), show_label=False, interactive=False, wrap=True,
                                                      elem_id="samples-table")

            with gr.Tab("Before vs after", id="compare", elem_id="tab-compare") as compare_tab:
                _intro("The same held-out test dialogues for every run, summarised by the starting policy and by a "
                       "trained run (greedy, and sampled several times), scored by the reward model and by an "
                       "independent judge: toxicity, ROUGE, invented numbers and names, every summary side by side.")
                with gr.Row(equal_height=False):
                    compare_run = gr.Dropdown([], label="After: trained run", scale=3, elem_id="compare-run",
                                              **RUN_PICKER)
                    eval_samples = gr.Slider(1, limits.max_eval_samples, value=eval_default, step=1,
                                             label="Test dialogues", scale=2, elem_id="eval-samples")
                    with gr.Column(scale=1, min_width=160):
                        evaluate_btn = gr.Button("Evaluate", variant="primary", elem_id="evaluate")
                evaluation_summary = gr.HTML(evaluation_html(None, None), elem_id="evaluation-summary")
                with gr.Row():
                    toxicity_bar = gr.Plot(placeholder("Toxicity", "Evaluate a run to compare"), show_label=False,
                                           elem_id="toxicity-bars")
                    rouge_bar = gr.Plot(placeholder("ROUGE", "Evaluate a run to compare"), show_label=False,
                                        elem_id="rouge-bars")
                order = gr.Radio(ORDERS, value=ORDERS[0], label="Order", elem_id="order")
                comparison = gr.Dataframe(comparison_table(None, ORDERS[0]), label="Summaries before and after",
                                          interactive=False, wrap=True, max_height=640, elem_id="comparison-table",
                                          column_widths=["29%", "20%", "20%", "10%", "10%", "11%"])

            with gr.Tab("Your dialogue", id="dialogue", elem_id="tab-dialogue") as dialogue_tab:
                _intro("Paste a conversation and compare the summary before and after RLHF, each with its reward and "
                       "toxicity.")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2):
                        dialogue = gr.Textbox(EXAMPLE_DIALOGUE, lines=10, max_lines=24, label="Dialogue",
                                              placeholder="#Person1#: ...\n#Person2#: ...", elem_id="dialogue-input")
                        dialogue_run = gr.Dropdown([], label="After: trained run", elem_id="dialogue-run", **RUN_PICKER)
                        dialogue_btn = gr.Button("Summarize before and after", variant="primary", elem_id="dialogue-go")
                    with gr.Column(scale=3):
                        dialogue_notice = gr.HTML("", elem_id="dialogue-notice")
                        with gr.Row(equal_height=True):
                            with gr.Column():
                                before_scores = gr.HTML(score_html(None, "Before RLHF", "The starting policy."),
                                                        elem_id="before-scores")
                                before_text = gr.Textbox(label="Summary before RLHF", lines=5, interactive=False,
                                                         elem_id="summary-before")
                            with gr.Column():
                                after_scores = gr.HTML(score_html(None, "After RLHF", "The policy of the picked run."),
                                                       elem_id="after-scores")
                                after_text = gr.Textbox(label="Summary after RLHF", lines=5, interactive=False,
                                                        elem_id="summary-after")

            with gr.Tab("Runs", id="runs", elem_id="tab-runs") as runs_tab:
                _intro("Every saved run on this server: compare their curves, configurations and evaluations; pick one "
                       "as the \"after\" model or delete it.")
                with gr.Row():
                    runs_reward = gr.Plot(placeholder("Reward by run", ""), show_label=False, elem_id="runs-reward")
                    runs_kl = gr.Plot(placeholder("KL by run", ""), show_label=False, elem_id="runs-kl")
                runs_table = gr.Dataframe(label=("Saved runs (share of summaries flagged toxic and ROUGE-L: "
                                                 "before → after, from the last evaluation)"),
                                          interactive=False, elem_id="runs-table")
                with gr.Row(equal_height=False):
                    runs_pick = gr.Dropdown([], label="Run", scale=2, elem_id="runs-pick", **RUN_PICKER)
                    with gr.Column(scale=2):
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

        train_outputs = [progress, reward_plot, kl_plot, returns_plot, toxicity_plot, stats_df, samples_df,
                         start_btn, stop_btn, seen_version]
        assert len(train_outputs) == TRAIN_OUTPUT_COUNT
        knobs = [steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed]
        fast = dict(concurrency_limit=None)  # cheap reads of shared state: never queue behind model work
        on_models = dict(concurrency_id="models", concurrency_limit=1)  # inference and evaluation take turns

        start_btn.click(start_training, [preset, *knobs], train_outputs, api_name="start_training", **fast)
        stop_btn.click(stop_training, None, train_outputs, api_name="stop_training", **fast)
        timer.tick(poll_training, seen_version, train_outputs, api_name="poll_training", api_visibility="undocumented",
                   **fast)
        preset.change(preset_defaults, preset, knobs, api_visibility="undocumented", **fast)
        gr.api(training_progress, api_name="training_progress", **fast)

        compare_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented", **fast)
        evaluation_outputs = [evaluation_summary, toxicity_bar, rouge_bar, comparison]
        compare_run.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented",
                           **fast)
        compare_run.input(remember, compare_run, after_run, api_visibility="private", **fast)
        order.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented", **fast)
        evaluate_btn.click(run_evaluation, [compare_run, eval_samples, order], evaluation_outputs, api_name="evaluate",
                           **on_models)

        dialogue_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented",
                            **fast)
        dialogue_run.input(remember, dialogue_run, after_run, api_visibility="private", **fast)
        dialogue_btn.click(summarize_dialogue, [dialogue, dialogue_run],
                           [dialogue_notice, before_text, before_scores, after_text, after_scores],
                           api_name="summarize_dialogue", **on_models)

        runs_outputs = [runs_reward, runs_kl, runs_table, runs_pick]
        runs_tab.select(runs_view, runs_pick, runs_outputs, api_visibility="undocumented", **fast)
        refresh_btn.click(runs_view, runs_pick, runs_outputs, api_name="list_runs", **fast)
        use_btn.click(use_as_after, runs_pick, [compare_run, dialogue_run, after_run, tabs],
                      api_visibility="undocumented",
                      **fast)
        delete_btn.click(ask_delete, runs_pick, [confirm_btn, cancel_btn], api_visibility="undocumented", **fast)
        cancel_btn.click(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
        runs_pick.change(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
        confirm_btn.click(confirm_delete, runs_pick, [*runs_outputs, confirm_btn, cancel_btn], api_name="delete_run",
                          **fast)

        demo.load(poll_training, seen_version, train_outputs, api_visibility="private", **fast)
        demo.load(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="private", **fast)
        demo.load(runs_view, runs_pick, runs_outputs, api_visibility="private", **fast)


    demo.queue(default_concurrency_limit=1)  # unlimited queue: requests wait their turn, none is dropped
    return demo


if __name__ == "__main__":
    build_app().launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), **launch_kwargs())
