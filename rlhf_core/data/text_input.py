"""Cleaning text typed or pasted into the app before any model sees it."""

from __future__ import annotations

from ..errors import UserError

MAX_DIALOGUE_CHARS = 20_000


def clean_dialogue(text: str) -> str:
    """Returns a dialogue safe to summarise: control characters dropped, length checked.

    Raises UserError for empty input or input far beyond any model window.
    """
    if text is None or not str(text).strip():
        raise UserError("the dialogue is empty: paste a conversation to summarise")
    text = "".join(ch for ch in str(text) if ch in "\n\t" or ch.isprintable())
    if not text.strip():
        raise UserError("the dialogue has no readable text (only control characters)")
    if len(text) > MAX_DIALOGUE_CHARS:
        raise UserError(f"the dialogue is {len(text):,} characters long; the limit is {MAX_DIALOGUE_CHARS:,}")
    return text.strip()
