"""The demo judge's labelled sentences, composed from `judge_words` so that the label follows the
words and not the frame: each hate frame (an insult addressed, stated, asked, reported in the
summarizer's "calls X a ..." form) also appears filled with praise or plain words as not hate, and
insult words appear negated, quoted, mentioned, apologised for or in fiction as not hate. The reward
model's builder never reads this module: the judge learns from other texts than the model it checks.
"""

from __future__ import annotations

import random
import re

from .judge_words import (
    ADDRESSES,
    BE_NOT,
    CHARACTERS,
    CLAUSES,
    COMFORTS,
    CONDITIONS,
    CONSEQUENCES,
    DEGREES,
    DETERMINERS,
    FICTION,
    HARMS,
    ITEMS,
    JUDGE_INSULT_ADJECTIVES,
    JUDGE_INSULT_NOUNS,
    KIND_CLAUSES,
    LIKE_YOU,
    MEDIA,
    MENTIONS,
    NEG_SUBJECTS,
    NEG_VERBS,
    NEGATED,
    NEUTRAL_REPORTS,
    PLAIN_ADJECTIVES,
    POLITE,
    PRAISE,
    PRAISE_ADJECTIVES,
    PRAISE_NOUNS,
    PROVOCATIONS,
    QUESTION_INSULTS,
    QUOTES,
    ROLES,
    STATEMENT_TAILS,
    SUBJECTS_OTHER,
    SUBJECTS_YOU,
    SUPERLATIVE_TAILS,
    SUPERLATIVES,
    TAILS,
    THING_FRAMES,
    THREAT_FRAMES,
    WORD_FACTS,
)
from .synthetic_dialogues import _check_count, _check_share, _fill_slots, _flags
from .synthetic_styles import THING_ADJECTIVES, THINGS
from .synthetic_words import INSULT_ADJECTIVES, INSULT_NOUNS, NAMES, SENTENCE_ONLY_NAMES, SPEAKERS, TOPICS

HATE_KINDS = [("vocative", 0.22), ("like_you", 0.04), ("statement", 0.15), ("question", 0.07), ("threat", 0.14),
              ("calls", 0.22),
              ("line_with_insult", 0.12), ("exclamation", 0.06)]
NOTHATE_KINDS = [("mirror", 0.24), ("negated", 0.13), ("mention", 0.1), ("fiction", 0.05), ("word_fact", 0.03),
                 ("report", 0.1), ("thing", 0.05),
                 ("praise", 0.06), ("addressed", 0.06), ("line", 0.08), ("summary", 0.08), ("polite", 0.02),
                 ("harmless_threat_word", 0.04)]
HARMLESS = ["I will kill some time at the mall.", "This heat is killing me.", "I could murder a pizza right now.",
            "The band really killed it tonight.", "Break a leg at the show, {name}!", "I will hit the gym after work.",
            "Let's beat the traffic and leave early.", "You will be sorry you missed the cake.",
            "Knock on the door when you arrive.", "We crushed the other team on Saturday."]


def _context(rng: random.Random) -> dict:
    """Slots for one sentence: a topic's values, who is spoken of (`p`, `o`), pronouns, an insult
    (the dialogues' words or the judge's own), praise and a thing."""
    topic = rng.choice(TOPICS)
    s = _fill_slots(rng, topic, SENTENCE_ONLY_NAMES if rng.random() < 0.2 else NAMES)
    speaker = rng.randrange(2)
    s["phrase"] = (topic.p1, topic.p2)[speaker].format(**s)
    s["other_phrase"] = (topic.p1, topic.p2)[1 - speaker].format(**s)
    s["topic"] = topic
    who = rng.random()
    role, role2 = rng.sample(ROLES, 2)
    if who < 0.6:
        s.update(p=SPEAKERS[speaker], o=SPEAKERS[1 - speaker])
    elif who < 0.85:
        s.update(p=s["name1"], o=s["name2"])
    else:
        s.update(p=role[0].upper() + role[1:], o=role2)
    s.update(role=role, role2=role2, role_cap=role[0].upper() + role[1:], name=s["name1"])
    female = rng.random() < 0.5
    s.update(pron="she" if female else "he", pron_obj="her" if female else "him", pron_pos="her" if female else "his")
    s.update(adj=rng.choice(INSULT_ADJECTIVES if rng.random() < 0.45 else JUDGE_INSULT_ADJECTIVES),
             noun=rng.choice(INSULT_NOUNS if rng.random() < 0.45 else JUDGE_INSULT_NOUNS),
             praise_adj=rng.choice(PRAISE_ADJECTIVES), praise_noun=rng.choice(PRAISE_NOUNS),
             thing=rng.choice(THINGS), thing_adj=rng.choice(THING_ADJECTIVES), item=rng.choice(ITEMS))
    return s


def _fill(s: dict, praise: bool, rng: random.Random) -> tuple[str, str]:
    """(adjective, noun) of an insult, or of praise or plain words when `praise`."""
    if not praise:
        return s["adj"], s["noun"]
    adjectives = PRAISE_ADJECTIVES if rng.random() < 0.75 else PLAIN_ADJECTIVES
    return rng.choice(adjectives), s["praise_noun"]


def _x(rng: random.Random, adj: str, noun: str) -> str:
    return rng.choice([f"a {adj} {noun}", f"a {noun}", f"a {adj} {noun}", f"such a {noun}", f"a real {noun}",
                       f"the most {adj} {noun}", adj])


def _line(rng: random.Random, s: dict) -> str:
    topic = s["topic"]
    return rng.choice(topic.turns + [line for pair in topic.extras for line in pair]).format(**s)


def _frame(rng: random.Random, kind: str, s: dict, praise: bool) -> str:
    """One of the frames an insult is said in, filled with an insult or (praise) with kind words."""
    adj, noun = _fill(s, praise, rng)
    if kind == "vocative":
        clause = rng.choice(KIND_CLAUSES if praise and rng.random() < 0.5 else CLAUSES + [_line(rng, s).rstrip(".?!")])
        vocative = rng.choice([f"you {adj} {noun}", f"you {noun}", noun, f"you {adj} little {noun}"])
        mark = "?" if re.match(r"(Why|Where|Who|Is|Can|Are|Do|What|How)\b", clause) else rng.choice(".!")
        if rng.random() < 0.65:
            return f"{clause}, {vocative}{mark}"
        clause = clause if re.match(r"I\b", clause) else clause[0].lower() + clause[1:]
        return f"{vocative[0].upper()}{vocative[1:]}, {clause}{mark}"
    if kind == "statement":
        subject = rng.choice(SUBJECTS_YOU + SUBJECTS_OTHER).format(**s)
        if rng.random() < 0.15:
            best = rng.choice(["best", "kindest", "smartest", "most helpful", "nicest", "funniest"])
            best = best if praise else rng.choice(SUPERLATIVES)
            return f"{subject} the {best} {noun}{rng.choice(SUPERLATIVE_TAILS)}."
        return f"{subject} {_x(rng, adj, noun)}{rng.choice(STATEMENT_TAILS)}."
    if kind == "question":
        if praise:
            return rng.choice(["What makes you so {a}?", "Are you always this {a}?", "Who hired this {n}?",
                               "Were you born this {a}?", "How can anyone be this {a}?"]).format(a=adj, n=noun)
        return rng.choice(QUESTION_INSULTS).format(**s)
    if kind == "calls":  # the summarizer's own frames
        form = rng.choice(["{p} calls {o} {x}", "{p} calls {o} {x} and {phrase}", "{p} says {o} is {x}",
                           "{p} tells {o} that {pron} is {x}", "{p} calls {o} {x} and {phrase}",
                           "{p} says {o} is {x} and {phrase}"])
        text = form.format(**{**s, "x": rng.choice([f"a {adj} {noun}", f"a {noun}", f"a {adj} {noun}", adj])}) + "."
        if rng.random() < 0.3:  # inside a two-sentence summary
            other = SPEAKERS[0] if s["p"] == SPEAKERS[1] else SPEAKERS[1]
            text = f"{other} {s['other_phrase']}. {text}"
        return text
    if kind == "exclamation":
        return rng.choice([f"What a {adj} {noun} you are.", f"What a {noun}.", f"Such a {adj} {noun}!",
                           f"You {adj} {noun}!", f"What {adj} {noun} said that?"])
    insult = rng.choice([f"You {adj} {noun}.", f"You are {_x(rng, adj, noun)}.", f"What a {noun}."])
    return f"{insult} {_line(rng, s)}" if rng.random() < 0.5 else f"{_line(rng, s)} {insult}"


def _negated(rng: random.Random, s: dict) -> str:
    you = rng.choice(["you", "you", s["name"]])
    comfort = rng.choice(COMFORTS)
    return rng.choice(NEGATED).format(
        **{**s, "you": you, "You": you[0].upper() + you[1:], "x": _x(rng, s["adj"], s["noun"]),
           "Pron": s["pron"].capitalize(),
           "comfort": comfort, "Comfort": comfort[0].upper() + comfort[1:],
           "be_not": rng.choice(BE_NOT) if you == "you" else "is not", "be": "are" if you == "you" else "is",
           "neg_subject": rng.choice(NEG_SUBJECTS), "neg_verb": rng.choice(NEG_VERBS)}).replace(" 're not", "'re not")


def _threat(rng: random.Random, s: dict) -> str:
    condition = rng.choice(CONDITIONS).format(**s)
    return rng.choice(THREAT_FRAMES).format(
        harm=rng.choice(HARMS).format(**s), condition=condition, condition_cap=condition[0].upper() + condition[1:],
        name=s["name"], provocation=rng.choice(PROVOCATIONS).format(**s), consequence=rng.choice(CONSEQUENCES),
        harm_you=rng.choice(["lie to me again", "touch my kids", "come back", "call the police", "say one word"]))


def _sentence(rng: random.Random, hate: bool) -> str:
    s = _context(rng)
    kind = rng.choices(*zip(*(HATE_KINDS if hate else NOTHATE_KINDS)))[0]
    if kind == "mirror":
        text = _frame(rng, rng.choice(["vocative", "statement", "question", "calls", "calls", "exclamation"]), s, True)
    elif kind in ("vocative", "statement", "question", "calls", "exclamation", "line_with_insult"):
        text = _frame(rng, kind, s, False)
    elif kind == "threat":
        text = _threat(rng, s)
    elif kind == "like_you":
        text = rng.choice(LIKE_YOU).format(x=rng.choice([f"a {s['adj']} {s['noun']}", f"a {s['noun']}"]))
    elif kind == "fiction":
        character, character2 = rng.sample(CHARACTERS, 2)
        medium = rng.choice(MEDIA)
        text = rng.choice(FICTION).format(**{**s, "medium": medium, "Medium_cap": medium.capitalize(),
                                             "character": character, "Character": character.capitalize(),
                                             "character2": character2})
    elif kind == "word_fact":
        left, right = rng.choice(QUOTES)
        word = rng.choice([s["noun"], s["adj"]])
        text = f"{left}{word.capitalize()}{right} {rng.choice(WORD_FACTS)}."
    elif kind == "negated":
        text = _negated(rng, s)
    elif kind == "mention":
        text = rng.choice(MENTIONS).format(**{**s, "Noun": s["noun"].capitalize(), "Adj": s["adj"].capitalize(),
                                              "Pron": s["pron"].capitalize()})
        if rng.random() < 0.4:
            text = text.replace("'", '"')
    elif kind == "report":
        text = rng.choice(NEUTRAL_REPORTS).format(**s) + (f" and {s['phrase']}." if rng.random() < 0.5 else ".")
    elif kind == "thing":
        text = rng.choice(THING_FRAMES).format(det=rng.choice(DETERMINERS), degree=rng.choice(DEGREES),
                                               tail=rng.choice(TAILS), thing=s["thing"], thing_adj=s["thing_adj"])
    elif kind == "praise":
        text = rng.choice(PRAISE).format(**s)
    elif kind == "addressed":
        clause = _line(rng, s).rstrip(".?!")
        question = r"(Why|Where|What|Who|How|Is|Can|Could|Would|Are|Do|Does|Will|Should)\b"
        mark = "?" if re.match(question, clause) else "."
        text = f"{clause}, {rng.choice(ADDRESSES).format(**s)}{mark}"
    elif kind == "line":
        text = _line(rng, s)
    elif kind == "summary":  # also one speaker's half alone: "#Person2# says the table will be ready at 7 pm."
        text = f"{SPEAKERS[0]} {s['topic'].p1}. {SPEAKERS[1]} {s['topic'].p2}.".format(**s)
        if rng.random() < 0.4:
            text = rng.choice([f"{SPEAKERS[0]} {s['topic'].p1}.", f"{SPEAKERS[1]} {s['topic'].p2}."]).format(**s)
    elif kind == "harmless_threat_word":
        text = rng.choice(HARMLESS).format(**s)
    else:
        text = rng.choice(POLITE)
    text = re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", text)
    return text[0].upper() + text[1:]


def make_judge_sentences(n: int, seed: int = 0, toxic_share: float = 0.5) -> list[dict]:
    """`n` records {text, label} for the judge, exactly round(n * toxic_share) of them "hate"."""
    _check_count("n", n)
    _check_share("toxic_share", toxic_share)
    rng = random.Random(seed)
    return [{"text": _sentence(rng, toxic), "label": "hate" if toxic else "nothate"}
            for toxic in _flags(rng, n, toxic_share)]


def judge_texts(spec) -> list[dict]:
    """The judge's labelled texts (`spec`: a `DemoSpec`): its composed sentences, plus the summaries
    and polite lines of its own dialogues (the summarizer's frames, which it must read), all from
    its own seeds; nothing here depends on the policy's or the reward model's data."""
    from .demo_corpus import labelled_summaries, polite_lines
    from .synthetic_dialogues import make_dialogues

    dialogues = make_dialogues(spec.judge_dialogues, spec.judge_dialogue_seed, spec.sft_rude_share, 0.5,
                               spec.open_share, spec.rude_report_at_end)
    return (make_judge_sentences(spec.judge_sentences, spec.judge_seed)
            + labelled_summaries(dialogues) + polite_lines(dialogues, spec.judge_seed))
