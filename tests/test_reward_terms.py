"""Composite rewards: fidelity, anchor and length terms by hand, weights, and per-term values."""

import pytest

from rlhf_core import Reward, RewardModel, UserError, get_config
from rlhf_core.models.reward import term_weights
from rlhf_core.models.reward_terms import anchor_scores, fidelity_scores, hallucinated_share, length_scores
from rlhf_core.models.tiny import tiny_reward_model, tiny_tokenizer

DIALOGUE = "#Person1#: How much is the jacket, Laura?\n#Person2#: It costs 250 dollars."


def test_an_invented_number_is_a_hallucination_and_a_copied_one_is_not():
    assert hallucinated_share("Laura sells a jacket for 290 dollars.", DIALOGUE) == pytest.approx(0.5)
    assert hallucinated_share("Laura sells a jacket for 250 dollars.", DIALOGUE) == 0.0
    assert hallucinated_share("a jacket is sold.", DIALOGUE) == 0.0  # nothing to check


def test_fidelity_is_rouge_l_against_the_reference_minus_the_hallucinated_share():
    summary = "Laura sells a jacket for 290 dollars."
    assert fidelity_scores([summary], [DIALOGUE]) == [pytest.approx(-0.5)]  # no reference: no ROUGE part
    assert fidelity_scores([summary], [DIALOGUE], [summary]) == [pytest.approx(1.0 - 0.5)]
    assert fidelity_scores([summary], [DIALOGUE], [""]) == [pytest.approx(-0.5)]


def test_length_term_is_the_relative_word_count_gap():
    assert length_scores(["one two three four"], ["a b"]) == [pytest.approx(-1.0)]
    assert length_scores(["a b"], ["c d"]) == [0.0]
    assert length_scores(["a b"], None) == [0.0]


def test_anchor_is_rouge_l_against_the_reference_models_summary():
    before = "Laura sells a jacket for 250 dollars"
    assert anchor_scores([before], [before]) == [pytest.approx(1.0)]  # left as it was: full marks
    assert anchor_scores(["nothing alike here"], [before]) == [0.0]
    # 4 of 7 words kept in order, both 7 long: P = R = F1 = 4/7
    assert anchor_scores(["Laura buys the jacket for cheap dollars"], [before]) == [pytest.approx(4 / 7)]


def test_anchor_term_needs_the_reference_summaries_and_adds_its_weight():
    reward = Reward(lambda p, s: [1.0] * len(s), weights={"toxicity": 1.0, "anchor": 2.0})
    assert reward.needs_anchors
    with pytest.raises(UserError, match="anchor"):
        reward.score(["p"], ["a b c"])
    scores = reward.score(["p"], ["a b c"], anchors=["a b c"])
    assert scores.terms["anchor"] == [pytest.approx(1.0)]
    assert scores.rewards == [pytest.approx(1.0 + 2.0 * 1.0)]
    assert not Reward(lambda p, s: [0.0] * len(s)).needs_anchors


def test_weighted_terms_and_raw_values_with_a_custom_reward():
    reward = Reward(lambda p, s: [1.0] * len(s), weights={"toxicity": 2.0, "fidelity": 3.0, "length": 0.0})
    summary = "Laura sells a jacket for 290 dollars."
    scores = reward.score(["prompt"], [summary], [DIALOGUE], [summary])
    assert scores.terms == {"custom": [1.0], "fidelity": [pytest.approx(0.5)]}  # weight 0: length not computed
    assert scores.rewards == [pytest.approx(2.0 * 1.0 + 3.0 * 0.5)]
    assert reward(["p"], ["x"]) == [pytest.approx(2.0)]  # __call__: the same weights, dialogue = prompt


def test_classifier_term_is_logged_as_toxicity_and_weights_come_from_the_config():
    cfg = get_config("tiny", {"reward.toxicity_weight": 0.5, "reward.fidelity_weight": 1.0})
    assert term_weights(cfg.reward) == {"toxicity": 0.5, "fidelity": 1.0, "anchor": 0.0, "length": 0.0}
    model = RewardModel(tiny_reward_model(), tiny_tokenizer())
    reward = Reward(model, "summary", weights=term_weights(cfg.reward))
    scores = reward.score(["p"], ["a calm summary"], [DIALOGUE])
    raw = model.score(["a calm summary"]).rewards
    assert scores.terms["toxicity"] == pytest.approx(raw)
    assert scores.rewards == [pytest.approx(0.5 * raw[0] + scores.terms["fidelity"][0])]


def test_unknown_term_is_refused():
    with pytest.raises(UserError, match="unknown reward term"):
        Reward(lambda p, s: [0.0] * len(s), weights={"politeness": 1.0})
