"""A deterministic synthetic corpus for offline runs: everyday two-person dialogues in DialogSum's
format (some with a rude speaker, some with summaries that repeat the insult) and a labelled set of
toxic ("hate") / neutral ("nothate") sentences for a small reward classifier.

The rudeness is mild and personal (idiot, moron, shut up, pathetic): nothing about protected
groups and no strong profanity. Summaries follow one small, regular pattern,
"#Person1# <verb phrase>. #Person2# <verb phrase>.", built from slot values that also appear in the
dialogue, so a tiny model trained from scratch can learn them. A rude speaker's verb phrase is
prefixed with either the insult ("calls #Person1# a stupid idiot and ...") or a neutral report
("is rude to #Person1# and ..."); PPO's job is to move the policy from the first to the second.

    python -m rlhf_core.synthetic --out-dir data/synthetic --dialogues 3000 --sentences 4000 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
from dataclasses import dataclass
from pathlib import Path

# --- word lists ----------------------------------------------------------------------------------

NAMES = ["Tom", "Anna", "Jack", "Lucy", "Peter", "Mary", "David", "Linda", "Sam", "Emma", "Mike",
         "Kate", "Paul", "Susan", "Ben", "Julia", "Mark", "Helen", "Steve", "Nancy", "Bill", "Laura",
         "Frank", "Amy", "George", "Rose", "Henry", "Grace", "Jimmy", "Alice"]
# Used only in the sentence set, so a classifier is tested on names it never saw in dialogues.
SENTENCE_ONLY_NAMES = ["Oliver", "Chloe", "Ethan", "Nora", "Leo", "Ivy", "Oscar", "Ruby", "Felix",
                       "Hazel", "Hugo", "Clara"]
SURNAMES = ["Smith", "Bell", "Green", "Wilson", "Taylor", "Clark", "Lewis", "Walker", "Hall",
            "Young", "King", "Wright", "Baker", "Adams", "Turner", "Parker", "Collins", "Morris"]
TITLES = ["Mr.", "Ms.", "Dr."]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TIMES = ["8 am", "9 am", "10:30 am", "11 am", "1 pm", "2:30 pm", "4 pm", "5 pm", "6:30 pm", "7 pm"]
SMALL_NUMBERS = ["two", "three", "four", "five", "six"]
PRICES = [str(p) for p in range(15, 400, 5)]
GREETINGS = ["Hi.", "Hello.", "Good morning.", "Good afternoon.", "Excuse me.", "Hi there."]
CLOSINGS = ["Thank you very much.", "Thanks a lot, see you then.", "Great, thanks for your help.",
            "Perfect, thank you.", "All right, that is all for now."]

# Mild, personal insults only. An adjective + noun pair is used once in the dialogue ("you stupid
# idiot") and again in a toxic summary ("calls #Person1# a stupid idiot"), so it can be copied.
INSULT_ADJECTIVES = ["stupid", "useless", "pathetic", "clueless", "brainless", "hopeless", "worthless",
                     "silly", "lazy", "miserable"]
INSULT_NOUNS = ["idiot", "moron", "fool", "clown", "loser", "jerk", "nitwit", "dimwit", "numbskull"]
INSULT_LINES = ["Listen, you {adj} {noun}.", "Are you serious, you {adj} {noun}?",
                "You {adj} {noun}, stop wasting my time.", "Just do your job, you {adj} {noun}.",
                "Hurry up, you {adj} {noun}.", "What a {adj} {noun} you are."]
HOSTILE_LINES = ["Shut up.", "This is a stupid, useless {place}.", "You are pathetic.", "What a moron.",
                 "Nobody cares what you think.", "Get lost.", "You are completely useless.",
                 "Stop wasting my time, idiot.", "Use your brain for once.", "What a stupid question.",
                 "I have no patience for fools like you.", "This {place} is a joke."]
# Sentence-set extras (never in dialogues), so the classifier sees more than the dialogue templates.
EXTRA_HOSTILE = ["{name} is a {adj} {noun}.", "Nobody likes you, you {adj} {noun}.",
                 "Go away, you {adj} {noun}.", "Only a {adj} {noun} would say that.",
                 "Keep quiet, you are such a {noun}.", "You are the most {adj} person here."]
NEUTRAL_EXTRAS = ["Thank you for waiting.", "Have a nice day.", "That is very kind of you.",
                  "Let me know if you need anything.", "I am happy to help.", "Please take a seat.",
                  "No problem at all.", "See you next time.", "I will check right away.",
                  "That sounds like a good plan.", "Take your time.", "Sorry for the wait."]
# Neutral sentences that share words with reports of rudeness, so "rude" or "calls" alone is no cue.
NEUTRAL_DECOYS = ["{p} calls the {place} to ask about the price.", "{p} apologizes for being rude.",
                  "{p} complains politely about the {place}.", "{p} calls {q} back later.",
                  "{p} says the {place} is too crowded today.", "{p} thinks {q} was a bit rude."]
RUDE_REPORTS = ["is rude to {o}", "is impolite to {o}"]
TOXIC_REPORTS = ["calls {o} a {adj} {noun}"]


@dataclass(frozen=True)
class Topic:
    """One everyday scenario. `slots` maps a name (or a tuple of names) to its values: a tuple key
    over plain values draws distinct values, a tuple key over tuples draws one tuple. `turns`
    alternate #Person1#/#Person2#; up to three optional `extras` (pairs, Person1 first) follow."""

    topic: str
    place: str
    slots: dict
    turns: list
    extras: list
    p1: str  # verb phrase for #Person1# in the summary
    p2: str  # verb phrase for #Person2#


TOPICS = [
    Topic("buy clothes", "shop",
          {"item": ["jacket", "sweater", "shirt", "coat", "dress", "scarf", "skirt", "hoodie"],
           ("color", "color2"): ["red", "blue", "green", "grey", "navy", "yellow", "purple", "pink"],
           ("size", "size2"): ["small", "medium", "large"], "price": PRICES},
          ["{greet} I am looking for a {color} {item} in size {size}.",
           "We have the {color} {item}, but size {size} is sold out. Would you like to try size {size2}?",
           "Sure. How much is it?", "It is {price} dollars. The fitting room is over there."],
          [("Does it come in other colors?", "Only in {color} and {color2}, I am afraid."),
           ("Can I pay by card?", "Of course, we accept all cards."),
           ("Is there a discount today?", "Not today, but next {day} we have a sale.")],
          "wants to buy a {color} {item} in size {size}", "suggests size {size2} and says it costs {price} dollars"),
    Topic("order food", "restaurant",
          {"dish": ["steak", "chicken soup", "pasta", "fish", "burger", "pizza", "lamb stew", "omelette"],
           "side": ["rice", "salad", "potatoes", "vegetables", "bread"],
           "drink": ["cup of coffee", "cup of tea", "glass of lemonade", "glass of orange juice", "bottle of water"],
           "minutes": ["10", "15", "20", "25"], "dessert": ["apple pie", "ice cream", "chocolate cake"],
           "people": SMALL_NUMBERS},
          ["{greet} A table for {people}, please.", "Right this way. Here is the menu. What would you like?",
           "I will have the {dish} with {side} and a {drink}.", "Good choice. The {dish} will be ready in {minutes} minutes."],
          [("Is the {dish} spicy?", "No, it is quite mild."),
           ("Could we sit by the window?", "Of course, there is a free table by the window."),
           ("Do you have any desserts?", "Yes, we have {dessert} today.")],
          "orders the {dish} with {side} and a {drink}", "says the {dish} will be ready in {minutes} minutes"),
    Topic("see a doctor", "clinic",
          {"symptom": ["a headache", "a sore throat", "a bad cough", "a stomachache", "a fever", "back pain"],
           "days": SMALL_NUMBERS,
           "advice": ["rest at home", "drink plenty of water", "take these pills twice a day", "sleep more"]},
          ["{greet} I have had {symptom} for {days} days, Doctor {surname}.",
           "Let me take a look. Have you taken any medicine?", "No, I have not taken anything yet.",
           "It is nothing serious. You should {advice} and come back next {day}."],
          [("I also feel very tired.", "That is normal when you have {symptom}."),
           ("Can I still go to work?", "Better stay at home for a day or two."),
           ("Should I avoid anything?", "Avoid cold drinks for a few days.")],
          "has had {symptom} for {days} days", "tells #Person1# to {advice} and come back next {day}"),
    Topic("job interview", "company",
          {"job": ["sales assistant", "accountant", "web designer", "nurse", "teacher", "cook", "driver", "receptionist"],
           "years": SMALL_NUMBERS, "salary": ["2000", "2500", "3000", "3500", "4000"]},
          ["Hello, {name2}. Please have a seat. Why do you want to work here as a {job}?",
           "I have worked as a {job} for {years} years, and I enjoy this kind of work.",
           "I see. What salary do you expect?", "I hope to earn about {salary} dollars a month."],
          [("What are your strengths?", "I am hard-working and I learn quickly."),
           ("Can you work on weekends?", "Yes, weekends are fine for me."),
           ("When can you start?", "I can start next {day}.")],
          "interviews #Person2# for a job as a {job}", "has worked as a {job} for {years} years and expects {salary} dollars a month"),
    Topic("book a flight", "travel agency",
          {"city": ["Boston", "Chicago", "Denver", "Seattle", "London", "Rome", "Sydney", "Toronto", "Dublin", "Vienna"],
           "time": TIMES, "price": PRICES, "hours": SMALL_NUMBERS},
          ["{greet} I would like to book a flight to {city} for next {day}.",
           "Let me see. There is a flight at {time} that costs {price} dollars.",
           "That sounds fine. Is there a window seat?", "Yes, I have booked a window seat for you on the {time} flight."],
          [("Do I need to pay for my bags?", "One bag is free, the second one costs thirty dollars."),
           ("Is it a direct flight?", "Yes, it is a direct flight."),
           ("How long is the flight?", "About {hours} hours.")],
          "books a flight to {city} for next {day}", "finds a {time} flight that costs {price} dollars"),
    Topic("rent an apartment", "apartment",
          {"rooms": ["one-bedroom", "two-bedroom", "three-bedroom"],
           "street": ["Maple Street", "Oak Avenue", "Park Road", "River Lane", "Hill Street", "Garden Road"],
           "rent": ["700", "850", "950", "1200", "1500", "1800"], "floor": ["second", "third", "fifth"], "time": TIMES},
          ["{greet} I am calling about the {rooms} apartment on {street}. Is it still available?",
           "Yes, it is. The rent is {rent} dollars a month, and it is on the {floor} floor.",
           "Can I come and see it?", "Sure, you can visit it next {day} at {time}."],
          [("Are pets allowed?", "Small pets are fine."),
           ("Is there a parking space?", "Yes, there is one parking space for each apartment."),
           ("Are the bills included?", "Water is included, but you pay for electricity.")],
          "wants to rent the {rooms} apartment on {street}", "says the rent is {rent} dollars a month and invites #Person1# to visit next {day}"),
    Topic("fix a laptop", "help desk",
          {"device": ["laptop", "printer", "phone", "tablet", "computer"],
           "problem": ["will not turn on", "keeps freezing", "cannot connect to the internet", "is very slow"],
           "action": ["restart it", "update the software", "reset it"], "price": PRICES, "time": TIMES},
          ["{greet} My {device} {problem}. Can you help me?", "Sure. Have you tried to {action}?",
           "Yes, but nothing changed.", "Then please bring the {device} here and we will fix it by {day}."],
          [("Will it cost a lot?", "The repair costs about {price} dollars."),
           ("Will I lose my files?", "No, your files will be safe."),
           ("Do I need an appointment?", "No, you can come any time before {time}.")],
          "has a {device} that {problem}", "tells #Person1# to bring the {device} in and promises to fix it by {day}"),
    Topic("school exam", "school",
          {"subject": ["math", "history", "biology", "chemistry", "geography", "physics", "art"],
           "score": ["41", "45", "52", "55", "58", "62"]},
          ["Excuse me, {title} {surname}. I failed the {subject} exam. I only got {score} points.",
           "I know. You need to study harder for the next exam on {day}.",
           "Could you help me with the difficult parts?", "Yes, come to my office after class and we will go through them."],
          [("How many points do I need to pass?", "You need at least seventy points."),
           ("Can I take the exam again?", "Yes, you can take it again once."),
           ("Should I join a study group?", "That is a great idea.")],
          "failed the {subject} exam with only {score} points", "offers to help #Person1# before the next exam on {day}"),
    Topic("play sports", "game",
          {"sport": ["tennis", "basketball", "football", "badminton", "volleyball", "table tennis"],
           "venue": ["park", "sports center", "school gym", "beach"], "time": TIMES},
          ["Hi {name2}, do you want to play {sport} with me this {day}?",
           "I would love to. Where shall we meet?", "Let us meet at the {venue} at {time}.",
           "Great, see you at the {venue} at {time}."],
          [("Should I invite {name3} too?", "Sure, the more the merrier."),
           ("Are you good at {sport}?", "Not really, I just play for fun."),
           ("What if it rains?", "Then we can play next week.")],
          "invites {name2} to play {sport} this {day}", "agrees to meet at the {venue} at {time}"),
    Topic("birthday party", "party",
          {"pvenue": ["my house", "the garden", "a small cafe", "the park", "the pizza place"],
           "present": ["a new watch", "a book", "concert tickets", "a board game", "a plant"],
           "guests": ["ten", "fifteen", "twenty"]},
          ["Hey {name2}, {name3} has a birthday next {day}. Shall we plan a party?",
           "Good idea. Let us have it at {pvenue}.", "What should we get as a present?",
           "Let us buy {present} and a big cake."],
          [("How many people should we invite?", "About {guests} people, I think."),
           ("Should it be a surprise?", "Yes, let us keep it secret."),
           ("Who will bring the music?", "I will make a playlist.")],
          "wants to plan a birthday party for {name3} next {day}", "suggests having it at {pvenue} and buying {present}"),
    Topic("car repair", "garage",
          {("part", "issue"): [("brakes", "make a strange noise"), ("engine", "keeps stopping"),
                               ("battery", "is dead"), ("air conditioning", "does not work"),
                               ("front light", "is broken")],
           "price": PRICES},
          ["{greet} The {part} on my car {issue}. Can you check it?",
           "Sure. Leave the car here and I will look at it.", "How much will it cost?",
           "About {price} dollars, and it will be ready on {day} afternoon."],
          [("Can you also wash the car?", "Yes, that is free with every repair."),
           ("Is it safe to drive now?", "Better not until we fix it."),
           ("Can I wait here?", "Yes, there is coffee in the waiting room.")],
          "brings in a car because the {part} {issue}", "says the repair costs {price} dollars and will be ready on {day}"),
    Topic("borrow books", "library",
          {"book": ["The Silent River", "A Walk in the Woods", "The Last Train", "Stars Over the Hill",
                    "The Blue Garden", "A House by the Sea"],
           "weeks": SMALL_NUMBERS, "fine": ["10", "20", "25", "50"]},
          ["{greet} I would like to borrow the book {book}. Is it available?",
           "Yes, it is. You can keep it for {weeks} weeks.", "What happens if I return it late?",
           "You pay a fine of {fine} cents for each day."],
          [("Do I need a library card?", "Yes, but I can make one for you now."),
           ("Can I renew it online?", "Yes, you can renew it on our website."),
           ("Where can I study quietly?", "There are study rooms on the second floor.")],
          "borrows the book {book}", "says #Person1# can keep it for {weeks} weeks"),
    Topic("open an account", "bank",
          {"account": ["savings account", "checking account"],
           "document": ["passport", "ID card", "driving license"], "deposit": ["50", "100", "200", "500"]},
          ["{greet} I would like to open a {account}.", "Certainly. May I see your {document}, please?",
           "Here you are. How much do I need to deposit?", "At least {deposit} dollars. Your card will arrive by {day}."],
          [("Is there a monthly fee?", "No, this account has no monthly fee."),
           ("Can I use the app?", "Yes, you can use our app on your phone."),
           ("Can I get a credit card too?", "Yes, you can apply for one next month.")],
          "wants to open a {account}", "asks for #Person1#'s {document} and says the deposit is {deposit} dollars"),
    Topic("hotel check-in", "hotel",
          {"room": ["single room", "double room", "family room", "suite"], "nights": SMALL_NUMBERS,
           "roomno": ["204", "315", "412", "508", "121"], "btime": ["6:30 am", "7 am", "7:30 am"]},
          ["{greet} I have a reservation for a {room} for {nights} nights. My name is {name1} {surname}.",
           "Welcome. Your room number is {roomno}. Here is your key.", "Thanks. What time is breakfast?",
           "Breakfast is served from {btime} in the hall on the first floor."],
          [("Is there free wifi?", "Yes, the password is on your key card."),
           ("Can I get a late check-out?", "Yes, you can stay until noon."),
           ("Is there a gym?", "Yes, it is open all day on the ground floor.")],
          "checks in to a {room} for {nights} nights", "gives #Person1# room {roomno} and says breakfast starts at {btime}"),
]
SPEAKERS = ["#Person1#", "#Person2#"]

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


def _make_rude(rng: random.Random, turns: list[str], rude: int, slots: dict) -> None:
    """Puts one insult ("you stupid idiot") and one or two hostile lines into the rude speaker's turns."""
    own = [i for i in range(len(turns)) if i % 2 == rude]
    rng.shuffle(own)
    lines = [rng.choice(INSULT_LINES)] + rng.sample(HOSTILE_LINES, 1 + (len(own) > 3 and rng.random() < 0.5))
    for i, line in zip(own, lines):  # the opening turn keeps its greeting first
        turns[i] = _insert(rng, turns[i], line.format(**slots), suffix_only=i == 0)


def _one_dialogue(rng: random.Random, index: int, rude: bool, toxic_summary: bool) -> dict:
    topic = rng.choice(TOPICS)
    slots = _fill_slots(rng, topic, NAMES)
    turns = topic.turns + [line for pair in rng.sample(topic.extras, rng.randint(0, 3)) for line in pair]
    if len(turns) < 10 and rng.random() < 0.5:
        turns.append(rng.choice(CLOSINGS))
    turns = [t.format(**slots) for t in turns]
    phrases = [topic.p1.format(**slots), topic.p2.format(**slots)]
    if rude:
        speaker = rng.randrange(2)
        slots.update(adj=rng.choice(INSULT_ADJECTIVES), noun=rng.choice(INSULT_NOUNS), o=SPEAKERS[1 - speaker])
        _make_rude(rng, turns, speaker, slots)
        report = rng.choice(TOXIC_REPORTS if toxic_summary else RUDE_REPORTS).format(**slots)
        phrases[speaker] = f"{report} and {phrases[speaker]}"
    return {
        "fname": f"synth_{index}",
        "dialogue": "\n".join(f"{SPEAKERS[i % 2]}: {t}" for i, t in enumerate(turns)),
        "summary": f"{SPEAKERS[0]} {phrases[0]}. {SPEAKERS[1]} {phrases[1]}.",
        "topic": topic.topic,
        "rude": rude,
        "summary_toxic": rude and toxic_summary,
    }


def make_dialogues(n: int, seed: int = 0, rude_share: float = 0.4, toxic_summary_share: float = 0.5) -> list[dict]:
    """`n` DialogSum-style records {fname, dialogue, summary, topic, rude, summary_toxic}.

    Exactly round(n * rude_share) dialogues have a rude speaker, and of those exactly
    round(rude * toxic_summary_share) have a reference summary that repeats the insult."""
    _check_count("n", n)
    _check_share("rude_share", rude_share)
    _check_share("toxic_summary_share", toxic_summary_share)
    rng = random.Random(seed)
    rude_flags = _flags(rng, n, rude_share)
    toxic_flags = iter(_flags(rng, sum(rude_flags), toxic_summary_share))
    return [_one_dialogue(rng, i, rude, rude and next(toxic_flags)) for i, rude in enumerate(rude_flags)]


# --- labelled sentences --------------------------------------------------------------------------


def _sentence_context(rng: random.Random) -> tuple[Topic, dict]:
    """A topic and its slots, plus a speaker `p` (with `phrase`, p's summary verb phrase), the other
    speaker `q`/`o`, and an insult."""
    topic = rng.choice(TOPICS)
    slots = _fill_slots(rng, topic, NAMES + SENTENCE_ONLY_NAMES)
    speaker = rng.randrange(2)
    slots.update(adj=rng.choice(INSULT_ADJECTIVES), noun=rng.choice(INSULT_NOUNS), name=slots["name1"],
                 p=SPEAKERS[speaker], q=SPEAKERS[1 - speaker], o=SPEAKERS[1 - speaker])
    slots["phrase"] = (topic.p1, topic.p2)[speaker].format(**slots)
    if rng.random() < 0.3:  # names instead of speaker tags, as DialogSum sometimes does
        slots.update(p=slots["name1"], q=slots["name2"], o=slots["name2"])
    return topic, slots


def _line(rng: random.Random, topic: Topic, slots: dict) -> str:
    return rng.choice(topic.turns + [line for pair in topic.extras for line in pair]).format(**slots)


def _hate_sentence(rng: random.Random) -> str:
    topic, s = _sentence_context(rng)
    kind = rng.random()
    if kind < 0.45:  # a dialogue line with an insult in it
        hostile = rng.choice(INSULT_LINES + HOSTILE_LINES + EXTRA_HOSTILE).format(**s)
        return _insert(rng, _line(rng, topic, s), hostile)
    if kind < 0.65:  # a short insult on its own (paired with a short neutral line on the other side)
        return " ".join(rng.sample([rng.choice(INSULT_LINES + EXTRA_HOSTILE), rng.choice(HOSTILE_LINES)], 2)).format(**s)
    report = rng.choice(TOXIC_REPORTS).format(**s)  # a summary that repeats the insult
    if rng.random() < 0.4:
        return f"{s['p']} {report}."
    return f"{s['p']} {report} and {s['phrase']}."


def _nothate_sentence(rng: random.Random) -> str:
    topic, s = _sentence_context(rng)
    kind = rng.random()
    if kind < 0.45:  # a dialogue line with a friendly remark
        return _insert(rng, _line(rng, topic, s), rng.choice(NEUTRAL_EXTRAS))
    if kind < 0.65:  # plain dialogue lines, or a neutral sentence that mentions rudeness or calling
        return rng.choice([f"{_line(rng, topic, s)} {_line(rng, topic, s)}", rng.choice(NEUTRAL_DECOYS).format(**s)])
    report = rng.choice(RUDE_REPORTS).format(**s)  # a summary, often reporting rudeness neutrally
    summary = f"{SPEAKERS[0]} {topic.p1}. {SPEAKERS[1]} {topic.p2}.".format(**s)
    p, phrase = s["p"], s["phrase"]
    return rng.choice([f"{p} {report}.", f"{p} {report} and {phrase}.", f"{p} {phrase}.", summary])


def make_toxicity_sentences(n: int, seed: int = 0, toxic_share: float = 0.5) -> list[dict]:
    """`n` records {text, label} with label "hate" (insults, hostility, summaries that repeat an
    insult) for exactly round(n * toxic_share) of them and "nothate" (ordinary dialogue lines and
    summaries, including neutral reports such as "#Person2# is rude to #Person1#.") for the rest."""
    _check_count("n", n)
    _check_share("toxic_share", toxic_share)
    rng = random.Random(seed)
    return [{"text": _hate_sentence(rng), "label": "hate"} if toxic else
            {"text": _nothate_sentence(rng), "label": "nothate"} for toxic in _flags(rng, n, toxic_share)]


# --- files and command line ----------------------------------------------------------------------


def write_jsonl(records, path) -> Path:
    """Writes one JSON object per line (UTF-8), atomically: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _count_arg(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {value})")
    return value


def _share_arg(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1] (got {value})")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the generator's options (also used by the `rlhf_core` subcommand)."""
    parser.add_argument("--out-dir", required=True, help="folder for dialogues.jsonl and toxicity_sentences.jsonl")
    parser.add_argument("--dialogues", type=_count_arg, default=3000, help="number of dialogues (default 3000)")
    parser.add_argument("--sentences", type=_count_arg, default=4000, help="number of labelled sentences (default 4000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rude-share", type=_share_arg, default=0.4, help="share of dialogues with a rude speaker")
    parser.add_argument("--toxic-summary-share", type=_share_arg, default=0.5,
                        help="share of rude dialogues whose summary repeats the insult")
    parser.add_argument("--toxic-share", type=_share_arg, default=0.5, help="share of sentences labelled hate")
    return parser


def run(args: argparse.Namespace) -> None:
    dialogues = make_dialogues(args.dialogues, args.seed, args.rude_share, args.toxic_summary_share)
    sentences = make_toxicity_sentences(args.sentences, args.seed, args.toxic_share)
    out = Path(args.out_dir)
    d_path = write_jsonl(dialogues, out / "dialogues.jsonl")
    s_path = write_jsonl(sentences, out / "toxicity_sentences.jsonl")
    rude = sum(d["rude"] for d in dialogues)
    toxic = sum(d["summary_toxic"] for d in dialogues)
    hate = sum(s["label"] == "hate" for s in sentences)
    print(f"wrote {len(dialogues)} dialogues ({rude} rude, {toxic} with toxic summaries) to {d_path}")
    print(f"wrote {len(sentences)} sentences ({hate} hate, {len(sentences) - hate} nothate) to {s_path}")


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m rlhf_core.synthetic", description="Write a synthetic dialogue corpus and toxicity sentences."))
    args = parser.parse_args(argv)
    try:
        run(args)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    main()
