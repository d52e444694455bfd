"""Your dialogue: one pasted dialogue summarised by the starting policy and by a trained run's
adapter on the shared models, both scored, with the word-level diff between them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rlhf_core.data.text_input import clean_dialogue
from rlhf_core.evaluation.text_diff import word_diff

from .examples import TOY_NOTICES, WorldCheck, text_words, unknown_share, world_check
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
    world: WorldCheck | None = None  # on toy presets: how far the dialogue lies outside the demo corpus
    before_collapse: str | None = None  # why the "before" summary collapsed (`collapse_reason`), or None
    after_collapse: str | None = None

    @property
    def outside(self) -> bool:
        """Whether the dialogue lies outside the toy models' world, so that no score means anything."""
        return self.world is not None and self.world.outside

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
    toy = models.config.preset in TOY_NOTICES
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
        unknown_share=unknown, toxic_words=flagged, world=world_check(dialogue) if toy else None,
        before_collapse=collapse_reason(scored[0].text, dialogue),
        after_collapse=collapse_reason(scored[1].text, dialogue, scored[0].text) if adapter else None,
    )


# A collapsed summary: the demo corpus's 500 reference summaries have 12 words or more, none loops,
# and at least 54% of their content words come from the dialogue (5th percentile 62%); the demo's
# summaries of dialogues outside its world share 0-8% ("#Person1# calls #Person2# a calls ...").
MIN_WORDS = 6  # half the corpus's shortest summary
SHORTER_THAN_BEFORE = 0.5  # "after" with under half the words of "before"
MIN_CONTENT_SHARE = 0.3  # share of the summary's content words that the dialogue contains
FUNCTION_WORDS = frozenset("a an the to and of in on at for is are be it that this with his her their as by from or "
                           "was will has have had".split())


def _content(text: str) -> list[str]:
    return [w for w in text_words(text) if w not in FUNCTION_WORDS]


def collapse_reason(summary: str, dialogue: str, before: str | None = None) -> str | None:
    """Why `summary` of `dialogue` collapsed (a loop, far too short, or none of the dialogue's content), or None."""
    from rlhf_core.evaluation.fidelity import loops, words  # nltk and rouge-score: not at the app's import

    if loops(summary):
        return "it repeats itself in a loop"
    count = len(words(summary))
    if count < MIN_WORDS and len(words(dialogue)) >= 2 * MIN_WORDS:
        return f"it has only {count} word(s)"
    if before is not None and count < SHORTER_THAN_BEFORE * len(words(before)):
        return f"it has {count} words, under half of the {len(words(before))} words before RLHF"
    content, source = _content(summary), set(_content(dialogue))
    if len(content) >= 3 and sum(w in source for w in content) / len(content) < MIN_CONTENT_SHARE:
        return "it shares almost none of the dialogue's content words"
    return None
