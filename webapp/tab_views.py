"""What each tab shows, as Gradio components and updates: the Train tab's outputs for a job snapshot
and its knob controls, the "after" pickers, a run's evaluation, your dialogue's diff, the Runs tab.

Built from what the webapp modules return and formatted by `views`, `evaluation_views` and
`plots`; app.py's handlers return them.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import gradio as gr

from rlhf_core.config import get_config
from rlhf_core.errors import UserError
from rlhf_core.evaluation.pareto import evaluation_point
from rlhf_core.training.diagnostics import clean_stats

from . import compare, evaluation, evaluation_views, plots, run_list, views
from .compare import DialogueComparison
from .jobs import STOPPING, JobSnapshot
from .knobs import KNOBS, Knob
from .limits import Limits, knob_default, knob_help, limits

TRAIN_OUTPUT_COUNT = 11  # what train_view returns: the Train tab's outputs

_FIGURES: dict[tuple, tuple] = {}  # the last snapshots' charts, shared by every visitor polling them


def _train_figures(snap: JobSnapshot, smoothing: float) -> tuple:
    """The Train tab's four charts for a snapshot, built once per job version and smoothing (a
    chart costs 0.1-0.4 s of CPU; every visitor's tick would otherwise rebuild them)."""
    key = (snap.run_name, snap.version, len(snap.stats), snap.total_steps, smoothing)
    if key not in _FIGURES:
        stats = clean_stats(snap.stats)
        target = snap.settings.get("target_kl") if snap.settings.get("adaptive_kl") else None
        if len(_FIGURES) >= 8:
            _FIGURES.pop(next(iter(_FIGURES)))
        _FIGURES[key] = (plots.toxicity_figure(stats, snap.total_steps, smoothing),
                         plots.reward_figure(stats, snap.total_steps, smoothing),
                         plots.kl_figure(stats, snap.total_steps, target, smoothing),
                         plots.returns_figure(stats, snap.total_steps, smoothing))
    return _FIGURES[key]


def train_view(snap: JobSnapshot, viewer: str | None = None, notice: str | None = None,
               smoothing: float = 0.0, error: str | None = None) -> tuple:
    """Everything the Train tab shows for one snapshot (the outputs of start, stop and poll)."""
    stats = clean_stats(snap.stats)
    smoothing = float(smoothing or 0.0)
    card = views.progress_html(snap, viewer, notice)
    if error:
        card = views.error_html(error) + card
    return (
        card, views.headline_html(stats), *_train_figures(snap, smoothing),
        views.stats_table(stats), views.samples_table(snap.samples),
        gr.Button(interactive=not snap.active), gr.Button(interactive=snap.active and snap.state != STOPPING),
        snap.version,
    )


def knob_rows(knobs: tuple[Knob, ...]) -> list[list[Knob]]:
    """The knobs in display order, two numbers abreast, any other control on a row of its own."""
    rows: list[list[Knob]] = []
    for knob in knobs:
        narrow = knob.control in ("number", "whole number")
        if narrow and rows and len(rows[-1]) == 1 and rows[-1][0].control in ("number", "whole number"):
            rows[-1].append(knob)
        else:
            rows.append([knob])
    return rows


def _info(knob: Knob, algo: str, lim: Limits) -> str:
    """The knob's help as the control's info line, where a Doc's `beta * KL` would turn to emphasis."""
    return knob_help(knob, algo, lim).replace(" * ", " × ")


def limit_slider(*args, **kwargs) -> gr.Slider:
    """A gr.Slider whose maximum the app's own check enforces, so an API call beyond it gets the line that
    names the env var setting the limit (limits.within_limit), not Gradio's "greater than maximum value".

    The instance's `preprocess` is replaced, not subclassed: Gradio writes a type stub (.pyi) beside any
    module that subclasses a component, which fails on a read-only install."""
    slider = gr.Slider(*args, **kwargs)

    def preprocess(payload):
        if isinstance(payload, (int, float)) and not isinstance(payload, bool) and math.isfinite(payload):
            return gr.Number.round_to_precision(payload, slider.precision)
        return payload  # anything else goes to the knob check as it came (knobs.whole_number)

    slider.preprocess = preprocess
    return slider


def knob_control(knob: Knob, value, algo: str, lim: Limits):
    """The Train tab's control for `knob` at `value`, visible only if `algo` reads it."""
    shown = dict(label=knob.label, info=_info(knob, algo, lim), elem_id=knob.elem_id,
                 visible=knob.applies_to(algo))
    if knob.control == "dropdown":
        return gr.Dropdown(list(knob.choices), value=value, **shown)
    if knob.control == "slider":
        return limit_slider(1, lim.cap(knob.limit), value=value, step=1, **shown)
    if knob.control == "checkbox":
        return gr.Checkbox(value, **shown)
    return gr.Number(value, precision=0 if knob.control == "whole number" else None, min_width=130, **shown)


def knob_updates(preset: str, algo: str | None = None) -> list:
    """Every knob's control, shown only if `algo` reads it. Without `algo` (a new preset), each takes
    the preset's value and help for the preset's algorithm; with one, a knob that sets another field
    per algorithm (the KL coefficient) takes the preset's value and help for `algo`."""
    try:
        config, lim = get_config(preset), limits()
    except UserError as error:
        raise gr.Error(str(error)) from None
    updates = []
    for knob in KNOBS:
        use = algo or config.algo
        fresh = algo is None or (not isinstance(knob.key, str) and knob.applies_to(use))
        values = dict(value=knob_default(knob, config, lim, use), info=_info(knob, use, lim)) if fresh else {}
        updates.append(gr.update(visible=knob.applies_to(use), **values))
    return updates


def after_choices(current: str | None = None):
    """The runs that can be "after", labelled (steps, algorithm, evaluation); keeps `current` if it
    still qualifies, else the best evaluated run (run_list.best_after_run)."""
    choices = run_list.after_run_choices()
    names = [c.name for c in choices]
    value = current if current in names else run_list.best_after_run(choices)
    return gr.Dropdown(choices=[(c.label, c.name) for c in choices], value=value)


def picked_after(run_name: str | None) -> str:
    """The note under the "after" picker: a warning when the picked run is too short to mean much."""
    choice = run_list.run_choice(run_name)
    return views.dialogue_notes_html(None, after=choice) if choice is not None and choice.too_short else ""


def _downloads(result: evaluation.Evaluation | None, run_name: str | None):
    """The evaluation's CSV and its charts (one HTML file) as download buttons, or hidden buttons."""
    if result is None:
        return gr.DownloadButton(visible=False, value=None), gr.DownloadButton(visible=False, value=None)
    csv = evaluation.evaluation_csv(run_name)
    metrics = next((i.metrics for i in run_list.runs() if i.name == run_name), [])
    figures = [plots.toxicity_bars(result.report), plots.rouge_bars(result.report), plots.toxicity_figure(metrics),
               plots.reward_figure(metrics), plots.kl_figure(metrics)]
    charts = Path(tempfile.mkdtemp(prefix="detox-charts-")) / f"{run_name}-charts.html"
    charts.write_text(plots.figures_html(figures), encoding="utf-8")
    return (gr.DownloadButton(value=str(csv), visible=csv is not None),
            gr.DownloadButton(value=str(charts), visible=True))


def show_evaluation(run_name: str | None, order: str, error: str | None = None):
    """The "Before vs after" tab for a run's saved evaluation (or `error` in one line, no stale result):
    summary, two charts, the table, two downloads, and the table as cards for phones."""
    result = evaluation.saved_evaluation(run_name) if run_name else None
    if error:
        summary = views.error_html(error)
    else:
        summary = evaluation_views.evaluation_html(result, run_name)
        choice = run_list.run_choice(run_name)
        if choice is not None and choice.too_short:
            summary = views.dialogue_notes_html(None, after=choice) + summary
    summary += evaluation_views.share_html(run_name)
    if result is None:
        return (summary, plots.placeholder("Toxicity", "Evaluate a run to compare"),
                plots.placeholder("ROUGE", "Evaluate a run to compare"),
                evaluation_views.comparison_table(None, order), *_downloads(None, run_name), "")
    return (summary, plots.toxicity_bars(result.report), plots.rouge_bars(result.report),
            evaluation_views.comparison_table(result, order), *_downloads(result, run_name),
            evaluation_views.comparison_cards_html(result, order))


def after_evaluation(run_name: str | None, order: str):
    """After Evaluate: both "after" pickers relabelled (the run is evaluated now) and the phone's cards."""
    update = after_choices(run_name)
    result = evaluation.saved_evaluation(run_name) if run_name else None
    return update, update, evaluation_views.comparison_cards_html(result, order)


def dialogue_view(result: DialogueComparison) -> tuple:
    """Your dialogue's notes, both summaries as a word-level diff, and their score cards."""
    choice = run_list.run_choice(result.after_run) if result.after_run else None
    notes = views.dialogue_notes_html(None, result.unknown_share,
                                      result.max_prompt_tokens if result.truncated else None, choice,
                                      no_after=result.after is None,
                                      outside=result.world.notice() if result.outside else None)
    before_spans, after_spans = result.diff()
    after_title = f"After RLHF (run {result.after_run})" if result.after_run else "After RLHF"
    # The legend lists only the kinds of change this diff has (Gradio shows every color_map key).
    present = {label for _, label in before_spans + after_spans if label}
    after = gr.HighlightedText(after_spans, color_map={k: v for k, v in views.DIFF_COLORS.items() if k in present})
    meaningless = result.outside  # outside the toy models' world: no score means anything
    return (notes, before_spans, views.score_html(result.before, "Before RLHF", collapsed=result.before_collapse,
                                                  meaningless=meaningless), after,
            views.score_html(result.after, after_title, collapsed=result.after_collapse, meaningless=meaningless))


def dialogue_page(dialogue: str, run_name: str | None) -> tuple:
    """The page's Your dialogue (app.compare_dialogue_view): the word-level diff of both summaries, toxic words
    marked; an error is one line, no stale result."""
    try:
        return dialogue_view(compare.compare_dialogue(dialogue, run_name or None))
    except UserError as error:
        return dialogue_error(str(error))


def dialogue_error(error: str) -> tuple:
    """Your dialogue's outputs for a refused dialogue: the error in one line, no stale summaries."""
    return (views.error_html(error), None, views.score_html(None, "Before RLHF", "The starting policy."), None,
            views.score_html(None, "After RLHF", "The policy of the picked run."))


def runs_view(selected: str | None = None):
    """The Runs tab: overlaid curves, the table of settings and evaluations, the run picker, the Pareto chart."""
    infos = run_list.runs()
    names = [info.name for info in infos]
    value = selected if selected in names else (names[0] if names else None)
    curves = [(info.name, info.metrics) for info in infos[:run_list.CURVE_RUNS]]  # more lines: unreadable
    points = [p for p in (evaluation_point(info.name, info.config.algo, info.evaluation) for info in infos)
              if p is not None]
    return (plots.overlay_figure(curves, "env/reward_mean", "Reward (mean) by run", "reward (logit)"),
            plots.overlay_figure(curves, "objective/kl", "KL to the starting model by run", "KL (nats)"),
            evaluation_views.runs_table(infos), gr.Dropdown(choices=names, value=value), plots.pareto_figure(points))
