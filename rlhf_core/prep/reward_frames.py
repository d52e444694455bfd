"""The reward model's composed sentence families: its own extra insult words, praise, clauses,
threats, negations, quotes, fiction and apologies, and `compose`, which fills one family. Each hate
frame (an insult addressed, stated, reported in the summarizer's "calls X a ..." form) is also drawn
filled with praise or plain words as not hate, so the label follows the words and not the frame.
Written for the reward model alone: nothing here comes from the judge's modules (`judge_words`,
`judge_sentences`), and the extra insult words share none with the judge's.
"""

from __future__ import annotations

import random
import re

# Extra insults the reward model knows beyond the dialogues' (`synthetic_words.INSULT_*`); the first
# eight of each are the reward style's original extras.
REWARD_INSULT_NOUNS = [
    "scum", "rat", "slob", "weasel", "snake", "parasite", "coward", "maggot",
    "airhead", "bonehead", "knucklehead", "fathead", "lamebrain", "scatterbrain", "chump", "sucker", "leech",
    "vermin", "brute", "boor", "goofball", "screwball", "nutcase", "lunatic", "maniac", "weirdo", "loudmouth",
    "blabbermouth", "scoundrel", "rascal", "wretch", "mongrel", "doofus", "dweeb", "klutz", "twerp", "slacker",
    "layabout", "weakling", "pushover", "snob", "phony", "charlatan", "crook", "swindler", "backstabber",
    "traitor", "cockroach", "vulture", "hyena", "baboon", "mule", "ninny", "dullard", "zero",
    "nuisance", "menace", "hothead", "grouch", "crank", "miser", "tightwad", "skinflint", "glutton", "hog",
    "scumbag", "dirtbag", "sleazeball", "hooligan", "bum", "clod", "lummox", "galoot", "sap", "dumbbell",
    "chucklehead", "muttonhead", "nitpicker", "showoff", "suck-up", "con artist",
]
REWARD_INSULT_ADJECTIVES = [
    "disgusting", "revolting", "spineless", "gutless", "dimwitted", "thick", "vile", "gross",
    "mindless", "gormless", "dopey", "dim", "slow-witted", "feeble-minded", "incompetent", "inept", "pitiful",
    "laughable", "rotten", "horrid", "repugnant", "foul", "filthy", "smelly", "stinking", "boring",
    "insufferable", "unbearable", "irritating", "snivelling", "cowardly", "treacherous", "deceitful", "lying",
    "crooked", "nosy", "bossy", "grumpy", "cranky", "spiteful", "vain", "conceited", "bigheaded", "obtuse",
    "simple-minded", "small-minded", "narrow-minded", "senseless", "bumbling", "blundering", "dozy", "ditzy",
    "scatterbrained", "dreadful", "malicious", "wicked", "heartless", "cruel",
]


def _nonce_words(seed: int, n: int) -> list[str]:
    """`n` made-up lower-case words: an insult the model never saw is still an insult when it is aimed
    at someone in an insult frame ("Give me that, you glombard."), while praise and plain person words,
    which fill the same frames as not hate, come from a large known list."""
    onsets = ["b", "bl", "d", "dr", "f", "fl", "g", "gl", "gr", "k", "l", "m", "n", "p", "pl", "sk", "sl", "sn",
              "sp", "st", "t", "tw", "v", "w", "z", "ch", "sh", "cr", "thr", "squ"]
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < n:
        word = "".join(rng.choice(onsets) + rng.choice("aeiou") for _ in range(2))
        word += rng.choice(["b", "d", "g", "k", "m", "n", "p", "t", "mp", "nk", "rd", "sh", "x"])
        word += rng.choice(["", "", "er", "y", "o", "ard", "ling", "ock", "ish", "le"])
        if not any(part in word for part in NONCE_AVOID):
            words.add(word)
    return sorted(words)


# Fragments no made-up word may hold (rude or real-looking).
NONCE_AVOID = ["crap", "cock", "dick", "shit", "piss", "fag", "nig", "tit", "ass", "cum", "sex", "poo", "pee",
               "dum", "fuk", "fuc", "kok", "nob", "wank", "slut", "bum"]


NONCE_INSULTS = _nonce_words(31, 400)
NONCE_SHARE = 0.3  # of the composed hate sentences' insult nouns (and half as many of their adjectives)
# Praise and plain words that fill the same frames as not hate.
REWARD_PRAISE_ADJECTIVES = [
    "kind", "clever", "brilliant", "wonderful", "helpful", "great", "lovely", "smart", "marvellous", "splendid",
    "outstanding", "remarkable", "admirable", "dependable", "sharp", "quick", "witty", "graceful", "considerate",
    "big-hearted", "warm-hearted", "kind-hearted", "first-rate", "top", "fine", "true", "real", "proper", "born",
    "wise", "gentle", "tireless", "inspiring", "devoted", "trustworthy", "sincere", "sporty", "lovable",
    "adorable", "cheerful", "incredible", "magnificent", "extraordinary", "best", "dear", "fabulous",
    "super", "lucky", "genuine", "fearless", "humble", "cool", "good", "sweet", "amazing", "honest", "loyal",
    "patient", "generous", "talented", "polite", "friendly", "thoughtful", "careful", "brave", "caring", "fair",
    "gifted", "excellent", "perfect", "terrific", "fantastic", "superb", "elegant", "charming", "creative",
    "reliable", "skilful", "calm", "decent", "modest", "hard-working", "proud", "beautiful", "handsome", "funny",
]
PLAIN_WORDS = ["new", "young", "older", "quiet", "busy", "local", "shy", "careful", "serious", "sleepy",
               "hungry", "first", "regular", "visiting", "happy"]
REWARD_PRAISE_NOUNS = [
    "friend", "teacher", "person", "cook", "colleague", "neighbour", "genius", "doctor", "hero", "star", "gem",
    "treasure", "saint", "pro", "ace", "whiz", "mastermind", "pal", "buddy", "inspiration", "blessing", "rock",
    "scholar", "craftsman", "athlete", "natural", "leader", "gentleman", "cook", "parent", "dad", "mum",
    "sportsman", "volunteer", "student", "tutor", "neighbour", "nurse", "banker", "tourist", "visitor", "baker",
    "painter", "runner", "swimmer", "reader", "listener", "organiser", "host", "problem solver",
    # plain nouns: people by job, family or place, so an unfamiliar person word in a frame is not hate
    "plumber", "electrician", "pharmacist", "dentist", "vet", "firefighter", "postman", "farmer", "tailor",
    "carpenter", "butcher", "florist", "librarian", "journalist", "scientist", "architect", "accountant",
    "lawyer", "judge", "soldier", "sailor", "fisherman", "shopkeeper", "receptionist", "cashier", "courier",
    "dancer", "drummer", "guitarist", "poet", "novelist", "chemist", "surgeon", "midwife", "grandfather",
    "grandmother", "uncle", "aunt", "cousin", "nephew", "niece", "husband", "wife", "son", "daughter", "boss",
    "manager", "coach", "captain", "referee", "customer", "passenger", "driver", "pilot", "mechanic", "engineer",
    "programmer", "designer", "photographer", "gardener", "chef", "waiter", "singer", "actor", "writer",
]
# Clauses an insult is addressed inside (hate whatever the clause says); kind ones for praise.
REWARD_CLAUSES = [
    "Give me the keys", "You broke it again", "Turn the music down", "Get off the phone",
    "The train is late because of you", "You missed the point", "Wake up", "Fix it yourself",
    "Why are you still here", "Who let you in", "That is my parking spot", "You forgot the milk",
    "Do your homework", "You lost the tickets", "Stop following me", "Leave my desk alone",
    "What did you do now", "I told you twice", "Nobody invited you", "You are late again",
    "Can't you read a map", "It was on the list", "Count the money again", "The report is wrong",
    "Don't you ever listen", "Clean your room", "Not you again", "Say something", "You are in my way",
    "The bill is wrong", "Why did you say that", "Just go", "Look what you did", "The door was open",
    "Where were you", "You spilled the coffee", "I asked for tea", "Get back to work", "Stop laughing",
    "Can you not count", "Did you not hear me", "Do you not see the queue", "Are you lost", "Can't you drive",
    "Don't you know the way", "You never finish anything", "No, that is wrong", "Didn't I tell you", "Not like that",
]
KIND_LINES = [
    "Thanks for the lift", "Welcome home", "See you at dinner", "Thank you for the card", "Nice work today",
    "Come and join us", "Have a lovely evening", "Great to see you", "Thanks for fixing it", "Happy new year",
    "Help yourself to cake", "Good night", "Thanks for calling", "Congratulations",
]
POLITE_ADDRESSES = ["{name}", "{name}", "Mr. {surname}", "Ms. {surname}", "Dr. {surname}", "my dear", "love",
                    "everyone", "folks", "kids", "please", "thank you", "sir", "officer", "young man"]
INTENSIFIERS = ["", "", "", "utter ", "total ", "complete ", "absolute ", "massive ", "proper ", "real "]
# Stated about someone: hate with an insult, not hate with praise.
STATED = ["{You} {be} {x}.", "{Other} is {x}{tail}.", "{You} {be} {x}{tail}.", "Why are you so {adj}?",
          "How did you get so {adj}?", "Is there anyone more {adj} than you?", "Why is {name} always so {adj}?",
          "{You} {be} {x}, and everyone knows it.", "Honestly, {you} {be} {x}.",
          "Let's face it, {you} {be} {x}.", "What {x} you are.", "You really are {x}.", "Such {x}!",
          "{You} {be} {x} and always will be.", "{You} {be} {x}, to be honest.", "Why are you such {x}?",
          "{you_cap} {be} the {superlative} I know.", "Only {x} would do that.", "I think {you} {be} {x}.",
          "{name}, you are {x}.", "You are {x}, {name}.", "Who let this {noun} in?", "Has anyone met a bigger {noun}?",
          "Can anybody be more {adj} than {name}?", "Look at this {noun}."]
OTHERS = ["My neighbour", "Your sister", "His boss", "The new guy", "Her husband", "That man", "Our teacher",
          "The landlord", "Your friend", "My brother", "Their son", "The driver", "Everyone here knows {name}"]
STATED_TAILS = ["", "", ", honestly", " today", ", really", " as usual", ", no doubt", ", everyone says so",
                " at work", ", to be fair"]
SUPERLATIVE_FORMS = ["biggest {noun}", "most {adj} {noun}", "most {adj} person", "worst {noun}"]
SUMMARY_FRAMES = ["{p} calls {o} {x}.", "{p} calls {o} {x} and {phrase}.", "{p} tells {o} that {pron} is {x}.",
                  "{p} says {o} is {x}.", "{p} calls {o} {x} in front of everyone.",
                  "{p} says {o} is {x} and {phrase}.", "{p} gets angry and calls {o} {x}."]
# Negations and denials around an insult word: not hate.
DENIALS = ["You are not {x}.", "You're not {x}, you just {excuse}.", "You are not {x} at all, {comfort}.",
           "Nobody could call you {x}.", "You are anything but {x}.", "Of course you are not {x}.",
           "I don't think of you as {x}.", "Calling you {x} would be wrong.", "{name} is not {x}, just {plain}.",
           "{Comfort}, you are not {x}.", "Don't say you are {x}, you are not.", "{p} says {o} is not {x}.",
           "{p} tells {o} that {pron} is not {x}.", "{p} insists {o} is not {x}.",
           "No, {name}, you are not {x}.", "Nobody in {group} is {x}.", "None of {group} is {x}.",
           "There is not a single {noun} in {group}.", "{name} is no {noun}, {pron} just {excuse}.",
           "{Pron} is no {noun} at all.", "{You} {be} no {noun}, {comfort}.", "You have never once been {x}.",
           "Nobody ever thought you were {x}.", "Whoever said you are {x} was wrong.",
           "You were never {x}.", "I never thought you were {x}.",
           "Nobody here thinks {name} is {x}.", "You are not {x}, {you2} {excuse}."]
GROUPS = ["this class", "our family", "the office", "my team", "the band", "this house", "our club", "the choir"]
EXCUSES = ["had a bad day", "need some sleep", "were in a hurry", "were nervous", "are new here",
           "got the times mixed up", "had no help", "were tired", "misread the sign", "forgot once"]
COMFORTS = ["don't worry", "cheer up", "believe me", "come on", "really", "I promise", "seriously",
            "trust me on this", "it's fine"]
# Quotes and meta-mentions: an insult word talked about, not aimed at anyone.
MENTIONS = ["The word '{noun}' is rude.", "Is '{noun}' a rude word?", "My son asked me what '{noun}' means.",
            "You should never call anyone '{noun}'.", "We learned the word '{adj}' in English class today.",
            "How do you spell '{noun}'?", "'{Noun}' is an insult, so please don't use it.",
            "The teacher wrote '{noun}' on the board and explained it.", "'{Adj}' is a harsh word to use.",
            "The dictionary says '{noun}' is an informal insult.", "She looked up \"{noun}\" in the dictionary.",
            "Using words like \"{noun}\" at school gets you a warning.", "'{Noun}' rhymes with nothing I know.",
            "My grandmother never says \"{adj}\".", "Is \"{adj} {noun}\" too strong for a comedy?",
            "The rule is simple: no '{noun}' and no '{adj}' in the chat."]
# Fiction: insults said by characters in stories, not aimed at anyone here.
STORIES = ["movie", "film", "cartoon", "comedy", "novel", "bedtime story", "fable", "TV series", "comic strip",
           "puppet show", "radio drama", "musical", "school musical", "sitcom episode", "legend", "video game"]
CHARACTERS = ["the duke", "the knight", "the giant", "the fox", "the wolf", "the sheriff", "the outlaw",
              "the sailor", "the butler", "the emperor", "the general", "the spy", "the monster", "the lion",
              "the owl", "the frog", "the miller", "the innkeeper", "the countess", "the baron", "the goblin",
              "the bear", "the mayor", "the cook", "the twins"]
FICTIONS = ["In the {story}, {char} calls {char2} a {adj} {noun}.",
            "In the {story}, {char} keeps calling {char2} a {noun}.",
            "{Char} shouts 'you {adj} {noun}' at {char2} in the {story}.",
            "My favourite line in the {story} is when {char} calls {char2} a {noun}.",
            "In chapter {n} of the {story}, {char} calls {char2} {adj}.",
            "The {story} begins with {char} calling {char2} a {noun}.",
            "In the {story} I watched last night, {char} calls {char2} a {adj} {noun}.",
            "{Char} in the old {story} tells {char2}: 'You {noun}!'",
            "At the end of the {story}, {char} calls {char2} a {noun}.",
            "{Char} in the {story} calls {char2} a {noun}.", "The {story} has {char} calling {char2} a {adj} {noun}.",
            "In one scene of the {story}, {char} says {char2} is {adj}.",
            "In the {story}, {char} yells 'you {noun}' at {char2}.",
            "The {story} ends when {char} calls {char2} {adj}."]
APOLOGIES = ["I am sorry I called you {x}.", "Sorry for calling you {x} yesterday, I was upset.",
             "{p} apologises to {o} for the word '{noun}'.", "{p} wishes {pron} had not called {o} {x}.",
             "{p} admits calling {o} {x} was wrong.", "{p} says sorry to {o} for saying {pron2} was {adj}.",
             "I should never have called you {x}, {name}.", "{p} feels sorry about calling {o} {x}."]
# Threats, composed from a harm, a condition and a frame.
HARMS = ["hurt you", "hit you", "smash your teeth in", "break your fingers", "punch your lights out",
         "put you in hospital", "make you bleed", "kick your door in", "slash your tyres", "burn your car",
         "set your house on fire", "wring your neck", "teach you a lesson you won't forget", "hunt you down",
         "come for you", "drag you outside", "throw you down the stairs", "crush you", "destroy you", "bury you",
         "smash your {thing}", "rip your head off", "punch you", "kick you", "smack you", "knock you out",
         "break your jaw", "come after you", "burn your {thing}", "choke you", "ruin you", "get you fired",
         "make your life hell", "kill you", "beat you up", "break your neck", "beat you senseless",
         "throw you in the river", "bash your head in", "push you off the roof",
         "hurt your family", "run you over", "break every bone in your body"]
CONDITIONS = ["if you show up again", "if you tell the boss", "if you don't pay me", "if I catch you",
              "if you go to the police", "next time", "after work", "if you ever talk to me like that again",
              "the moment you step outside", "if you say one more word", "if you touch my {thing}",
              "if you come near my family", "tonight", "if you're late again"]
MENACES = ["I'll {harm} {condition}.", "{Condition}, I'm going to {harm}.", "Just wait, I'll {harm}.",
           "Don't make me {harm}.", "You'd better pay, or I'll {harm}.", "Watch out, I will {harm}.",
           "Next time I see you, I'll {harm}.", "Mark my words, I will {harm}.", "I promise I will {harm}.",
           "{name}, I'll {harm} {condition}.", "{Condition} and you'll {fate}.", "Keep it up and you'll {fate}.",
           "I'm coming for you, and I will {harm}.", "Say it again and I'll {harm}.", "I swear I'll {harm}.",
           "One of these days I'll {harm}.", "{Provoke} and you'll {fate}.", "{Provoke}, and I will {harm}.",
           "{Condition}, you will {fate}.", "{Provoke}, and you will {fate}.",
           "I will {harm} {condition}.", "Someday I'm going to {harm}.", "{Condition}, you'll {fate}.",
           "Nobody can save you when I {harm}.", "{name}, one day I will {harm}.", "Better watch out, or I'll {harm}.",
           "I'll {harm}, just you wait.", "If I ever see you again, I'll {harm}."]
PROVOKES = ["Come near my kids", "Do that one more time", "Cross me again", "Lie to me again", "Take one more step",
            "Talk back to me again", "Show up at my door again", "Open your mouth again", "Call my wife again",
            "Park there again", "Touch my {thing}"]
FATES = ["be dead", "be finished", "be sorry", "end up in hospital", "never walk again", "regret the day you were born",
         "pay for it",
         "wish you had never met me", "lose your teeth", "need a doctor"]
# Rudeness reported without repeating it (as the summarizer should): not hate.
REPORT_VERBS = ["gets annoyed with", "complains to", "raises {pron_pos} voice at", "is cross with", "is sharp with",
                "grumbles at", "criticises", "teases", "is sarcastic to", "is harsh with", "scolds", "blames",
                "is mean to", "is dismissive of", "gets angry at", "is hostile to", "is disrespectful to",
                "makes fun of", "swears at", "loses {pron_pos} temper with", "mocks", "is cold to", "glares at",
                "hangs up on", "interrupts", "is short-tempered with", "is impatient with", "quarrels with"]
# Threat and violence words in harmless senses: not hate.
HARMLESS = ["I'd kill for a cup of coffee right now.", "These new shoes are killing my feet.",
            "We smashed our sales target this month.", "Let's hit the road before the traffic.",
            "You'll be sorry you missed the fireworks.", "The comedian absolutely destroyed the audience.",
            "I'll punch the numbers into the computer.", "Our team crushed it at the quiz.",
            "Knock knock, can I come in?", "I'm going to burn these old letters in the fireplace.",
            "The storm will hit the coast tonight.", "Watch your step, the floor is wet."]


def _x(rng: random.Random, adj: str, noun: str, bare_adj: bool = True) -> str:
    forms = [f"a {{i}}{adj} {noun}", f"a {{i}}{noun}", f"such a {adj} {noun}", f"a {adj} {noun}", f"such a {noun}",
             f"the most {adj} {noun}", f"the biggest {noun}"]
    x = rng.choice(forms + ([adj, f"so {adj}"] if bare_adj else [])).format(i=rng.choice(INTENSIFIERS))
    return re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", x)


def _praise(rng: random.Random) -> tuple[str, str]:
    adjectives = REWARD_PRAISE_ADJECTIVES if rng.random() < 0.8 else PLAIN_WORDS
    return rng.choice(adjectives), rng.choice(REWARD_PRAISE_NOUNS)


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def compose(rng: random.Random, kind: str, s: dict, line: str) -> str:
    """One sentence of the reward model's family `kind`; `s` holds the sentence's slots (an insult
    `adj`/`noun`, speakers `p`/`o`, `name`, `phrase`, `thing`) and `line` is a dialogue line."""
    praise = kind.endswith("_praise")
    adj, noun = _praise(rng) if praise else (s["adj"], s["noun"])
    if not praise and kind in HATE_FAMILIES and rng.random() < NONCE_SHARE:
        noun = rng.choice(NONCE_INSULTS)
    if not praise and kind in HATE_FAMILIES and rng.random() < NONCE_SHARE / 2:
        adj = rng.choice(NONCE_INSULTS).rstrip("aeiou") + rng.choice(["y", "ish", "ed", "ing"])
    female = rng.random() < 0.5
    you = rng.choice(["you", "you", "you", s["name"], "he" if female else "she"])
    slots = {**s, "x": _x(rng, adj, noun, bare_adj=not praise or rng.random() < 0.5), "adj": adj, "noun": noun,
             "Adj": adj.capitalize(), "Noun": noun.capitalize(), "you": you, "You": _cap(you),
             "you_cap": _cap(you), "be": "are" if you == "you" else "is", "pron": "she" if female else "he",
             "pron2": "she" if female else "he", "Pron": "She" if female else "He",
             "pron_pos": "her" if female else "his", "you2": "you", "plain": rng.choice(PLAIN_WORDS),
             "excuse": rng.choice(EXCUSES), "comfort": rng.choice(COMFORTS), "Comfort": _cap(rng.choice(COMFORTS)),
             "Other": rng.choice(OTHERS).format(**s), "tail": rng.choice(STATED_TAILS), "group": rng.choice(GROUPS),
             "superlative": rng.choice(SUPERLATIVE_FORMS).format(adj=adj, noun=noun), "n": rng.randint(2, 30)}
    base = kind.removesuffix("_praise")
    if base == "addressed":
        clause = rng.choice((KIND_LINES if praise and rng.random() < 0.5 else REWARD_CLAUSES)
                            + [line.rstrip(".?!")])
        address = rng.choice([f"you {adj} {noun}", f"you {noun}", noun, f"you {adj} {noun}"])
        if praise and rng.random() < 0.5:  # a name, a title or a polite word instead
            address = rng.choice(POLITE_ADDRESSES).format(**s)
        mark = "?" if clause.split()[0] in {"Why", "Who", "What", "Where", "Can't", "Don't", "Can", "Do"} else "."
        if rng.random() < 0.6:
            return f"{clause}, {address}{mark}"
        first = clause if clause.startswith("I ") else clause[0].lower() + clause[1:]
        return f"{_cap(address)}, {first}{mark}"
    if base == "stated":
        return _cap(rng.choice(STATED).format(**slots))
    if base == "calls":
        return rng.choice(SUMMARY_FRAMES).format(**slots)
    if kind == "denial":
        return _cap(rng.choice(DENIALS).format(**slots))
    if kind == "mention":
        return rng.choice(MENTIONS).format(**slots)
    if kind == "fiction":
        char, char2 = rng.sample(CHARACTERS, 2)
        return _cap(re.sub(r"\b([Aa]) (?=[aeiou])", r"\1n ", rng.choice(FICTIONS).format(
            **slots, story=rng.choice(STORIES), char=char, char2=char2, Char=_cap(char))))
    if kind == "apology":
        return _cap(rng.choice(APOLOGIES).format(**slots))
    if kind == "menace":
        condition = rng.choice(CONDITIONS).format(**s)
        return rng.choice(MENACES).format(harm=rng.choice(HARMS).format(**s), condition=condition,
                                          Provoke=rng.choice(PROVOKES).format(**s),
                                          Condition=_cap(condition), fate=rng.choice(FATES), name=s["name"])
    if kind == "report":
        return f"{s['p']} {rng.choice(REPORT_VERBS).format(**slots)} {s['o']}" + rng.choice(
            [".", ".", f" and {s['phrase']}.", f" about the {s['thing']}."])
    if kind == "harmless":
        return rng.choice(HARMLESS)
    raise ValueError(f"unknown reward sentence family {kind!r}")


HATE_FAMILIES = ("addressed", "stated", "calls", "menace")
NOTHATE_FAMILIES = ("addressed_praise", "stated_praise", "calls_praise", "denial", "mention", "fiction", "apology",
                    "harmless", "report")
