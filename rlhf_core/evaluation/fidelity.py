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

Entities are found with a deliberately simple rule, so that the figure is cheap and explainable:
numbers are digit groups and number words; names are capitalised words that never appear in lower
case in the dialogue or the summary (sentence-initial "The" does, "Laura" does not). Speaker tags
like `#Person1#` are neither.
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
NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million "
    "first second third fourth fifth half".split())
WORD = re.compile(r"#\w+#|\d+(?:[.,:]\d+)*|[A-Za-z]+(?:'[A-Za-z]+)?")
# Words that start sentences in capitals without being names ("I" is capitalised everywhere).
NON_NAMES = frozenset("""i i'm i'll i've i'd the a an he she they it we you this that these those there then so but
and or if when after before both his her their its our my your yes no what who how why where""".split())


def words(text: str) -> list[str]:
    """Returns the words, numbers and speaker tags of a text, in order."""
    return WORD.findall(text)


def entities(text: str, context: str = "") -> set[str]:
    """Returns the numbers and names in `text` (lower-cased); `context` (the dialogue) helps tell
    a name from a capitalised ordinary word."""
    tokens = words(text)
    lower_seen = {w for w in tokens + words(context) if w.islower()}
    found = set()
    for token in tokens:
        low = token.lower()
        if token.startswith("#"):
            continue
        if token[0].isdigit() or low in NUMBER_WORDS:
            found.add(low)
        elif token[0].isupper() and low not in lower_seen and low not in NON_NAMES:
            found.add(low)
    return found


def hallucinated_entities(summary: str, dialogue: str) -> tuple[int, int]:
    """Returns (entities in the summary that the dialogue lacks, entities in the summary)."""
    found = entities(summary, dialogue)
    source = {w.lower() for w in words(dialogue)}
    return sum(1 for e in found if e not in source), len(found)


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
