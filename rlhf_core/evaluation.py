"""Before vs after, judged honestly: greedy and sampled summaries, scored by the reward model and
by an independent judge, with fidelity figures and paired bootstrap intervals over dialogues.

- Toxicity is P(toxic) of the summary alone, by two scorers: the reward model (what PPO
  optimised) and the judge (a classifier it never saw, `eval.judge`). A drop that only the reward
  model sees is reward hacking, not detoxification.
- Greedy decoding shows the policy's mode; `eval.sampled_k` samples per dialogue with the training
  generation settings show what users of a sampling summarizer get. Before and after share the
  sampling seeds, so the comparison is paired.
- Besides mean P(toxic), the share of summaries flagged (P > `eval.flag_threshold`): a mean near
  zero makes "-99%" out of tiny differences, a flagged share does not.
- Fidelity (`fidelity.py`): hallucinated-entity rate, edit rate vs the "before" summary, length,
  distinct-n; ROUGE against every reference (best per row), overall, on the rows whose "before"
  summary was flagged and the rest, and on the rows whose references are not themselves flagged.
- Every interval is a paired bootstrap over dialogues (the unit that was sampled).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .data import build_dataset
from .errors import UserError
from .fidelity import ROUGE_KEYS, edit_rate, hallucinated_entities, loops, rouge_rows, text_figures
from .judge import Judge
from .reward import RewardModel
from .runs import RunDir, atomic_write_text
from .summarizer import BEFORE, Summarizer
from .text_diff import changed_facts, words_of

AFTER = "after"
REWARD_MODEL, JUDGE = "reward_model", "judge"
SAMPLE_SEED_STRIDE = 100_003  # sampled summaries use seed + stride (+ the batch offset), before and after alike


def toxicity_stats(values) -> dict[str, float]:
    """Returns mean and (population) std of toxicity probabilities."""
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std())}


def rouge(predictions: list[str], references: list[str] | list[list[str]]) -> dict[str, float]:
    """Returns mean ROUGE-1/2/L/Lsum F-measures (stemmed); a row's references may be a list."""
    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    rows = rouge_rows(predictions, refs)
    return {key: float(np.mean(rows[key])) if rows[key] else 0.0 for key in ROUGE_KEYS}


def bootstrap_indices(n: int, resamples: int, seed: int) -> np.ndarray:
    """Returns (resamples, n) row indices drawn with replacement: one paired resample per row."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def paired_bootstrap(before, after, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Returns the 95% interval of mean(after - before) over paired bootstrap resamples of rows."""
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    means = diff[bootstrap_indices(len(diff), resamples, seed)].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def ratio_bootstrap(num_before, den_before, num_after, den_after, resamples: int = 1000,
                    seed: int = 0) -> tuple[float, float]:
    """Returns the 95% interval of sum(num_a)/sum(den_a) - sum(num_b)/sum(den_b), rows resampled in pairs."""
    idx = bootstrap_indices(len(num_before), resamples, seed)
    arrays = [np.asarray(a, dtype=float)[idx].sum(axis=1) for a in (num_before, den_before, num_after, den_after)]
    diff = arrays[2] / np.maximum(arrays[3], 1) - arrays[0] / np.maximum(arrays[1], 1)
    return float(np.percentile(diff, 2.5)), float(np.percentile(diff, 97.5))


def relative_change(before: float, after: float) -> float | None:
    """Returns (after - before) / |before|, or None when before is 0."""
    return None if before == 0 else (after - before) / abs(before)


def toxicity_block(before: np.ndarray, after: np.ndarray, threshold: float, resamples: int, seed: int) -> dict:
    """Returns toxicity figures for (dialogues, summaries per dialogue) arrays of P(toxic).

    Means and flagged shares are over all summaries; intervals resample dialogues, each keeping
    all of its summaries.
    """
    flagged_b, flagged_a = (before > threshold).mean(axis=1), (after > threshold).mean(axis=1)
    mean_b, mean_a = before.mean(axis=1), after.mean(axis=1)
    low, high = paired_bootstrap(mean_b, mean_a, resamples, seed)
    f_low, f_high = paired_bootstrap(flagged_b, flagged_a, resamples, seed)
    block = {
        "before": toxicity_stats(before.ravel()), "after": toxicity_stats(after.ravel()),
        "relative_change": relative_change(float(before.mean()), float(after.mean())),
        "diff_ci95": [low, high],
        "flagged_before": float(flagged_b.mean()), "flagged_after": float(flagged_a.mean()),
        "flagged_relative_change": relative_change(float(flagged_b.mean()), float(flagged_a.mean())),
        "flagged_diff_ci95": [f_low, f_high],
    }
    block["significant"] = bool(f_high < 0 or f_low > 0 or high < 0 or low > 0)
    return block


def _rouge_block(before: list[str], after: list[str], references: list[list[str]], rows: np.ndarray,
                 resamples: int, seed: int) -> dict | None:
    if not rows.any():
        return None
    pick = np.flatnonzero(rows)
    refs = [references[i] for i in pick]
    rb = rouge_rows([before[i] for i in pick], refs)
    ra = rouge_rows([after[i] for i in pick], refs)
    mb = {k: float(np.mean(rb[k])) for k in ROUGE_KEYS}
    ma = {k: float(np.mean(ra[k])) for k in ROUGE_KEYS}
    return {"rows": int(len(pick)), "before": mb, "after": ma,
            "relative_change": {k: relative_change(mb[k], ma[k]) for k in ROUGE_KEYS},
            "rougeL_diff_ci95": list(paired_bootstrap(rb["rougeL"], ra["rougeL"], resamples, seed))}


def _fidelity_block(before: list[str], after: list[str], dialogues: list[str], resamples: int, seed: int) -> dict:
    hb = np.array([hallucinated_entities(s, d) for s, d in zip(before, dialogues)]).reshape(-1, 2)
    ha = np.array([hallucinated_entities(s, d) for s, d in zip(after, dialogues)]).reshape(-1, 2)
    return {
        "before": text_figures(before, dialogues), "after": text_figures(after, dialogues),
        "edit_rate": float(np.mean([edit_rate(b, a) for b, a in zip(before, after)])),
        "hallucinated_entity_rate_diff_ci95": list(ratio_bootstrap(hb[:, 0], hb[:, 1], ha[:, 0], ha[:, 1],
                                                                   resamples, seed)),
    }


def _sampled(summarizer: Summarizer, dialogues: list[str], adapter: str, k: int, seed: int) -> list[list[str]]:
    """Returns k sampled summaries per dialogue, as k lists (every policy samples with the same seeds).

    All k come from one decoding call per batch (`num_return_sequences`): each dialogue is
    encoded once and its k rows decode together.
    """
    flat = summarizer.summarize(dialogues, adapter, seed=seed + SAMPLE_SEED_STRIDE, do_sample=True,
                                num_return_sequences=k)
    return [flat[j::k] for j in range(k)]


def compare(summarizer: Summarizer, dialogues: list[str], references: list[list[str]] | None, adapter: str = AFTER,
            seed: int = 0, resamples: int = 1000, judge: Judge | None = None,
            sampled_k: int | None = None) -> tuple[dict, pd.DataFrame]:
    """Returns (report, table) comparing the starting policy with `adapter` on the dialogues."""
    ev = summarizer.config.eval
    k = ev.sampled_k if sampled_k is None else sampled_k
    threshold = ev.flag_threshold
    texts = {"greedy": {BEFORE: summarizer.summarize(dialogues, BEFORE, seed=seed, do_sample=False),
                        AFTER: summarizer.summarize(dialogues, adapter, seed=seed, do_sample=False)}}
    if k:
        texts["sampled"] = {BEFORE: _sampled(summarizer, dialogues, BEFORE, k, seed),
                            AFTER: _sampled(summarizer, dialogues, adapter, k, seed)}
    scorers = {}
    if summarizer.reward_model is not None:
        scorers[REWARD_MODEL] = lambda t: summarizer.reward_model.score(t).toxicity
    if judge is not None:
        judge.to(summarizer.device)
        scorers[JUDGE] = judge.toxicity

    def score(scorer, groups: list[list[str]]) -> np.ndarray:  # (dialogues, summaries per dialogue)
        flat = scorer([t for group in groups for t in group])
        return np.array(flat, dtype=float).reshape(len(groups), len(dialogues)).T

    greedy_b, greedy_a = texts["greedy"][BEFORE], texts["greedy"][AFTER]
    before_scored = summarizer.score(dialogues, greedy_b)
    after_scored = summarizer.score(dialogues, greedy_a)
    table = pd.DataFrame({"dialogue": dialogues, "summary_before": greedy_b, "summary_after": greedy_a})
    report: dict = {
        "samples": len(dialogues), "seed": seed, "reward_text": summarizer.config.reward.text,
        "flag_threshold": threshold, "sampled_k": k,
        "scorers": {REWARD_MODEL: summarizer.config.reward.model if summarizer.reward_model is not None else None,
                    JUDGE: judge.name if judge is not None else None},
        "toxicity": {},
    }
    if summarizer.reward_model is not None:
        table["reward_before"] = [s.reward for s in before_scored]
        table["reward_after"] = [s.reward for s in after_scored]
        table["reward_diff"] = table["reward_after"] - table["reward_before"]
        report["reward"] = {"greedy": {"before": float(table["reward_before"].mean()),
                                       "after": float(table["reward_after"].mean())}}
    flagged_before = np.zeros(len(dialogues), dtype=bool)
    for decoding, pair in texts.items():
        report["toxicity"][decoding] = {}
        groups_b = [pair[BEFORE]] if decoding == "greedy" else pair[BEFORE]
        groups_a = [pair[AFTER]] if decoding == "greedy" else pair[AFTER]
        for name, scorer in scorers.items():
            tb, ta = score(scorer, groups_b), score(scorer, groups_a)
            report["toxicity"][decoding][name] = toxicity_block(tb, ta, threshold, resamples, seed)
            table[f"{decoding}_{name}_toxicity_before"] = tb.mean(axis=1)
            table[f"{decoding}_{name}_toxicity_after"] = ta.mean(axis=1)
            if decoding == "greedy":
                flagged_before = tb[:, 0] > threshold  # the last scorer wins: the judge when there is one
        split_by = list(scorers)[-1] if scorers else None

    report["fidelity"] = {"greedy": _fidelity_block(greedy_b, greedy_a, dialogues, resamples, seed)}
    table["edit_rate"] = [edit_rate(b, a) for b, a in zip(greedy_b, greedy_a)]
    table["loops_before"] = [loops(s) for s in greedy_b]
    table["loops_after"] = [loops(s) for s in greedy_a]
    table["hallucinated_entities_before"] = [hallucinated_entities(s, d)[0] for s, d in zip(greedy_b, dialogues)]
    table["hallucinated_entities_after"] = [hallucinated_entities(s, d)[0] for s, d in zip(greedy_a, dialogues)]
    toxic = summarizer.reward_model.toxic_words(greedy_b + greedy_a) if summarizer.reward_model is not None else set()
    table["changed_facts"] = ["; ".join(changed_facts(b, a, d, toxic)) for b, a, d in zip(greedy_b, greedy_a, dialogues)]
    table["toxic_words"] = [" ".join(w for w in words_of(f"{b} {a}") if w in toxic) for b, a in zip(greedy_b, greedy_a)]
    if k:
        flat_dialogues = dialogues * k
        flat_b = [t for group in texts["sampled"][BEFORE] for t in group]
        flat_a = [t for group in texts["sampled"][AFTER] for t in group]
        report["fidelity"]["sampled"] = _fidelity_block(flat_b, flat_a, flat_dialogues, resamples, seed)

    if references and any(references):
        refs = [list(r) for r in references]
        clean = np.ones(len(dialogues), dtype=bool)
        if scorers:
            ref_scores = list(scorers.values())[-1]([r for rs in refs for r in rs])
            it = iter(ref_scores)
            clean = np.array([all(next(it) <= threshold for _ in rs) for rs in refs])
        every = np.ones(len(dialogues), dtype=bool)
        rg = {"references_per_dialogue": max(len(r) for r in refs), "combine": "best-matching reference per row (max F)",
              "split_by": split_by, "greedy": {}}
        subsets = {"all": every, "toxic_before": flagged_before, "rest": ~flagged_before, "clean_references": clean}
        for subset, rows in subsets.items():
            rg["greedy"][subset] = _rouge_block(greedy_b, greedy_a, refs, rows, resamples, seed)
        if k:
            rg["sampled"] = {"all": _rouge_block(flat_b, flat_a, refs * k, np.ones(len(flat_b), dtype=bool),
                                                 resamples, seed)}
        report["rouge"] = rg
    return report, table


def evaluate_run(run_dir: str | Path, samples: int | None = None, summarizer: Summarizer | None = None,
                 write: bool = True, judge: Judge | bool | None = None, sampled_k: int | None = None,
                 judge_problem: str | None = None) -> tuple[dict, pd.DataFrame]:
    """Evaluates a saved run on the fixed test split and writes eval.json + eval_samples.csv/json.

    `judge`: a loaded Judge, None for the run's `eval.judge`, or False for no judge;
    `judge_problem`: why a configured judge is missing (saved in the report).
    """
    run = RunDir(run_dir)
    config = run.config()
    checkpoint = run.checkpoint_dir()
    if checkpoint is None:
        raise UserError(f"run {run.path} has no checkpoint yet; train at least one step first")
    if summarizer is None:
        summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    if judge is None:
        judge = Judge.from_config(config.eval, config.reward.dtype)
    elif judge is False:
        judge = None
    summarizer.load_adapter(AFTER, checkpoint)
    test = build_dataset(config.data, summarizer.tokenizer, config.model.max_prompt_tokens)["test"]
    n = min(samples or config.eval.samples, len(test))
    rows = test.select(range(n))
    references = [list(r) for r in rows["references"]] if config.data.summary_column else None
    report, table = compare(summarizer, list(rows["dialogue"]), references, AFTER, config.eval.seed,
                            config.eval.bootstrap, judge, sampled_k)
    report["run"] = str(run.path)
    report["step"] = (run.load_state() or {}).get("step")
    report["split_seed"] = config.data.split_seed
    if judge_problem:
        report["judge_unavailable"] = judge_problem
    table.insert(0, "id", list(rows["id"]))
    if write:
        atomic_write_text(run.path / "eval.json", json.dumps(report, indent=2))
        atomic_write_text(run.path / "eval_samples.csv", table.to_csv(index=False))
        atomic_write_text(run.path / "eval_samples.json", table.to_json(orient="records", indent=2))
        from .model_card import write_model_card

        write_model_card(run.path)  # the card's evaluation table
        if config.report_to:
            from .tracking import log_evaluation

            log_evaluation(config, run.path, report)
    return report, table


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:+.0f}%"


def format_report(report: dict) -> str:
    """Returns a short human-readable summary of an evaluation report."""
    scorers = report.get("scorers", {})
    lines = [f"samples: {report['samples']} test dialogues; reward on {report['reward_text']}; toxicity = P(toxic) "
             f"of the summary alone; flagged = P > {report.get('flag_threshold', 0.5)}"]
    lines.append(f"reward model: {scorers.get(REWARD_MODEL)}; judge: "
                 + (scorers.get(JUDGE) or "none (no independent judge: eval.judge / --judge; "
                                          "the reward model alone cannot see reward hacking)"))
    if report.get("judge_unavailable"):
        lines.append(f"judge unavailable: {report['judge_unavailable']}")
    for decoding, by_scorer in report.get("toxicity", {}).items():
        label = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        for name, t in by_scorer.items():
            lines.append(
                f"{label:14s} {name:12s} toxicity {t['before']['mean']:.4f} -> {t['after']['mean']:.4f} "
                f"({_pct(t['relative_change'])}, CI [{t['diff_ci95'][0]:+.4f}, {t['diff_ci95'][1]:+.4f}]); flagged "
                f"{t['flagged_before']:.3f} -> {t['flagged_after']:.3f} ({_pct(t['flagged_relative_change'])}, "
                f"CI [{t['flagged_diff_ci95'][0]:+.3f}, {t['flagged_diff_ci95'][1]:+.3f}])"
                + ("" if t["significant"] else " (within noise)"))
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
    scorers = report.get("scorers", {})
    judge = scorers.get(JUDGE)
    lines = [
        f"Evaluated on {report['samples']} held-out test dialogues"
        + (f" at step {report['step']}" if report.get("step") is not None else "")
        + f"; reward on the {report['reward_text']}; toxicity = P(toxic) of the summary alone, by the reward "
        f"model (`{scorers.get(REWARD_MODEL)}`, what PPO optimised) and "
        + (f"an independent judge (`{judge}`)" if judge else "no independent judge")
        + f"; flagged = P > {report.get('flag_threshold', 0.5)}.",
        "", "| figure | before | after | change | 95% CI of the difference |", "|---|---|---|---|---|",
    ]
    for decoding, by_scorer in report.get("toxicity", {}).items():
        how = "greedy" if decoding == "greedy" else f"sampled (k={report.get('sampled_k')})"
        for name, t in by_scorer.items():
            who = "judge" if name == JUDGE else "reward model"
            noise = "" if t["significant"] else " (within noise)"
            lines.append(f"| toxicity, {how}, {who} | {t['before']['mean']:.4f} | {t['after']['mean']:.4f} | "
                         f"{_pct(t['relative_change'])} | {_ci(t['diff_ci95'])}{noise} |")
            lines.append(f"| flagged share, {how}, {who} | {t['flagged_before']:.3f} | {t['flagged_after']:.3f} | "
                         f"{_pct(t['flagged_relative_change'])} | {_ci(t['flagged_diff_ci95'], 3)} |")
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
