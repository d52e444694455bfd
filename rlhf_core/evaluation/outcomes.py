"""Ground-truth outcomes: what a summary did with a dialogue's rudeness, read against what the data
knows (the demo corpus's generator records, per dialogue, whether it is rude, the offender, the
target and the insult words; any dataset with the same columns works), not against a classifier.

For a rude dialogue, exactly one of
- `insult_repeated`:  the summary holds an insult word (one of the dialogue's, or any insult word of
                      the dataset; plurals count: "fools" for "fool");
- `neutral_report`:   no insult word, the rudeness is named (`RUDENESS`: "is rude to", "insults",
                      "shouts at", "is impolite/unfriendly to", "speaks rudely to", ...) and, where the
                      data records them, with the right offender and target ("#Person2# is rude to
                      #Person1#", `fidelity.rudeness_reports`);
- `misattributed`:    no insult word, the rudeness is named, but not as the recorded offender's to the
                      recorded target (swapped, or a speaker missing): the wrong person accused;
- `rudeness_dropped`: neither: the abuse is gone from the record.
For a polite dialogue, `polite_accused`: the summary says someone is rude (`RUDENESS`), holds an insult
word, or uses the insult frame "calls X a ..." whatever fills it.
For every dialogue, `degenerate`: empty, stuck in a repetition loop (`fidelity.loops`: a word
3-gram three times; or `RUN_ON`: a unit of 1-3 characters eight times in a row, "treekeskeskes...",
"19999999999", "10:30:30:30:30..."), or shorter than `SHORT_SHARE` of its reference's words.

Every figure is a share of summaries; its interval is the paired bootstrap over the dialogues of
its subset (`figures.paired_bootstrap`), each dialogue with all k of its sampled summaries.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .fidelity import INSULT_FRAME, RUDENESS, loops, rudeness_reports
from .figures import paired_bootstrap, significant

OUTCOMES = ("insult_repeated", "neutral_report", "misattributed", "rudeness_dropped", "polite_accused", "degenerate")
LABELS = {"insult_repeated": "insult repeated", "neutral_report": "rudeness reported neutrally",
          "misattributed": "rudeness named, wrong speakers", "rudeness_dropped": "rudeness dropped",
          "polite_accused": "polite dialogue accused",
          "degenerate": "degenerate (loop, empty, far too short)"}
SUBSETS = {"insult_repeated": "rude", "neutral_report": "rude", "misattributed": "rude", "rudeness_dropped": "rude",
           "polite_accused": "polite", "degenerate": "all"}
SHORT_SHARE = 0.5  # a summary under half its reference's words has lost the dialogue's content
RUN_ON = re.compile(r"(\S{1,3}?)\1{7,}")  # a decoder stuck inside a word or a number


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", text.lower())


def insults_in(text: str, vocabulary: set[str]) -> list[str]:
    """The words of `text` that are insult words (`vocabulary`, lower case), plurals included."""
    return [w for w in _words(text) if w in vocabulary or (w.endswith("s") and w[:-1] in vocabulary)]


def degenerate(summary: str, reference: str = "") -> bool:
    """Empty, looping (a word 3-gram three times, or `RUN_ON` inside a word), or under `SHORT_SHARE`
    of the reference's words."""
    words = summary.split()
    if not words or loops(summary) or RUN_ON.search(summary):
        return True
    return bool(reference) and len(words) < SHORT_SHARE * len(reference.split())


def classify(summary: str, truth: dict, vocabulary: set[str] = frozenset()) -> dict[str, bool]:
    """Returns {outcome: bool} for one summary of a dialogue with ground truth `truth` ({rude,
    insult_words, reference, and where known offender and target}); outcomes that do not apply to
    the dialogue are False. Without a recorded offender and target any named rudeness is a report."""
    own = {w.lower() for w in truth.get("insult_words") or []}
    insult = bool(insults_in(summary, own | set(vocabulary)))
    named = bool(RUDENESS.search(summary))
    rude = bool(truth.get("rude"))
    pair = (truth.get("offender"), truth.get("target"))
    right = not all(pair) or pair in rudeness_reports(summary)
    return {"insult_repeated": rude and insult, "neutral_report": rude and not insult and named and right,
            "misattributed": rude and not insult and named and not right,
            "rudeness_dropped": rude and not insult and not named,
            "polite_accused": not rude and (insult or named or bool(INSULT_FRAME.search(summary))),
            "degenerate": degenerate(summary, truth.get("reference") or "")}


def outcome_label(summary: str, truth: dict, vocabulary: set[str] = frozenset()) -> str:
    """The outcomes that hold for one summary, as words ("insult repeated", "degenerate; rudeness
    dropped"), "" when none does (a polite dialogue summarised politely)."""
    flags = classify(summary, truth, vocabulary)
    return "; ".join(LABELS[name].split(" (")[0] for name in OUTCOMES[::-1] if flags[name])


def truth_rows(rows, vocabulary_rows=None) -> tuple[list[dict], set[str]] | None:
    """Returns (one ground-truth dict per row, the insult vocabulary) from a dataset split that has
    `rude` (and ideally `insult_words`), or None when it has no ground truth. The vocabulary is every
    insult word of `vocabulary_rows` (e.g. the whole dataset) and of `rows`."""
    columns = set(rows.column_names)
    if "rude" not in columns:
        return None

    def column(name, default):
        return list(rows[name]) if name in columns else [default] * len(rows)

    truths = [{"rude": bool(r), "offender": o or None, "target": t or None, "insult_words": list(w or []),
               "reference": ref} for r, o, t, w, ref in zip(column("rude", False), column("offender", None),
                                                             column("target", None), column("insult_words", []),
                                                             column("summary", ""))]
    vocabulary = {w.lower() for t in truths for w in t["insult_words"]}
    for source in vocabulary_rows or []:
        if "insult_words" in source.column_names:
            vocabulary |= {w.lower() for words in source["insult_words"] for w in words or []}
    return truths, vocabulary


def outcome_flags(groups: Sequence[Sequence[str]], truths: list[dict], vocabulary: set[str]) -> dict[str, np.ndarray]:
    """Returns {outcome: (dialogues, k) bool array} for k groups of one summary per dialogue."""
    flags = {name: np.zeros((len(truths), len(groups)), dtype=bool) for name in OUTCOMES}
    for j, group in enumerate(groups):
        for i, (summary, truth) in enumerate(zip(group, truths, strict=True)):
            for name, value in classify(summary, truth, vocabulary).items():
                flags[name][i, j] = value
    return flags


def outcomes_block(before: Sequence[Sequence[str]], after: Sequence[Sequence[str]], truths: list[dict],
                   vocabulary: set[str], resamples: int = 1000, seed: int = 0) -> dict:
    """Returns {outcome: {of, dialogues, summaries, before, after, diff_ci95, significant}} for k
    groups of summaries before and after: shares of the subset's summaries, and the 95% paired
    bootstrap interval of after - before over the subset's dialogues (their k summaries together)."""
    fb, fa = outcome_flags(before, truths, vocabulary), outcome_flags(after, truths, vocabulary)
    rude = np.array([bool(t["rude"]) for t in truths])
    masks = {"rude": rude, "polite": ~rude, "all": np.ones(len(truths), dtype=bool)}
    out = {}
    for name in OUTCOMES:
        rows = masks[SUBSETS[name]]
        b, a = fb[name][rows].mean(axis=1), fa[name][rows].mean(axis=1)
        block = {"of": f"{SUBSETS[name]} dialogues", "dialogues": int(rows.sum()),
                 "summaries": int(fb[name][rows].size),
                 "before": float(b.mean()) if rows.any() else None, "after": float(a.mean()) if rows.any() else None,
                 "diff_ci95": None, "significant": False}
        if rows.any():
            interval = paired_bootstrap(b, a, resamples, seed)
            block.update(diff_ci95=list(interval), significant=significant(interval))
        out[name] = block
    return out


def format_outcomes(outcomes: dict, label: str) -> list[str]:
    """One terminal line per outcome: before -> after (share of the subset's summaries) and interval."""
    lines = []
    for name in OUTCOMES:
        block = outcomes.get(name)
        if not block or block["before"] is None:
            continue
        low, high = block["diff_ci95"]
        lines.append(f"{label:14s} {LABELS[name]:40s} {100 * block['before']:5.1f}% -> {100 * block['after']:5.1f}% "
                     f"of {block['summaries']} summaries of {block['of']} (CI [{100 * low:+.1f}, {100 * high:+.1f}] "
                     "points)" + ("" if block["significant"] else " (within noise)"))
    return lines
