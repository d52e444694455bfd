"""The app's HTML and tables: run card, banner, evaluation cards, score cards, CSS (no ML logic).

Pure functions of what `webapp.serving` returns; every dynamic string is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from rlhf_core import get_config
from webapp import serving


def headline_toxicity(report: dict):
    """rlhf_core.headline_toxicity, imported on first use: evaluation loads torch, which the page's start skips."""
    from rlhf_core import headline_toxicity as headline

    return headline(report)


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


def _models_line(config, device: str | None) -> str:
    where = f", {device}" if device else ""
    return (f"<b>Models</b> (preset <code>{esc(config.preset)}</code>{where}): "
            f"policy <code>{esc(model_name(config.model.policy))}</code> · reward model "
            f"<code>{esc(model_name(config.reward.model))}</code>, reward on the {esc(config.reward.text)}")


def banner_html(plan: serving.StartupPlan, startup: serving.Startup | None = None, error: str | None = None) -> str:
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
        state = f'<div class="error">error: the models could not be loaded: {esc(error)}</div>'
    elif startup is None:
        state = ('<div class="loading-line"><span class="spinner"></span> Loading the models… the page works '
                 "meanwhile; buttons that need the models wait for them.</div>")
    else:
        state = ""
    if not plan.fell_back:
        return f'<div class="banner ok" id="models-banner">{body}{state}</div>'
    reasons = "".join(f"<li>{esc(p)}</li>" for p in plan.problems)
    return (f'<div class="banner fallback" id="models-banner"><b>Offline fallback:</b> '
            f"<code>{esc(plan.requested)}</code> could not be loaded, so the app runs the offline "
            f"<code>{esc(plan.preset)}</code> preset.<br>{body}{state}"
            f"<details><summary>Why</summary><ul>{reasons}</ul></details></div>")


def startup_line(plan: serving.StartupPlan) -> str:
    """One terminal line: the preset in use and, after a fallback, why."""
    if plan.preset is None:
        return "detox-rlhf: error: no preset can be loaded: " + "; ".join(plan.problems)
    if not plan.fell_back:
        return f"detox-rlhf: preset {plan.preset} (as requested); loading its models in the background"
    return (f"detox-rlhf: preset {plan.preset}, falling back from {plan.requested}: " + "; ".join(plan.problems)
            + " (set RLHF_PRESET to choose)")


def error_html(message: str) -> str:
    """One error line for the visitor (the slot that shows it replaces any stale result)."""
    text = str(message)
    return f'<div class="error" role="alert">{esc(text if text.startswith("error:") else "error: " + text)}</div>'


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
               else "A run is in progress on this server; you are watching it live. "
                    "Start is available again when it ends.")
        parts.append(f'<div class="note">{who} Stop ends it after the current step and keeps its checkpoint.</div>')
    elif snap.state == serving.DONE and snap.step:
        parts.append('<div class="note">Compare the trained policy with the starting one in '
                     "<b>Before vs after</b> or <b>Your dialogue</b>.</div>")
    if snap.kl_warning:
        parts.append(f'<div class="warn">⚠ {esc(snap.kl_warning)}</div>')
    if snap.error:
        parts.append(f'<div class="error">{esc(snap.error)}</div>')
    return f'<div class="run-card state-{snap.state}" id="run-card">{"".join(parts)}</div>'


HEADLINE_STEPS = 3  # "now" and "at the start" are means over this many steps


def headline_html(stats: list[dict]) -> str:
    """The headline figure: mean toxicity of the sampled summaries now vs at the start of the run."""
    values = [r.get("env/toxicity_mean") for r in stats]
    values = [v for v in values if v is not None]
    if not values:
        label = ("Toxicity of the summaries: appears after the first step" if not stats
                 else "Toxicity is not measured by this reward model")
        return f'<div class="headline" id="headline"><span class="muted">{label}</span></div>'
    n = min(HEADLINE_STEPS, len(values))
    start, now = sum(values[:n]) / n, sum(values[-n:]) / n
    change = "" if len(values) <= n else (
        f'<span class="{"good" if now < start else "bad"}">{100 * (now - start):+.1f} points</span>')
    return (f'<div class="headline" id="headline"><span class="label">Toxicity of the sampled summaries</span> '
            f'<span class="big">{100 * start:.1f}% <span class="muted">at start</span> → {100 * now:.1f}% '
            f'<span class="muted">now</span></span> {change}'
            f'<div class="muted small">P(hate) by the reward model, mean of the first and of the latest {n} '
            "step(s).</div></div>")


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


def _change(before: float, after: float, relative: float | None, lower_is_better: bool) -> str:
    if relative is None:
        return ""
    better = (after < before) == lower_is_better
    return f'<span class="{"good" if better else "bad"}">{100 * relative:+.1f}%</span>'


def _ci(pair, digits: int = 2) -> str:
    return f"[{pair[0]:+.{digits}f}, {pair[1]:+.{digits}f}]"


SCORER_NAMES = {"reward_model": "reward model", "judge": "judge"}


def toxicity_rows_html(report: dict) -> str:
    """Every toxicity figure of a report: greedy/sampled x reward model/judge, mean and share flagged."""
    rows = []
    for decoding, by_scorer in report.get("toxicity", {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled, k={report.get('sampled_k')}"
        for scorer, t in by_scorer.items():
            rows.append(
                f"<tr><td>{esc(how)}</td><td>{esc(SCORER_NAMES.get(scorer, scorer))}</td>"
                f"<td>{t['before']['mean']:.3f} → {t['after']['mean']:.3f}</td>"
                f"<td>{t['flagged_before']:.2f} → {t['flagged_after']:.2f} "
                f"{_change(t['flagged_before'], t['flagged_after'], t['flagged_relative_change'], True)}</td>"
                f"<td>{_ci(t['flagged_diff_ci95'])}{'' if t['significant'] else ' (within noise)'}</td></tr>")
    if not rows:
        return ""
    return ('<table class="eval-figures" id="toxicity-figures"><thead><tr><th>decoding</th><th>scored by</th>'
            "<th>mean P(toxic)</th><th>share flagged</th><th>95% CI of the flagged change</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table>')


def _judge_note(report: dict) -> str:
    judge = report.get("scorers", {}).get("judge")
    if judge:
        return f"judge: <b>{esc(judge)}</b>, a classifier PPO never optimised"
    why = report.get("judge_unavailable")
    return ('<span class="bad">no independent judge</span>: toxicity comes only from the reward model PPO optimised'
            + (f" ({esc(why)})" if why else ""))


def evaluation_html(evaluation: serving.Evaluation | None, run_name: str | None) -> str:
    if not run_name:
        return ('<div class="empty-note">No trained run yet: train one in the <b>Train</b> tab, '
                "then evaluate it here.</div>")
    if evaluation is None:
        return (f'<div class="empty-note">Run <b>{esc(run_name)}</b> has not been evaluated yet. '
                "Press <b>Evaluate</b> to summarise its test dialogues before and after RLHF.</div>")
    report, cards = evaluation.report, []
    if "scorers" not in report:  # saved by an older version: figures not comparable, ask for a new evaluation
        return (f'<div class="empty-note">Run <b>{esc(run_name)}</b> was evaluated by an older version. '
                "Press <b>Evaluate</b> for the judge, sampled and fidelity figures.</div>")
    headline = headline_toxicity(report)
    if headline:
        label, t = headline
        cards.append(
            f'<div class="metric-card"><div class="label">Summaries flagged toxic ({esc(label)})</div>'
            f'<div class="value">{t["flagged_before"]:.2f} → {t["flagged_after"]:.2f} '
            f'{_change(t["flagged_before"], t["flagged_after"], t["flagged_relative_change"], True)}</div>'
            f'<div class="sub">mean P(toxic) {t["before"]["mean"]:.3f} → {t["after"]["mean"]:.3f} · '
            f'95% CI of the flagged change {_ci(t["flagged_diff_ci95"])}</div></div>')
    reward = report.get("reward", {}).get("greedy")
    if reward:
        cards.append(
            '<div class="metric-card"><div class="label">Reward (mean, greedy)</div>'
            f'<div class="value">{reward["before"]:.3f} → {reward["after"]:.3f}</div>'
            f'<div class="sub">reward model reads the {esc(report.get("reward_text", ""))}</div></div>')
    rg = report.get("rouge")
    if rg:
        g, s = rg["greedy"]["all"], (rg.get("sampled") or {}).get("all")
        clean = rg["greedy"].get("clean_references")
        sub = [f'sampled {s["before"]["rougeL"]:.3f} → {s["after"]["rougeL"]:.3f}'] if s else []
        if clean:
            sub.append(f'references without flagged text ({clean["rows"]}) {clean["before"]["rougeL"]:.3f} → '
                       f'{clean["after"]["rougeL"]:.3f}')
        cards.append(
            '<div class="metric-card"><div class="label">ROUGE-L against references (greedy)</div>'
            f'<div class="value">{g["before"]["rougeL"]:.3f} → {g["after"]["rougeL"]:.3f} '
            f'{_change(g["before"]["rougeL"], g["after"]["rougeL"], g["relative_change"]["rougeL"], False)}</div>'
            f'<div class="sub">{" · ".join(sub)}</div></div>')
    fidelity = report.get("fidelity", {})
    which = "sampled" if "sampled" in fidelity else "greedy"
    f = fidelity.get(which)
    if f:
        hb, ha = f["before"]["hallucinated_entity_rate"], f["after"]["hallucinated_entity_rate"]
        cards.append(
            f'<div class="metric-card"><div class="label">Numbers and names not in the dialogue ({which})</div>'
            f'<div class="value">{100 * hb:.1f}% → {100 * ha:.1f}%</div>'
            f'<div class="sub">edit rate vs before {f["edit_rate"]:.2f} · length {f["before"]["length_words"]:.1f} → '
            f'{f["after"]["length_words"]:.1f} words{_looping(f)}</div></div>')
    head = (f'<div class="muted">Run <b>{esc(run_name)}</b> at step {esc(report.get("step"))}, '
            f'{report["samples"]} test dialogues (the same for every run); toxicity is P(toxic) of the summary '
            f'alone, flagged above {report.get("flag_threshold", 0.5)}; {_judge_note(report)}.</div>')
    return f'{head}<div class="metric-cards">{"".join(cards)}</div>{toxicity_rows_html(report)}'


def _looping(fidelity: dict) -> str:
    """' · stuck in a loop 8% → 3%' (summaries in a repetition loop); '' for evaluations saved before that figure."""
    before, after = fidelity["before"].get("looping_share"), fidelity["after"].get("looping_share")
    return "" if before is None else f" · stuck in a loop {100 * before:.0f}% → {100 * after:.0f}%"


def evaluation_cells(report: dict) -> tuple[str, str]:
    """The Runs table's cells for a saved evaluation: (share flagged toxic, ROUGE-L), before → after."""
    headline = headline_toxicity(report) if "scorers" in report else None
    toxicity = ""
    if headline:
        label, t = headline
        change = t["flagged_relative_change"]
        toxicity = (f"{t['flagged_before']:.2f} → {t['flagged_after']:.2f}"
                    + (f" ({100 * change:+.0f}%)" if change is not None else "") + f", {label}")
    greedy = (report.get("rouge") or {}).get("greedy", {}).get("all")
    rouge_l = f"{greedy['before']['rougeL']:.3f} → {greedy['after']['rougeL']:.3f}" if greedy else ""
    return toxicity, rouge_l


ORDERS = ["Biggest improvement first", "Biggest regression first", "Most changed facts first", "Test-set order"]


COMPARISON_COLUMNS = ["dialogue", "summary before", "summary after", "changed facts", "reward before → after",
                      "Δ reward", "toxicity before → after"]
# Summaries are Markdown (removed words struck through, new ones bold); the dialogue keeps its line breaks.
COMPARISON_LABEL = ("Summaries before and after (struck through: dropped by RLHF, bold: new, ⚠: a word the "
                    "reward model reads as hateful; changed facts: dialogue words, numbers and names RLHF replaced, "
                    "dropped (-) or added (+))")
COMPARISON_DATATYPES = ["str", "markdown", "markdown", "str", "str", "number", "str"]


def _greedy_toxicity_columns(table: pd.DataFrame) -> tuple[str, str, str] | None:
    """Returns (scorer name, before column, after column) of the greedy summaries' toxicity, judge first."""
    for scorer in ("judge", "reward_model"):
        before, after = f"greedy_{scorer}_toxicity_before", f"greedy_{scorer}_toxicity_after"
        if before in table and after in table:
            return SCORER_NAMES[scorer], before, after
    return None


def _changed_facts(t: pd.DataFrame) -> list[str]:
    """The table's changed facts; evaluations saved before they were recorded get them from the text
    (without the reward model's toxic words, so a dropped insult the dialogue contains may show)."""
    if "changed_facts" in t:
        return [f if isinstance(f, str) else "" for f in t["changed_facts"]]
    from rlhf_core.evaluation.text_diff import changed_facts

    rows = zip(t["summary_before"], t["summary_after"], t["dialogue"])
    return ["; ".join(changed_facts(before, after, dialogue)) for before, after, dialogue in rows]


def comparison_table(evaluation: serving.Evaluation | None, order: str) -> pd.DataFrame:
    """One row per test dialogue: both summaries with the words RLHF changed marked, the facts it
    changed, rewards, the reward improvement and toxicity.

    Orders: by reward change either way, or rows with the most changed facts first (ties: the
    biggest reward drop first), so a re-rolled price is not hidden behind an unchanged reward."""
    if evaluation is None:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    from rlhf_core.evaluation.text_diff import markdown_marked, word_diff  # text only; imported when a table is shown

    t = evaluation.table.copy()
    t["_facts"] = _changed_facts(t)
    t["_fact_count"] = [len(f.split("; ")) if f else 0 for f in t["_facts"]]
    toxicity = _greedy_toxicity_columns(t)
    who, before, after = toxicity or ("", "", "")
    if order == ORDERS[2]:
        t = t.sort_values(["_fact_count", "reward_diff"], ascending=[False, True], kind="stable")
    elif order != ORDERS[3]:
        t = t.sort_values("reward_diff", ascending=order == ORDERS[1], kind="stable")
    toxic = t["toxic_words"] if "toxic_words" in t else [""] * len(t)
    diffs = [word_diff(b, a, set((w or "").split())) for b, a, w in zip(t["summary_before"], t["summary_after"], toxic)]
    return pd.DataFrame({
        "dialogue": t["dialogue"],
        "summary before": [markdown_marked(b) for b, _ in diffs],
        "summary after": [markdown_marked(a) for _, a in diffs],
        "changed facts": t["_facts"],
        "reward before → after": [f"{b:.2f} → {a:.2f}" for b, a in zip(t["reward_before"], t["reward_after"])],
        "Δ reward": t["reward_diff"].round(3),
        "toxicity before → after": ([f"{b:.2f} → {a:.2f} ({who})" for b, a in zip(t[before], t[after])]
                                    if toxicity else [""] * len(t)),
    }, columns=COMPARISON_COLUMNS)


def dialogue_notes_html(preset: str | None, unknown_share: float = 0.0, truncated_at: int | None = None,
                        after: "serving.RunChoice | None" = None, no_after: bool = False) -> str:
    """Notes above the dialogue's summaries: toy models, unknown words, a cut dialogue, a run too short."""
    from .examples import toy_notice

    notes = []
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

CSS = """
.gradio-container {margin: 0 auto !important;}
#app-title h1 {margin: 2px 0 0; font-size: 24px;}
#app-title p {margin: 0; color: var(--body-text-color-subdued);}
.tab-intro p {margin: 0 0 4px; color: var(--body-text-color-subdued);}
.banner {padding: 8px 12px; border-radius: 10px; border: 1px solid; font-size: 13.5px; line-height: 1.5;
         overflow-wrap: anywhere;}
.banner ul {margin: 4px 0 0 18px; padding: 0;}
.banner details summary {cursor: pointer;}
.banner.ok {background: #eef2ff; border-color: #c7d2fe; color: #312e81;}
.banner.fallback {background: #fffbeb; border-color: #fcd34d; color: #78350f;}
.banner code {background: rgba(127,127,127,.15); padding: 0 4px; border-radius: 4px; color: inherit;}
.dark .banner.ok {background: #1e1b4b; border-color: #4338ca; color: #e0e7ff;}
.dark .banner.fallback {background: #422006; border-color: #a16207; color: #fef3c7;}
.loading-line {margin-top: 4px; font-weight: 600;}
.spinner {display: inline-block; width: 11px; height: 11px; border: 2px solid currentColor;
          border-right-color: transparent;
          border-radius: 50%; animation: spin .8s linear infinite; vertical-align: -1px;}
@keyframes spin {to {transform: rotate(360deg);}}
.run-card {padding: 10px 14px; border-radius: 10px; border: 1px solid var(--border-color-primary);
           background: var(--block-background-fill); color: var(--body-text-color); font-size: 14px; line-height: 1.5;
           overflow-wrap: anywhere;}
.run-card b, .headline b {color: var(--body-text-color);}
.run-card .muted, .muted {color: var(--body-text-color-subdued);}
.small {font-size: 12px;}
.headline {padding: 8px 14px; border-radius: 10px; border: 1px solid var(--border-color-primary);
           background: var(--block-background-fill); color: var(--body-text-color);}
.headline .label {font-size: 13px; color: var(--body-text-color-subdued); display: block;}
.headline .big {font-size: 22px; font-weight: 700;}
.badge {display: inline-block; padding: 1px 10px; border-radius: 999px; font-size: 12px; font-weight: 600;
        background: #e2e8f0; color: #334155; margin-right: 6px;}
.state-loading .badge, .state-running .badge {background: #e0e7ff; color: #3730a3;}
.state-stopping .badge {background: #fef3c7; color: #92400e;}
.state-done .badge {background: #d1fae5; color: #065f46;}
.state-failed .badge {background: #fee2e2; color: #991b1b;}
.bar {height: 10px; border-radius: 5px; background: rgba(127,127,127,.25); overflow: hidden; margin: 8px 0 4px;}
.bar .fill {height: 100%; background: linear-gradient(90deg, #6366f1, #4f46e5); transition: width .4s;}
.run-meta {font-weight: 600;}
.run-status {color: var(--body-text-color-subdued); font-family: var(--font-mono); font-size: 12.5px;}
.note, .toy {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #f1f5f9; color: #334155;}
.toy {background: #ecfeff; color: #155e75; border: 1px solid #a5f3fc;}
.warn {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #fef3c7; color: #92400e; font-weight: 600;}
.error {margin-top: 6px; padding: 6px 10px; border-radius: 8px; background: #fee2e2; color: #991b1b; font-weight: 600;}
.dark .note {background: #1e293b; color: #e2e8f0;}
.dark .toy {background: #083344; color: #cffafe; border-color: #155e75;}
.dark .warn {background: #422006; color: #fde68a;}
.dark .error {background: #450a0a; color: #fecaca;}
.empty-note {padding: 14px; border-radius: 10px; border: 1px dashed var(--border-color-primary);
             color: var(--body-text-color-subdued);}
.metric-cards {display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 12px; margin-top: 8px;}
.metric-card {border: 1px solid var(--border-color-primary); border-radius: 10px; padding: 10px 14px;
              background: var(--block-background-fill); color: var(--body-text-color);}
.metric-card .label {font-size: 12.5px; color: var(--body-text-color-subdued);}
.metric-card .value {font-size: 22px; font-weight: 700; margin: 2px 0;}
.metric-card .sub {font-size: 12.5px; color: var(--body-text-color-subdued);}
.good {color: #059669;} .bad {color: #dc2626;}
.dark .good {color: #34d399;} .dark .bad {color: #f87171;}
.eval-figures {margin-top: 10px; border-collapse: collapse; font-size: 13px;}
.eval-figures th, .eval-figures td {padding: 4px 10px; border-bottom: 1px solid var(--border-color-primary);
                                    text-align: left;}
.score-card {padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary); font-size: 14px;
             color: var(--body-text-color);}
.chip {display: inline-block; margin-left: 8px; padding: 1px 9px; border-radius: 999px; background: #eef2ff;
       color: #3730a3; font-size: 12.5px;}
.chip.tox-low {background: #d1fae5; color: #065f46;}
.chip.tox-mid {background: #fef3c7; color: #92400e;}
.chip.tox-high {background: #fee2e2; color: #991b1b;}
.limits {font-size: 12.5px; color: var(--body-text-color-subdued);}
#train-controls .form {gap: 6px;}
/* Phones: rows wrap by their columns' min_width; the tab bar wraps instead of widening the page, and
   tables and charts scroll inside themselves. */
.tab-wrapper {min-width: 0 !important; max-width: 100% !important;}
.tab-container {flex-wrap: wrap !important; min-width: 0 !important; height: auto !important;}
@media (max-width: 720px) {
  .main {padding-left: 8px !important; padding-right: 8px !important;}
  .tab-container button {padding-left: 6px !important; padding-right: 6px !important; font-size: 14px !important;}
  #comparison-table table, #runs-table table, #samples-table table {min-width: 640px;}
  .headline .big {font-size: 18px;}
  #app-title h1 {font-size: 20px;}
}
/* Nothing wider than the window: wide tables scroll inside their own box, not the page. */
.gradio-container {max-width: min(1320px, 100vw) !important;}
.main, .wrap, .contain, .tabs, .tabitem {min-width: 0 !important; max-width: 100% !important;}
.column, .block {max-width: 100% !important;}
.table-container {overflow-x: auto !important;}
/* Dialogues keep their turns on separate lines. */
#comparison-table [role=gridcell][data-col="0"] span, #samples-table [role=gridcell][data-col="0"] span {
  white-space: pre-wrap;}
.js-plotly-plot, .plot-container {max-width: 100%;}
"""
