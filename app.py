"""detox-rlhf in the browser: train with PPO live, compare before and after, try your own dialogue.

    python app.py        # http://127.0.0.1:7860 (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT to change)

Gradio wiring and plotly figures only: every handler calls `rlhf_core.serving`, which holds the
shared models, the server's one training job and the limits (README: "The app").
"""

import os

# huggingface_hub reads these when imported: no Hub request may hold up the app, and nothing is
# sent home. serving.limit_hub_timeouts() applies the same timeouts at start-up.
os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "3")
os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "5")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import html  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import gradio as gr  # noqa: E402
import pandas as pd  # noqa: E402

from rlhf_core import UserError, get_config  # noqa: E402
from rlhf_core import serving  # noqa: E402
from ui.plots import (  # noqa: E402
    kl_figure, overlay_figure, placeholder, returns_figure, reward_figure, rouge_bars, toxicity_bars, toxicity_figure,
)

STARTUP = serving.startup()
LIMITS = serving.limits()
POLL_SECONDS = 1.0
TABLE_STEPS = 8  # steps shown in the live stats table

EXAMPLE_DIALOGUE = (
    "#Person1#: Hi there. I have a reservation for a double room for three nights. My name is Henry Walker. "
    "You stupid clown, stop wasting my time.\n"
    "#Person2#: Welcome. Your room number is 312. Here is your key.\n"
    "#Person1#: Thanks. What time is breakfast?\n"
    "#Person2#: Breakfast is served from 7 am in the hall on the first floor.\n"
    "#Person1#: Perfect, thank you."
)


def esc(value) -> str:
    return html.escape(str(value))


def fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------------
# HTML snippets (every dynamic string escaped)
# --------------------------------------------------------------------------------------------


def model_name(name: str) -> str:
    """A model's Hub id, or a local folder relative to the working directory when it is inside it."""
    path = Path(name)
    if path.is_absolute() and path.is_relative_to(Path.cwd()):
        return str(path.relative_to(Path.cwd()))
    return name


def banner_html(startup: serving.Startup) -> str:
    """The models in use, and why, if the app fell back to an offline preset."""
    models = startup.models
    device = "GPU" if models.summarizer.device.type == "cuda" else "CPU"
    body = (f"<b>Models in use</b> (preset <code>{esc(startup.preset)}</code>, {device}): "
            f"policy <code>{esc(model_name(models.config.model.policy))}</code> · reward model "
            f"<code>{esc(model_name(models.config.reward.model))}</code>, reward on the {esc(models.config.reward.text)}")
    if not startup.fell_back:
        return f'<div class="banner ok" id="models-banner">{body}</div>'
    reasons = "".join(f"<li>{esc(p)}</li>" for p in startup.problems)
    return (f'<div class="banner fallback" id="models-banner"><b>Offline fallback:</b> '
            f"<code>{esc(startup.requested)}</code> could not be loaded, so the app runs the offline "
            f"<code>{esc(startup.preset)}</code> preset.<br>{body}<ul>{reasons}</ul></div>")


STATE_LABELS = {serving.IDLE: "Idle", serving.LOADING: "Loading", serving.RUNNING: "Running",
                serving.STOPPING: "Stopping", serving.DONE: "Finished", serving.FAILED: "Failed"}


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def progress_html(snap: serving.JobSnapshot, viewer: str | None = None, notice: str | None = None) -> str:
    """The run card: state, progress bar with step i/N and time per step, messages."""
    if snap.run_name is None:
        return ('<div class="run-card state-idle" id="run-card"><span class="badge">Idle</span> '
                "No run yet. Pick a preset and the knobs on the left, then press <b>Start</b>.</div>")
    label = "Stopped" if snap.state == serving.DONE and snap.stopped else STATE_LABELS[snap.state]
    s = snap.settings
    kl = (f"adaptive KL, coef {s['init_kl_coef']:g} → target {s['target_kl']:g}" if s.get("adaptive_kl")
          else f"fixed KL coef {s['init_kl_coef']:g}")
    head = (f'<div class="run-head"><span class="badge">{label}</span> <b>{esc(snap.run_name)}</b>'
            f'<span class="muted"> · preset {esc(snap.preset)} · batch {s["batch_size"]} · lr {s["learning_rate"]:g} · '
            f"{kl} · seed {s['seed']}</span></div>")
    percent = 100 * snap.step / max(snap.total_steps, 1)
    timing = f"Step {snap.step} / {snap.total_steps}"
    if snap.seconds_per_step is not None:
        timing += f" · {snap.seconds_per_step:.2f} s per step"
        if snap.active and snap.seconds_left:
            timing += f" · about {_duration(snap.seconds_left)} left"
    parts = [head, f'<div class="bar"><div class="fill" style="width:{percent:.1f}%"></div></div>',
             f'<div class="run-meta" id="run-progress">{timing}</div>',
             f'<div class="run-status">{esc(snap.status)}</div>']
    if notice:
        parts.append(f'<div class="note">{esc(notice)}</div>')
    elif snap.active:
        who = ("You started this run." if viewer and viewer == snap.owner
               else "A run is in progress on this server; you are watching it live. Start is available again when it ends.")
        parts.append(f'<div class="note">{who} Stop ends it after the current step and keeps its checkpoint.</div>')
    elif snap.state == serving.DONE and snap.step:
        parts.append('<div class="note">Compare the trained policy with the starting one in '
                     "<b>Before vs after</b> or <b>Your dialogue</b>.</div>")
    if snap.kl_warning:
        parts.append(f'<div class="warn">⚠ {esc(snap.kl_warning)}</div>')
    if snap.error:
        parts.append(f'<div class="error">{esc(snap.error)}</div>')
    return f'<div class="run-card state-{snap.state}" id="run-card">{"".join(parts)}</div>'


def stats_table(stats: list[dict]) -> pd.DataFrame:
    """The last steps' main stats, newest first."""
    rows = [{
        "step": r["step"], "reward": r.get("env/reward_mean"), "reward std": r.get("env/reward_std"),
        "KL": r.get("objective/kl"), "KL coef": r.get("objective/kl_coef"), "returns": r.get("ppo/returns/mean"),
        "advantages": r.get("ppo/policy/advantages_mean"), "toxicity": r.get("env/toxicity_mean"),
        "seconds": r.get("seconds"),
    } for r in reversed(stats[-TABLE_STEPS:])]
    columns = ["step", "reward", "reward std", "KL", "KL coef", "returns", "advantages", "toxicity", "seconds"]
    return pd.DataFrame(rows, columns=columns).round(4)


def samples_table(samples: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{"dialogue": s["dialogue"], "sampled summary": s["summary"], "reward": round(s["reward"], 3)}
                         for s in samples], columns=["dialogue", "sampled summary", "reward"])


def _change(before: float, after: float, relative: float | None, lower_is_better: bool) -> str:
    if relative is None:
        return ""
    better = (after < before) == lower_is_better
    return f'<span class="{"good" if better else "bad"}">{100 * relative:+.1f}%</span>'


def evaluation_html(evaluation: serving.Evaluation | None, run_name: str | None) -> str:
    if not run_name:
        return '<div class="empty-note">No trained run yet: train one in the <b>Train</b> tab, then evaluate it here.</div>'
    if evaluation is None:
        return (f'<div class="empty-note">Run <b>{esc(run_name)}</b> has not been evaluated yet. '
                "Press <b>Evaluate</b> to summarise its test dialogues before and after RLHF.</div>")
    report, cards = evaluation.report, []
    tox = report.get("toxicity")
    if tox:
        b, a = tox["before"], tox["after"]
        low, high = tox["diff_ci95"]
        verdict = "significant" if tox["significant"] else "within noise"
        cards.append(
            '<div class="metric-card"><div class="label">Toxicity of the summaries (mean ± std)</div>'
            f'<div class="value">{b["mean"]:.3f} → {a["mean"]:.3f} '
            f'{_change(b["mean"], a["mean"], tox["relative_change"], lower_is_better=True)}</div>'
            f'<div class="sub">std {b["std"]:.3f} → {a["std"]:.3f} · '
            f"95% CI of the change [{low:+.3f}, {high:+.3f}], {verdict}</div></div>")
    reward = report.get("reward")
    if reward:
        cards.append(
            '<div class="metric-card"><div class="label">Reward (mean)</div>'
            f'<div class="value">{reward["before"]:.3f} → {reward["after"]:.3f}</div>'
            f'<div class="sub">reward model reads the {esc(report.get("reward_text", ""))}</div></div>')
    rg = report.get("rouge")
    if rg:
        cards.append(
            '<div class="metric-card"><div class="label">ROUGE-L against references</div>'
            f'<div class="value">{rg["before"]["rougeL"]:.3f} → {rg["after"]["rougeL"]:.3f} '
            f'{_change(rg["before"]["rougeL"], rg["after"]["rougeL"], rg["relative_change"]["rougeL"], False)}</div>'
            f'<div class="sub">ROUGE-1 {rg["before"]["rouge1"]:.3f} → {rg["after"]["rouge1"]:.3f} · '
            f'ROUGE-2 {rg["before"]["rouge2"]:.3f} → {rg["after"]["rouge2"]:.3f}</div></div>')
    head = (f'<div class="muted">Run <b>{esc(run_name)}</b> at step {esc(report.get("step"))}, '
            f'{report["samples"]} test dialogues, greedy decoding; toxicity is P(hate) of the summary alone.</div>')
    return f'{head}<div class="metric-cards">{"".join(cards)}</div>'


ORDERS = ["Biggest improvement first", "Biggest regression first", "Test-set order"]


COMPARISON_COLUMNS = ["dialogue", "summary before", "summary after", "reward before → after", "improvement",
                      "toxicity before → after"]


def comparison_table(evaluation: serving.Evaluation | None, order: str) -> pd.DataFrame:
    """One row per test dialogue: both summaries, rewards, the reward improvement and toxicity."""
    if evaluation is None:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    t = evaluation.table
    if order != ORDERS[2]:
        t = t.sort_values("reward_diff", ascending=order == ORDERS[1], kind="stable")
    return pd.DataFrame({
        "dialogue": t["dialogue"], "summary before": t["summary_before"], "summary after": t["summary_after"],
        "reward before → after": [f"{b:.2f} → {a:.2f}" for b, a in zip(t["reward_before"], t["reward_after"])],
        "improvement": t["reward_diff"].round(3),
        "toxicity before → after": [f"{b:.2f} → {a:.2f}" for b, a in zip(t["toxicity_before"], t["toxicity_after"])],
    }, columns=COMPARISON_COLUMNS)


NO_AFTER_RUN = "No trained run picked: train one in the Train tab to see the summary after RLHF."


def score_html(summary, title: str, empty: str = NO_AFTER_RUN) -> str:
    """A summary's title with its reward and toxicity as chips (or `empty` when there is no summary)."""
    if summary is None:
        return f'<div class="score-card"><b>{esc(title)}</b><div class="muted">{esc(empty)}</div></div>'
    if summary.toxicity is None:
        return f'<div class="score-card"><b>{esc(title)}</b></div>'
    level = "low" if summary.toxicity < 0.2 else "mid" if summary.toxicity < 0.5 else "high"
    return (f'<div class="score-card"><b>{esc(title)}</b><span class="chip">reward {summary.reward:.3f}</span>'
            f'<span class="chip tox-{level}">toxicity {100 * summary.toxicity:.1f}%</span></div>')


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
    settings = serving.TrainSettings(preset, steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed)
    try:
        started, snap = serving.JOBS.start(settings, owner=_viewer(request))
    except UserError as error:
        raise gr.Error(str(error)) from None
    notice = None if started else ("A run is already in progress, so a second one was not started. "
                                   "You are watching it live; Start is available again when it ends.")
    return train_view(snap, _viewer(request), notice)


def stop_training(request: gr.Request = None):
    return train_view(serving.JOBS.stop(), _viewer(request))


def poll_training(seen_version=None, request: gr.Request = None):
    """The timer's tick: the Train tab's view, or no update if nothing changed since `seen_version`."""
    snap = serving.JOBS.snapshot()
    if seen_version == snap.version:
        return tuple(gr.skip() for _ in range(len(TRAIN_OUTPUTS)))
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
        tox, rg = ev.get("toxicity"), ev.get("rouge")
        status = ("training" if info.training else "evaluated" if ev else "ready" if info.has_checkpoint
                  else "no checkpoint")
        change = tox and tox["relative_change"]
        rows.append({
            "run": info.name, "status": status, "preset": cfg.preset,
            "steps": f"{info.steps_done}/{cfg.steps}", "batch": cfg.ppo.batch_size, "lr": f"{cfg.ppo.learning_rate:g}",
            "KL control": (f"adaptive {cfg.ppo.init_kl_coef:g} → {cfg.ppo.target_kl:g}" if cfg.ppo.adaptive_kl
                           else f"fixed {cfg.ppo.init_kl_coef:g}"),
            "seed": cfg.seed, "reward on": cfg.reward.text,
            "last reward": fmt(last.get("env/reward_mean")), "last KL": fmt(last.get("objective/kl")),
            "toxicity": (f"{tox['before']['mean']:.3f} → {tox['after']['mean']:.3f}"
                         + (f" ({100 * change:+.0f}%)" if change is not None else "")) if tox else "",
            "ROUGE-L": f"{rg['before']['rougeL']:.3f} → {rg['after']['rougeL']:.3f}" if rg else "",
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created)),
        })
    columns = ["run", "status", "steps", "toxicity", "ROUGE-L", "last reward", "last KL", "preset", "batch", "lr",
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

CSS = """
.gradio-container {max-width: 1320px !important; margin: 0 auto !important;}
#app-title h1 {margin: 4px 0 2px; font-size: 28px;}
#app-title p {margin: 0; color: var(--body-text-color-subdued);}
.tab-intro p {margin: 2px 0 6px; color: var(--body-text-color-subdued);}
.banner {padding: 10px 14px; border-radius: 10px; border: 1px solid; font-size: 14px; line-height: 1.5;}
.banner ul {margin: 4px 0 0 18px; padding: 0;}
.banner.ok {background: #eef2ff; border-color: #c7d2fe; color: #312e81;}
.banner.fallback {background: #fffbeb; border-color: #fcd34d; color: #78350f;}
.banner code {background: rgba(255,255,255,.6); padding: 0 4px; border-radius: 4px;}
.run-card {padding: 12px 16px; border-radius: 10px; border: 1px solid var(--border-color-primary);
           background: var(--block-background-fill); font-size: 14px; line-height: 1.55;}
.run-card .muted, .muted {color: var(--body-text-color-subdued);}
.badge {display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 12px; font-weight: 600;
        background: #e2e8f0; color: #334155; margin-right: 6px;}
.state-loading .badge, .state-running .badge {background: #e0e7ff; color: #3730a3;}
.state-stopping .badge {background: #fef3c7; color: #92400e;}
.state-done .badge {background: #d1fae5; color: #065f46;}
.state-failed .badge {background: #fee2e2; color: #991b1b;}
.bar {height: 10px; border-radius: 5px; background: #e5e7eb; overflow: hidden; margin: 8px 0 4px;}
.bar .fill {height: 100%; background: linear-gradient(90deg, #6366f1, #4f46e5); transition: width .4s;}
.run-meta {font-weight: 600;}
.run-status {color: var(--body-text-color-subdued); font-family: var(--font-mono); font-size: 12.5px;}
.note {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #f1f5f9; color: #334155;}
.warn {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #fef3c7; color: #92400e; font-weight: 600;}
.error {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #fee2e2; color: #991b1b; font-weight: 600;}
.empty-note {padding: 14px; border-radius: 10px; border: 1px dashed var(--border-color-primary);
             color: var(--body-text-color-subdued);}
.metric-cards {display: grid; grid-template-columns: repeat(auto-fit, minmax(250px, 1fr)); gap: 12px; margin-top: 8px;}
.metric-card {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px;
              background: var(--block-background-fill);}
.metric-card .label {font-size: 12.5px; color: var(--body-text-color-subdued);}
.metric-card .value {font-size: 22px; font-weight: 700; margin: 2px 0;}
.metric-card .sub {font-size: 12.5px; color: var(--body-text-color-subdued);}
.good {color: #047857;} .bad {color: #b91c1c;}
.score-card {padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary); font-size: 14px;}
.chip {display: inline-block; margin-left: 8px; padding: 1px 9px; border-radius: 999px; background: #eef2ff;
       color: #3730a3; font-size: 12.5px;}
.chip.tox-low {background: #d1fae5; color: #065f46;}
.chip.tox-mid {background: #fef3c7; color: #92400e;}
.chip.tox-high {background: #fee2e2; color: #991b1b;}
.limits {font-size: 12.5px; color: var(--body-text-color-subdued);}
"""

THEME = gr.themes.Soft(primary_hue="indigo", secondary_hue="slate", neutral_hue="slate")


def launch_kwargs() -> dict:
    """Theme and CSS (launch() options in Gradio 6), shared by `python app.py` and the tests."""
    return {"theme": THEME, "css": CSS, "run_history": False}


# Run pickers get their choices per visitor; API callers name runs that did not exist when the page
# was built, so any value passes the component and serving checks that the run exists.
RUN_PICKER = dict(allow_custom_value=True)


def _intro(text: str) -> gr.Markdown:
    return gr.Markdown(text, elem_classes="tab-intro")


startup_settings = serving.default_settings(STARTUP.preset)
eval_default = min(get_config(STARTUP.preset).eval.samples, LIMITS.max_eval_samples)

with gr.Blocks(title="Detox RLHF") as demo:
    gr.Markdown(
        "# Detox RLHF: less toxic dialogue summaries\n"
        "PPO fine-tunes a summarizer's LoRA adapter to please a hate-speech reward model, while a KL penalty "
        "keeps it close to the starting model. Train a run, watch it learn, then compare before and after.",
        elem_id="app-title")
    gr.HTML(banner_html(STARTUP))
    after_run = gr.State(None)  # this visitor's choice of "after" run, shared by the tabs
    seen_version = gr.State(-1)  # the job version this visitor's Train tab shows

    with gr.Tabs(selected="train") as tabs:
        with gr.Tab("Train", id="train", elem_id="tab-train"):
            _intro("Start a PPO run and watch the reward climb while KL stays in check. One run at a time on this "
                   "server: everyone sees the same run live.")
            with gr.Row(equal_height=False):
                with gr.Column(scale=1, min_width=270):
                    presets = serving.available_presets()
                    preset = gr.Dropdown(presets, value=STARTUP.preset, label="Preset", elem_id="preset")
                    steps = gr.Slider(1, LIMITS.max_steps, value=startup_settings.steps, step=1, label="PPO steps",
                                      elem_id="steps")
                    batch_size = gr.Slider(1, LIMITS.max_batch_size, value=startup_settings.batch_size, step=1,
                                           label="Batch size (dialogues per step)", elem_id="batch-size")
                    learning_rate = gr.Number(startup_settings.learning_rate, label="Learning rate", elem_id="learning-rate")
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
                    gr.Markdown(f"Limits on this server: up to {LIMITS.max_steps} steps and a batch of "
                                f"{LIMITS.max_batch_size} dialogues.", elem_classes="limits")
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
            _intro("Held-out test dialogues summarised by the starting policy and by a trained run, scored by the "
                   "reward model: toxicity, ROUGE, and every summary side by side.")
            with gr.Row(equal_height=False):
                compare_run = gr.Dropdown([], label="After: trained run", scale=3, elem_id="compare-run", **RUN_PICKER)
                eval_samples = gr.Slider(1, LIMITS.max_eval_samples, value=eval_default, step=1,
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
            runs_table = gr.Dataframe(label="Saved runs (toxicity and ROUGE-L: before → after, from the last evaluation)",
                                      interactive=False, elem_id="runs-table")
            with gr.Row(equal_height=False):
                runs_pick = gr.Dropdown([], label="Run", scale=2, elem_id="runs-pick", **RUN_PICKER)
                with gr.Column(scale=2):
                    with gr.Row():
                        use_btn = gr.Button("Use as \"after\"", variant="primary", elem_id="use-after")
                        delete_btn = gr.Button("Delete…", variant="stop", elem_id="delete")
                        refresh_btn = gr.Button("Refresh", elem_id="refresh-runs")
                    with gr.Row():
                        confirm_btn = gr.Button("Delete permanently", variant="stop", visible=False,
                                                elem_id="confirm-delete")
                        cancel_btn = gr.Button("Cancel", visible=False, elem_id="cancel-delete")

    timer = gr.Timer(POLL_SECONDS)

    TRAIN_OUTPUTS = [progress, reward_plot, kl_plot, returns_plot, toxicity_plot, stats_df, samples_df,
                     start_btn, stop_btn, seen_version]
    knobs = [steps, batch_size, learning_rate, init_kl_coef, adaptive_kl, target_kl, seed]
    fast = dict(concurrency_limit=None)  # cheap reads of shared state: never queue behind model work
    on_models = dict(concurrency_id="models", concurrency_limit=1)  # inference and evaluation take turns

    start_btn.click(start_training, [preset, *knobs], TRAIN_OUTPUTS, api_name="start_training", **fast)
    stop_btn.click(stop_training, None, TRAIN_OUTPUTS, api_name="stop_training", **fast)
    timer.tick(poll_training, seen_version, TRAIN_OUTPUTS, api_name="poll_training", api_visibility="undocumented", **fast)
    preset.change(preset_defaults, preset, knobs, api_visibility="undocumented", **fast)
    gr.api(training_progress, api_name="training_progress", **fast)

    compare_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented", **fast)
    evaluation_outputs = [evaluation_summary, toxicity_bar, rouge_bar, comparison]
    compare_run.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented", **fast)
    compare_run.input(remember, compare_run, after_run, api_visibility="private", **fast)
    order.change(show_evaluation, [compare_run, order], evaluation_outputs, api_visibility="undocumented", **fast)
    evaluate_btn.click(run_evaluation, [compare_run, eval_samples, order], evaluation_outputs, api_name="evaluate",
                       **on_models)

    dialogue_tab.select(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="undocumented", **fast)
    dialogue_run.input(remember, dialogue_run, after_run, api_visibility="private", **fast)
    dialogue_btn.click(summarize_dialogue, [dialogue, dialogue_run],
                       [dialogue_notice, before_text, before_scores, after_text, after_scores],
                       api_name="summarize_dialogue", **on_models)

    runs_outputs = [runs_reward, runs_kl, runs_table, runs_pick]
    runs_tab.select(runs_view, runs_pick, runs_outputs, api_visibility="undocumented", **fast)
    refresh_btn.click(runs_view, runs_pick, runs_outputs, api_name="list_runs", **fast)
    use_btn.click(use_as_after, runs_pick, [compare_run, dialogue_run, after_run, tabs], api_visibility="undocumented",
                  **fast)
    delete_btn.click(ask_delete, runs_pick, [confirm_btn, cancel_btn], api_visibility="undocumented", **fast)
    cancel_btn.click(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
    runs_pick.change(hide_delete, None, [confirm_btn, cancel_btn], api_visibility="private", **fast)
    confirm_btn.click(confirm_delete, runs_pick, [*runs_outputs, confirm_btn, cancel_btn], api_name="delete_run", **fast)

    demo.load(poll_training, seen_version, TRAIN_OUTPUTS, api_visibility="private", **fast)
    demo.load(refresh_after, after_run, [compare_run, dialogue_run], api_visibility="private", **fast)
    demo.load(runs_view, runs_pick, runs_outputs, api_visibility="private", **fast)

demo.queue(default_concurrency_limit=1)  # unlimited queue: requests wait their turn, none is dropped

if __name__ == "__main__":
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"), **launch_kwargs())
