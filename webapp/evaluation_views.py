"""The "Before vs after" and "Runs" tabs' HTML and tables: a run's evaluation as cards, the
per-dialogue comparison table, and the table of saved runs (no ML logic).

Pure functions of what `evaluation.py` and `run_list.py` return; every dynamic string is escaped.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pandas as pd

from .knobs import KNOBS, knob_values
from .views import esc, fmt, model_name, short_paths

if TYPE_CHECKING:
    from .evaluation import Evaluation
    from .run_list import RunInfo


def headline_toxicity(report: dict):
    """rlhf_core.headline_toxicity, imported on first use: evaluation loads torch, which the page's start skips."""
    from rlhf_core import headline_toxicity as headline

    return headline(report)


def _change(before: float, after: float, relative: float | None, lower_is_better: bool) -> str:
    if relative is None:
        return ""
    better = (after < before) == lower_is_better
    return f'<span class="{"good" if better else "bad"}">{100 * relative:+.1f}%</span>'


def pct(share: float, digits: int = 0) -> str:
    """A share (0-1) in percent: the page's unit for every toxicity figure."""
    return f"{100 * share:.{digits}f}%"


def _points(before: float, after: float, relative: float | None = None) -> str:
    """A toxicity change in percentage points (lower is better), with the relative change where known."""
    rel = f", {100 * relative:+.0f}% relative" if relative is not None else ""
    return f'<span class="{"good" if after <= before else "bad"}">{100 * (after - before):+.1f} points{rel}</span>'


def _ci(pair, digits: int = 1) -> str:
    """A 95% interval of a share's change, in percentage points."""
    return f"[{100 * pair[0]:+.{digits}f}, {100 * pair[1]:+.{digits}f}] points"


SCORER_NAMES = {"reward_model": "reward model", "judge": "judge"}


def toxicity_rows_html(report: dict) -> str:
    """Every toxicity figure of a report: greedy/sampled x reward model/judge, mean and share flagged."""
    rows = []
    for decoding, by_scorer in report.get("toxicity", {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled, k={report.get('sampled_k')}"
        for scorer, t in by_scorer.items():
            rows.append(
                f"<tr><td>{esc(how)}</td><td>{esc(SCORER_NAMES.get(scorer, scorer))}</td>"
                f"<td>{pct(t['before']['mean'], 1)} → {pct(t['after']['mean'], 1)}</td>"
                f"<td>{pct(t['flagged_before'])} → {pct(t['flagged_after'])} "
                f"{_points(t['flagged_before'], t['flagged_after'], t['flagged_relative_change'])}</td>"
                f"<td>{_ci(t['flagged_diff_ci95'])}{'' if t['significant'] else ' (within noise)'}</td></tr>")
    if not rows:
        return ""
    return ('<table class="eval-figures" id="toxicity-figures"><thead><tr><th>decoding</th><th>scored by</th>'
            "<th>mean P(toxic)</th><th>share flagged</th><th>95% interval of the flagged change</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table>')


OUTCOME_NAMES = {"insult_repeated": ("insult repeated", "rude"),
                 "neutral_report": ("rudeness reported neutrally (right speakers)", "rude"),
                 "misattributed": ("rudeness named, wrong speakers", "rude"),
                 "rudeness_dropped": ("rudeness dropped", "rude"),
                 "polite_accused": ("polite dialogue accused", "polite"),
                 "degenerate": ("degenerate (loop, empty, far too short)", "all")}


def outcomes_rows_html(report: dict) -> str:
    """The ground-truth outcomes (`rlhf_core.evaluation.outcomes`), beside the classifiers' figures:
    what the summaries did with the rudeness the data records; '' when the data records none."""
    rows = []
    for decoding, outcomes in (report.get("outcomes") or {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled, k={report.get('sampled_k')}"
        for name, (label, of) in OUTCOME_NAMES.items():
            o = outcomes.get(name)
            if not o or o.get("before") is None:
                continue
            b, a = o["before"], o["after"]
            good = (a >= b) if name == "neutral_report" else (a <= b)
            rows.append(f"<tr><td>{esc(how)}</td><td>{esc(label)}</td><td>{esc(of)} ({o['dialogues']})</td>"
                        f'<td>{pct(b, 1)} → {pct(a, 1)} <span class="{"good" if good else "bad"}">'
                        f"{100 * (a - b):+.1f} points</span></td>"
                        f"<td>{_ci(o['diff_ci95'])}{'' if o['significant'] else ' (within noise)'}</td></tr>")
    if not rows:
        return ""
    return ('<table class="eval-figures" id="outcome-figures"><caption>Ground truth: the data records which '
            "dialogues are rude, who insulted whom and with which words; no classifier involved</caption>"
            "<thead><tr><th>decoding</th><th>outcome</th><th>share of dialogues</th><th>before → after</th>"
            f'<th>95% interval of the change</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _judge_note(report: dict) -> str:
    judge = report.get("scorers", {}).get("judge")
    if judge:
        return f"judge: <b>{esc(model_name(judge))}</b>, a classifier PPO never optimised"
    return '<span class="bad">no independent judge</span>: toxicity comes only from the reward model PPO optimised'


def missing_judge_html(report: dict) -> str:
    """A warning above the figures when the run's judge could not be loaded: why, and what the figures are
    instead (the reward model's, which training optimised); '' otherwise."""
    from rlhf_core.evaluation.report import missing_judge  # text only; imported when an evaluation is shown

    missing = missing_judge(report)
    missing = short_paths(missing) if missing else missing
    return f'<div class="warn" id="judge-missing">⚠ {esc(missing[0].upper() + missing[1:])}.</div>' if missing else ""


def share_html(run_name: str | None) -> str:
    """A link that opens this run's comparison (`?run=NAME`), or '' without a run."""
    if not run_name:
        return ""
    return (f'<div class="muted small">Link to this comparison: <a href="?run={esc(run_name)}" '
            f'id="share-link">?run={esc(run_name)}</a></div>')


def evaluation_html(evaluation: Evaluation | None, run_name: str | None) -> str:
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
            f'<div class="value">{pct(t["flagged_before"])} → {pct(t["flagged_after"])}</div>'
            f'<div class="sub">{_points(t["flagged_before"], t["flagged_after"], t["flagged_relative_change"])} · '
            f'mean P(toxic) {pct(t["before"]["mean"], 1)} → {pct(t["after"]["mean"], 1)} · '
            f'95% CI of the flagged change {_ci(t["flagged_diff_ci95"])}</div></div>')
    reward = report.get("reward", {}).get("greedy")
    if reward:
        cards.append(
            '<div class="metric-card"><div class="label">Reward (mean, greedy; logit of not-hate)</div>'
            f'<div class="value">{reward["before"]:.3f} → {reward["after"]:.3f}</div>'
            f'<div class="sub">the reward model\'s log-odds that the {esc(report.get("reward_text", ""))} is not '
            "hateful: 0 is 50/50, higher is better</div></div>")
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
    return (f'{head}{missing_judge_html(report)}<div class="metric-cards">{"".join(cards)}</div>'
            f"{toxicity_rows_html(report)}{outcomes_rows_html(report)}")


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
        toxicity = (f"{pct(t['flagged_before'])} → {pct(t['flagged_after'])} "
                    f"({100 * (t['flagged_after'] - t['flagged_before']):+.0f} points"
                    + (f", {100 * change:+.0f}% relative" if change is not None else "") + f"), {label}")
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


def comparison_table(evaluation: Evaluation | None, order: str) -> pd.DataFrame:
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
        "summary before": [_marked_cell(markdown_marked(b)) for b, _ in diffs],
        "summary after": [_marked_cell(markdown_marked(a)) for _, a in diffs],
        "changed facts": t["_facts"],
        "reward before → after": [f"{b:.2f} → {a:.2f}" for b, a in zip(t["reward_before"], t["reward_after"])],
        "Δ reward": t["reward_diff"].round(3),
        "toxicity before → after": ([f"{pct(b)} → {pct(a)} ({who})" for b, a in zip(t[before], t[after])]
                                    if toxicity else [""] * len(t)),
    }, columns=COMPARISON_COLUMNS)


TOXIC_MARK = '<span class="toxic-mark" title="the reward model reads it as hateful">⚠</span>'


def _marked_cell(markdown: str) -> str:
    """A summary cell's Markdown with each ⚠ as a styled mark (a bare ⚠ in the table's small type is
    hard to see); the cell's own text is escaped by markdown_marked, so this is the only HTML in it."""
    return markdown.replace("⚠", TOXIC_MARK)


def _html_marked(spans: list[tuple[str, str | None]]) -> str:
    """Diff spans as HTML for a card: new words bold, dropped ones struck through, ⚠ before a toxic word."""
    out = []
    for text, label in spans:
        body = esc(text)
        if label and "toxic" in label:
            body = TOXIC_MARK + body
        if label and "added" in label:
            body = f"<b>{body}</b>"
        elif label and "removed" in label:
            body = f"<s>{body}</s>"
        out.append(body)
    return "".join(out)


def comparison_cards_html(evaluation: Evaluation | None, order: str) -> str:
    """The comparison table as one card per test dialogue, in the same order: what a phone shows
    instead of the table (style.css swaps them below 720 px)."""
    if evaluation is None:
        return ""
    from rlhf_core.evaluation.text_diff import word_diff

    table = comparison_table(evaluation, order)
    t = evaluation.table.loc[table.index]
    toxic = t["toxic_words"] if "toxic_words" in t else [""] * len(t)
    scored = _greedy_toxicity_columns(t)
    cards = []
    for (index, row), words in zip(table.iterrows(), toxic):
        before_spans, after_spans = word_diff(t.at[index, "summary_before"], t.at[index, "summary_after"],
                                              set((words or "").split()))
        toxicity = (f" · toxicity {pct(t.at[index, scored[1]])} → {pct(t.at[index, scored[2]])} ({scored[0]})"
                    if scored else "")
        facts = row["changed facts"]
        facts = f'<div class="dc-facts">changed facts: {esc(facts)}</div>' if facts else ""
        cards.append(
            f'<div class="dialogue-card"><div class="dc-label">Before</div><div>{_html_marked(before_spans)}</div>'
            f'<div class="dc-label">After</div><div>{_html_marked(after_spans)}</div>{facts}'
            f'<div class="dc-scores">reward {esc(row["reward before → after"])}{esc(toxicity)}</div>'
            f'<details><summary>Dialogue</summary><div class="dc-dialogue">{esc(row["dialogue"])}</div></details>'
            "</div>")
    legend = ('<div class="limits"><b>Bold</b>: new after RLHF · <s>struck through</s>: dropped · '
              '<span class="toxic-mark">⚠</span>: a word the reward model reads as hateful</div>')
    return f'{legend}<div class="dialogue-cards" id="dialogue-cards">{"".join(cards)}</div>'


COMPARE_INTRO = ("The same held-out test dialogues for every run, summarised by the starting policy and by a "
                 "trained run (greedy, and sampled several times), scored by the reward model and by an independent "
                 "judge: toxicity, ROUGE, invented numbers and names, every summary side by side.")
RUNS_INTRO = ("Every saved run on this server: compare their curves, settings and evaluations; pick one as the "
              "\"after\" model or delete it.")
RUNS_LABEL = ("Saved runs (share of summaries flagged toxic and ROUGE-L: before → after, from the last evaluation; "
              "– marks a setting the run's algorithm does not read)")
RUNS_COLUMNS = ["run", "status", "flagged toxic", "ROUGE-L", "last reward", "last KL", "preset",
                *(knob.column for knob in KNOBS), "reward on", "created"]


def runs_table(infos: list[RunInfo]) -> pd.DataFrame:
    """One row per saved run: status, last evaluation and step, and a column per knob with the value
    the run's algorithm read ("–" for a knob it does not read); steps as done/total."""
    rows = []
    for info in infos:
        cfg, ev, last = info.config, info.evaluation or {}, (info.metrics[-1] if info.metrics else {})
        toxicity, rouge_l = evaluation_cells(ev)
        status = ("training" if info.training else "evaluated" if ev else "ready" if info.has_checkpoint
                  else "no checkpoint")
        values = knob_values(cfg)
        rows.append({
            "run": info.name, "status": status, "flagged toxic": toxicity, "ROUGE-L": rouge_l,
            "last reward": fmt(last.get("env/reward_mean")), "last KL": fmt(last.get("objective/kl")),
            "preset": cfg.preset, "reward on": cfg.reward.text,
            "created": time.strftime("%Y-%m-%d %H:%M", time.localtime(info.created)),
            **{knob.column: knob.cell(values[knob.name]) if knob.name in values else "–" for knob in KNOBS},
            "steps": f"{info.steps_done}/{cfg.steps}",
        })
    return pd.DataFrame(rows, columns=RUNS_COLUMNS)
