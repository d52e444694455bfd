"""An evaluation report (the dict `compare` returns) as text for the terminal and as Markdown for
model cards and pull requests, and its headline figure."""

from __future__ import annotations

import pandas as pd

from .figures import JUDGE, REWARD_MODEL
from .outcomes import LABELS, OUTCOMES, format_outcomes

# What a report's toxicity figures are when its configured judge could not be loaded.
JUDGE_FALLBACK = ("every toxicity figure comes from the reward model alone, which is what training optimised and "
                  "therefore no independent check: a drop that only the reward model sees may be reward hacking")


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.0f}%"


def missing_judge(report: dict) -> str | None:
    """Returns why the report's configured judge could not be loaded and what its figures are
    instead, or None when it has its judge (or none was configured)."""
    why = report.get("judge_unavailable")
    if not why or (report.get("scorers") or {}).get(JUDGE):
        return None
    return f"the judge is missing ({why}), so {JUDGE_FALLBACK}"


def format_report(report: dict) -> str:
    """Returns a short human-readable summary of an evaluation report."""
    scorers, missing = report.get("scorers", {}), missing_judge(report)
    lines = [f"samples: {report['samples']} test dialogues; reward on {report['reward_text']}; toxicity = P(toxic) "
             f"of the summary alone; flagged = P > {report.get('flag_threshold', 0.5)}"]
    lines.append(f"reward model: {scorers.get(REWARD_MODEL)}; judge: "
                 + (scorers.get(JUDGE) or ("none, see the warning below" if missing else
                                           "none (no independent judge: eval.judge / --judge; "
                                           "the reward model alone cannot see reward hacking)")))
    if missing:
        lines.append(f"warning: {missing}")
    for decoding, by_scorer in report.get("toxicity", {}).items():
        label = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        for name, t in by_scorer.items():
            lines.append(
                f"{label:14s} {name:12s} toxicity {t['before']['mean']:.4f} -> {t['after']['mean']:.4f} "
                f"({_pct(t['relative_change'])}, CI [{t['diff_ci95'][0]:+.4f}, {t['diff_ci95'][1]:+.4f}]); flagged "
                f"{t['flagged_before']:.3f} -> {t['flagged_after']:.3f} ({_pct(t['flagged_relative_change'])}, "
                f"CI [{t['flagged_diff_ci95'][0]:+.3f}, {t['flagged_diff_ci95'][1]:+.3f}])"
                + ("" if t["significant"] else " (within noise)"))
    for decoding, outcomes in (report.get("outcomes") or {}).items():
        label = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        lines += format_outcomes(outcomes, label)
    rg = report.get("rouge")
    if rg:
        for decoding in ("greedy", "sampled"):
            for subset, block in (rg.get(decoding) or {}).items():
                if block:
                    lines.append(f"ROUGE-L {decoding:7s} {subset:16s} (n={block['rows']}) "
                                 f"{block['before']['rougeL']:.3f} -> {block['after']['rougeL']:.3f} "
                                 f"({_pct(block['relative_change']['rougeL'])})")
        lines.append(f"  references per dialogue: {rg['references_per_dialogue']} ({rg['combine']}); "
                     f"toxic_before/clean_references decided by: {rg['split_by']}")
    for decoding, f in report.get("fidelity", {}).items():
        b, a = f["before"], f["after"]
        lo, hi = f["hallucinated_entity_rate_diff_ci95"]
        lines.append(f"fidelity {decoding:7s}: hallucinated entities {100 * b['hallucinated_entity_rate']:.1f}% -> "
                     f"{100 * a['hallucinated_entity_rate']:.1f}% (CI of the change [{100 * lo:+.1f}, {100 * hi:+.1f}] "
                     f"points); edit rate vs before {f['edit_rate']:.3f}; length {b['length_words']:.1f} -> "
                     f"{a['length_words']:.1f} words; distinct-2 {b['distinct_2']:.3f} -> {a['distinct_2']:.3f}; "
                     f"looping {100 * b.get('looping_share', 0):.0f}% -> {100 * a.get('looping_share', 0):.0f}%")
    return "\n".join(lines)



def headline_toxicity(report: dict) -> tuple[str, dict] | None:
    """Returns (label, toxicity block) of the most honest figure in a report: sampled before greedy,
    judge before reward model; None for a report without toxicity (e.g. a callable reward)."""
    for decoding in ("sampled", "greedy"):
        for scorer in (JUDGE, REWARD_MODEL):
            block = report.get("toxicity", {}).get(decoding, {}).get(scorer)
            if block:
                who = "judge" if scorer == JUDGE else "reward model"
                how = f"sampled, k={report.get('sampled_k')}" if decoding == "sampled" else "greedy"
                return f"{who}, {how}", block
    return None


def _ci(interval, digits: int = 4, scale: float = 1.0) -> str:
    low, high = interval
    return f"[{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"


def _escape(text) -> str:
    """Keeps a summary inside its Markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def format_markdown(report: dict, table: pd.DataFrame | None = None, rows: int = 5) -> str:
    """Returns the evaluation report as Markdown, for a model card or a pull request: what was
    measured, a table of every toxicity, reward, ROUGE-L and fidelity figure before and after
    with its change and 95% interval, and `rows` before/after summaries from `table` when given."""
    scorers, missing = report.get("scorers", {}), missing_judge(report)
    judge = scorers.get(JUDGE)
    lines = [
        f"Evaluated on {report['samples']} held-out test dialogues"
        + (f" at step {report['step']}" if report.get("step") is not None else "")
        + f"; reward on the {report['reward_text']}; toxicity = P(toxic) of the summary alone, by the reward "
        f"model (`{scorers.get(REWARD_MODEL)}`, what PPO optimised) and "
        + (f"an independent judge (`{judge}`)" if judge else "no independent judge")
        + f"; flagged = P > {report.get('flag_threshold', 0.5)}.",
    ]
    if missing:
        lines += ["", f"> **Warning:** {_escape(missing)}."]
    lines += ["", "| figure | before | after | change | 95% CI of the difference |", "|---|---|---|---|---|"]
    for decoding, by_scorer in report.get("toxicity", {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        for name, t in by_scorer.items():
            who = "judge" if name == JUDGE else "reward model"
            noise = "" if t["significant"] else " (within noise)"
            lines.append(f"| toxicity, {how}, {who} | {t['before']['mean']:.4f} | {t['after']['mean']:.4f} | "
                         f"{_pct(t['relative_change'])} | {_ci(t['diff_ci95'])}{noise} |")
            lines.append(f"| flagged share, {how}, {who} | {t['flagged_before']:.3f} | {t['flagged_after']:.3f} | "
                         f"{_pct(t['flagged_relative_change'])} | {_ci(t['flagged_diff_ci95'], 3)} |")
    for decoding, outcomes in (report.get("outcomes") or {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        for name in OUTCOMES:
            o = outcomes.get(name)
            if o and o["before"] is not None:
                noise = "" if o["significant"] else " (within noise)"
                lines.append(f"| {LABELS[name]}, {how}, share of {o['of']} ({o['dialogues']}), ground truth | "
                             f"{100 * o['before']:.1f}% | {100 * o['after']:.1f}% | | "
                             f"{_ci(o['diff_ci95'], 1, 100)} points{noise} |")
    reward = (report.get("reward") or {}).get("greedy")
    if reward:
        lines.append(f"| reward, greedy | {reward['before']:.3f} | {reward['after']:.3f} | | |")
    for decoding in ("greedy", "sampled"):
        for subset, block in ((report.get("rouge") or {}).get(decoding) or {}).items():
            if block:
                lines.append(f"| ROUGE-L, {decoding}, {subset} (n={block['rows']}) | {block['before']['rougeL']:.3f} | "
                             f"{block['after']['rougeL']:.3f} | {_pct(block['relative_change']['rougeL'])} | "
                             f"{_ci(block['rougeL_diff_ci95'], 3)} |")
    for decoding, f in report.get("fidelity", {}).items():
        b, a = f["before"], f["after"]
        lines.append(f"| hallucinated entities, {decoding} | {100 * b['hallucinated_entity_rate']:.1f}% | "
                     f"{100 * a['hallucinated_entity_rate']:.1f}% | | "
                     f"{_ci(f['hallucinated_entity_rate_diff_ci95'], 1, 100)} points |")
        lines.append(f"| length in words, {decoding} | {b['length_words']:.1f} | {a['length_words']:.1f} | | |")
        lines.append(f"| edit rate vs before, {decoding} | | {f['edit_rate']:.3f} | | |")
        if "looping_share" in b:
            lines.append(f"| summaries stuck in a repetition loop, {decoding} | {100 * b['looping_share']:.1f}% | "
                         f"{100 * a['looping_share']:.1f}% | | |")
    if table is not None and rows > 0:
        lines += ["", "| summary before | summary after |", "|---|---|"]
        for _, row in table.head(rows).iterrows():
            lines.append(f"| {_escape(row['summary_before'])} | {_escape(row['summary_after'])} |")
    return "\n".join(lines)
