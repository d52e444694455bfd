"""Example dialogues the loaded models can handle, and what visitors should expect of toy models.

The app's "Your dialogue" tab offers these as clickable examples: the demo preset's models were
trained from scratch on templated everyday dialogues (checkpoints/demo/README.md), so its examples
stay in that domain (tests/test_dialogue_helpers.py checks that none of their words is unknown to
the demo tokenizer); real presets (FLAN-T5) get DialogSum-like conversations.
"""

from __future__ import annotations

from dataclasses import dataclass


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
