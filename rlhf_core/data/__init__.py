"""Dialogues in: DialogSum from the Hub or a local file -> prompt-wrapped, tokenized splits; pasted text."""
