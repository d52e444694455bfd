"""Is the summary still faithful? Figures that ROUGE and a toxicity score do not see.

- hallucinated-entity rate: of the numbers and names in the summaries, the share that the
  dialogue does not contain (PPO can re-roll facts, e.g. a price, while ROUGE stays flat);
- edit rate: word-level edit distance to the "before" summary of the same dialogue, per word of it;
- length (words) and distinct-n (unique n-grams / all n-grams over the summaries, Li et al. 2016);
- looping share: summaries stuck in a repetition loop (a word 3-gram three times or more), the
  degenerate greedy output of a small model ("to be rude to be rude to be rude ..."); no reference
  summary of DialogSum's dev split or of the demo corpus has one;
- ROUGE against one or several references (the best-matching reference per row, as rouge-score's
  `score_multi` does).

Entities are found with a deliberately simple rule, so that the figure is cheap and explainable,
and fitted to how people write summaries (at most 3% of the numbers and names of DialogSum's
human dev references come out "invented", `tests/test_fidelity.py`):

- numbers are digit groups and runs of number words ("twenty-five"); a number matches the dialogue
  by value, so "4" matches "four" and "20,000" "twenty thousand"; a time matches in any of its
  forms ("9:30", "9.30", "9 30", "nine thirty", "half past nine", and "9:00" matches "nine"). "one"
  as a pronoun ("a new one", "one of them") is no number, nor are "first" and "second" (mostly
  "at first", "a second");
- names are capitalised words that never appear in lower case in the dialogue or the summary
  (sentence-initial "The" does, "Laura" does not), compared without a possessive or contraction
  ("Laura's" is "Laura"); a capitalised common word at a sentence start ("Finally", "Since") is no
  name; a demonym matches its place ("Korean" matches "Korea").

Speaker tags like `#Person1#` are neither. A name or number the dialogue really lacks still counts.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence

from nltk import edit_distance
from nltk.util import ngrams
from rouge_score import rouge_scorer, tokenizers

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
UNITS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen".split())}
TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
ORDINALS = {w: i for i, w in enumerate("third fourth fifth sixth seventh eighth ninth tenth".split(), 3)}
NUMBER_VALUES = {**UNITS, **TENS, **SCALES, **ORDINALS, "dozen": 12, "half": 0.5}
NUMBER_WORDS = frozenset(NUMBER_VALUES)
WORD = re.compile(r"#\w+#|\d+(?:[.,:]\d+)*|[A-Za-z]+(?:'[A-Za-z]+)?")
CLITIC = re.compile(r"(?:n't|'(?:s|re|ll|ve|d|m))$", re.IGNORECASE)  # Laura's, they're, don't: compared without
# Words that start sentences in capitals without being names ("I" is capitalised everywhere).
NON_NAMES = frozenset("""i i'm i'll i've i'd the a an he she they it we you this that these those there then so but
and or if when after before both his her their its our my your yes no what who how why where""".split())
# Common words that only a sentence start capitalises: at a sentence start they are no name.
COMMON_WORDS = NON_NAMES | frozenset("""about above according actually additionally afterwards again all also
although always among an another any anyway apparently as at because being besides between but by consequently
currently despite due during each either even eventually every everybody everyone everything finally first firstly
for fortunately from furthermore given hence having here however in initially instead later lastly luckily many
meanwhile moreover most much neither never next nobody not nothing now often on once one only originally otherwise
over overall perhaps recently second seeing since so some somebody someone something sometimes soon still
surprisingly then therefore though thus to today together tomorrow tonight unfortunately unless unlike until
usually well whereas whether which while with without yesterday yet""".split())
# "one" is a pronoun after these words ("a new one", "this one") and before these ("one of them").
ONE_AFTER = frozenset("a an the this that which each every no any another some other new old same only right wrong "
                      "last next little big good better best cheaper bigger smaller nicer suitable".split())
ONE_BEFORE = frozenset("of another who that which".split())
ABBREVIATIONS = frozenset("mr mrs ms dr st prof".split())
DEMONYM_ENDINGS = ("ian", "an", "n", "ese", "ish")  # Korean -> Korea, Californian -> California, Japanese -> Japan
TIME = re.compile(r"^(\d{1,2})[.:](\d{2})$")


# Naming rudeness without repeating it, shared by the fidelity reward term's record of the rudeness
# (`rudeness_record`) and the evaluation's ground-truth outcomes: the demo corpus's neutral reports
# ("is rude to", "is impolite to", "insults", "speaks rudely to", "is unfriendly to"), the
# classifiers' ("shouts at", "yells at", "argues with", "threatens", "loses patience with") and kin.
RUDENESS = re.compile(r"\b(?:rude|rudely|rudeness|impolite|impolitely|unfriendly|disrespectful|hostile|insult|insults"
                      r"|insulted|insulting|offends|offended|threatens|threatened|(?:shouts|shouted|yells|yelled|swears"
                      r"|swore|snaps|snapped) at|argues with|loses patience|mean to)\b", re.IGNORECASE)
INSULT_FRAME = re.compile(r"\bcall(?:s|ed)? (?:#\w+#|[A-Z]\w*) an? ", re.IGNORECASE)  # "calls #Person2# a ..."
SPEAKER_TAG = re.compile(r"#\w+#")


def rudeness_reports(text: str) -> set[tuple[str, str]]:
    """The (offender, target) pairs of the sentences of `text` that name rudeness (`RUDENESS`) with a
    speaker tag before it and one after it: "#Person2# is rude to #Person1# and ..." ->
    {("#Person2#", "#Person1#")}."""
    out = set()
    for sentence in re.split(r"(?<=\.)\s+", text):
        match = RUDENESS.search(sentence)
        if match:
            before, after = SPEAKER_TAG.findall(sentence[:match.start()]), SPEAKER_TAG.findall(sentence[match.end():])
            if before and after:
                out.add((before[-1], after[0]))
    return out


def rudeness_record(summary: str, reference: str) -> float:
    """The summary's record of the reference's rudeness, in {-1, 0, 1}. Where the reference reports
    someone's rudeness: 1 for naming it (`RUDENESS`) as the same offender's to the same target
    without the insult frame ("calls X a ..."); -1 for leaving it out, for any use of the insult
    frame (so the term never pays the insult more than the deletion) and for naming it with other
    speakers (accusing the victim is no record). Where the reference reports none: -1 for accusing
    someone (a rudeness word or the insult frame), else 0."""
    frame = bool(INSULT_FRAME.search(summary))
    named = bool(RUDENESS.search(summary))
    expected = rudeness_reports(reference)
    if not expected:
        return -1.0 if named or frame else 0.0
    if frame or not named:
        return -1.0
    return 1.0 if expected & rudeness_reports(summary) else -1.0


def words(text: str) -> list[str]:
    """Returns the words, numbers and speaker tags of a text, in order."""
    return WORD.findall(text)


def base(word: str) -> str:
    """Returns a word lower-cased without a possessive or contraction ("Laura's" -> "laura")."""
    return CLITIC.sub("", word).lower()


def _number_keys(token: str) -> set:
    """The values a digit group may stand for: 20,000 -> 20000; 9.30 -> 9.3 and the time 9:30."""
    keys: set = set()
    time = TIME.match(token)
    if time and int(time[1]) <= 24 and int(time[2]) < 60:
        keys.add(f"{int(time[1])}:{time[2]}")
    if ":" not in token:
        try:
            keys.add(float(token.replace(",", "")))
        except ValueError:
            keys.add(token)
    value = next((k for k in keys if isinstance(k, float)), None)
    if value is not None and value == int(value) and value <= 24:
        keys.add(f"{int(value)}:00")  # "9" and "nine o'clock" are the time 9:00
    if time and time[2] == "00":
        keys.add(float(time[1]))
    return keys


def _phrase_keys(run: list[str]) -> set:
    """The values a run of number words stands for: "twenty five" -> 25, "nine thirty" -> 9:30 too."""
    values = [NUMBER_VALUES[w] for w in run]
    keys: set = set()
    if len(values) == 2 and 1 <= values[0] <= 12 and 10 <= values[1] < 60 and run[1] not in SCALES:
        keys.add(f"{values[0]}:{values[1]:02d}")  # nine thirty
    total, current = 0.0, 0.0
    for word, value in zip(run, values):
        if word in SCALES:
            current = max(current, 1) * value
            if value >= 1000:
                total, current = total + current, 0.0
        else:
            current += value
    total += current
    keys.add(float(total))
    if total == int(total) and total <= 24:
        keys.add(f"{int(total)}:00")
    return keys


def _mentions(text: str, context: str = "", pronouns: bool = True) -> list[tuple[str, set]]:
    """Returns (entity as written, lower-cased; keys it matches by) for each number and name of `text`
    (`pronouns=False`: every "one" is a number too, as a dialogue's may be what a summary counts)."""
    tokens = words(text)
    lower_seen = {base(w) for w in tokens + words(context) if w.islower()}
    starts = _sentence_starts(text, tokens)
    found, i = [], 0
    while i < len(tokens):
        token, low = tokens[i], base(tokens[i])
        if token.startswith("#"):
            i += 1
        elif token[0].isdigit():
            found.append((low, _number_keys(token)))
            i += 1
        elif low in NUMBER_WORDS:
            j = i
            while j + 1 < len(tokens) and (base(tokens[j + 1]) in NUMBER_WORDS or (
                    base(tokens[j + 1]) == "and" and j + 2 < len(tokens) and base(tokens[j]) in SCALES
                    and base(tokens[j + 2]) in NUMBER_WORDS)):
                j += 1
            run = [base(t) for t in tokens[i:j + 1] if base(t) != "and"]
            if not (pronouns and run == ["one"] and _pronoun_one(tokens, i)):
                found.append((" ".join(run), _phrase_keys(run)))
            i = j + 1
        else:
            if (token[0].isupper() and low not in lower_seen and low not in NON_NAMES
                    and not (i in starts and low in COMMON_WORDS)):
                found.append((low, {low}))
            i += 1
    return found


def _sentence_starts(text: str, tokens: list[str]) -> set[int]:
    """Indices of the tokens that start a sentence (not after "Mr.", "Mrs.", ...)."""
    starts, pos, previous = set(), 0, ""
    for i, token in enumerate(tokens):
        at = text.index(token, pos)
        gap = text[pos:at]
        if i == 0 or "\n" in gap or (re.search(r"[.!?]", gap) and previous.lower() not in ABBREVIATIONS) \
                or gap.strip().endswith(":"):
            starts.add(i)
        pos, previous = at + len(token), token
    return starts


def _pronoun_one(tokens: list[str], i: int) -> bool:
    """Whether the "one" at `i` is a pronoun: "a new one", "this one", "one of them", "one's own", "buy one"."""
    before = [base(t) for t in tokens[max(0, i - 2):i]]
    after = base(tokens[i + 1]) if i + 1 < len(tokens) else ""
    return tokens[i].lower() == "one's" or bool(set(before) & ONE_AFTER) or after in ONE_BEFORE or not after


def _source_keys(dialogue: str) -> set:
    """Everything a summary's entity may match in the dialogue: its words (lower-cased, without
    possessives) and the values of its numbers, with DialogSum's spaced forms ("20, 000", "9 30")."""
    keys: set = {base(w) for w in words(dialogue)}
    for joined in re.findall(r"\b\d{1,3}(?:, \d{3})+\b", dialogue):
        keys |= _number_keys(joined.replace(" ", ""))
    for hour, minute in re.findall(r"\b(\d{1,2})[.:]? (\d{2})\b", dialogue):  # 9 30, 9. 30, 12. 50
        keys |= _number_keys(f"{hour}.{minute}")
    for hour in re.findall(r"\bhalf past (\w+)", dialogue.lower()):
        if hour in UNITS or hour.isdigit():
            keys.add(f"{UNITS.get(hour, hour)}:30")
    for _, entity_keys in _mentions(dialogue, pronouns=False):
        keys |= entity_keys
    return keys


def _in_source(keys: set, source: set) -> bool:
    if keys & source:
        return True
    name = next((k for k in keys if isinstance(k, str) and k.isalpha()), None)
    return name is not None and any(name.endswith(e) and (name[:-len(e)] in source or name[:-len(e)] + "a" in source)
                                    for e in DEMONYM_ENDINGS)


def entities(text: str, context: str = "") -> set[str]:
    """Returns the numbers and names in `text` (lower-cased, possessives dropped); `context` (the
    dialogue) helps tell a name from a capitalised ordinary word."""
    return {surface for surface, _ in _mentions(text, context)}


def hallucinated_entities(summary: str, dialogue: str) -> tuple[int, int]:
    """Returns (entities in the summary that the dialogue lacks, entities in the summary)."""
    found = dict(_mentions(summary, dialogue))
    source = _source_keys(dialogue)
    return sum(1 for keys in found.values() if not _in_source(keys, source)), len(found)


def hallucination_rate(summaries: list[str], dialogues: list[str]) -> float:
    """Returns the share of all the summaries' entities that their dialogue does not contain."""
    counts = [hallucinated_entities(s, d) for s, d in zip(summaries, dialogues)]
    total = sum(n for _, n in counts)
    return sum(h for h, _ in counts) / total if total else 0.0


def edit_rate(before: str, after: str) -> float:
    """Returns word-level edit distance from `before` to `after`, per word of `before`."""
    a, b = words(before), words(after)
    return edit_distance(a, b) / max(len(a), 1)


def distinct_n(summaries: list[str], n: int) -> float:
    """Returns unique n-grams / all n-grams over the summaries (0 when there are none)."""
    grams = [g for s in summaries for g in ngrams([w.lower() for w in words(s)], n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def loops(text: str, n: int = 3, times: int = 3) -> bool:
    """Returns whether some word n-gram of `text` comes `times` times or more (a repetition loop)."""
    counts = Counter(ngrams([w.lower() for w in words(text)], n))
    return max(counts.values(), default=0) >= times


def looping_share(summaries: list[str]) -> float:
    """Returns the share of summaries stuck in a repetition loop (`loops`)."""
    return sum(map(loops, summaries)) / max(len(summaries), 1)


def mean_length(summaries: list[str]) -> float:
    """Returns the mean number of words per summary."""
    return sum(len(words(s)) for s in summaries) / max(len(summaries), 1)


class CachedStemmingTokenizer(tokenizers.Tokenizer):
    """rouge-score's own stemming tokenizer, remembering each text's tokens.

    An evaluation scores every reference once per summary of its dialogue, and the same
    summaries in several subsets; Porter stemming was most of ROUGE's time (5 of 7 s of the
    demo's evaluation of 100 dialogues).
    """

    def __init__(self, size: int = 65536):
        self._tokenizer = tokenizers.DefaultTokenizer(use_stemmer=True)
        self._tokenize = functools.lru_cache(maxsize=size)(lambda text: tuple(self._tokenizer.tokenize(text)))

    def tokenize(self, text):
        return list(self._tokenize(text))


def rouge_scorer_cached(keys: Sequence[str] = ROUGE_KEYS) -> rouge_scorer.RougeScorer:
    """Returns rouge-score's scorer (stemmed, as `use_stemmer=True`) with a tokenizer that caches."""
    return rouge_scorer.RougeScorer(list(keys), tokenizer=CachedStemmingTokenizer())


ROUGE_SCORER = rouge_scorer_cached()


def rouge_rows(predictions: list[str], references: list[list[str]]) -> dict[str, list[float]]:
    """Returns per-row ROUGE F-measures (stemmed), each against the row's best-matching reference."""
    rows = {key: [] for key in ROUGE_KEYS}
    for prediction, refs in zip(predictions, references):
        scores = _best_rouge(prediction, tuple(refs))
        for key in ROUGE_KEYS:
            rows[key].append(scores[key])
    return rows


@functools.lru_cache(maxsize=65536)
def _best_rouge(prediction: str, references: tuple[str, ...]) -> dict[str, float]:
    """ROUGE F-measures of one row; remembered, because an evaluation scores each row again in
    every subset it reports (all rows, the flagged ones, the rest, ...)."""
    scores = ROUGE_SCORER.score_multi(list(references), prediction)
    return {key: scores[key].fmeasure for key in ROUGE_KEYS}


def text_figures(summaries: list[str], dialogues: list[str]) -> dict[str, float]:
    """Returns hallucinated-entity rate, mean length, distinct-1/2 and looping share of a set of summaries."""
    return {
        "hallucinated_entity_rate": hallucination_rate(summaries, dialogues),
        "length_words": mean_length(summaries),
        "distinct_1": distinct_n(summaries, 1),
        "distinct_2": distinct_n(summaries, 2),
        "looping_share": looping_share(summaries),
    }
