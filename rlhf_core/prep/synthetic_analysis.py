"""Counts over a corpus's summaries that the demo build's checks, `benchmarks/demo_models.py` and the
tests share: every insult word, polite dialogues summarised with an insult, and summaries that use a
rudeness-report frame. Kept apart from the generator, which never needs them.
"""

from __future__ import annotations

import re

from .synthetic_styles import SENTENCE_STYLES
from .synthetic_words import INSULT_ADJECTIVES, INSULT_NOUNS, RUDE_REPORTS


def insult_words() -> set[str]:
    """Every insult word of the corpus and of both classifiers' styles (lower case)."""
    return set(INSULT_ADJECTIVES) | set(INSULT_NOUNS) | {
        w for style in SENTENCE_STYLES.values() for w in style["extra_adjectives"] + style["extra_nouns"]}


def insult_words_in(text: str) -> list[str]:
    """The insult words of `text` in order, each once, in their listed form ("fools" -> "fool")."""
    vocabulary, found = insult_words(), []
    for word in re.findall(r"[a-z]+", text.lower()):
        word = word if word in vocabulary else word[:-1] if word.endswith("s") and word[:-1] in vocabulary else None
        if word and word not in found:
            found.append(word)
    return found


def insulting_polite_summaries(records: list[dict], summaries: list[str]) -> list[str]:
    """The summaries of the polite records (`rude` false) that contain an insult word: the one
    count that the build checks, `benchmarks/demo_models.py` and the tests share."""
    insults = insult_words()
    return [s for r, s in zip(records, summaries, strict=True)
            if not r["rude"] and set(re.findall(r"[a-z]+", s.lower())) & insults]


# The corpus's two ways of reporting rudeness in a summary ("calls #Person1# a ...", "is rude to",
# "insults", ...), also around ordinary words: "#Person1# calls #Person2# a table for 3."
REPORT_FRAME = re.compile(r"\bcalls #Person\d# an? |\b(?:" + "|".join(
    re.escape(r.split(" {o}")[0]) for r in RUDE_REPORTS) + r")\b")


def reporting_summaries(records: list[dict], summaries: list[str], rude: bool = False) -> list[str]:
    """The summaries of the records whose `rude` flag is `rude` that use a rudeness-report frame:
    on polite dialogues the summarizer's prior speaking, whatever words it fills the frame with."""
    return [s for r, s in zip(records, summaries, strict=True) if r["rude"] == rude and REPORT_FRAME.search(s)]
