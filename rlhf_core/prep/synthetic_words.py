"""The word lists and templates of the synthetic dialogue corpus: large pools of names, places,
prices and times, the 14 everyday topics, the open dialogues' word pools and frames, and the mild
insults a rude speaker uses. Data only, kept apart from the code that draws from it
(`synthetic_dialogues`, `synthetic_sentences`) so the generator stays readable.

The rudeness is mild and personal (idiot, moron, shut up, pathetic): nothing about protected
groups and no strong profanity.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# --- word lists ----------------------------------------------------------------------------------


def _syllable_words(seed: int, n: int, parts: int, endings: list[str]) -> list[str]:
    """`n` distinct made-up capitalised words of `parts` consonant-vowel syllables plus an ending,
    drawn with a fixed seed: large slot pools, so a summarizer can only be right by copying."""
    onsets = ["b", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z",
              "br", "dr", "gr", "kr", "tr", "st", "sh", "ch", "fl", "pl", "sl", "th", "m"]
    vowels = ["a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea"]
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < n:
        word = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(parts)) + rng.choice(endings)
        if word not in seen and len(word) >= 4:
            seen.add(word)
            words.append(word.capitalize())
    return words


COMMON_NAMES = ["Tom", "Anna", "Jack", "Lucy", "Peter", "Mary", "David", "Linda", "Sam", "Emma", "Mike",
                "Kate", "Paul", "Susan", "Ben", "Julia", "Mark", "Helen", "Steve", "Nancy", "Bill", "Laura",
                "Frank", "Amy", "George", "Rose", "Henry", "Grace", "Jimmy", "Alice"]
# Thousands of first names and surnames: a few common ones and many made-up ones.
NAMES = COMMON_NAMES + _syllable_words(11, 3000, 2, ["", "", "n", "r", "l", "s", "na", "ra", "lie"])
# Used only in the sentence sets, so a classifier is tested on names it never saw in dialogues.
SENTENCE_ONLY_NAMES = ["Oliver", "Chloe", "Ethan", "Nora", "Leo", "Ivy", "Oscar", "Ruby", "Felix",
                       "Hazel", "Hugo", "Clara"]
SURNAMES = _syllable_words(12, 2000, 2, ["son", "ley", "ton", "er", "man", "ford", "well", "ing"])
CITIES = _syllable_words(13, 2000, 2, ["ton", "field", "port", "burg", "ville", "ford", "dale", "mouth", "ia"])
STREETS = [f"{w} {kind}" for w, kind in zip(_syllable_words(14, 1500, 2, ["", "wood", "brook", "hill"]),
                                            ["Street", "Road", "Avenue", "Lane", "Way"] * 300)]
TITLES = ["Mr.", "Ms.", "Dr."]
BOOKS = [f"The {w}" for w in _syllable_words(15, 1000, 2, ["", "s", "land", "stone"])]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DATES = DAYS + [f"{month} {day}" for month in MONTHS for day in range(1, 29)]
TIMES = [f"{h}{m} {half}" for half in ("am", "pm") for h in range(1, 13) for m in ("", ":05", ":10", ":15", ":20",
         ":25", ":30", ":35", ":40", ":45", ":50", ":55")]
SMALL_NUMBERS = [str(n) for n in range(2, 31)]
PRICES = [str(p) for p in range(5, 3000)]
COLORS = ["red", "blue", "green", "grey", "navy", "yellow", "purple", "pink", "orange", "lilac", "beige",
          "olive", "teal", "maroon", "silver", "golden", "violet", "cream", "khaki", "turquoise"]
GREETINGS = ["Hi.", "Hello.", "Good morning.", "Good afternoon.", "Good evening.", "Excuse me.", "Hi there.",
             "Hey.", "Hello there.", "Sorry to bother you."]
CLOSINGS = ["Thank you very much.", "Thanks a lot, see you then.", "Great, thanks for your help.",
            "Perfect, thank you.", "All right, that is all for now.", "Thanks, that helps a lot.",
            "Okay, I will do that.", "Wonderful, goodbye."]
# Openers put in front of some turns, so the same content comes in more than one phrasing.
FILLERS = ["Okay.", "Right.", "I see.", "Let me see.", "All right.", "Well, okay.", "Hmm."]
# Small talk inserted between turns: it changes length and turn positions, not the summary.
SMALL_TALK = [("How is your day going?", "Busy, but fine, thanks."),
              ("Sorry, could you say that again?", "Of course, no problem."),
              ("It is really cold today, isn't it?", "Yes, winter came early this year."),
              ("Do you mind if I sit down?", "Please, go ahead."),
              ("Sorry, my phone is ringing.", "No worries, take your time.")]

# Mild, personal insults only. An adjective + noun pair is used once in the dialogue ("you stupid
# idiot") and again in a toxic summary ("calls #Person1# a stupid idiot"), so it can be copied.
INSULT_ADJECTIVES = ["stupid", "useless", "pathetic", "clueless", "brainless", "hopeless", "worthless",
                     "silly", "lazy", "miserable", "careless", "feeble", "nasty", "smug", "foolish",
                     "dull", "dense", "sloppy"]
INSULT_NOUNS = ["idiot", "moron", "fool", "clown", "loser", "jerk", "nitwit", "dimwit", "numbskull", "buffoon",
                "twit", "halfwit", "dunce", "blockhead", "creep", "pest"]
INSULT_LINES = ["Listen, you {adj} {noun}.", "Are you serious, you {adj} {noun}?",
                "You {adj} {noun}, stop wasting my time.", "Just do your job, you {adj} {noun}.",
                "Hurry up, you {adj} {noun}.", "What a {adj} {noun} you are.", "You are a {adj} {noun}.",
                "Only a {adj} {noun} like you would ask that."]
# Aimed at the other person only: rudeness at things ("this printer is useless") is not labelled hate.
HOSTILE_LINES = ["Shut up.", "You are pathetic.", "What a moron.", "Nobody cares what you think.", "Get lost.",
                 "You are completely useless.", "Stop wasting my time, idiot.", "Use your brain for once.",
                 "I have no patience for fools like you.", "You are an idiot."]
RUDE_REPORTS = ["is rude to {o}", "is impolite to {o}", "insults {o}", "speaks rudely to {o}",
                "is unfriendly to {o}"]
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
          {"item": ["jacket", "sweater", "shirt", "coat", "dress", "scarf", "skirt", "hoodie", "cardigan", "blouse",
                    "raincoat", "vest", "tie", "cap", "belt", "pair of jeans", "pair of boots", "pair of gloves",
                    "handbag", "backpack", "swimsuit", "suit", "pair of sneakers", "t-shirt"],
           ("color", "color2"): COLORS,
           ("size", "size2"): ["small", "medium", "large"], "price": PRICES},
          ["{greet} I am looking for a {color} {item} in size {size}.",
           "We have the {color} {item}, but size {size} is sold out. Would you like to try size {size2}?",
           "Sure. How much is it?", "It is {price} dollars. The fitting room is over there."],
          [("Does it come in other colors?", "Only in {color} and {color2}, I am afraid."),
           ("Can I pay by card?", "Of course, we accept all cards."),
           ("Is there a discount today?", "Not today, but next {day} we have a sale.")],
          "wants to buy a {color} {item} in size {size}", "suggests size {size2} and says it costs {price} dollars"),
    Topic("order food", "restaurant",
          {"dish": ["steak", "chicken soup", "pasta", "fish", "burger", "pizza", "lamb stew", "omelette", "curry",
                    "tomato soup", "risotto", "salmon", "roast chicken", "pork chops", "noodles", "tacos",
                    "veggie burger", "beef stew", "fried rice", "lasagna"],
           "side": ["rice", "salad", "potatoes", "vegetables", "bread"],
           "drink": ["cup of coffee", "cup of tea", "glass of lemonade", "glass of orange juice", "bottle of water"],
           "minutes": [str(n) for n in range(5, 61)], "dessert": ["apple pie", "ice cream", "chocolate cake"],
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
          {"job": ["sales assistant", "accountant", "web designer", "nurse", "teacher", "cook", "driver", "receptionist",
                   "engineer", "cashier", "librarian", "pilot", "baker", "gardener", "translator", "lawyer"],
           "years": SMALL_NUMBERS, "salary": [str(n) for n in range(1200, 9000, 50)]},
          ["Hello, {name2}. Please have a seat. Why do you want to work here as a {job}?",
           "I have worked as a {job} for {years} years, and I enjoy this kind of work.",
           "I see. What salary do you expect?", "I hope to earn about {salary} dollars a month."],
          [("What are your strengths?", "I am hard-working and I learn quickly."),
           ("Can you work on weekends?", "Yes, weekends are fine for me."),
           ("When can you start?", "I can start next {day}.")],
          "interviews #Person2# for a job as a {job}", "has worked as a {job} for {years} years and expects {salary} dollars a month"),
    Topic("book a flight", "travel agency",
          {"city": CITIES,
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
           "street": STREETS,
           "rent": [str(n) for n in range(400, 4000, 25)], "floor": ["first", "second", "third", "fourth", "fifth", "sixth"], "time": TIMES},
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
           "score": [str(n) for n in range(10, 70)]},
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
           "guests": SMALL_NUMBERS},
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
          {"book": BOOKS,
           "weeks": SMALL_NUMBERS, "fine": [str(n) for n in range(5, 100, 5)]},
          ["{greet} I would like to borrow the book {book}. Is it available?",
           "Yes, it is. You can keep it for {weeks} weeks.", "What happens if I return it late?",
           "You pay a fine of {fine} cents for each day."],
          [("Do I need a library card?", "Yes, but I can make one for you now."),
           ("Can I renew it online?", "Yes, you can renew it on our website."),
           ("Where can I study quietly?", "There are study rooms on the second floor.")],
          "borrows the book {book}", "says #Person1# can keep it for {weeks} weeks"),
    Topic("open an account", "bank",
          {"account": ["savings account", "checking account"],
           "document": ["passport", "ID card", "driving license"], "deposit": [str(n) for n in range(20, 2000, 10)]},
          ["{greet} I would like to open a {account}.", "Certainly. May I see your {document}, please?",
           "Here you are. How much do I need to deposit?", "At least {deposit} dollars. Your card will arrive by {day}."],
          [("Is there a monthly fee?", "No, this account has no monthly fee."),
           ("Can I use the app?", "Yes, you can use our app on your phone."),
           ("Can I get a credit card too?", "Yes, you can apply for one next month.")],
          "wants to open a {account}", "asks for #Person1#'s {document} and says the deposit is {deposit} dollars"),
    Topic("hotel check-in", "hotel",
          {"room": ["single room", "double room", "family room", "suite"], "nights": SMALL_NUMBERS,
           "roomno": [str(n) for n in range(101, 999)], "btime": TIMES},
          ["{greet} I have a reservation for a {room} for {nights} nights. My name is {name1} {surname}.",
           "Welcome. Your room number is {roomno}. Here is your key.", "Thanks. What time is breakfast?",
           "Breakfast is served from {btime} in the hall on the first floor."],
          [("Is there free wifi?", "Yes, the password is on your key card."),
           ("Can I get a late check-out?", "Yes, you can stay until noon."),
           ("Is there a gym?", "Yes, it is open all day on the ground floor.")],
          "checks in to a {room} for {nights} nights", "gives #Person1# room {roomno} and says breakfast starts at {btime}"),
]
SPEAKERS = ["#Person1#", "#Person2#"]


# --- open dialogues ------------------------------------------------------------------------------
# One free-form family beside the 14 topics: a speaker tells what happened ("I lost my red umbrella
# at the station on Monday.") and the other says what they will do ("I will call Tom tomorrow.").
# Both clauses are composed from large pools of ordinary words, names and numbers, and the summary
# repeats them with the pronouns turned into speaker tags, so the only way to summarise one is to
# copy from the dialogue: practice that carries over to dialogues outside the 14 topics once the
# summarizer can copy at all (after `prep.copy_pretrain`; `DemoSpec.open_share` is 0.5; without
# the copy stage it did not carry over, benchmarks/README.md).

OPEN_NOUNS = [
    "umbrella", "wallet", "key", "watch", "phone", "laptop", "bike", "lamp", "chair", "table", "bag", "suitcase",
    "camera", "ticket", "passport", "letter", "parcel", "box", "painting", "photo", "plant", "mirror", "clock",
    "radio", "guitar", "piano", "violin", "ring", "necklace", "bracelet", "hat", "coat", "jacket", "sweater",
    "shirt", "dress", "skirt", "scarf", "glove", "boot", "shoe", "sock", "belt", "tie", "notebook", "pencil",
    "pen", "book", "magazine", "newspaper", "map", "calendar", "printer", "keyboard", "screen", "charger",
    "cable", "speaker", "headphone", "kettle", "toaster", "oven", "fridge", "sofa", "bed", "pillow", "blanket",
    "towel", "carpet", "curtain", "window", "door", "fence", "gate", "ladder", "hammer", "drill", "saw",
    "bucket", "basket", "bottle", "cup", "mug", "plate", "bowl", "spoon", "fork", "knife", "pan", "pot",
    "cake", "pie", "sandwich", "pizza", "salad", "cookie", "apple", "orange", "banana", "melon", "tomato",
    "potato", "onion", "carrot", "egg", "candle", "vase", "flower", "tree", "seed", "ball", "kite", "puzzle",
    "toy", "doll", "game", "card", "present", "invitation", "receipt", "bill", "form", "report", "contract",
    "poster", "sign", "flag", "tent", "helmet", "backpack", "tablet", "desk", "shelf", "cupboard", "drawer",
    "battery", "engine", "wheel", "tyre", "mattress", "heater", "fan", "coin", "stamp", "envelope",
]
OPEN_ADJECTIVES = COLORS + [
    "old", "new", "small", "big", "heavy", "light", "cheap", "expensive", "wooden", "plastic", "leather",
    "woollen", "metal", "glass", "paper", "cotton", "silk", "tiny", "huge", "long", "short", "round", "square",
    "shiny", "dusty", "broken", "brand-new", "second-hand", "antique", "modern", "striped", "spotted", "soft",
    "hard", "warm", "waterproof", "electric", "folding", "spare", "favourite", "lucky", "strange", "fancy",
]
OPEN_PLACES = [
    "station", "airport", "market", "bakery", "office", "gym", "library", "cinema", "museum", "post office",
    "pharmacy", "school", "hospital", "supermarket", "bus stop", "hotel", "cafe", "bank", "park", "beach",
    "garage", "zoo", "stadium", "bridge", "harbour", "farm", "factory", "mall", "swimming pool", "theatre",
    "restaurant", "bookshop", "flower shop", "car park", "playground", "garden", "kitchen", "basement",
    "attic", "corner shop", "train", "bus", "taxi", "ferry", "hall", "lift", "club", "studio", "workshop",
]
THING_VERBS = [
    "lost", "found", "bought", "sold", "broke", "fixed", "painted", "ordered", "returned", "borrowed", "cleaned",
    "forgot", "packed", "booked", "repaired", "wrapped", "washed", "moved", "printed", "signed", "sent",
    "received", "dropped", "picked up", "tried on", "left", "carried", "hid", "chose", "rented", "replaced",
    "checked", "opened", "shared", "finished", "made", "won", "gave away", "threw away", "put away", "sold off",
    "cooked", "baked", "planted", "measured", "tested", "collected", "delivered", "swapped", "lent out",
]
PRICED_VERBS = {"bought", "sold", "ordered", "rented", "booked", "sold off", "repaired"}
PERSON_VERBS = ["met", "called", "helped", "invited", "visited", "phoned", "saw", "drove", "thanked", "told",
                "waited for", "looked after", "emailed", "argued with", "had lunch with", "played chess with"]
WHEN = ["yesterday", "this morning", "last night", "last {day}", "on {day}", "at {time}", "{n} days ago",
        "on {date}", "last week", "this afternoon", "after work", "before lunch", "", "", ""]
PLANS = ["call {name} {when2}", "bring {obj} {when2}", "check {obj} {when2}", "fix {obj} by {day}",
         "send you {obj} {when2}", "look for {obj} at the {place}", "pick up {obj} at {time}",
         "meet you at the {place} at {time}", "drive you to the {place} {when2}", "lend you {obj}",
         "pay you {price} dollars {when2}", "book a table for {n} at the {place}", "ask {name} about {obj}",
         "buy you {obj} for {price} dollars", "help you carry {obj} {when2}", "wait for you at the {place}",
         "tell {name} about it {when2}", "keep {obj} for you until {day}", "order {n} new {nouns} {when2}",
         "clean the {place} {when2}", "come to the {place} at {time}", "write to {name} {when2}"]
WHEN2 = ["tomorrow", "tonight", "next {day}", "on {day}", "at {time}", "later today", "this weekend",
         "in {n} minutes", "on {date}", "right away", "next week", "after lunch"]
OPENERS = ["Guess what happened.", "Do you have a minute?", "Can I tell you something?", "You will not believe this.",
           "I need your help.", "Are you busy?", "I have some news.", "Listen to this.", "How are you?"]
PROMPTS = ["What happened?", "Sure, what is it?", "Tell me.", "Of course, go ahead.", "What is it?",
           "I am listening.", "Oh? Tell me more.", "Sure. What is up?"]
ASKS = ["How was your weekend?", "What did you do yesterday?", "You look tired. What happened?",
        "How is everything?", "Any news?", "Why are you late?", "How did it go?"]
FEELINGS = ["I am so upset.", "I am really happy about it.", "It was a long day.", "What a day.",
            "I still cannot believe it.", "It was quite funny.", "I am a bit worried.", "It cost me a lot.", ""]
REACTIONS = ["Oh no.", "That is great news.", "Do not worry.", "I see.", "Really?", "Wow.", "That is a pity.",
             "Good for you.", "Oh dear.", "How nice.", "Never mind."]

# What the teller says (after "I") and how the summary says it: past events, needs and wishes.
TELLER_FRAMES = [("{event}", "{event}"), ("{event}", "{event}"), ("{event}", "{event}"),
                 ("need {obj} {when2}", "needs {obj} {when2}"), ("want to {plan}", "wants to {plan}"),
                 ("would like to {plan}", "would like to {plan}"), ("am looking for {obj}", "is looking for {obj}"),
                 ("have {obj} for {name}", "has {obj} for {name}")]
# What the other one says they will do, and how the summary says it.
PLANNER_FRAMES = [("I will {plan}", "will {plan}"), ("I will {plan}", "will {plan}"), ("I can {plan}", "can {plan}"),
                  ("Let me {plan}", "will {plan}"), ("I am going to {plan}", "is going to {plan}")]
