"""Your dialogue: one pasted dialogue summarised by the starting policy and by a trained run's
adapter on the shared models, both scored, with the word-level diff between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rlhf_core.data.text_input import clean_dialogue
from rlhf_core.evaluation.text_diff import word_diff

from .examples import unknown_share
from .run_list import finished_run
from .shared_models import models_for
from .startup import startup

if TYPE_CHECKING:
    from rlhf_core.models.summarizer import Summary


@dataclass
class DialogueComparison:
    """Summaries of one dialogue before and (if a run is picked) after RLHF, with scores."""

    before: Summary
    after: Summary | None
    after_run: str | None
    truncated: bool
    max_prompt_tokens: int
    unknown_share: float = 0.0  # share of the dialogue's words the policy's tokenizer does not know
    toxic_words: set[str] = field(default_factory=set)  # words of either summary the reward model flags

    def diff(self) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
        """Word-level before/after diff with toxic words marked (text_diff.word_diff)."""
        return word_diff(self.before.text, self.after.text if self.after else None, self.toxic_words)


def compare_dialogue(text: str, run_name: str | None = None) -> DialogueComparison:
    """Summarises `text` with the starting policy and with `run_name`'s adapter (if given)."""
    from rlhf_core.models.summarizer import BEFORE

    dialogue = clean_dialogue(text)
    if run_name:
        run = finished_run(run_name)
        models = models_for(run.config())
    else:
        run, models = None, startup().models
    with models.lock:  # the adapter stays loaded until its last use (adapter_for may unload others)
        adapter = models.adapter_for(run) if run is not None else None
        summarizer = models.summarizer
        truncated = summarizer.is_truncated(dialogue)
        texts = summarizer.summarize([dialogue], BEFORE)
        if adapter:
            texts += summarizer.summarize([dialogue], adapter)
        scored = summarizer.score([dialogue] * len(texts), texts)
        flagged = (summarizer.reward_model.toxic_words(texts)
                   if summarizer.reward_model is not None else set())
        unknown = unknown_share(summarizer.tokenizer, dialogue)
    return DialogueComparison(
        before=scored[0], after=scored[1] if adapter else None, after_run=run_name or None,
        truncated=truncated, max_prompt_tokens=models.config.model.max_prompt_tokens,
        unknown_share=unknown, toxic_words=flagged,
    )
