"""The app's HTML and tables: banner, run card, headline, live stats, the Runs table, your
dialogue's notes and score cards, and the page's CSS (`style.css`); no ML logic.

Pure functions of what the webapp modules return; every dynamic string is escaped. The "Before vs
after" tab's cards and tables are in `evaluation_views.py`.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rlhf_core import get_config

from .jobs import DONE, FAILED, IDLE, LOADING, RUNNING, STOPPING, JobSnapshot
from .knobs import settings_line
from .plots import START_STEPS, start_level

if TYPE_CHECKING:
    from .run_list import RunChoice
    from .startup import Startup, StartupPlan

CSS = (Path(__file__).parent / "style.css").read_text(encoding="utf-8")
TABLE_STEPS = 8  # steps shown in the live stats table


TITLE = ("# Detox RLHF: less toxic dialogue summaries\n"
         "PPO (or RLOO, GRPO) fine-tunes a summarizer's LoRA adapter to please a hate-speech reward model, while a KL "
         "penalty keeps it close to the starting model. Train a run, watch it learn, then compare before and after. "
         "Toxicity is in percent on every tab, and its changes in percentage points.")

STOPPING_STATUS = "stopping now: the unfinished step is dropped"  # the card's status line from Stop to the end

# Start brings the run card into view (on a phone it sits below all the settings).
SHOW_RUN_CARD_JS = """() => {
  const card = document.querySelector('#train-progress');
  if (card && card.getBoundingClientRect().top > window.innerHeight * 0.5) {
    card.scrollIntoView({block: 'start'});
  }
}"""

# Stop acts in the page at once (the button greys out, the card says so) while the server is asked.
STOP_NOW_JS = """() => {
  const stop = document.querySelector('#stop');
  if (stop) stop.disabled = true;
  const badge = document.querySelector('#run-card .badge');
  if (badge) badge.textContent = 'Stopping';
  const status = document.querySelector('#run-card .run-status');
  if (status) status.textContent = 'stopping now: the unfinished step is dropped';
}"""

# The page's keyboard script: chart toolbars stay out of the tab order (their buttons remain
# clickable), and the tab bar follows the WAI-ARIA tabs pattern Gradio's tabs lack: one tab stop (the
# selected tab), arrow keys / Home / End move to and select another tab.
PAGE_JS = """() => {
  const tidy = () => {
    document.querySelectorAll('.modebar-btn:not([tabindex="-1"])')
      .forEach((button) => button.setAttribute('tabindex', '-1'));
    document.querySelectorAll('[role=tablist]').forEach((list) => list.querySelectorAll('[role=tab]')
      .forEach((tab) => {
        const stop = tab.getAttribute('aria-selected') === 'true' ? '0' : '-1';
        if (tab.getAttribute('tabindex') !== stop) tab.setAttribute('tabindex', stop);
      }));
  };
  new MutationObserver(tidy).observe(document.body, {childList: true, subtree: true, attributes: true,
                                                     attributeFilter: ['aria-selected']});
  document.addEventListener('keydown', (event) => {
    const tab = event.target.closest && event.target.closest('[role=tab]');
    const moves = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1};
    if (!tab || !(event.key in moves || event.key === 'Home' || event.key === 'End')) return;
    const tabs = [...tab.closest('[role=tablist]').querySelectorAll('[role=tab]:not([aria-disabled=true])')]
      .filter((t) => t.offsetParent !== null);
    const at = tabs.indexOf(tab);
    const next = event.key === 'Home' ? 0 : event.key === 'End' ? tabs.length - 1
      : (at + moves[event.key] + tabs.length) % tabs.length;
    event.preventDefault();
    tabs[next].click();
    tabs[next].focus();
  });
  tidy();
}"""

# "Your dialogue"'s text box keeps one height: Gradio's auto-resizing box re-lays out its whole text on
# every input event, and an IME/automation insert of a 20,000-character dialogue fires one per line
# (about 1,100 layouts: 23-34 s in Chromium, against 0.4 s at a fixed height).
DIALOGUE_BOX = dict(lines=10, max_lines=10)


def esc(value) -> str:
    return html.escape(str(value))


def fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


# --------------------------------------------------------------------------------------------
# HTML snippets (every dynamic string escaped)
# --------------------------------------------------------------------------------------------


def model_name(name: str) -> str:
    """A model's Hub id, or a local folder relative to the working directory when it is inside it
    (else its last folders): the page names no absolute path of the server."""
    path = Path(name)
    if not path.is_absolute():
        return name
    if path.is_relative_to(Path.cwd()):
        return str(path.relative_to(Path.cwd()))
    return str(Path("…", *path.parts[-3:]))


_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/])/(?:[\w.-]+/)+[\w.-]+")


def short_paths(text: str) -> str:
    """`text` with every absolute path in it shortened by `model_name`: the page names no server path."""
    return _ABSOLUTE_PATH.sub(lambda match: model_name(match.group()), str(text))


def _models_line(config, device: str | None) -> str:
    where = f", {device}" if device else ""
    return (f"<b>Models</b> (preset <code>{esc(config.preset)}</code>{where}): "
            f"policy <code>{esc(model_name(config.model.policy))}</code> · reward model "
            f"<code>{esc(model_name(config.reward.model))}</code>, reward on the {esc(config.reward.text)}")


def _code_spans(text: str) -> str:
    """Escaped `text` with its `backticked` parts (commands) as <code>."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(text))


def banner_html(plan: StartupPlan, startup: Startup | None = None, error: str | None = None) -> str:
    """The models in use (or loading, or failed), and why, if the app fell back to an offline preset."""
    if startup is not None:
        plan = startup  # what was really loaded (a planned preset can still fail to load)
        config = startup.models.config
        device = "GPU" if startup.models.summarizer.device.type == "cuda" else "CPU"
    elif plan.preset is not None:
        config, device = get_config(plan.preset), None
    else:
        config, device = None, None
    body = _models_line(config, device) if config else ""
    if error:
        state = f'<div class="error">error: the models could not be loaded: {esc(short_paths(error))}</div>'
    elif startup is None:
        state = ('<div class="loading-line"><span class="spinner"></span> Loading the models… the page works '
                 "meanwhile; buttons that need the models wait for them.</div>")
    else:
        state = ""
    state += "".join(f'<div class="warn gpu-warning">⚠ {_code_spans(warning)}</div>' for warning in plan.warnings)
    if not plan.fell_back:
        return f'<div class="banner ok" id="models-banner">{body}{state}</div>'
    reasons = "".join(f"<li>{esc(short_paths(p))}</li>" for p in plan.problems)
    return (f'<div class="banner fallback" id="models-banner"><b>Offline fallback:</b> '
            f"<code>{esc(plan.requested)}</code> could not be loaded, so the app runs the offline "
            f"<code>{esc(plan.preset)}</code> preset.<br>{body}{state}"
            f"<details><summary>Why</summary><ul>{reasons}</ul></details></div>")


def startup_line(plan: StartupPlan) -> str:
    """The terminal's start-up line: the preset in use and, after a fallback, why; then one WARNING line
    per warning (an NVIDIA GPU that torch cannot use)."""
    if plan.preset is None:
        line = "detox-rlhf: error: no preset can be loaded: " + "; ".join(plan.problems)
    elif not plan.fell_back:
        line = f"detox-rlhf: preset {plan.preset} (as requested); loading its models in the background"
    else:
        line = (f"detox-rlhf: preset {plan.preset}, falling back from {plan.requested}: " + "; ".join(plan.problems)
                + " (set RLHF_PRESET to choose)")
    return "\n".join([line, *(f"detox-rlhf: WARNING: {warning}" for warning in plan.warnings)])


def error_html(message: str) -> str:
    """One error line for the visitor (the slot that shows it replaces any stale result)."""
    text = short_paths(message)
    return f'<div class="error" role="alert">{esc(text if text.startswith("error:") else "error: " + text)}</div>'


STATE_LABELS = {IDLE: "Idle", LOADING: "Loading", RUNNING: "Running", STOPPING: "Stopping", DONE: "Finished",
                FAILED: "Failed"}


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"


def progress_html(snap: JobSnapshot, viewer: str | None = None, notice: str | None = None) -> str:
    """The run card: state, progress bar with step i/N and time per step, messages."""
    if snap.run_name is None:
        return ('<div class="run-card state-idle" id="run-card"><span class="badge">Idle</span> '
                "No run yet. Pick a preset and the knobs on the left, then press <b>Start</b>.</div>")
    label = "Stopped" if snap.state == DONE and snap.stopped else STATE_LABELS[snap.state]
    head = (f'<div class="run-head"><span class="badge">{label}</span> <b>{esc(snap.run_name)}</b>'
            f'<span class="muted" id="run-settings"> · preset {esc(snap.preset)} · '
            f'{esc(settings_line(snap.settings, skip=("steps",)))}</span></div>')
    percent = 100 * snap.step / max(snap.total_steps, 1)
    timing = f"Step {snap.step} / {snap.total_steps}"
    if snap.seconds_per_step is not None:
        timing += f" · {snap.seconds_per_step:.2f} s per step"
        if snap.active and snap.seconds_left:
            timing += f" · about {_duration(snap.seconds_left)} left"
    parts = [head, f'<div class="bar"><div class="fill" style="width:{percent:.1f}%"></div></div>',
             f'<div class="run-meta" id="run-progress">{timing}</div>',
             f'<div class="run-status">{esc(STOPPING_STATUS if snap.state == STOPPING else snap.status)}</div>']
    if notice:
        parts.append(f'<div class="note">{esc(notice)}</div>')
    elif snap.active:
        who = ("You started this run." if viewer and viewer == snap.owner
               else "A run is in progress on this server; you are watching it live. "
                    "Start is available again when it ends.")
        parts.append(f'<div class="note">{who} Stop ends it at once and keeps the last finished step.</div>')
    elif snap.state == DONE and snap.step:
        parts.append('<div class="note">Compare the trained policy with the starting one in '
                     "<b>Before vs after</b> or <b>Your dialogue</b>.</div>")
    if snap.kl_warning:
        parts.append(f'<div class="warn">⚠ {esc(snap.kl_warning)}</div>')
    if snap.error:
        parts.append(f'<div class="error">{esc(short_paths(snap.error))}</div>')
    return f'<div class="run-card state-{snap.state}" id="run-card">{"".join(parts)}</div>'


HEADLINE_STEPS = START_STEPS  # "now" and "at the start" are means over this many steps (as the chart's line)


def headline_html(stats: list[dict]) -> str:
    """The headline figure: mean toxicity of the sampled summaries now vs at the start of the run."""
    values = [r.get("env/toxicity_mean") for r in stats]
    values = [v for v in values if v is not None]
    if not values:
        label = ("Toxicity of the summaries: appears after the first step" if not stats
                 else "Toxicity is not measured by this reward model")
        return f'<div class="headline" id="headline"><span class="muted">{label}</span></div>'
    n = min(HEADLINE_STEPS, len(values))
    start, now = start_level(values), sum(values[-n:]) / n
    change = "" if len(values) <= n else (
        f'<span class="{"good" if now < start else "bad"}">{100 * (now - start):+.1f} points</span>')
    return (f'<div class="headline" id="headline"><span class="label">Toxicity of the sampled summaries</span> '
            f'<span class="big">{100 * start:.1f}% <span class="muted">at start</span> → {100 * now:.1f}% '
            f'<span class="muted">now</span></span> {change}'
            f'<div class="muted small">P(hate) by the reward model in percent, mean of the first and of the latest '
            f"{n} step(s) (the chart's dotted line is the same start); changes in percentage points.</div></div>")


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


def markdown_lines(text: str) -> str:
    """Text for a markdown table cell: HTML escaped, its line breaks kept."""
    return "<br>".join(esc(line) for line in str(text).splitlines())


def samples_table(samples: list[dict]) -> pd.DataFrame:
    """The latest step's sampled summaries first (the dialogue, with its line breaks, last)."""
    return pd.DataFrame([{"sampled summary": markdown_lines(s["summary"]), "reward": round(s["reward"], 3),
                          "dialogue": markdown_lines(s["dialogue"])}
                         for s in samples], columns=["sampled summary", "reward", "dialogue"])


def dialogue_notes_html(preset: str | None, unknown_share: float = 0.0, truncated_at: int | None = None,
                        after: RunChoice | None = None, no_after: bool = False, outside: str | None = None) -> str:
    """Notes above the dialogue's summaries: outside the toy models' world (first, before any score), toy
    models, unknown words, a cut dialogue, a run too short."""
    from .examples import toy_notice

    notes = [("warn outside-world", "⚠ " + outside)] if outside else []
    notice = toy_notice(preset) if preset else None
    if notice:
        notes.append(("toy", notice))
    if unknown_share >= 0.05:
        notes.append(("warn", f"{100 * unknown_share:.0f}% of this dialogue's words are unknown to the model, "
                              "so expect invented details; try one of the examples."))
    if truncated_at:
        notes.append(("note", f"The dialogue is longer than the model's window ({truncated_at} tokens with the "
                              "prompt), so only its beginning was summarised."))
    if after is not None and after.too_short:
        notes.append(("warn", f"Run {after.name} trained only {after.steps_done} step(s): too few to change the "
                              "policy, so \"after\" will read like \"before\". Pick a longer run."))
    if no_after:
        notes.append(("note", "No trained run is picked, so only the starting policy's summary is shown."))
    return "".join(f'<div class="{kind}">{esc(text)}</div>' for kind, text in notes)


# Your dialogue's word-level diff: what RLHF added, dropped, and words the reward model reads as hateful.
DIFF_COLORS = {"added": "#22c55e", "removed": "#94a3b8", "toxic": "#ef4444", "toxic, added": "#ef4444",
               "toxic, removed": "#f97316"}
DIFF_NOTE = ("Red marks words the reward model alone rates as hateful (P(hate) > 50%) that the summary keeps or "
             "adds; orange marks such words that RLHF removed.")

TOY_LINES = {"demo": "Toy models (demo preset), trained from scratch on synthetic everyday dialogues: their "
                     "summaries and scores mean little outside that small world.",
             "tiny": "Random, untrained test models (tiny preset): summaries are gibberish and scores mean nothing."}


def toy_notice_html(preset: str | None) -> str:
    """The one line at the top of every tab on a toy preset (what its models are, details folded), or ''."""
    from .examples import toy_notice

    notice = toy_notice(preset) if preset else None
    if not notice:
        return ""
    return (f'<div class="toy toy-line"><details><summary>⚠ {esc(TOY_LINES.get(preset, notice))}</summary>'
            f"{esc(notice)}</details></div>")


NO_AFTER_RUN = "No trained run picked: train one in the Train tab to see the summary after RLHF."


SCORER = "reward model"  # the classifier behind Your dialogue's chips
SCORER_NOTE = ("Both scores come from the reward model, the classifier PPO optimised (not the independent judge "
               "of Before vs after): a summary can fool it.")
NOT_MEANINGFUL = "not meaningful for this input"


def score_html(summary, title: str, empty: str = NO_AFTER_RUN, collapsed: str | None = None,
               meaningless: bool = False) -> str:
    """A summary's title with its reward and toxicity as chips, each naming its classifier (or `empty` when
    there is no summary). A `collapsed` summary (why) gets a badge, and neither it nor a `meaningless`
    one (a dialogue outside the toy models' world) gets a coloured toxicity chip."""
    if summary is None:
        return f'<div class="score-card"><b>{esc(title)}</b><div class="muted">{esc(empty)}</div></div>'
    badge = (f'<span class="collapsed-badge" title="{esc(collapsed)}">collapsed</span>' if collapsed else "")
    why = f'<div class="warn collapsed-why">Collapsed summary, not a win: {esc(collapsed)}.</div>' if collapsed else ""
    if summary.toxicity is None:
        return f'<div class="score-card"><b>{esc(title)}</b>{badge}{why}</div>'
    level = "low" if summary.toxicity < 0.2 else "mid" if summary.toxicity < 0.5 else "high"
    if meaningless or collapsed:
        level = "void"
    void = f'<span class="chip not-meaningful">{NOT_MEANINGFUL}</span>' if meaningless else ""
    return (f'<div class="score-card"><b>{esc(title)}</b>{badge}'
            f'<span class="chip" title="{esc(SCORER_NOTE)}">reward {summary.reward:.3f} · {SCORER}</span>'
            f'<span class="chip tox-{level}" title="{esc(SCORER_NOTE)}">toxicity {100 * summary.toxicity:.1f}% · '
            f'{SCORER}</span>{void}{why}<div class="muted small scorer">{esc(SCORER_NOTE)}</div></div>')


WHAT_AM_I_LOOKING_AT = """
**The goal.** A summarizer writes a summary of each dialogue. PPO nudges it (only a small LoRA adapter is
trained) to write summaries that a hate-speech classifier, the *reward model*, finds less hateful, without
drifting far from the starting model.

- **Toxicity** (the headline): the reward model's probability that a sampled summary is hate speech, P(hate),
  in percent, averaged over the step's batch. It should fall.
- **Reward**: the reward model's logit for *not hate* (a log-odds score: 0 is 50/50, +3 is about 95% not hate),
  mean ± std over the batch. It should rise.
- **KL to the starting model** (nats per summary): how far the trained policy's word choices have moved from the
  starting model on the sampled summaries. Small is good; a KL near 0 means almost no change.
  The **KL coefficient β** is the penalty per nat subtracted from the reward; with *adaptive KL* it rises when KL
  is above the target and falls below it.
- **Negative KL values** are an estimate's noise, not a bug: KL is estimated from a few sampled summaries
  (log-prob differences), and a single batch can come out slightly below zero when the policy barely moved.
- **Smoothing** averages recent steps (an exponential moving average) so the trend shows through the
  step-to-step noise of small batches; the faint dots are the raw values.
- **Returns / advantages** (under *More statistics*) are PPO internals: advantages are normalised to mean 0 on
  purpose, so their flat line is expected.
"""

KL_NOTE = ("KL slightly below 0 is estimation noise from a few samples (the policy barely moved), not an error; "
           "a warning appears if it goes far below.")

