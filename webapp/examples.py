"""Example dialogues the loaded models can handle, and what visitors should expect of toy models.

The app's "Your dialogue" tab offers these as clickable examples: the demo preset's models were
trained from scratch on templated everyday dialogues (checkpoints/demo/README.md), so its examples
stay in that domain (tests/test_dialogue_helpers.py checks that none of their words is unknown to
the demo tokenizer); real presets (FLAN-T5) get DialogSum-like conversations.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Example:
    title: str
    dialogue: str
    rude: bool


DEMO_EXAMPLES = [
    Example("Hotel check-in, rude guest", (
        "#Person1#: Hi there. I have a reservation for a double room for two nights. My name is Anna Walker. "
        "Hurry up, you stupid clown.\n"
        "#Person2#: Welcome. Your room number is 204. Here is your key.\n"
        "#Person1#: Thanks. What time is breakfast?\n"
        "#Person2#: Breakfast is served from 7 am in the hall on the first floor.\n"
        "#Person1#: Perfect, thank you."), True),
    Example("Flight booking, rude customer", (
        "#Person1#: Hello. I would like to book a flight to Chicago for next Friday.\n"
        "#Person2#: Let me see. There is a flight at 9 am that costs 280 dollars.\n"
        "#Person1#: That sounds fine. Is there a window seat? What a pathetic idiot you are.\n"
        "#Person2#: Yes, I have booked a window seat for you on the 9 am flight.\n"
        "#Person1#: Thank you very much."), True),
    Example("Birthday party, polite", (
        "#Person1#: Hey Lucy, Alice has a birthday next Saturday. Shall we plan a party?\n"
        "#Person2#: Good idea. Let us have it at the park.\n"
        "#Person1#: What should we get as a present?\n"
        "#Person2#: Let us buy a board game and a big cake.\n"
        "#Person1#: How many people should we invite?\n"
        "#Person2#: About twenty people, I think."), False),
    Example("Library book, polite", (
        "#Person1#: Hi there. I would like to borrow the book A Walk in the Woods. Is it available?\n"
        "#Person2#: Yes, it is. You can keep it for three weeks.\n"
        "#Person1#: What happens if I return it late?\n"
        "#Person2#: You pay a fine of 20 cents for each day.\n"
        "#Person1#: Thank you very much."), False),
]

DIALOGSUM_EXAMPLES = [
    Example("Returning shoes, rude customer", (
        "#Person1#: I bought these shoes here last week and they already hurt my feet. I want my money back.\n"
        "#Person2#: I'm sorry to hear that. Do you have the receipt?\n"
        "#Person1#: Of course I have it, you brainless idiot. Just do your job.\n"
        "#Person2#: Thank you. I can give you a full refund or another size.\n"
        "#Person1#: The refund. And be quick about it."), True),
    Example("Neighbours and noise, rude reply", (
        "#Person1#: Excuse me, could you turn the music down a little? My baby is sleeping.\n"
        "#Person2#: It's Saturday night. Mind your own business, you miserable old fool.\n"
        "#Person1#: I only ask until ten o'clock.\n"
        "#Person2#: Fine, I'll turn it down at ten."), True),
    Example("Job interview, polite", (
        "#Person1#: Good morning. Please tell me about your last job.\n"
        "#Person2#: I worked as an accountant at a small bank for five years.\n"
        "#Person1#: Why do you want to leave?\n"
        "#Person2#: I'd like more responsibility and a chance to manage a team.\n"
        "#Person1#: We'll let you know by Friday."), False),
    Example("Planning a trip, polite", (
        "#Person1#: Shall we go to the beach this weekend?\n"
        "#Person2#: I'd love to, but the forecast says it will rain on Saturday.\n"
        "#Person1#: Then let's go on Sunday and take the early train.\n"
        "#Person2#: Good idea. I'll bring sandwiches."), False),
]

# What each offline preset's models are, shown above "Your dialogue" (real models need no notice).
TOY_NOTICES = {
    "demo": ("Toy models: a 1.2M-parameter summarizer and two small classifiers trained from scratch in minutes "
             "on synthetic everyday dialogues (hotel, shop, flights, library, parties, ...). The summarizer copies "
             "most names and numbers of dialogues like the examples below; on other dialogues about one in five "
             "comes out wrong, its sentences often go astray or repeat themselves, and polite dialogues often get "
             "the frame of a rude report (\"#Person1# calls #Person2# a ...\") around ordinary words."),
    "tiny": ("Random, untrained test models (the tiny preset): summaries are gibberish and scores mean nothing. "
             "Use it to try the app's mechanics only."),
}


def examples_for(preset: str) -> list[Example]:
    """Example dialogues for the preset's models: the demo's domain for offline presets, DialogSum-like otherwise."""
    return DEMO_EXAMPLES if preset in TOY_NOTICES else DIALOGSUM_EXAMPLES


def toy_notice(preset: str) -> str | None:
    """What to expect of the preset's models when they are toys, else None."""
    return TOY_NOTICES.get(preset)


def unknown_share(tokenizer, text: str) -> float:
    """The share of `text`'s tokens that the tokenizer maps to its unknown token (0 when it has none)."""
    unk = getattr(tokenizer, "unk_token_id", None)
    if unk is None:
        return 0.0
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    return sum(1 for i in ids if i == unk) / len(ids) if ids else 0.0


# --- Is a pasted dialogue inside the demo's world? -------------------------------------------------
# The demo's byte-level tokenizer knows every string (`unknown_share` is always 0), so the words
# are checked against the demo corpus itself: dialogues.jsonl plus the generator's word lists.

DEMO_CORPUS = Path(__file__).resolve().parent.parent / "checkpoints" / "demo" / "dialogues.jsonl"
_WORD = re.compile(r"#\w+#|[^\W\d_]+(?:'[^\W\d_]+)?")
# Common English words, so that an ordinary English dialogue outside the demo's topics does not
# read as a foreign language (the not-English signal counts words outside both lists).
COMMON_ENGLISH = frozenset("""a about above after again against all almost also always am an and another any anyone
anything are around as ask asked at away back bad be because been before being below best better between big both
bring but buy by call came can can't cannot come could day did didn't do does doesn't doing don't done down during
each early easy enough even ever every everyone everything few find first for found friend from get gets getting give
go goes going gone good got great had has have haven't having he he's her here hers herself him himself his home how
i i'd i'll i'm i've if in into is isn't it it's its just keep kind know last late later leave less let let's life like
little long look lot love made make many may maybe me mean might mind more most much must my myself need never new next
nice no not nothing now of off often oh ok okay old on once one only or other our out over own part people perhaps
place please put quite rather really right said same saw say see seem seen she she's should since so some someone
something sometimes soon sorry still such sure take tell than thank thanks that that's the their them then there
there's these they they're thing things think this those though thought through time to today together tomorrow too
took true try two under until up us use very want wanted was wasn't way we we'll we're well went were what what's when
where which while who why will with without won't work would wouldn't yeah year yes yesterday yet you you'll you're
your yours""".split())
# Measured (tests/test_toy_honesty.py) with a vocabulary of the word lists and the corpus's first 400
# dialogues: its 100 held-out dialogues have 0.4% of their words outside it on average, 3.8% at most
# (the demo examples: 2-4%); ordinary English dialogues 43-44% (36-39% outside common English too);
# German ones 94-97%. Both thresholds sit well apart from either side.
OUTSIDE_THRESHOLD = 0.15  # share of words the demo corpus never uses, above which scores are not meaningful
FOREIGN_THRESHOLD = 0.6  # share of words outside the corpus and common English (or non-ASCII): not English


def _strings(value) -> list[str]:
    """Every string inside `value` (lists, tuples, dicts' keys and values, dataclasses)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(k) + _strings(v)]
    if isinstance(value, (list, tuple, set, frozenset)):
        return [s for v in value for s in _strings(v)]
    if hasattr(value, "__dataclass_fields__"):
        return _strings(list(vars(value).values()))
    return []


def text_words(text: str) -> list[str]:
    """The lower-cased words of `text` (letters, any alphabet), without speaker tags or numbers."""
    return [w.lower() for w in _WORD.findall(text) if not w.startswith("#")]


@functools.cache
def demo_vocabulary(corpus: Path = DEMO_CORPUS) -> frozenset[str]:
    """Every word of the demo corpus's dialogues and summaries and of the generator's word lists (cached)."""
    from rlhf_core.prep import synthetic_words

    texts = _strings([v for k, v in vars(synthetic_words).items() if k.isupper()])
    if corpus.is_file():
        for line in corpus.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                texts += [row.get("dialogue", ""), row.get("summary", "")]
    return frozenset(w for t in texts for w in text_words(t))


@dataclass(frozen=True)
class WorldCheck:
    """How far a dialogue lies from the demo's world: words the corpus never uses, and not-English words."""

    words: int
    outside_share: float  # share of its words the demo corpus never uses
    foreign_share: float  # share outside the corpus and COMMON_ENGLISH, or with non-ASCII letters

    @property
    def outside(self) -> bool:
        return self.words > 0 and (self.outside_share > OUTSIDE_THRESHOLD or self.foreign_share > FOREIGN_THRESHOLD)

    @property
    def foreign(self) -> bool:
        return self.words > 0 and self.foreign_share > FOREIGN_THRESHOLD

    def notice(self) -> str:
        """The visitor's line on why the summaries and scores mean nothing here."""
        language = ("It does not look like English: "
                    f"{100 * self.foreign_share:.0f}% of its words are neither in the demo corpus nor common English "
                    "words. " if self.foreign else "")
        return (f"Outside the demo's world: {100 * self.outside_share:.0f}% of this dialogue's words never occur in "
                "the demo's synthetic corpus (in its own unseen dialogues: under 5%). "
                f"{language}The toy summarizer knows only its templated everyday dialogues, so expect an invented "
                "summary (wrong speakers, wrong topic, made-up insults) and scores that are not meaningful for "
                "this input. Try one of the examples.")


def world_check(text: str, vocabulary: frozenset[str] | None = None) -> WorldCheck:
    """How much of `text` lies outside the demo corpus's vocabulary (and outside English)."""
    vocabulary = demo_vocabulary() if vocabulary is None else vocabulary
    found = text_words(text)
    if not found:
        return WorldCheck(0, 0.0, 0.0)
    outside = [w for w in found if w not in vocabulary]
    foreign = [w for w in found if not w.isascii() or (w not in vocabulary and w not in COMMON_ENGLISH)]
    return WorldCheck(len(found), len(outside) / len(found), len(foreign) / len(found))
