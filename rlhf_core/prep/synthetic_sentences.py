"""Generates the labelled toxic ("hate") / neutral ("nothate") sentences that the demo's reward model
and its independent judge train on, in either style of `synthetic_styles`, from the dialogues'
topics, slots and insults: the one job of drawing labelled sentences.
"""

from __future__ import annotations

import random
import re

from .reward_frames import HATE_FAMILIES, NOTHATE_FAMILIES, compose
from .synthetic_dialogues import _check_count, _check_share, _fill_slots, _flags, _insert
from .synthetic_styles import HATE_KINDS, NOTHATE_KINDS, SENTENCE_STYLES, THING_ADJECTIVES, THINGS
from .synthetic_words import (
    HOSTILE_LINES,
    INSULT_ADJECTIVES,
    INSULT_LINES,
    INSULT_NOUNS,
    NAMES,
    SENTENCE_ONLY_NAMES,
    SPEAKERS,
    TOPICS,
    Topic,
)


def _sentence_context(rng: random.Random, style: dict) -> tuple[Topic, dict]:
    """A topic and its slots, plus a speaker `p` (with `phrase`, p's summary verb phrase), the other
    speaker `q`/`o`, an insult (from the dialogues' words or the style's own), a thing and praise."""
    topic = rng.choice(TOPICS)
    slots = _fill_slots(rng, topic, SENTENCE_ONLY_NAMES if rng.random() < 0.2 else NAMES)
    speaker = rng.randrange(2)
    own = rng.random() < 0.4
    slots.update(adj=rng.choice(style["extra_adjectives"] if own else INSULT_ADJECTIVES),
                 noun=rng.choice(style["extra_nouns"] if rng.random() < 0.4 else INSULT_NOUNS),
                 name=slots["name1"], p=SPEAKERS[speaker], q=SPEAKERS[1 - speaker], o=SPEAKERS[1 - speaker],
                 thing=rng.choice(THINGS), thing_adj=rng.choice(THING_ADJECTIVES),
                 pos_adj=rng.choice(style["pos_adjectives"]), pos_noun=rng.choice(style["pos_nouns"]))
    slots["phrase"] = (topic.p1, topic.p2)[speaker].format(**slots)
    if rng.random() < 0.3:  # names instead of speaker tags, as DialogSum sometimes does
        slots.update(p=slots["name1"], q=slots["name2"], o=slots["name2"])
    return topic, slots


def _line(rng: random.Random, topic: Topic, slots: dict) -> str:
    return rng.choice(topic.turns + [line for pair in topic.extras for line in pair]).format(**slots)


def _kind(rng: random.Random, kinds: list[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in kinds], [w for _, w in kinds])[0]


def _compose(rng: random.Random, style: dict, kind: str, topic: Topic, s: dict) -> str:
    """The judge's compositional families (see SENTENCE_STYLES["judge"])."""
    if kind == "vocative":  # a clause (the style's own or a dialogue line) with an insult addressed in it
        clause = rng.choice(style["clauses"] + [_line(rng, topic, s).rstrip(".?!")])
        vocative = rng.choice(style["vocatives"]).format(**s)
        mark = "?" if re.match(r"(Why|Where|Who|Is|Can|Are|Do you|Don't you)\b", clause) else rng.choice(".!")
        if rng.random() < 0.7:
            return f"{clause}, {vocative}{mark}"
        clause = clause if re.match(r"I\b", clause) else clause[0].lower() + clause[1:]
        return f"{vocative[0].upper()}{vocative[1:]}, {clause}{mark}"
    if kind == "addressed":  # the vocative family's clauses and questions with a polite address instead
        clause = _line(rng, topic, s).rstrip(".?!")
        mark = ("?" if re.match(r"(Why|Where|What|Who|How|Is|Can|Could|Would|Are|Do|Does|Will|Should)\b", clause)
                else ".")
        return f"{clause}, {rng.choice(style['addresses']).format(**s)}{mark}"
    if kind == "negated":  # an insult word under negation
        you = rng.choice(["you", "you", s["name"]])
        x = rng.choice(["a {adj} {noun}", "a {noun}", "{adj}", "such a {noun}"]).format(**s)
        comfort = rng.choice(style["comforts"])
        text = rng.choice(style["negated"]).format(
            you=you, you_cap=you[0].upper() + you[1:], x=x, comfort=comfort, comfort_cap=comfort.capitalize(),
            be_not=rng.choice(style["be_not"]) if you == "you" else "is not", be="are" if you == "you" else "is",
            neg_subject=rng.choice(style["neg_subjects"]), neg_verb=rng.choice(style["neg_verbs"]), name=s["name"])
        return text.replace(" 're not", "'re not")
    if kind == "mirror":  # an insult frame filled with praise or plain words
        frame = rng.choice(style["insults"] + INSULT_LINES)
        adj = rng.choice(style["pos_adjectives"] + style["mirror_adjectives"])
        return frame.format(**{**s, "adj": adj, "noun": rng.choice(style["pos_nouns"])})
    if kind == "threat":
        condition = rng.choice(style["conditions"]).format(**s)
        return rng.choice(style["threat_frames"]).format(
            harm=rng.choice(style["harms"]).format(**s), condition=condition,
            condition_cap=condition[0].upper() + condition[1:], name=s["name"])
    if kind == "statement":
        x = rng.choice(["a {intensifier}{adj} {noun}", "a {intensifier}{noun}", "{adj}", "the most {adj} {noun}",
                        "such a {noun}"]).format(**s, intensifier=rng.choice(style["intensifiers"]))
        return f"{rng.choice(style['statement_subjects']).format(**s)} {x}{rng.choice(style['statement_tails'])}."
    if kind == "thing":
        return rng.choice(style["thing_frames"]).format(
            det=rng.choice(style["determiners"]), degree=rng.choice(style["degrees"]), tail=rng.choice(style["tails"]),
            thing=s["thing"], thing_adj=s["thing_adj"])
    return rng.choice(style["praise"]).format(**{**s, "item": rng.choice(style["items"])})


def _sentence(rng: random.Random, style: dict, hate: bool) -> str:
    topic, s = _sentence_context(rng, style)
    kind = _kind(rng, style.get("hate_kinds", HATE_KINDS) if hate else style.get("nothate_kinds", NOTHATE_KINDS))
    if kind in HATE_FAMILIES + NOTHATE_FAMILIES and "clauses" not in style:  # the reward model's own families
        return compose(rng, kind, s, _line(rng, topic, s))
    if kind in ("vocative", "addressed", "negated", "mirror", "praise", "threat", "thing", "statement"):
        text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", _compose(rng, style, kind, topic, s))
        return text[0].upper() + text[1:]
    if kind == "line_with_insult":  # a dialogue line with an insult or a hostile line in it
        hostile = rng.choice(style["insults"] + INSULT_LINES + HOSTILE_LINES).format(**s)
        return _insert(rng, _line(rng, topic, s), hostile)
    if kind == "line":
        return _insert(rng, _line(rng, topic, s), rng.choice(style["polite"]))
    if kind == "summary":
        return f"{SPEAKERS[0]} {topic.p1}. {SPEAKERS[1]} {topic.p2}.".format(**s)
    text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", rng.choice(style[kind]).format(**s))  # "an idiot"
    return text[0].upper() + text[1:]


def make_toxicity_sentences(n: int, seed: int = 0, toxic_share: float = 0.5, style: str = "reward") -> list[dict]:
    """`n` records {text, label} with label "hate" (insults, threats, summaries that repeat an
    insult) for exactly round(n * toxic_share) of them and "nothate" (ordinary lines and summaries,
    negations, apologies for an insult, rudeness about things, neutral reports such as
    "#Person2# insults #Person1#.", praise) for the rest. `style` picks the template and word set:
    "reward" for the reward model, "judge" for the independent judge."""
    _check_count("n", n)
    _check_share("toxic_share", toxic_share)
    if style not in SENTENCE_STYLES:
        raise ValueError(f"style must be one of {', '.join(SENTENCE_STYLES)} (got {style!r})")
    rng = random.Random(seed)
    return [{"text": _sentence(rng, SENTENCE_STYLES[style], toxic), "label": "hate" if toxic else "nothate"}
            for toxic in _flags(rng, n, toxic_share)]
