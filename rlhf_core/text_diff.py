"""Word-level before/after diff of two summaries, with toxic words marked (difflib, no ML).

The spans are (text, label) pairs, the format of gr.HighlightedText; label None is unchanged text.
"""

from __future__ import annotations

import difflib
import re

ADDED, REMOVED, TOXIC = "added", "removed", "toxic"
_PUNCT = re.compile(r"^[^\w#]+|[^\w#]+$")


def normalize(word: str) -> str:
    """A word as compared and scored: lower case, without surrounding punctuation."""
    return _PUNCT.sub("", word).lower()


def words_of(text: str) -> list[str]:
    """The distinct scorable words of `text` (speaker tags like #Person1# left out), in order."""
    seen: dict[str, None] = {}
    for raw in text.split():
        word = normalize(raw)
        if word and not word.startswith("#"):
            seen.setdefault(word)
    return list(seen)


def _label(change: str | None, word: str, toxic: set[str]) -> str | None:
    if normalize(word) in toxic:
        return f"{TOXIC}, {change}" if change else TOXIC
    return change


def _spans(words: list[str], labels: list[str | None]) -> list[tuple[str, str | None]]:
    """Joins consecutive words with the same label into one span (spaces kept between them)."""
    spans: list[tuple[str, str | None]] = []
    for i, (word, label) in enumerate(zip(words, labels)):
        text = word + (" " if i < len(words) - 1 else "")
        if spans and spans[-1][1] == label:
            spans[-1] = (spans[-1][0] + text, label)
        else:
            spans.append((text, label))
    return spans


def word_diff(before: str, after: str | None, toxic: set[str] = frozenset()) -> tuple[list, list]:
    """Returns (before spans, after spans): words only in `before` are "removed", words only in
    `after` "added", and words in `toxic` (normalized) are marked "toxic" as well.

    Without `after`, the before spans only mark toxic words.
    """
    old = before.split()
    if after is None:
        return _spans(old, [_label(None, w, toxic) for w in old]), []
    new = after.split()
    old_labels: list[str | None] = [None] * len(old)
    new_labels: list[str | None] = [None] * len(new)
    matcher = difflib.SequenceMatcher(a=[normalize(w) for w in old], b=[normalize(w) for w in new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            old_labels[i1:i2] = [REMOVED] * (i2 - i1)
        if tag in ("replace", "insert"):
            new_labels[j1:j2] = [ADDED] * (j2 - j1)
    return (_spans(old, [_label(c, w, toxic) for c, w in zip(old_labels, old)]),
            _spans(new, [_label(c, w, toxic) for c, w in zip(new_labels, new)]))
