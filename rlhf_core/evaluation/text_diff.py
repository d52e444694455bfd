"""Word-level before/after diff of two summaries, with toxic words marked (difflib, no ML).

The spans are (text, label) pairs, the format of gr.HighlightedText; label None is unchanged text.
`changed_facts` lists what a rewrite did to the dialogue's facts (a price, a name, a sport), so a
table can put the rows where RLHF re-rolled a fact first, whatever their reward did.
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


# Words that carry no fact of their own: a swap of these is phrasing, not a changed fact.
FUNCTION_WORDS = frozenset("""a an the and or but so if then than that this these those there here to of in on at
by for with from about as into over after before up down out off is are was were be been being am has have had
do does did will would can could shall should may might must not no yes it its he him his she her they them their
we us our you your i me my who whom which what when where why how all some any each both very too also just only
again still even too ok okay""".split())


def _content_words(words: list[str], toxic: set[str]) -> list[str]:
    """The words of a span that could state a fact, case kept (names), without surrounding punctuation:
    no function words, speaker tags or toxic words."""
    bare = (_PUNCT.sub("", w) for w in words)
    return [w for w in bare if w and not w.startswith("#") and w.lower() not in FUNCTION_WORDS | toxic]


def _is_fact(word: str, dialogue_words: set[str]) -> bool:
    return word.lower() in dialogue_words or _is_entity(word)


def _is_entity(word: str) -> bool:
    from .fidelity import entities  # nltk behind it: the app's start imports this module without it

    return bool(entities(word))


def changed_facts(before: str, after: str, dialogue: str, toxic: set[str] = frozenset()) -> list[str]:
    """Returns the facts `after` changed relative to `before`, e.g. ["30 → 20", "basketball → football",
    "+290", "-Carla"], each once.

    A fact is a word of the dialogue (not a function word, not toxic: dropping an insult is the
    point of detoxification) or a number or name. Counted: a replaced span whose removed side holds
    a fact ("30 → 20"; an invented replacement counts too), numbers or names of the dialogue dropped
    ("-Carla"), and numbers or names the dialogue lacks added ("+290"). Adding a fact the dialogue
    holds, or rephrasing words it does not use, changes no fact.
    """
    old, new = before.split(), after.split()
    dialogue_words = {normalize(w) for w in dialogue.split()}
    matcher = difflib.SequenceMatcher(a=[normalize(w) for w in old], b=[normalize(w) for w in new], autojunk=False)
    changes = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        gone = [w for w in _content_words(old[i1:i2], toxic) if _is_fact(w, dialogue_words)]
        came = _content_words(new[j1:j2], toxic)
        if tag == "replace" and gone:
            changes.append(f"{' '.join(gone)} → {' '.join(came) or '…'}")
            continue
        changes += [f"-{w}" for w in gone if w.lower() in dialogue_words and _is_entity(w)]  # a dialogue fact lost
        changes += [f"+{w}" for w in came if w.lower() not in dialogue_words and _is_entity(w)]  # invented
    return list(dict.fromkeys(changes))  # a loop that repeats "+290" five times changed one fact


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~-])")


def markdown_marked(spans: list[tuple[str, str | None]]) -> str:
    """The diff spans as Markdown for a table cell: added words **bold**, removed ones ~~struck~~,
    toxic ones ⚠-prefixed; everything else escaped so a summary cannot inject markup."""
    out = []
    for text, label in spans:
        body, space = text.rstrip(), text[len(text.rstrip()):]
        body = _MARKDOWN_SPECIAL.sub(r"\\\1", body)
        if label and TOXIC in label:
            body = "⚠" + body
        if label and ADDED in label:
            body = f"**{body}**"
        elif label and REMOVED in label:
            body = f"~~{body}~~"
        out.append(body + space)
    return "".join(out)
