"""Before vs after: toxicity of the summaries, ROUGE against references, and a sample table.

Toxicity is measured on the summary alone (what we want less toxic), as mean and std of the
hate probability, like the `evaluate` toxicity measurement. The change in mean toxicity comes
with a paired bootstrap 95% interval, so a change within run-to-run noise is reported as such.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from rouge_score import rouge_scorer

from .data import build_dataset
from .errors import UserError
from .reward import RewardModel
from .runs import RunDir, atomic_write_text
from .summarizer import BEFORE, Summarizer

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
AFTER = "after"


def toxicity_stats(values) -> dict[str, float]:
    """Returns mean and (population) std of hate probabilities."""
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std())}


def rouge(predictions: list[str], references: list[str]) -> dict[str, float]:
    """Returns mean ROUGE-1/2/L/Lsum F-measures (stemmed), as `evaluate`'s rouge reports them."""
    scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    totals = {key: 0.0 for key in ROUGE_KEYS}
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)
        for key in ROUGE_KEYS:
            totals[key] += scores[key].fmeasure
    n = max(len(predictions), 1)
    return {key: totals[key] / n for key in ROUGE_KEYS}


def paired_bootstrap(before, after, resamples: int = 1000, seed: int = 0) -> tuple[float, float]:
    """Returns the 95% interval of mean(after - before) over paired bootstrap resamples."""
    diff = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(resamples, len(diff)))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def relative_change(before: float, after: float) -> float | None:
    """Returns (after - before) / |before|, or None when before is 0."""
    return None if before == 0 else (after - before) / abs(before)


def compare(summarizer: Summarizer, dialogues: list[str], references: list[str] | None, adapter: str = AFTER,
            seed: int = 0, resamples: int = 1000) -> tuple[dict, pd.DataFrame]:
    """Returns (report, table) comparing the starting policy with `adapter` on the dialogues."""
    before_text = summarizer.summarize(dialogues, BEFORE, seed=seed)
    after_text = summarizer.summarize(dialogues, adapter, seed=seed)
    before = summarizer.score(dialogues, before_text)
    after = summarizer.score(dialogues, after_text)
    table = pd.DataFrame({
        "dialogue": dialogues,
        "summary_before": before_text,
        "summary_after": after_text,
        "reward_before": [s.reward for s in before],
        "reward_after": [s.reward for s in after],
        "toxicity_before": [s.toxicity for s in before],
        "toxicity_after": [s.toxicity for s in after],
    })
    table["reward_diff"] = table["reward_after"] - table["reward_before"]
    report: dict = {"samples": len(dialogues), "seed": seed, "reward_text": summarizer.config.reward.text}
    if summarizer.reward_model is not None:
        tb, ta = toxicity_stats(table["toxicity_before"]), toxicity_stats(table["toxicity_after"])
        low, high = paired_bootstrap(table["toxicity_before"], table["toxicity_after"], resamples, seed)
        report["toxicity"] = {
            "before": tb, "after": ta,
            "relative_change": relative_change(tb["mean"], ta["mean"]),
            "diff_ci95": [low, high],
            "significant": bool(high < 0 or low > 0),
        }
        report["reward"] = {"before": float(table["reward_before"].mean()), "after": float(table["reward_after"].mean())}
    if references and any(references):
        rb, ra = rouge(before_text, references), rouge(after_text, references)
        report["rouge"] = {
            "before": rb, "after": ra,
            "relative_change": {k: relative_change(rb[k], ra[k]) for k in ROUGE_KEYS},
        }
    return report, table


def evaluate_run(run_dir: str | Path, samples: int | None = None, summarizer: Summarizer | None = None,
                 write: bool = True) -> tuple[dict, pd.DataFrame]:
    """Evaluates a saved run on its test split and writes eval.json + eval_samples.csv/json."""
    run = RunDir(run_dir)
    config = run.config()
    checkpoint = run.checkpoint_dir()
    if checkpoint is None:
        raise UserError(f"run {run.path} has no checkpoint yet; train at least one step first")
    if summarizer is None:
        summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    summarizer.load_adapter(AFTER, checkpoint)
    test = build_dataset(config.data, summarizer.tokenizer, config.model.max_prompt_tokens, config.seed)["test"]
    n = min(samples or config.eval.samples, len(test))
    rows = test.select(range(n))
    references = list(rows["summary"]) if config.data.summary_column else None
    report, table = compare(summarizer, list(rows["dialogue"]), references, AFTER, config.eval.seed, config.eval.bootstrap)
    report["run"] = str(run.path)
    report["step"] = (run.load_state() or {}).get("step")
    table.insert(0, "id", list(rows["id"]))
    if write:
        atomic_write_text(run.path / "eval.json", json.dumps(report, indent=2))
        atomic_write_text(run.path / "eval_samples.csv", table.to_csv(index=False))
        atomic_write_text(run.path / "eval_samples.json", table.to_json(orient="records", indent=2))
    return report, table


def format_report(report: dict) -> str:
    """Returns a short human-readable summary of an evaluation report."""
    lines = [f"samples: {report['samples']} (reward on {report['reward_text']}; toxicity on the summary)"]
    tox = report.get("toxicity")
    if tox:
        change = tox["relative_change"]
        lines.append(
            f"toxicity mean {tox['before']['mean']:.4f} (std {tox['before']['std']:.4f}) -> "
            f"{tox['after']['mean']:.4f} (std {tox['after']['std']:.4f})"
            + (f", {100 * change:+.1f}%" if change is not None else "")
            + f"; 95% CI of the change [{tox['diff_ci95'][0]:+.4f}, {tox['diff_ci95'][1]:+.4f}]"
            + ("" if tox["significant"] else " (within noise)")
        )
    rg = report.get("rouge")
    if rg:
        lines.append("ROUGE " + ", ".join(
            f"{k} {rg['before'][k]:.3f}->{rg['after'][k]:.3f}" for k in ROUGE_KEYS))
    return "\n".join(lines)
