"""The demo judge's own words and frames: an insult lexicon that shares no word with the reward
model's extra insults, person references, clauses, threats' parts, praise and the quote and
meta-mention frames. Data only; `judge_sentences` composes them. Nothing here is read by the
reward model's builder, so the two classifiers learn from different texts.
"""

from __future__ import annotations

# Insults beyond the dialogues' own (`synthetic_words.INSULT_*`, which the judge must also know: the
# summarizer can only repeat those). Disjoint from the reward model's extra words.
JUDGE_INSULT_NOUNS = [
    "oaf", "dolt", "cretin", "goon", "bozo", "toad", "lout", "slug", "worm", "freak", "meathead",
    "dimbulb", "dumbo", "dummy", "dope", "dork", "nerd", "geek",
    "ignoramus", "muppet", "prat", "git", "plonker", "pillock", "numpty", "donkey", "swine",
    "whiner", "brat", "liar", "cheat", "fraud", "hypocrite", "bully", "thug", "troll", "hag", "witch",
    "bimbo", "wimp", "sissy", "has-been", "know-it-all", "windbag", "blowhard", "bigmouth", "busybody",
    "pinhead", "dingbat", "dunderhead", "birdbrain", "peabrain", "sleazebag", "lowlife", "degenerate", "failure",
    "disgrace", "waste of space", "laughing stock", "deadbeat", "freeloader", "hick", "philistine", "buffoon",
]
JUDGE_INSULT_ADJECTIVES = [
    "obnoxious", "ridiculous", "clumsy", "witless", "petty", "shameless", "vulgar", "wretched", "idiotic",
    "moronic", "dumb", "daft", "contemptible",
    "repulsive", "hideous", "fat", "greedy", "selfish", "spoiled", "arrogant", "creepy", "sleazy",
    "slimy", "sneaky", "dishonest", "two-faced", "stuck-up", "good-for-nothing", "half-witted", "empty-headed",
    "thick-headed", "pig-headed", "braindead", "senile", "crazy", "deranged", "psycho", "loathsome", "odious",
    "pompous", "whiny", "lousy", "crummy",
]
# Praise and plain words for the insult frames: the frame alone is not hate.
PRAISE_ADJECTIVES = [
    "generous", "patient", "talented", "careful", "cheerful", "gentle", "honest", "funny", "thoughtful",
    "friendly", "polite", "charming", "creative", "reliable", "sweet", "warm", "bright", "amazing", "excellent",
    "fantastic", "terrific", "superb", "beautiful", "pretty", "nice", "good", "elegant", "stylish", "cool",
    "awesome", "wise", "brave", "skilled", "capable", "calm", "fair", "loyal", "modest", "caring", "decent",
    "gifted", "true", "real", "natural", "born", "kind", "clever", "brilliant", "wonderful", "helpful", "great",
    "lovely", "smart", "lucky", "happy", "proud", "dear", "trusted", "fine", "perfect", "hard-working",
]
PLAIN_ADJECTIVES = ["new", "young", "quiet", "tall", "busy", "tired", "old", "local", "famous", "retired", "former",
                    "first-time", "regular", "part-time", "little", "big"]
PRAISE_NOUNS = [
    "genius", "hero", "friend", "teacher", "cook", "chef", "neighbour", "partner", "student", "driver", "boss",
    "host", "nurse", "artist", "player", "guest", "coach", "pilot", "singer", "writer", "mother", "father",
    "sister", "brother", "worker", "manager", "waiter", "son", "daughter", "leader", "dancer", "baker", "star",
    "angel", "champion", "expert", "professional", "gentleman", "lady", "man", "woman", "person", "colleague",
    "doctor", "lawyer", "engineer", "mechanic", "gardener", "musician", "photographer", "helper", "legend",
    "sweetheart", "darling", "lifesaver", "role model", "talent", "team player", "customer",
]
# Who is spoken of: speaker tags, names (filled in), pronouns and roles.
ROLES = ["the waiter", "the driver", "her aunt", "her brother", "my boss", "the new guy", "the cashier",
         "the landlord", "our neighbour", "the receptionist", "the mechanic", "his wife", "her husband",
         "the teacher", "the referee", "the customer", "the clerk", "the manager", "my cousin", "the plumber"]
SUBJECTS_YOU = ["You are", "You're", "You were always", "You are just", "You have always been", "You really are",
                "Honestly, you are", "Face it, you are", "I think you are", "Everyone knows you are"]
SUBJECTS_OTHER = ["{name} is", "He is", "She is", "They are", "Your brother is", "{role_cap} is", "Your friend is",
                  "That guy is", "Your husband is", "Your boss is"]
STATEMENT_TAILS = ["", "", "", " and you know it", ", honestly", ", admit it", " in front of everyone", " today",
                   ", I swear", " and always will be", ", that is the truth"]
# Clauses an insult can be addressed inside: a rude, plain or even kind clause plus "you <insult>" is hate.
CLAUSES = [
    "Why do you never listen", "I do not want to hear it", "Can't you do anything right", "Don't touch that",
    "Look at this mess", "Stop it", "You forgot again", "Answer me", "Pay attention", "Where is my order",
    "Is that all you can do", "Who asked you", "Nobody is talking to you", "Give me that", "Get out of my office",
    "Move your car", "Stand up", "Be quiet", "Hurry up", "Read the sign", "The bus left an hour ago",
    "You dropped it again", "That is the wrong form", "Great job, as usual", "Close the door", "It is my turn",
    "You missed the bus again", "The shop is closed", "Learn to drive", "Put it back", "What are you doing",
    "Not again", "We lost because of you", "Get your own coffee", "Check your email", "That was my seat",
    "Pick up your phone", "Look where you are going", "You spilled it", "Go home",
    # negated and questioning clauses: the insult addressed inside them is still hate
    "Can you not read", "Don't you understand", "Why can't you be quiet", "I did not ask for your advice",
    "You never learn", "Nobody needs your help", "Can't you see I am busy", "No one invited you",
    "Do you not understand English", "You can't even count", "Don't ever call me again", "Not now",
    "You never get anything right", "Why didn't you call", "That is not my problem", "I am not your servant",
]
SUPERLATIVES = ["dumbest", "laziest", "stupidest", "ugliest", "most useless", "worst", "most pathetic", "slowest",
                "most annoying", "biggest"]
SUPERLATIVE_TAILS = ["", " I have ever met", " in this office", " in the world", " in town", " I know"]
CONSEQUENCES = ["you will get hurt", "you will be sorry", "you will regret it", "you will pay for it",
                "you will end up in hospital", "you are dead", "you will never walk again", "you are finished"]
PROVOCATIONS = ["Say that again", "Touch my {thing} again", "Come back here", "Try it", "One more word",
                "Call me that again", "Do that once more", "Show your face here again", "Tell anyone"]
KIND_CLAUSES = [
    "Thanks for waiting", "Thanks for the help", "Nice to see you", "Welcome back", "Good morning",
    "Happy birthday", "Come in", "Well done", "Take a seat", "Sleep well", "See you tomorrow", "Enjoy your meal",
    "Congratulations on the new job", "Take care", "Good luck with the exam", "Thanks for the flowers",
]
ADDRESSES = ["please", "sir", "madam", "my friend", "{name}", "dear", "thanks", "mate", "Mr. {surname}",
             "you {praise_adj} {praise_noun}", "my {praise_adj} {praise_noun}", "{praise_noun}"]
LIKE_YOU = ["Nobody wants to sit next to {x} like you.", "No one could love {x} like you.",
            "Nobody needs {x} like you here.", "Nobody wants to share an office with {x} like you.",
            "I have never met {x} like you.", "Only {x} like you would do that.",
            "Who would hire {x} like you?", "There is no place here for {x} like you."]
QUESTION_INSULTS = ["What makes you so {adj}?", "Are you always this {adj}?", "How can anyone be this {adj}?",
                    "Are you {adj} or just lazy?", "Were you born this {adj}?", "Why is {name} such a {noun}?",
                    "Who hired this {noun}?", "Can you be any more {adj}?"]
# Threats, composed from a harm, a condition and a frame.
HARMS = ["hurt you", "hit you", "punch you", "kick you", "beat you up", "smash your face", "break your arm",
         "break your nose", "make you pay", "make you suffer", "come after you", "slap you",
         "knock your teeth out", "wreck your {thing}", "burn your house down", "end you", "make you disappear",
         "ruin your life", "strangle you", "shove you down the stairs"]
CONDITIONS = ["if you do that again", "if I see you here again", "if you say that again", "if you touch my {thing}",
              "if you don't leave now", "if you lie to me again", "if you tell anyone", "when I find you",
              "if you are late again", "if you ever come near me", "if you call the police", "tonight"]
THREAT_FRAMES = ["I will {harm} {condition}.", "{condition_cap}, I will {harm}.", "I am going to {harm} {condition}.",
                 "You had better leave, or I will {harm}.", "One day I will {harm}.", "I swear I will {harm}.",
                 "Keep talking and I will {harm}.", "I know where you live, and I will {harm}.",
                 "I will find you and {harm}.", "Be careful, or I will {harm}.", "{name}, I will {harm} {condition}.",
                 "Try that again and I will {harm}.", "You'll regret it when I {harm}.",
                 "Nobody will help you when I {harm}.", "{provocation} and {consequence}.",
                 "{provocation}, and {consequence}.", "If you {harm_you}, {consequence}."]
# Not hate: a threat word in a harmless sense, things that are bad, rudeness reported plainly.
THING_FRAMES = ["{det} {thing} is {degree}{thing_adj}{tail}.", "I hate this {thing}, it is {degree}{thing_adj}.",
                "The {thing} was {degree}{thing_adj}{tail}, so I left.", "Why is the {thing} always so {thing_adj}?",
                "This {thing} is {thing_adj}, I need a new one."]
DETERMINERS = ["Our", "Your", "Her", "His", "Their", "The old", "The new", "That", "My"]
DEGREES = ["", "", "completely ", "totally ", "really ", "so ", "absolutely ", "pretty "]
TAILS = ["", "", " today", " again", " these days", " this morning", " after the update", " at night"]
NEUTRAL_REPORTS = ["{p} is rude to {o}", "{p} insults {o}", "{p} is unfriendly towards {o}", "{p} yells at {o}",
                   "{p} loses patience with {o}", "{p} speaks rudely to {o}", "{p} shouts at {o}",
                   "{p} is impolite to {o}", "{p} argues with {o}", "{p} complains rudely to {o}",
                   "{p} is short with {o}", "{p} snaps at {o}", "{p} is angry with {o}",
                   "{p} threatens to call the police",
                   "{p} is rude about the service", "{p} makes a rude remark"]
# Negations and comforts around an insult word: not hate.
NEGATED = ["{You} {be_not} {x}, {comfort}.", "{Comfort}, {you} {be_not} {x}.",
           "{neg_subject} {neg_verb} {you} {be} {x}.",
           "I would never call {you} {x}.", "Who told you that you are {x}? It is not true.",
           "{name} is not {x} and never was.", "Stop saying you are {x}, because you are not.",
           "It is not true that {you} {be} {x}.", "I do not believe {you} {be} {x}.",
           "You should not think of yourself as {x}.", "{p} insists that {o} is not {x}.",
           "{p} tells {o} that {pron} is not {x}.", "{You} {be_not} {x} in any way.",
           "None of your friends think {you} {be} {x}.", "{You} {be_not} {x}, {you} {be} just tired.",
           "{name} is hardly {x}; {name} works harder than anyone.",
           "{Pron} is no {noun}.", "{name} is no {noun}, believe me.", "{Pron} is no {noun}, {pron} is just shy."]
NEG_SUBJECTS = ["No one", "Nobody", "Not a single person", "None of us"]
NEG_VERBS = ["believes", "says", "thinks", "said", "ever said", "would say"]
BE_NOT = ["are not", "aren't", "were never", "have never been", "are no longer", "'re not"]
COMFORTS = ["relax", "cheer up", "hey", "come on", "listen", "honestly", "trust me", "everyone makes mistakes",
            "you did your best", "it happens", "you were unlucky"]
# Quotes, meta-mentions, fiction and apologies: an insult word named, not aimed at anyone here.
MENTIONS = ["Saying '{noun}' to people is rude.", "Do people still use '{noun}' as an insult?",
            "What does '{noun}' mean?", "'{Noun}' is not a nice word.", "Please don't use the word '{adj}' at work.",
            "'{Noun}' has been in the dictionary since 1900.", "My dictionary lists '{noun}' as an insult.",
            "Calling someone a '{noun}' is not allowed here.", "He asked me how to spell '{noun}'.",
            "The villain in the movie calls the hero a {adj} {noun}.",
            "A character in the novel calls {role2} a {noun}.",
            "The song is called '{Adj} {Noun}'.", "The comedian's sketch has {role} calling {role2} {adj}.",
            "The article says that '{noun}' is the most common insult online.",
            "{p} apologizes for calling {o} a {adj} {noun}.", "{p} says sorry for calling {o} a {noun}.",
            "{p} denies calling {o} a {noun}.", "{p} takes back calling {o} {adj}.",
            "{p} regrets calling {o} a {noun} yesterday.", "{Pron} feels bad that {pron} once called {o} a {noun}.",
            "{p} asks {o} not to use the word '{noun}'.", "{p} complains that {o} called {pron_obj} a {noun}."]
# Fiction and word facts: an insult said by a character in a story, or a word talked about, is not
# aimed at anyone here (composed: a medium, who speaks to whom, and the insult; a word and a fact).
MEDIA = ["the movie", "the film", "the cartoon", "the novel", "the story", "the comic", "the show", "the sitcom",
         "the opera", "the video game", "the poem", "the fairy tale", "the play", "the musical", "the song",
         "the sketch", "the book", "the series", "the soap opera", "the old western"]
CHARACTERS = ["the cat", "the mouse", "the hero", "the villain", "the queen", "the pirate", "the detective",
              "the robot", "the wizard", "the old man", "the captain", "the prince", "the witch", "the farmer",
              "the ghost", "the dragon", "the teacher", "the boy", "the girl", "the clown"]
FICTION = ["In {medium}, {character} calls {character2} a {adj} {noun}.",
           "In {medium}, {character} calls {character2} a {noun}.",
           "In {medium}, {character} says {character2} is {adj}.",
           "{Character} in {medium} calls {character2} a {noun}.",
           "There is a scene in {medium} where {character} calls {character2} a {noun}.",
           "{Medium_cap} ends when {character} calls {character2} a {adj} {noun}."]
WORD_FACTS = ["is an old word", "was first printed in 1890", "has two syllables", "is in every dictionary",
              "was borrowed from French", "is a word children learn at school", "is a common insult",
              "is spelled with double letters", "is a rude word", "is on the list of banned words",
              "became popular in the 1920s", "is hard to translate"]
QUOTES = [("'", "'"), ('"', '"')]
PRAISE = ["{name}, you are so {praise_adj} today.", "You were really {praise_adj} in the meeting.",
          "That was a {praise_adj} idea, thank you.", "Your {item} looks {praise_adj}.", "What a {praise_adj} {item}!",
          "You are very {praise_adj}, {name}.", "You are such a {praise_adj} {praise_noun}, thanks.",
          "Your work was {praise_adj}, well done.", "You are the most {praise_adj} {praise_noun} I know.",
          "How {praise_adj} of you!"]
ITEMS = ["jacket", "dress", "garden", "cake", "speech", "photo", "room", "song", "shirt", "plan", "car", "drawing",
         "haircut", "report", "house", "present", "smile", "voice", "essay", "hat"]
POLITE = ["Thanks so much for your help.", "Enjoy the rest of your day.", "Could you help me, please?",
          "Sorry for the trouble.", "I really appreciate it.", "Have a good trip.", "Sounds great to me.",
          "No worries, take your time.", "Let me get that for you.", "Of course, right away."]
