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
