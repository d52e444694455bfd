"""Reward terms that need no model: fidelity to the dialogue (and reference) and length.

Toxicity alone lets the policy re-roll facts: a price or a name changes and the classifier does
not care. These terms put a price on that, cheaply, so they can run on every sampled summary:

- fidelity = ROUGE-L F1 against the reference summary (when the data has one)
             - the share of the summary's numbers and names that the dialogue does not contain
             + the record of the rudeness (`fidelity.rudeness_record`, with a reference): +1 for
             naming the reference's rudeness with its offender and target and without the insult
             frame; -1 for dropping it, for the insult frame, for naming other speakers, and for
             accusing someone where the reference does not. Toxicity alone pays as
             much for deleting the abuse as for reporting it; this pays for keeping it on record,
             never for the "calls X a ..." frame. With the demo's `summary_neutral` references
             (`data.dialogues.fidelity_references`) the ROUGE part never pays for an insult word
             either: the reference holds none;
- anchor   = ROUGE-L F1 against the reference model's greedy summary (adapter off) of the same
             dialogue: toxicity pays for any rewording that sounds nicer, so polite summaries drift
             too; this term pays for leaving them as they were and lets the toxicity term win only
             where the old summary was rude;
- length   = -|words - reference words| / reference words (0 without a reference).

The entity rule is the evaluation's (`rlhf_core.evaluation.fidelity.hallucinated_entities`), so the reward
pays for exactly what the hallucinated-entity rate counts.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..evaluation.fidelity import (  # the evaluation's rule: reward and metric alike
    hallucinated_entities,
    rouge_scorer_cached,
    rudeness_record,
)

_ROUGE = rouge_scorer_cached(["rougeL"])


def hallucinated_share(summary: str, dialogue: str) -> float:
    """Returns the share of the summary's numbers and names absent from the dialogue (0 if it has none)."""
    missing, found = hallucinated_entities(summary, dialogue)
    return missing / found if found else 0.0


def fidelity_scores(summaries: Sequence[str], dialogues: Sequence[str],
                    references: Sequence[str] | None = None) -> list[float]:
    """Returns ROUGE-L F1 vs the reference minus `hallucinated_share` plus `rudeness_record` (both
    reference parts 0 when there is none), per summary."""
    refs = list(references) if references is not None else [""] * len(summaries)
    out = []
    for summary, dialogue, reference in zip(summaries, dialogues, refs):
        overlap = _ROUGE.score(reference, summary)["rougeL"].fmeasure if reference else 0.0
        record = rudeness_record(summary, reference) if reference else 0.0
        out.append(overlap - hallucinated_share(summary, dialogue) + record)
    return out


def length_scores(summaries: Sequence[str], references: Sequence[str] | None = None) -> list[float]:
    """Returns -|words - reference words| / reference words per summary (0 without a reference)."""
    refs = list(references) if references is not None else [""] * len(summaries)
    out = []
    for summary, reference in zip(summaries, refs):
        target = len(reference.split())
        out.append(-abs(len(summary.split()) - target) / target if target else 0.0)
    return out


def anchor_scores(summaries: Sequence[str], anchors: Sequence[str]) -> list[float]:
    """Returns ROUGE-L F1 of each summary against its anchor (the reference model's summary)."""
    return [_ROUGE.score(anchor, summary)["rougeL"].fmeasure for summary, anchor in zip(summaries, anchors)]
