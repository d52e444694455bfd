"""detox-rlhf in the browser: train with PPO, RLOO or GRPO live, compare before and after, try your own dialogue.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

Layout and wiring only: handlers call the `webapp` modules (`startup`, `job_control`, `run_list`,
`evaluation`, `compare`; README: "The app"), and `webapp.tab_views` turns what they return into each
tab's outputs. The Train tab's settings are one list, `webapp.knobs.KNOBS`: it builds their controls
and names the start handler's keywords. Importing this module loads no model; `python app.py` answers
before the models are loaded (a banner shows meanwhile; buttons that need them wait).

UI handlers show errors as one line in the tab (no stale results); the API endpoints raise them.
"""

import os

os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")  # nothing is sent home
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

import webapp.ratings_tab as ratings_tab  # noqa: E402
from rlhf_core import UserError, get_config  # noqa: E402
from webapp import compare, evaluation, evaluation_views, job_control, plots, run_list, startup, tab_views, views  # noqa: E402,E501
from webapp.examples import examples_for  # noqa: E402
from webapp.jobs import JobSnapshot  # noqa: E402
from webapp.knobs import KNOBS, TrainSettings  # noqa: E402
from webapp.limits import knob_default, limits  # noqa: E402

__all__ = ["build_app", "launch_kwargs"]

# --------------------------------------------------------------------------------------------
# Handlers: each one calls a webapp module; tab_views formats what comes back
# --------------------------------------------------------------------------------------------


def _viewer(request: gr.Request | None) -> str | None:
    return getattr(request, "session_hash", None)


def start_training(preset: str, label: str = "", smoothing: float = 0.0, request: gr.Request = None,
                   **knob_values):
    """Starts a run of `preset` with the Train tab's knob values (one keyword per `KNOBS` name); a
    refused start (limits, bad values) shows one error line on the run card."""
    viewer = _viewer(request)
    try:
        started, snap = job_control.start_training(TrainSettings(preset, **knob_values), viewer, label, request)
    except UserError as error:
        return tab_views.train_view(job_control.JOBS.snapshot(), viewer, smoothing=smoothing, error=str(error))
    notice = None if started else ("A run is already in progress, so a second one was not started. "
                                   "You are watching it live; Start is available again when it ends.")
    return tab_views.train_view(snap, viewer, notice, smoothing)


def stop_training(smoothing: float = 0.0, request: gr.Request = None):
    viewer = _viewer(request)
    try:
        snap = job_control.stop_training(viewer)
    except UserError as error:
        return tab_views.train_view(job_control.JOBS.snapshot(), viewer, smoothing=smoothing, error=str(error))
    return tab_views.train_view(snap, viewer, smoothing=smoothing)


def poll_training(seen_version=None, smoothing: float = 0.0, request: gr.Request = None):
    """The timer's tick: the Train tab's view, or no update if nothing changed since `seen_version`."""
    snap = job_control.JOBS.snapshot()
    if seen_version == snap.version:
        return tuple(gr.skip() for _ in range(tab_views.TRAIN_OUTPUT_COUNT))
    return tab_views.train_view(snap, _viewer(request), smoothing=smoothing)


def redraw_training(smoothing: float = 0.0, request: gr.Request = None):
    """The Train tab's view with a new smoothing."""
    return tab_views.train_view(job_control.JOBS.snapshot(), _viewer(request), smoothing=smoothing)


def show_banner(plan: startup.StartupPlan):
    """The models banner while they load; the timer that polls it stops once they are loaded (or failed)."""
    loaded, error = startup.loaded_startup(), startup.startup_error()
    return views.banner_html(plan, loaded, error), gr.Timer(active=loaded is None and error is None)


def refresh_after(chosen: str | None):
    """Both "after" pickers: the visitor's explicit choice if it still exists, else the best run."""
    return (tab_views.after_choices(chosen),) * 2


def remember(run_name: str | None) -> str | None:
    """Keeps the visitor's explicit "after" choice (a picker changed by hand or "Use as after")."""
    return run_name


def open_shared_run(request: gr.Request = None):
    """`?run=NAME` in the address opens that run's comparison (Before vs after) for this visitor."""
    name = (getattr(request, "query_params", None) or {}).get("run") if request else None
    if not name or name not in run_list.finished_run_names():
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    update = tab_views.after_choices(name)
    return update, update, name, gr.Tabs(selected="compare")


def evaluate_api(run_name: str | None, samples: int, order: str):
    """The API's evaluation: raises the error (the page shows it in the tab instead)."""
    try:
        evaluation.evaluate(run_name, samples)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return tab_views.show_evaluation(run_name, order)[:4]


def run_evaluation(run_name: str | None, samples: int, order: str, progress=gr.Progress()):
    """Evaluates the run, its progress on the bar; an error replaces the tab's results with one line."""
    try:
        evaluation.evaluate(run_name, samples, progress)
    except UserError as error:
        return tab_views.show_evaluation(None, order, error=str(error))[:6]
    return tab_views.show_evaluation(run_name, order)[:6]  # the phone's cards come with after_evaluation


def summarize_dialogue(dialogue: str, run_name: str | None) -> tuple[str, str, str, str, str]:
    """The API: summaries before and after RLHF as text, with reward and toxicity (raises on bad input)."""
    try:
        result = compare.compare_dialogue(dialogue, run_name or None)
    except UserError as error:
        raise gr.Error(str(error)) from None
    notes, _, before_scores, _, after_scores = tab_views.dialogue_view(result)  # the API returns plain text
    return (notes, result.before.text, before_scores, result.after.text if result.after else "", after_scores)


compare_dialogue_view = tab_views.dialogue_page  # the page: the diff of both summaries; an error is one line


def use_as_after(run_name: str | None):
    if not run_name:
        raise gr.Error("pick a run first")
    if run_name not in run_list.finished_run_names():
        raise gr.Error(f"run {run_name} cannot be used as 'after': it is training or has no checkpoint")
    update = tab_views.after_choices(run_name)
    return update, update, run_name, gr.Tabs(selected="compare")


def ask_delete(run_name: str | None):
    if not run_name:
        raise gr.Error("pick a run to delete")
    return gr.Button(value=f"Delete {run_name} permanently", visible=True), gr.Button(visible=True)


def hide_delete():
    return gr.Button(visible=False), gr.Button(visible=False)


def confirm_delete(run_name: str | None):
    try:
        run_list.delete(run_name or "")
    except UserError as error:
        raise gr.Error(str(error)) from None
    gr.Info(f"Deleted run {run_name}")
    return (*tab_views.runs_view(), gr.Button(visible=False), gr.Button(visible=False))


# --------------------------------------------------------------------------------------------
# Layout
# --------------------------------------------------------------------------------------------

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate")


def launch_kwargs() -> dict:
    """Theme, CSS, page script and upload cap (launch() options in Gradio 6), for `python app.py` and the tests."""
    return {"theme": THEME, "css": views.CSS, "js": views.PAGE_JS, "run_history": False,
            "max_file_size": limits().max_upload}


# Run pickers get their choices per visitor; API callers name runs that did not exist when the page
# was built, so any value passes the component and run_list checks that the run exists.
RUN_PICKER = dict(allow_custom_value=True)
CHART = dict(show_label=False, min_width=300)
DIFF = dict(color_map=views.DIFF_COLORS, combine_adjacent=True)


def build_app(loaded: startup.Startup | None = None) -> gr.Blocks:
    """Builds the page on `loaded` models, or on the server's start-up plan while its models load
    in the background (`startup.start_loading`)."""
    plan = loaded or startup.startup_plan()
    if plan.preset is None:
        raise UserError("no preset can be loaded: " + "; ".join(plan.problems))
    lim, config = limits(), get_config(plan.preset)
    examples = examples_for(plan.preset)

    with gr.Blocks(title="Detox RLHF") as demo:
        gr.Markdown(views.TITLE, elem_id="app-title")
        banner = gr.HTML(views.banner_html(plan, loaded), elem_id="models-banner-slot")
        plan_state = gr.State(plan)
        after_run = gr.State(None)  # this visitor's choice of "after" run, shared by the tabs
        seen_version = gr.State(-1)  # the job version this visitor's Train tab shows

        with gr.Tabs(selected="train") as tabs:
            with gr.Tab("Train", id="train", elem_id="tab-train"):
                gr.HTML(views.toy_notice_html(plan.preset), elem_id="toy-notice-train")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=280, elem_id="train-controls"):
                        with gr.Row():
                            start_btn = gr.Button("Start", variant="primary", elem_id="start", min_width=100)
                            stop_btn = gr.Button("Stop", variant="stop", interactive=False, elem_id="stop",
                                                 min_width=100)
                        with gr.Row():
                            preset = gr.Dropdown(startup.available_presets(), value=plan.preset, label="Preset",
                                                 elem_id="preset", min_width=130,
                                                 info="Models and data; demo = shipped toy models")
                            label = gr.Textbox("", label="Run label", placeholder="e.g. strong-kl", max_length=40,
                                               elem_id="run-label", info="Added to the run's name", min_width=130)
                        controls = {}  # one per knob, hidden while the chosen algorithm does not read it
                        for row in tab_views.knob_rows(KNOBS):
                            with gr.Row():
                                for k in row:
                                    controls[k.name] = tab_views.knob_control(k, knob_default(k, config, lim),
                                                                              config.algo, lim)
                        smoothing = gr.Slider(0, 0.95, value=0.6, step=0.05, label="Chart smoothing",
                                              elem_id="smoothing", info=plots.SMOOTHING_HELP)
                    with gr.Column(scale=3, min_width=300):
                        progress = gr.HTML(views.progress_html(JobSnapshot()), elem_id="train-progress")
                        headline = gr.HTML(views.headline_html([]), elem_id="headline-slot")
                        with gr.Row(equal_height=False):
                            toxicity_plot = gr.Plot(plots.toxicity_figure([]), elem_id="toxicity-plot", **CHART)
                            reward_plot = gr.Plot(plots.reward_figure([]), elem_id="reward-plot", **CHART)
                        with gr.Row(equal_height=False):
                            kl_plot = gr.Plot(plots.kl_figure([]), elem_id="kl-plot", **CHART)
                            with gr.Column(min_width=300):
                                gr.Markdown(views.KL_NOTE, elem_classes="limits")
                                with gr.Accordion("What am I looking at?", open=False, elem_id="explain"):
                                    gr.Markdown(views.WHAT_AM_I_LOOKING_AT)
                        with gr.Accordion("Sampled summaries of the latest step", open=False):
                            samples_df = gr.Dataframe(views.samples_table([]), show_label=False, interactive=False,
                                                      wrap=True, datatype=["markdown", "number", "markdown"],
                                                      column_widths=["45%", "10%", "45%"], elem_id="samples-table")
                        with gr.Accordion("More statistics (returns or advantages, the last steps)", open=False):
                            returns_plot = gr.Plot(plots.returns_figure([]), show_label=False, elem_id="returns-plot")
                            stats_df = gr.Dataframe(views.stats_table([]), label=f"Last {views.TABLE_STEPS} steps",
                                                    interactive=False, elem_id="stats-table")

            with gr.Tab("Before vs after", id="compare", elem_id="tab-compare") as compare_tab:
                gr.HTML(views.toy_notice_html(plan.preset), elem_id="toy-notice-compare")
                gr.Markdown(evaluation_views.COMPARE_INTRO, elem_classes="tab-intro")
                with gr.Row(equal_height=False):
                    compare_run = gr.Dropdown([], label="After: trained run", scale=3, elem_id="compare-run",
                                              info="Steps, algorithm and evaluation status; the default is the "
                                                   "evaluated run that cut toxicity most", min_width=260, **RUN_PICKER)
                    most = lim.max_eval_samples
                    eval_samples = tab_views.limit_slider(1, most, value=min(config.eval.samples, most), step=1,
                                                          scale=2, label="Test dialogues", elem_id="eval-samples",
                                                          min_width=200, info=f"At most {most} on this server")
                    with gr.Column(scale=1, min_width=160):
                        evaluate_btn = gr.Button("Evaluate", variant="primary", elem_id="evaluate")
                        csv_btn = gr.DownloadButton("Download CSV", visible=False, elem_id="download-csv", size="sm")
                        charts_btn = gr.DownloadButton("Download charts", visible=False, elem_id="download-charts",
                                                       size="sm")
                evaluation_summary = gr.HTML(evaluation_views.evaluation_html(None, None), elem_id="evaluation-summary")
                ratings_tab.beside_classifiers(compare_run, compare_tab, evaluation_summary)  # people, same pairs
                with gr.Row():
                    toxicity_bar = gr.Plot(plots.placeholder("Toxicity", "Evaluate a run to compare"),
                                           elem_id="toxicity-bars", **CHART)
                    rouge_bar = gr.Plot(plots.placeholder("ROUGE", "Evaluate a run to compare"), elem_id="rouge-bars",
                                        **CHART)
                orders = evaluation_views.ORDERS
                order = gr.Radio(orders, value=orders[0], label="Order", elem_id="order")
                comparison = gr.Dataframe(evaluation_views.comparison_table(None, orders[0]), interactive=False,
                                          label=evaluation_views.COMPARISON_LABEL, wrap=True, max_height=640,
                                          elem_id="comparison-table", datatype=evaluation_views.COMPARISON_DATATYPES,
                                          column_widths=["24%", "19%", "19%", "11%", "9%", "8%", "10%"])
                comparison_cards = gr.HTML("", elem_id="comparison-cards")  # the table on a phone

            ratings_tab.build(after_run, plan.preset)  # Rate: blind ratings of before vs after
            with gr.Tab("Your dialogue", id="dialogue", elem_id="tab-dialogue") as dialogue_tab:
                gr.HTML(views.toy_notice_html(plan.preset), elem_id="toy-notice-dialogue")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=2, min_width=300):
                        dialogue = gr.Textbox(examples[0].dialogue, **views.DIALOGUE_BOX, label="Dialogue",
                                              placeholder="#Person1#: ...\n#Person2#: ...", elem_id="dialogue-input")
                        dialogue_run = gr.Dropdown([], label="After: trained run", elem_id="dialogue-run",
                                                   info="Default: the evaluated run that cut toxicity most",
                                                   **RUN_PICKER)
                        run_note = gr.HTML("", elem_id="dialogue-run-note")
                        dialogue_btn = gr.Button("Summarize before and after", variant="primary", elem_id="dialogue-go")
                        dialogue_examples = gr.Examples(
                            [[e.dialogue] for e in examples], inputs=[dialogue], label="Examples (click one)",
                            example_labels=[e.title for e in examples], cache_examples=False,
                            elem_id="dialogue-examples")
                    with gr.Column(scale=3, min_width=300):
                        dialogue_notice = gr.HTML("", elem_id="dialogue-notice")
                        before_scores = gr.HTML(views.score_html(None, "Before RLHF", "The starting policy."),
                                                elem_id="before-scores")
                        before_diff = gr.HighlightedText(label="Summary before RLHF (grey: dropped after RLHF)",
                                                         show_legend=False, elem_id="summary-before", **DIFF)
                        after_scores = gr.HTML(views.score_html(None, "After RLHF", "The policy of the picked run."),
                                               elem_id="after-scores")
                        after_diff = gr.HighlightedText(label="Summary after RLHF (green: new words)",
                                                        show_legend=True, elem_id="summary-after", **DIFF)
                        gr.Markdown(views.DIFF_NOTE, elem_classes="limits")

            with gr.Tab("Runs", id="runs", elem_id="tab-runs") as runs_tab:
                gr.HTML(views.toy_notice_html(plan.preset), elem_id="toy-notice-runs")
                gr.Markdown(evaluation_views.RUNS_INTRO, elem_classes="tab-intro")
                with gr.Row():
                    runs_reward = gr.Plot(plots.placeholder("Reward by run", ""), elem_id="runs-reward", **CHART)
                    runs_kl = gr.Plot(plots.placeholder("KL by run", ""), elem_id="runs-kl", **CHART)
                runs_pareto = gr.Plot(plots.placeholder("Toxicity vs quality", ""), show_label=False,
                                      elem_id="runs-pareto")
                runs_table = gr.Dataframe(label=evaluation_views.RUNS_LABEL, interactive=False, elem_id="runs-table")
                with gr.Row(equal_height=False):
                    runs_pick = gr.Dropdown([], label="Run", scale=2, elem_id="runs-pick", min_width=260, **RUN_PICKER)
                    with gr.Column(scale=2, min_width=260):
                        with gr.Row():
                            use_btn = gr.Button("Use as \"after\"", variant="primary", elem_id="use-after")
                            delete_btn = gr.Button("Delete…", variant="stop", elem_id="delete",
                                                   visible=not lim.public)  # off on a public server
                            refresh_btn = gr.Button("Refresh", elem_id="refresh-runs")
                        with gr.Row():
                            confirm_btn = gr.Button("Delete permanently", variant="stop", visible=False,
                                                    elem_id="confirm-delete")
                            cancel_btn = gr.Button("Cancel", visible=False, elem_id="cancel-delete")

        timer = gr.Timer(1.0)  # the Train tab asks for the job's news every second
        banner_timer = gr.Timer(0.5, active=loaded is None)

        train_outputs = [progress, headline, toxicity_plot, reward_plot, kl_plot, returns_plot, stats_df, samples_df,
                         start_btn, stop_btn, seen_version]
        assert len(train_outputs) == tab_views.TRAIN_OUTPUT_COUNT
        fast = dict(concurrency_limit=None)  # cheap reads of shared state: never queue behind model work
        on_models = dict(concurrency_id="models", concurrency_limit=1)  # inference and evaluation take turns
        quiet = dict(show_progress="hidden")  # errors come as one toast, not a red badge on every output
        private, undocumented = dict(api_visibility="private", **fast), dict(api_visibility="undocumented", **fast)

        start_btn.click(None, None, None, js=views.SHOW_RUN_CARD_JS)
        start_btn.click(start_training, [preset, label, smoothing], train_outputs, inputs_kwargs=controls,
                        api_name="start_training", **fast)
        # Stop acts in the page at once (views.STOP_NOW_JS), then asks the job, outside the queue, to stop.
        stop_btn.click(None, None, None, js=views.STOP_NOW_JS)
        stop_btn.click(stop_training, smoothing, train_outputs, api_name="stop_training", queue=False)
        timer.tick(poll_training, [seen_version, smoothing], train_outputs, api_name="poll_training", **undocumented)
        smoothing.release(redraw_training, smoothing, train_outputs, **private)
        preset.change(tab_views.knob_updates, preset, list(controls.values()), **undocumented)
        controls["algo"].change(tab_views.knob_updates, [preset, controls["algo"]], list(controls.values()),
                                **undocumented)
        gr.api(job_control.training_progress, api_name="training_progress", **fast)
        banner_timer.tick(show_banner, plan_state, [banner, banner_timer], **private)

        compare_tab.select(refresh_after, after_run, [compare_run, dialogue_run], **undocumented)
        evaluation_outputs = [evaluation_summary, toxicity_bar, rouge_bar, comparison, csv_btn, charts_btn,
                              comparison_cards]
        compare_run.change(tab_views.show_evaluation, [compare_run, order], evaluation_outputs, **undocumented)
        compare_run.input(remember, compare_run, after_run, **private)
        order.change(tab_views.show_evaluation, [compare_run, order], evaluation_outputs, **undocumented)
        evaluate_btn.click(run_evaluation, [compare_run, eval_samples, order], evaluation_outputs[:6],
                           api_visibility="private", show_progress_on=[evaluation_summary], **on_models).then(
            tab_views.after_evaluation, [compare_run, order], [compare_run, dialogue_run, comparison_cards], **private)
        api_evaluate = gr.Button(visible=False)  # the API's endpoint: raises errors instead of showing them
        api_evaluate.click(evaluate_api, [compare_run, eval_samples, order], evaluation_outputs[:4],
                           api_name="evaluate", **on_models)

        dialogue_tab.select(refresh_after, after_run, [compare_run, dialogue_run], **undocumented)
        dialogue_run.input(remember, dialogue_run, after_run, **private)
        dialogue_run.change(tab_views.picked_after, dialogue_run, run_note, **private)
        dialogue_outputs = [dialogue_notice, before_diff, before_scores, after_diff, after_scores]
        for trigger in (dialogue_btn.click, dialogue_examples.load_input_event.then):
            trigger(compare_dialogue_view, [dialogue, dialogue_run], dialogue_outputs, api_visibility="private",
                    show_progress_on=[dialogue_notice], **on_models)
        gr.api(summarize_dialogue, api_name="summarize_dialogue", **on_models)

        runs_outputs = [runs_reward, runs_kl, runs_table, runs_pick, runs_pareto]
        runs_tab.select(tab_views.runs_view, runs_pick, runs_outputs, **undocumented)
        refresh_btn.click(tab_views.runs_view, runs_pick, runs_outputs, api_name="list_runs", **fast)
        use_btn.click(use_as_after, runs_pick, [compare_run, dialogue_run, after_run, tabs], **quiet, **undocumented)
        delete_btn.click(ask_delete, runs_pick, [confirm_btn, cancel_btn], **quiet, **undocumented)
        cancel_btn.click(hide_delete, None, [confirm_btn, cancel_btn], **private)
        runs_pick.change(hide_delete, None, [confirm_btn, cancel_btn], **private)
        confirm_btn.click(confirm_delete, runs_pick, [*runs_outputs, confirm_btn, cancel_btn], api_name="delete_run",
                          **quiet, **fast)

        demo.load(poll_training, [seen_version, smoothing], train_outputs, **private)
        demo.load(refresh_after, after_run, [compare_run, dialogue_run], **private).then(
            open_shared_run, None, [compare_run, dialogue_run, after_run, tabs], **private)
        demo.load(tab_views.runs_view, runs_pick, runs_outputs, **private)

    demo.queue(default_concurrency_limit=1)  # unlimited queue: requests wait their turn, none is dropped
    return demo


def main() -> None:
    """`python app.py`: the page answers first, the models load behind a loading banner."""
    plan = startup.startup_plan()
    print(views.startup_line(plan), flush=True)
    demo = build_app()
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), prevent_thread_lock=True,
                **launch_kwargs())
    startup.start_loading()
    demo.block_thread()


if __name__ == "__main__":
    main()
