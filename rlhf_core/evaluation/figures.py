"""The statistics of a before/after comparison, as pure functions of scores and texts: toxicity
means and flagged shares, ROUGE against every reference, fidelity figures, and paired bootstrap
intervals over dialogues (the unit that was sampled).

Every interval resamples dialogues: a dialogue's k sampled summaries move together (the sampled
blocks take the texts as k blocks of the n dialogues and reduce them to one figure per dialogue
first), so k samples per dialogue never pass for k times as many independent rows. One rule says
what is significant: `significant`.
"""

from __future__ import annotations

import numpy as np

from .fidelity import ROUGE_KEYS, edit_rate, hallucinated_entities, rouge_rows, text_figures

REWARD_MODEL, JUDGE = "reward_model", "judge"  # the two scorers' keys in a report


def toxicity_stats(values) -> dict[str, float]:
    """Returns mean and (population) std of toxicity probabilities."""
    values = np.asarray(values, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std())}


def rouge(predictions: list[str], references: list[str] | list[list[str]]) -> dict[str, float]:
    """Returns mean ROUGE-1/2/L/Lsum F-measures (stemmed); a row's references may be a list."""
    refs = [[r] if isinstance(r, str) else list(r) for r in references]
    rows = rouge_rows(predictions, refs)
    return {key: float(np.mean(rows[key])) if rows[key] else 0.0 for key in ROUGE_KEYS}


SIGNIFICANCE_RULE = ("a change is significant when the 95% paired bootstrap interval of after - before, "
                     "resampling dialogues (each with all of its summaries), excludes 0")


def significant(*intervals) -> bool:
    """The one rule every block that says "significant" uses (`SIGNIFICANCE_RULE`): whether the 95%
    paired bootstrap interval of the change over dialogues, (low, high), excludes 0. Given several
    intervals of one block (toxicity: the mean and the flagged share), whether any of them does."""
    return any(low > 0 or high < 0 for low, high in intervals)


def per_dialogue(values, k: int = 1) -> np.ndarray:
    """Returns (n, k) from values laid out as `compare` lays out sampled texts: k blocks of the n
    dialogues (sample j of dialogue i at j * n + i); k = 1 gives (n, 1). Trailing axes are kept."""
    values = np.asarray(values, dtype=float)
    n = len(values) // k
    return np.moveaxis(values.reshape(k, n, *values.shape[1:]), 0, 1)


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
    block["significant"] = significant((low, high), (f_low, f_high))
    return block


def rouge_block(before: list[str], after: list[str], references: list[list[str]], rows: np.ndarray,
                resamples: int, seed: int, k: int = 1) -> dict | None:
    """Returns ROUGE before/after on the dialogues `rows` selects (a mask over the n dialogues).

    `before`/`after` hold k summaries per dialogue as k blocks of the n dialogues (`per_dialogue`),
    `references` one list per dialogue. The interval resamples dialogues: each dialogue's mean
    ROUGE-L over its k summaries is one row of the paired bootstrap."""
    if not rows.any():
        return None
    n, pick = len(references), np.flatnonzero(rows)
    flat = [j * n + i for j in range(k) for i in pick]
    refs = [references[i] for i in pick] * k
    rb = rouge_rows([before[i] for i in flat], refs)
    ra = rouge_rows([after[i] for i in flat], refs)
    mb = {key: float(np.mean(rb[key])) for key in ROUGE_KEYS}
    ma = {key: float(np.mean(ra[key])) for key in ROUGE_KEYS}
    interval = paired_bootstrap(per_dialogue(rb["rougeL"], k).mean(axis=1), per_dialogue(ra["rougeL"], k).mean(axis=1),
                                resamples, seed)
    return {"rows": len(flat), "dialogues": int(len(pick)), "before": mb, "after": ma,
            "relative_change": {key: relative_change(mb[key], ma[key]) for key in ROUGE_KEYS},
            "rougeL_diff_ci95": list(interval), "significant": significant(interval)}


def fidelity_block(before: list[str], after: list[str], dialogues: list[str], resamples: int, seed: int,
                   k: int = 1) -> dict:
    """Returns fidelity figures before/after; texts and `dialogues` are k blocks of the n dialogues
    (`per_dialogue`). The hallucinated-entity rate pools entities over all summaries; its interval
    resamples dialogues, each with the entities of all of its k summaries."""
    hb = per_dialogue([hallucinated_entities(s, d) for s, d in zip(before, dialogues)], k).sum(axis=1)
    ha = per_dialogue([hallucinated_entities(s, d) for s, d in zip(after, dialogues)], k).sum(axis=1)
    interval = ratio_bootstrap(hb[:, 0], hb[:, 1], ha[:, 0], ha[:, 1], resamples, seed)
    return {
        "before": text_figures(before, dialogues), "after": text_figures(after, dialogues),
        "edit_rate": float(np.mean([edit_rate(b, a) for b, a in zip(before, after)])),
        "hallucinated_entity_rate_diff_ci95": list(interval), "significant": significant(interval),
    }
