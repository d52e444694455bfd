"""Generates the synthetic corpus's DialogSum-style dialogues from the topics and word pools of
`synthetic_words`: the one job of drawing dialogues, some with a rude speaker, and their reference
summaries.

Summaries follow one small, regular pattern, "#Person1# <verb phrase>. #Person2# <verb phrase>.",
built from slot values that also appear in the dialogue, so a tiny model trained from scratch can
learn them. A rude speaker's verb phrase is prefixed with either the insult ("calls #Person1# a
stupid idiot and ...") or a neutral report ("is rude to #Person1# and ..."), or with
`report_at_end` gives either as a closing sentence of its own; PPO's job is to move the policy from
the first to the second.
"""

from __future__ import annotations

import random
import re

from .synthetic_analysis import insult_words_in
from .synthetic_words import (
    ASKS,
    CITIES,
    CLOSINGS,
    DATES,
    DAYS,
    FEELINGS,
    FILLERS,
    GREETINGS,
    HOSTILE_LINES,
    INSULT_ADJECTIVES,
    INSULT_LINES,
    INSULT_NOUNS,
    NAMES,
    OPEN_ADJECTIVES,
    OPEN_NOUNS,
    OPEN_PLACES,
    OPENERS,
    PERSON_VERBS,
    PLANNER_FRAMES,
    PLANS,
    PRICED_VERBS,
    PRICES,
    PROMPTS,
    REACTIONS,
    RUDE_REPORTS,
    SMALL_NUMBERS,
    SMALL_TALK,
    SPEAKERS,
    STREETS,
    SURNAMES,
    TELLER_FRAMES,
    THING_VERBS,
    TIMES,
    TITLES,
    TOPICS,
    TOXIC_REPORTS,
    WHEN,
    WHEN2,
    Topic,
)

# --- dialogues -----------------------------------------------------------------------------------


def _check_count(name: str, n) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"{name} must be a non-negative integer (got {n!r})")


def _check_share(name: str, share) -> None:
    if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0.0 <= share <= 1.0:
        raise ValueError(f"{name} must be a number in [0, 1] (got {share!r})")


def _flags(rng: random.Random, n: int, share: float) -> list[bool]:
    """Exactly round(n * share) True values, shuffled."""
    k = round(n * share)
    flags = [True] * k + [False] * (n - k)
    rng.shuffle(flags)
    return flags


def _fill_slots(rng: random.Random, topic: Topic, names: list[str]) -> dict:
    name1, name2, name3 = rng.sample(names, 3)
    values = {"greet": rng.choice(GREETINGS), "day": rng.choice(DAYS), "surname": rng.choice(SURNAMES),
              "title": rng.choice(TITLES), "name1": name1, "name2": name2, "name3": name3, "place": topic.place}
    for key, options in topic.slots.items():
        if not isinstance(key, tuple):
            values[key] = rng.choice(options)
        elif isinstance(options[0], tuple):
            values.update(zip(key, rng.choice(options)))
        else:
            values.update(zip(key, rng.sample(options, len(key))))
    return values


def _insert(rng: random.Random, text: str, extra: str, suffix_only: bool = False) -> str:
    return f"{extra} {text}" if not suffix_only and rng.random() < 0.5 else f"{text} {extra}"


def _make_rude(rng: random.Random, turns: list[str], rude: int, slots: dict) -> list[str]:
    """Puts one insult ("you stupid idiot") and one or two hostile lines into the rude speaker's turns;
    returns the insult words they hold (`insult_words_in`)."""
    own = [i for i in range(len(turns)) if i % 2 == rude]
    rng.shuffle(own)
    lines = [rng.choice(INSULT_LINES)] + rng.sample(HOSTILE_LINES, 1 + (len(own) > 3 and rng.random() < 0.5))
    placed = []
    for i, line in zip(own, lines):  # the opening turn keeps its greeting first
        placed.append(line.format(**slots))
        turns[i] = _insert(rng, turns[i], placed[-1], suffix_only=i == 0)
    return insult_words_in(" ".join(placed))


def _report(rng: random.Random, phrases: list[str], speaker: int, slots: dict, toxic_summary: bool,
            at_end: bool, index: int) -> tuple[str, list[str], str]:
    """Puts the rude speaker's report (the insult or a neutral one) before their verb phrase, or
    makes it a closing sentence of its own when `at_end`. Returns (closing sentence or "", the
    phrases and closing sentence of the neutral version). The neutral version of an insulting
    report takes a neutral form by the dialogue's index, not from `rng`: the drawn corpus stays
    what it was."""
    report = rng.choice(TOXIC_REPORTS if toxic_summary else RUDE_REPORTS).format(**slots)
    neutral = RUDE_REPORTS[index % len(RUDE_REPORTS)].format(**slots) if toxic_summary else report
    neutral_phrases = list(phrases)
    if at_end:
        return f" {SPEAKERS[speaker]} {report}.", neutral_phrases, f" {SPEAKERS[speaker]} {neutral}."
    neutral_phrases[speaker] = f"{neutral} and {phrases[speaker]}"
    phrases[speaker] = f"{report} and {phrases[speaker]}"
    return "", neutral_phrases, ""


def _truth(rude: bool, speaker: int, insults: list[str], neutral_summary: str) -> dict:
    """The ground truth of one dialogue: who insulted whom with which words, and its reference
    summary with the rudeness reported neutrally (the reference itself when it already is)."""
    return {"offender": SPEAKERS[speaker] if rude else None, "target": SPEAKERS[1 - speaker] if rude else None,
            "insult_words": insults, "summary_neutral": neutral_summary}


def _one_dialogue(rng: random.Random, index: int, rude: bool, toxic_summary: bool, report_at_end: bool = False) -> dict:
    topic = rng.choice(TOPICS)
    slots = _fill_slots(rng, topic, NAMES)
    turns = topic.turns + [line for pair in rng.sample(topic.extras, rng.randint(0, 2)) for line in pair]
    if len(turns) <= 8 and rng.random() < 0.3:  # small talk at an even index keeps the speakers alternating
        at = rng.randrange(2, len(turns) + 1, 2)
        turns[at:at] = list(rng.choice(SMALL_TALK))
    if len(turns) < 10 and rng.random() < 0.5:
        turns.append(rng.choice(CLOSINGS))
    turns = [t.format(**slots) for t in turns]
    turns = [f"{rng.choice(FILLERS)} {t}" if i and rng.random() < 0.15 else t for i, t in enumerate(turns)]
    phrases = [topic.p1.format(**slots), topic.p2.format(**slots)]
    tail, neutral, neutral_tail, speaker, insults = "", phrases, "", 0, []
    if rude:
        speaker = rng.randrange(2)
        slots.update(adj=rng.choice(INSULT_ADJECTIVES), noun=rng.choice(INSULT_NOUNS), o=SPEAKERS[1 - speaker])
        insults = _make_rude(rng, turns, speaker, slots)
        tail, neutral, neutral_tail = _report(rng, phrases, speaker, slots, toxic_summary, report_at_end, index)
    return {
        "fname": f"synth_{index}",
        "dialogue": "\n".join(f"{SPEAKERS[i % 2]}: {t}" for i, t in enumerate(turns)),
        "summary": f"{SPEAKERS[0]} {phrases[0]}. {SPEAKERS[1]} {phrases[1]}.{tail}",
        "topic": topic.topic,
        "rude": rude,
        "summary_toxic": rude and toxic_summary,
        **_truth(rude, speaker, insults, f"{SPEAKERS[0]} {neutral[0]}. {SPEAKERS[1]} {neutral[1]}.{neutral_tail}"),
    }


# --- open dialogues (their word pools and frames: `synthetic_words`) ------------------------------


def _plural(noun: str) -> str:
    if noun.endswith(("s", "sh", "ch", "x")) or noun in ("potato", "tomato"):
        return noun + "es"
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    if noun == "knife":
        return "knives"
    return noun + "s"


def _open_object(rng: random.Random, name: str) -> str:
    noun = rng.choice(OPEN_NOUNS)
    adj = f"{rng.choice(OPEN_ADJECTIVES)} " if rng.random() < 0.7 else ""
    kind = rng.random()
    if kind < 0.3:
        return f"my {adj}{noun}"
    if kind < 0.5:
        return f"{rng.choice(SMALL_NUMBERS)} {adj}{_plural(noun)}"
    if kind < 0.6:
        return f"{name}'s {adj}{noun}"
    return re.sub(r"^a (?=[aeiou])", "an ", f"{rng.choice(['a', 'the'])} {adj}{noun}")


def _open_values(rng: random.Random) -> dict:
    return {"day": rng.choice(DAYS), "time": rng.choice(TIMES), "n": rng.choice(SMALL_NUMBERS),
            "date": rng.choice(DATES), "price": rng.choice(PRICES), "place": rng.choice(OPEN_PLACES),
            "nouns": _plural(rng.choice(OPEN_NOUNS))}


def _open_event(rng: random.Random, name: str) -> str:
    """A first-person past event, without the "I": "lost my red umbrella at the station on Monday"."""
    v = _open_values(rng)
    if rng.random() < 0.75:
        verb = rng.choice(THING_VERBS)
        text = f"{verb} {_open_object(rng, name)}"
        if verb in PRICED_VERBS and rng.random() < 0.6:
            text += f" for {v['price']} dollars"
    else:
        text = f"{rng.choice(PERSON_VERBS)} {name}"
    where = rng.random()
    if where < 0.35:
        text += f" at the {v['place']}"
    elif where < 0.5:
        text += f" in {rng.choice(CITIES)}"
    elif where < 0.6:
        text += f" on {rng.choice(STREETS)}"
    when = rng.choice(WHEN).format(**v)
    return f"{text} {when}".strip()


def _open_plan(rng: random.Random, name: str) -> str:
    """A first-person plan, without the "I will": "call Tom tomorrow"."""
    v = _open_values(rng)
    return rng.choice(PLANS).format(name=name, obj=_open_object(rng, name), when2=rng.choice(WHEN2).format(**v), **v)


def _tagged(phrase: str, speaker: str, other: str) -> str:
    """A speaker's own words in the third person: my -> #PersonN#'s, you/your -> the other."""
    phrase = re.sub(r"\bmy\b", f"{speaker}'s", phrase)
    phrase = re.sub(r"\byour\b", f"{other}'s", phrase)
    return re.sub(r"\byou\b", other, phrase)



def _open_dialogue(rng: random.Random, index: int, rude: bool, toxic_summary: bool,
                   report_at_end: bool = False) -> dict:
    name, name2 = rng.sample(NAMES, 2)
    teller = rng.randrange(2)  # who tells the news or the wish; the other one plans
    planner = 1 - teller
    said, summarised = rng.choice(TELLER_FRAMES)
    values = {"event": _open_event(rng, name), "obj": _open_object(rng, name), "plan": _open_plan(rng, name),
              "when2": rng.choice(WHEN2).format(**_open_values(rng)), "name": name}
    told = f"I {said.format(**values)}. {rng.choice(FEELINGS)}".strip()
    teller_phrase = _tagged(summarised.format(**values), SPEAKERS[teller], SPEAKERS[planner])
    said, summarised = rng.choice(PLANNER_FRAMES)
    plan = _open_plan(rng, name2)
    planned = f"{rng.choice(REACTIONS)} {said.format(plan=plan)}."
    planner_phrase = _tagged(summarised.format(plan=plan), SPEAKERS[planner], SPEAKERS[teller])
    if teller == 0:
        turns = [f"{rng.choice(GREETINGS)} {rng.choice(OPENERS)}", rng.choice(PROMPTS), told, planned]
        if rng.random() < 0.3:  # or straight to the point
            turns = [f"{rng.choice(GREETINGS)} {told}", planned]
    else:
        turns = [f"{rng.choice(GREETINGS)} {rng.choice(ASKS)}", told, planned]
    if rng.random() < 0.3:
        at = rng.randrange(2, len(turns) + 1, 2)
        turns[at:at] = list(rng.choice(SMALL_TALK))
    while len(turns) < 4 or (len(turns) < 8 and rng.random() < 0.4):
        turns.append(rng.choice(CLOSINGS))
    turns = [f"{rng.choice(FILLERS)} {t}" if i and rng.random() < 0.15 else t for i, t in enumerate(turns)]
    phrases = ["", ""]
    phrases[teller], phrases[planner] = teller_phrase, planner_phrase
    tail, neutral, neutral_tail, speaker, insults = "", phrases, "", 0, []
    if rude:
        speaker = rng.randrange(2)
        slots = {"adj": rng.choice(INSULT_ADJECTIVES), "noun": rng.choice(INSULT_NOUNS), "o": SPEAKERS[1 - speaker]}
        insults = _make_rude(rng, turns, speaker, slots)
        tail, neutral, neutral_tail = _report(rng, phrases, speaker, slots, toxic_summary, report_at_end, index)

    def summary(phrases: list[str], tail: str) -> str:
        return " ".join(f"{SPEAKERS[i]} {re.sub(' +', ' ', phrases[i]).strip()}." for i in (teller, planner)) + tail

    return {
        "fname": f"synth_{index}",
        "dialogue": "\n".join(f"{SPEAKERS[i % 2]}: {t}" for i, t in enumerate(turns)),
        "summary": summary(phrases, tail),
        "topic": "open",
        "rude": rude,
        "summary_toxic": rude and toxic_summary,
        **_truth(rude, speaker, insults, summary(neutral, neutral_tail)),
    }


def make_dialogues(n: int, seed: int = 0, rude_share: float = 0.4, toxic_summary_share: float = 0.5,
                   open_share: float = 0.0, report_at_end: bool = False) -> list[dict]:
    """`n` DialogSum-style records {fname, dialogue, summary, topic, rude, summary_toxic} with the
    ground truth {offender, target, insult_words, summary_neutral} (`_truth`).

    Exactly round(n * rude_share) dialogues have a rude speaker, and of those exactly
    round(rude * toxic_summary_share) have a reference summary that repeats the insult. A share
    `open_share` of them (drawn per dialogue) are open dialogues (topic "open") instead of topics.
    `report_at_end` puts a rude speaker's report in a closing sentence of its own instead of
    before their verb phrase."""
    _check_count("n", n)
    _check_share("rude_share", rude_share)
    _check_share("toxic_summary_share", toxic_summary_share)
    _check_share("open_share", open_share)
    rng = random.Random(seed)
    rude_flags = _flags(rng, n, rude_share)
    toxic_flags = iter(_flags(rng, sum(rude_flags), toxic_summary_share))
    open_rng = random.Random(seed + 7919)  # its own stream: open_share 0 leaves the topic dialogues as they were
    return [(_open_dialogue if open_rng.random() < open_share else _one_dialogue)(rng, i, rude,
                                                                                     rude and next(toxic_flags),
                                                                                     report_at_end)
            for i, rude in enumerate(rude_flags)]
