import numpy as np
import pytest

from rlhf_core import Summarizer, UserError, clean_dialogue, compare, get_config
from rlhf_core.evaluation import paired_bootstrap, relative_change, rouge, toxicity_stats
from rlhf_core.reward import RewardModel


def test_toxicity_stats_are_mean_and_population_std():
    assert toxicity_stats([0.1, 0.3]) == pytest.approx({"mean": 0.2, "std": 0.1})


def test_rouge_against_hand_counts():
    scores = rouge(["the cat sat"], ["the cat ran"])
    # 2 of 3 unigrams overlap both ways: P = R = F = 2/3; one of two bigrams ("the cat"): 1/2.
    assert scores["rouge1"] == pytest.approx(2 / 3)
    assert scores["rouge2"] == pytest.approx(1 / 2)
    assert rouge(["same words"], ["same words"])["rougeLsum"] == pytest.approx(1.0)


def test_paired_bootstrap_interval_excludes_zero_only_for_a_real_change():
    before = np.linspace(0.2, 0.4, 50)
    low, high = paired_bootstrap(before, before - 0.1, resamples=500)
    assert low == pytest.approx(-0.1) and high == pytest.approx(-0.1)
    rng = np.random.default_rng(0)
    noise = rng.normal(0, 0.1, 50)
    low, high = paired_bootstrap(before, before + noise - noise.mean(), resamples=500)
    assert low < 0 < high


def test_relative_change():
    assert relative_change(0.5, 0.25) == -0.5
    assert relative_change(0.0, 0.1) is None


@pytest.mark.parametrize("text,match", [("", "empty"), ("   \n\t ", "empty"), ("\x00\x01\x02", "no readable"),
                                        ("x" * 100_001, "limit")])
def test_bad_dialogues_are_refused(text, match):
    with pytest.raises(UserError, match=match):
        clean_dialogue(text)


def test_control_characters_are_dropped_and_html_kept_as_text():
    assert clean_dialogue("#Person1#: hi\x07 <b>there</b>\n") == "#Person1#: hi <b>there</b>"


def test_compare_reports_before_and_after_with_a_table(tmp_path):
    config = get_config("tiny")
    summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    report, table = compare(summarizer, ["#Person1#: hello\n#Person2#: hi"] * 3, ["a greeting"] * 3,
                            adapter="before", resamples=50)
    # "after" = "before" here, so nothing may change.
    assert report["toxicity"]["relative_change"] == pytest.approx(0.0)
    assert list(table.columns[:3]) == ["dialogue", "summary_before", "summary_after"]
    assert (table["reward_diff"] == 0).all()
    assert summarizer.is_truncated("word " * 1000) and not summarizer.is_truncated("short")
