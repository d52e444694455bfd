import json
import os
from pathlib import Path

import pytest

from rlhf_core.evaluation.fidelity import (
    distinct_n,
    edit_rate,
    entities,
    hallucinated_entities,
    hallucination_rate,
    looping_share,
    loops,
    mean_length,
    rouge_rows,
    text_figures,
)

DIALOGUE = "#Person1#: Hi Laura, the ticket costs 300 dollars.\n#Person2#: The price is fine, see you on Friday."


def test_entities_are_numbers_and_names_not_speaker_tags_or_sentence_starts():
    summary = "#Person1# tells Laura the ticket costs 290 dollars. They meet on Friday with Tom and two friends."
    assert entities(summary, DIALOGUE) == {"laura", "290", "friday", "tom", "two"}


def test_hallucinated_entities_are_those_the_dialogue_lacks():
    summary = "#Person1# tells Laura the ticket costs 290 dollars. They meet on Friday with Tom."
    assert hallucinated_entities(summary, DIALOGUE) == (2, 4)  # 290 and Tom
    faithful = "#Person1# tells Laura the ticket costs 300 dollars."
    # The rate pools entities over summaries: (2 + 0) / (4 + 2).
    assert hallucination_rate([summary, faithful], [DIALOGUE, DIALOGUE]) == pytest.approx(2 / 6)
    assert hallucination_rate(["no entities here"], [DIALOGUE]) == 0.0


def test_edit_rate_is_word_edits_per_word_of_the_before_summary():
    assert edit_rate("a b c d", "a x c d e") == pytest.approx(2 / 4)  # one substitution, one insertion
    assert edit_rate("same words", "same words") == 0.0


def test_distinct_n_and_length():
    assert distinct_n(["a b a b"], 1) == pytest.approx(2 / 4)
    assert distinct_n(["a b a b"], 2) == pytest.approx(2 / 3)  # (a b), (b a), (a b)
    assert distinct_n([""], 2) == 0.0
    assert mean_length(["one two", "one two three four"]) == 3.0


def test_a_loop_is_a_word_trigram_three_times_and_a_repeated_phrase_is_not():
    assert loops("#Person1# borrow your to be rude to be rude to be rude to be")
    assert loops("A table for 3. #Person2# a TABLE for 3. #Person1# a table for 3.")  # case-blind
    # twice is ordinary summary language; DialogSum's references have that, never three times
    assert not loops("#Person1# wants to buy a car. #Person2# wants to buy a car too.")
    assert not loops("") and not loops("to be rude")
    assert looping_share(["to be rude to be rude to be rude", "a short summary"]) == 0.5
    assert looping_share([]) == 0.0
    assert text_figures(["so so so so so", "fine"], ["d", "d"])["looping_share"] == 0.5


def test_rouge_takes_the_best_matching_reference():
    rows = rouge_rows(["the cat sat"], [["dog ran", "the cat ran"]])
    assert rows["rouge1"] == [pytest.approx(2 / 3)] and rows["rouge2"] == [pytest.approx(1 / 2)]
    assert rouge_rows(["the cat sat"], [["the cat ran"]]) == rows


def test_cached_rouge_scorer_gives_rouge_score_stemmed_figures_and_hands_out_copies():
    from rouge_score import rouge_scorer

    from rlhf_core.evaluation.fidelity import ROUGE_KEYS, CachedStemmingTokenizer, rouge_scorer_cached

    plain, cached = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True), rouge_scorer_cached()
    pairs = [("The cats were running quickly.\nThey stopped.", "a cat runs quick. it stopped"),
             ("Bob buys 3 apples", "Bob bought three apples"), ("Bob buys 3 apples", "Bob bought three apples")]
    for reference, prediction in pairs:
        assert cached.score_multi([reference, "other words"], prediction) == plain.score_multi(
            [reference, "other words"], prediction)
    tokenizer = CachedStemmingTokenizer()
    first = tokenizer.tokenize("running cats")
    assert first == ["run", "cat"]
    first.append("x")  # a caller changing its list must not change what the cache returns
    assert tokenizer.tokenize("running cats") == ["run", "cat"]


def _invented(summary: str, dialogue: str) -> int:
    return hallucinated_entities(summary, dialogue)[0]


def test_possessives_and_contractions_are_the_name_or_word_itself():
    dialogue = "#Person1#: Laura, is this your bag?\n#Person2#: Yes. It ' s Kate ' s old one."
    assert entities("#Person1# finds Laura's bag. It's Kate's.", dialogue) == {"laura", "kate"}
    assert _invented("#Person1# finds Laura's bag, which is Kate's.", dialogue) == 0
    assert _invented("#Person1# finds Laura's bag, which is Maria's.", dialogue) == 1  # a real absence


def test_number_words_and_digits_match_both_ways():
    dialogue = "#Person1#: I need four tickets and 2 maps.\n#Person2#: That's 20,000 won, twenty-five for the maps."
    assert _invented("#Person1# buys 4 tickets and two maps.", dialogue) == 0
    assert _invented("It costs twenty thousand won, 25 for the maps.", dialogue) == 0
    assert _invented("#Person1# buys 5 tickets and three maps.", dialogue) == 2  # numbers the dialogue lacks
    for word, digits in [("zero", "0"), ("thirteen", "13"), ("forty", "40"), ("hundred", "100"),
                         ("ninety-nine", "99"), ("three hundred", "300")]:
        assert _invented(f"It is {digits}.", f"#Person1#: It is {word}.") == 0
        assert _invented(f"It is {word}.", f"#Person1#: It is {digits}.") == 0
    assert _invented("It is 30.", "#Person1#: It is thirteen.") == 1


def test_times_match_in_their_written_forms():
    for said in ("9:30", "9.30", "9 30", "9. 30", "nine thirty", "half past nine"):
        dialogue = f"#Person1#: See you at {said}."
        for written in ("9:30", "9.30", "nine thirty"):
            assert _invented(f"They meet at {written}.", dialogue) == 0, (said, written)
    assert _invented("They meet at 9:00.", "#Person1#: See you at nine o'clock.") == 0
    assert _invented("They meet at 9:45.", "#Person1#: See you at 9:30.") == 1
    assert _invented("It costs 12.5 dollars.", "#Person1#: It costs 12.50 dollars.") == 0


def test_one_as_a_pronoun_is_no_number():
    dialogue = "#Person1#: Which coat do you want?\n#Person2#: The red, please."
    for summary in ("#Person2# wants the red one.", "#Person2# likes this one.", "#Person2# wants one of the coats.",
                    "#Person2# buys a cheaper one.", "#Person2# buys one.", "#Person2# does it on one's own."):
        assert entities(summary, dialogue) == set(), summary
    assert entities("#Person2# buys one coat.", dialogue) == {"one"}
    assert _invented("#Person2# buys one coat.", dialogue) == 1
    assert _invented("#Person2# buys one coat.", "#Person2#: I'll take 1 coat.") == 0


def test_common_words_at_a_sentence_start_are_no_names():
    dialogue = "#Person1#: The report is done.\n#Person2#: Send it to Grant."
    summary = ("Finally, the report is done. However, Grant gets it. Since #Person2# asks, it is sent. "
               "Being late is fine.")
    assert entities(summary, dialogue) == {"grant"}
    found = entities("Next, #Person1# asks Mr. Grant. Then Ms. Rose answers.", dialogue)
    assert {"grant", "rose"} <= found and not found & {"next", "then"}  # "Rose" after "Ms." starts no sentence
    assert _invented("Finally, Peter gets the report.", dialogue) == 1  # a name, not a common word
    assert entities("They ask Since about it.", dialogue) == {"since"}  # mid-sentence: a name as before


def test_a_demonym_matches_its_place():
    assert _invented("#Person1# speaks Korean and likes Japanese food.",
                     "#Person1#: I lived in Korea and in Japan.") == 0
    assert _invented("#Person1# speaks Korean.", "#Person1#: I lived in China.") == 1


HUMAN_SUMMARIES = Path(__file__).parent / "data" / "human_summaries.jsonl"


def _invented_share(records: list[dict]) -> tuple[int, int]:
    counts = [hallucinated_entities(r["summary"], r["dialogue"]) for r in records]
    return sum(k for k, _ in counts), sum(n for _, n in counts)


def test_human_written_summaries_invent_at_most_3_percent():
    """Invented dialogues with human-style summaries, one case of each rule per row and one name
    that is really invented; the rule before this fix marked 36 of 66 (55%) invented."""
    records = [json.loads(line) for line in HUMAN_SUMMARIES.read_text().splitlines()]
    invented, total = _invented_share(records)
    assert total >= 50 and 1 <= invented and invented / total <= 0.03, (invented, total)


@pytest.mark.skipif(not os.environ.get("RLHF_DIALOGSUM_DEV"),
                    reason="RLHF_DIALOGSUM_DEV does not point at DialogSum's dev jsonl")
def test_dialogsum_dev_references_invent_at_most_3_percent():
    """DialogSum's 500 human dev references: 67 of 610 (11.0%) invented by the rule before this
    fix, 11 of 551 (2.0%) after (2026-12-07)."""
    lines = Path(os.environ["RLHF_DIALOGSUM_DEV"]).read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    invented, total = _invented_share(records)
    assert len(records) == 500 and invented / total <= 0.03, (invented, total)
