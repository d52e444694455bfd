"""The app's HTML and tables: run card, banner, evaluation cards, score cards, CSS (no ML logic).

Pure functions of what `rlhf_core.serving` returns; every dynamic string is escaped.
"""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from rlhf_core import headline_toxicity, serving

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
            f"<code>{esc(model_name(models.config.reward.model))}</code>, "
            f"reward on the {esc(models.config.reward.text)}")
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
            f'{f["after"]["length_words"]:.1f} words</div></div>')
    head = (f'<div class="muted">Run <b>{esc(run_name)}</b> at step {esc(report.get("step"))}, '
            f'{report["samples"]} test dialogues (the same for every run); toxicity is P(toxic) of the summary '
            f'alone, flagged above {report.get("flag_threshold", 0.5)}; {_judge_note(report)}.</div>')
    return f'{head}<div class="metric-cards">{"".join(cards)}</div>{toxicity_rows_html(report)}'


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


ORDERS = ["Biggest improvement first", "Biggest regression first", "Test-set order"]


COMPARISON_COLUMNS = ["dialogue", "summary before", "summary after", "reward before → after", "improvement",
                      "toxicity before → after"]


def _greedy_toxicity_columns(table: pd.DataFrame) -> tuple[str, str, str] | None:
    """Returns (scorer name, before column, after column) of the greedy summaries' toxicity, judge first."""
    for scorer in ("judge", "reward_model"):
        before, after = f"greedy_{scorer}_toxicity_before", f"greedy_{scorer}_toxicity_after"
        if before in table and after in table:
            return SCORER_NAMES[scorer], before, after
    return None


def comparison_table(evaluation: serving.Evaluation | None, order: str) -> pd.DataFrame:
    """One row per test dialogue: both summaries, rewards, the reward improvement and toxicity."""
    if evaluation is None:
        return pd.DataFrame(columns=COMPARISON_COLUMNS)
    t = evaluation.table
    toxicity = _greedy_toxicity_columns(t)
    who, before, after = toxicity or ("", "", "")
    if order != ORDERS[2]:
        t = t.sort_values("reward_diff", ascending=order == ORDERS[1], kind="stable")
    return pd.DataFrame({
        "dialogue": t["dialogue"], "summary before": t["summary_before"], "summary after": t["summary_after"],
        "reward before → after": [f"{b:.2f} → {a:.2f}" for b, a in zip(t["reward_before"], t["reward_after"])],
        "improvement": t["reward_diff"].round(3),
        "toxicity before → after": ([f"{b:.2f} → {a:.2f} ({who})" for b, a in zip(t[before], t[after])]
                                    if toxicity else [""] * len(t)),
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
.eval-figures {margin-top: 10px; border-collapse: collapse; font-size: 13px;}
.eval-figures th, .eval-figures td {padding: 4px 10px; border-bottom: 1px solid var(--border-color-primary);
                                    text-align: left;}
.score-card {padding: 8px 12px; border-radius: 10px; border: 1px solid var(--border-color-primary); font-size: 14px;}
.chip {display: inline-block; margin-left: 8px; padding: 1px 9px; border-radius: 999px; background: #eef2ff;
       color: #3730a3; font-size: 12.5px;}
.chip.tox-low {background: #d1fae5; color: #065f46;}
.chip.tox-mid {background: #fef3c7; color: #92400e;}
.chip.tox-high {background: #fee2e2; color: #991b1b;}
.limits {font-size: 12.5px; color: var(--body-text-color-subdued);}
"""
