import numpy as np
import pytest

from rlhf_core import Summarizer, UserError, clean_dialogue, compare, get_config
from rlhf_core.evaluation.figures import (
    paired_bootstrap,
    ratio_bootstrap,
    relative_change,
    rouge,
    toxicity_block,
    toxicity_stats,
)
from rlhf_core.evaluation.judge import Judge
from rlhf_core.evaluation.report import headline_toxicity
from rlhf_core.models.reward import RewardModel


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


def test_toxicity_block_counts_flagged_summaries_over_all_samples():
    before = np.array([[0.9, 0.8], [0.6, 0.1], [0.2, 0.3]])  # 3 dialogues x 2 samples
    after = np.array([[0.9, 0.1], [0.1, 0.1], [0.2, 0.3]])
    block = toxicity_block(before, after, threshold=0.5, resamples=200, seed=0)
    assert block["flagged_before"] == pytest.approx(3 / 6) and block["flagged_after"] == pytest.approx(1 / 6)
    assert block["flagged_relative_change"] == pytest.approx(-2 / 3)
    assert block["before"]["mean"] == pytest.approx(before.mean())
    assert block["after"]["mean"] == pytest.approx(after.mean())
    low, high = block["flagged_diff_ci95"]
    assert -1 <= low <= -1 / 3 and high <= 0  # per-dialogue flagged changes: -1/2, -1/2, 0


def test_ratio_bootstrap_of_a_pooled_rate():
    # Every resample holds the same rows' ratio: 1/2 before, 2/2 after, so the interval is exactly +0.5.
    assert ratio_bootstrap([1, 1], [2, 2], [2, 2], [2, 2], resamples=100) == pytest.approx((0.5, 0.5))


def test_compare_with_the_same_policy_changes_nothing_and_names_every_figure():
    config = get_config("tiny")
    summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    dialogues = ["#Person1#: hello Anna\n#Person2#: hi, it is 5 o'clock", "#Person1#: you idiot\n#Person2#: sorry"]
    report, table = compare(summarizer, dialogues, [["a greeting", "they say hello"], ["an insult"]], adapter="before",
                            resamples=50, judge=Judge.from_config(config.eval), sampled_k=2)
    assert report["scorers"] == {"reward_model": "builtin:tiny-roberta", "judge": "builtin:tiny-judge"}
    for decoding in ("greedy", "sampled"):
        for scorer in ("reward_model", "judge"):
            block = report["toxicity"][decoding][scorer]
            assert block["diff_ci95"] == [0.0, 0.0] and block["flagged_diff_ci95"] == [0.0, 0.0]
            assert not block["significant"]
        assert report["fidelity"][decoding]["edit_rate"] == 0.0
        figures = report["fidelity"][decoding]
        assert figures["before"]["looping_share"] == figures["after"]["looping_share"]
        assert report["rouge"][decoding]["all"]["relative_change"]["rougeL"] in (0.0, None)
    assert report["rouge"]["references_per_dialogue"] == 2 and report["rouge"]["split_by"] == "judge"
    assert list(table.columns[:3]) == ["dialogue", "summary_before", "summary_after"]
    assert (table["reward_diff"] == 0).all()
    assert (table["loops_before"] == table["loops_after"]).all() and table["loops_before"].dtype == bool
    assert list(table["changed_facts"]) == ["", ""]  # the same policy changes no fact
    assert all(set(words.split()) <= set(b.lower().split()) for words, b in zip(table["toxic_words"],
                                                                                  table["summary_before"]))
    assert (table["sampled_judge_toxicity_before"] == table["sampled_judge_toxicity_after"]).all()
    assert summarizer.is_truncated("word " * 1000) and not summarizer.is_truncated("short")


def test_compare_counts_ground_truth_outcomes_when_the_data_has_them():
    """With the data's truth, the report and the table carry the outcomes of exactly the summaries
    compared (recounted here from the table), greedy and sampled; the same policy changes none."""
    from rlhf_core.evaluation.outcomes import OUTCOMES, classify

    config = get_config("tiny")
    summarizer = Summarizer(config, None)
    dialogues = ["#Person1#: hello Anna, you stupid idiot\n#Person2#: hi", "#Person1#: hello Ben\n#Person2#: hi"]
    truths = [{"rude": True, "offender": "#Person1#", "target": "#Person2#", "insult_words": ["stupid", "idiot"],
               "reference": "#Person1# is rude to #Person2#."},
              {"rude": False, "offender": None, "target": None, "insult_words": [], "reference": "They greet."}]
    report, table = compare(summarizer, dialogues, None, adapter="before", resamples=20, sampled_k=2,
                            truth=(truths, {"stupid", "idiot"}))
    assert set(report["outcomes"]) == {"greedy", "sampled"}
    greedy = report["outcomes"]["greedy"]
    assert set(greedy) == set(OUTCOMES) and greedy["insult_repeated"]["dialogues"] == 1
    for name in OUTCOMES:
        flags = [classify(s, t, {"stupid", "idiot"})[name] for s, t in zip(table["summary_before"], truths)]
        rows = [i for i, t in enumerate(truths) if {"rude": t["rude"], "polite": not t["rude"]}.get(
            {"insult_repeated": "rude", "neutral_report": "rude", "rudeness_dropped": "rude",
             "polite_accused": "polite"}.get(name, ""), True)]
        assert greedy[name]["before"] == pytest.approx(np.mean([flags[i] for i in rows]))
        assert greedy[name]["after"] == greedy[name]["before"] and greedy[name]["diff_ci95"] == [0.0, 0.0]
    assert report["outcomes"]["sampled"]["degenerate"]["summaries"] == 4  # 2 dialogues x k = 2
    assert list(table["outcome_before"]) == list(table["outcome_after"])
    assert "outcomes" not in compare(summarizer, dialogues, None, adapter="before", resamples=20, sampled_k=0)[0]


def test_compare_reports_progress_batch_by_batch_up_to_every_summary_pass():
    config = get_config("tiny", {"eval.batch_size": 2})
    summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    dialogues = [f"#Person1#: hello {name}\n#Person2#: hi" for name in ("Anna", "Ben", "Carla")]
    heard = []
    compare(summarizer, dialogues, None, adapter="before", resamples=20, sampled_k=2,
            on_progress=lambda done, total: heard.append((done, total)))
    # 3 dialogues x (greedy before + after + 2 samples before + 2 after) = 18 passes; 2 rows a call:
    # greedy in batches of 2 + 1 dialogues, sampled 1 dialogue (2 rows) a call
    assert heard[-1] == (18, 18) and len(heard) == 2 + 2 + 3 + 3
    assert [done for done, _ in heard] == sorted(done for done, _ in heard)


def test_headline_prefers_sampled_judge_figures():
    block = {"before": {"mean": 0.3}}
    report = {"sampled_k": 4, "toxicity": {"greedy": {"reward_model": block, "judge": block},
                                           "sampled": {"reward_model": block, "judge": block}}}
    assert headline_toxicity(report)[0] == "judge, sampled, k=4"
    del report["toxicity"]["sampled"]["judge"], report["toxicity"]["greedy"]["judge"]
    assert headline_toxicity(report)[0] == "reward model, sampled, k=4"
    assert headline_toxicity({"toxicity": {}}) is None


def test_sampled_summaries_come_k_per_dialogue_from_batched_decode_calls(monkeypatch):
    from rlhf_core.evaluation.evaluate import _sampled
    from rlhf_core.models import summarizer as summarizer_module

    config = get_config("tiny")
    config.eval.batch_size = 8  # rows per decode call: 2 dialogues x k=4
    summarizer = Summarizer(config)
    calls = []
    decode = summarizer_module.decode

    def counting_decode(seq2seq, query_ids, settings, device, **kwargs):
        out = decode(seq2seq, query_ids, settings, device, **kwargs)
        calls.append((len(query_ids), out.response_ids.shape[0]))
        return out

    monkeypatch.setattr(summarizer_module, "decode", counting_decode)
    dialogues = [f"#Person1#: hello {name}\n#Person2#: hi" for name in ("Anna", "Bob", "Cy", "Di", "Ed")]
    groups = _sampled(summarizer, dialogues, "before", 4, seed=3)
    assert calls == [(2, 8), (2, 8), (1, 4)]  # each dialogue encoded once, its 4 samples decoded together
    assert len(groups) == 4 and all(len(g) == 5 for g in groups)
    assert _sampled(summarizer, dialogues, "before", 4, seed=3) == groups  # seeded: the same for every policy
    flat = summarizer.summarize(dialogues, "before", seed=3 + 100_003, do_sample=True, num_return_sequences=4)
    assert [flat[i * 4 + j] for j in range(4) for i in range(5)] == [t for g in groups for t in g]  # dialogue-major


def test_cpu_threads_setting_sets_torch_threads_and_none_keeps_them():
    import torch

    from rlhf_core.models.threads import use_cpu_threads

    before = torch.get_num_threads()
    try:
        use_cpu_threads(2)
        assert torch.get_num_threads() == 2
        use_cpu_threads(None)
        assert torch.get_num_threads() == 2
        config = get_config("demo")
        assert config.cpu_threads == 1 and config.eval.batch_size >= config.eval.samples
        use_cpu_threads(config.cpu_threads)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)


def test_significant_is_one_rule_an_interval_that_excludes_zero():
    from rlhf_core.evaluation.figures import SIGNIFICANCE_RULE, significant

    assert "excludes 0" in SIGNIFICANCE_RULE
    assert significant((0.01, 0.2)) and significant((-0.3, -0.001))
    assert not significant((-0.1, 0.1)) and not significant((0.0, 0.2)) and not significant((0.0, 0.0))
    assert significant((-0.1, 0.1), (0.01, 0.02)) and not significant()


def test_sampled_intervals_resample_dialogues_with_all_their_summaries():
    """k identical samples per dialogue carry no more information than one: the sampled intervals
    equal the greedy ones over the n dialogues, not sqrt(k) narrower."""
    from rlhf_core.evaluation.figures import fidelity_block, per_dialogue, rouge_block

    rng = np.random.default_rng(1)
    n, k = 30, 4
    names = ["Anna", "Ben", "Carla", "Dev", "Eli", "Femi"]
    dialogues = [f"#Person1#: Hi {names[i % 6]}, it costs {10 + i} dollars.\n#Person2#: Fine." for i in range(n)]
    references = [[f"#Person1# tells {names[i % 6]} it costs {10 + i} dollars."] for i in range(n)]
    before = [f"#Person1# tells {names[i % 6]} the price is {10 + i} dollars." for i in range(n)]
    after = [f"#Person1# tells {names[int(rng.integers(6))]} it costs {10 + int(rng.integers(3)) * i} dollars."
             for i in range(n)]
    flat_b, flat_a, flat_d = before * k, after * k, dialogues * k  # k blocks of the n dialogues, as compare lays them
    every = np.ones(n, dtype=bool)
    greedy = rouge_block(before, after, references, every, 300, 0)
    sampled = rouge_block(flat_b, flat_a, references, every, 300, 0, k)
    assert sampled["rows"] == n * k and sampled["dialogues"] == n
    assert sampled["rougeL_diff_ci95"] == pytest.approx(greedy["rougeL_diff_ci95"])
    assert greedy["rougeL_diff_ci95"][1] - greedy["rougeL_diff_ci95"][0] > 0.01
    assert sampled["significant"] == greedy["significant"]
    greedy = fidelity_block(before, after, dialogues, 300, 0)
    sampled = fidelity_block(flat_b, flat_a, flat_d, 300, 0, k)
    low, high = greedy["hallucinated_entity_rate_diff_ci95"]
    assert high - low > 0.01 and sampled["hallucinated_entity_rate_diff_ci95"] == pytest.approx([low, high])
    assert per_dialogue(np.arange(6), 3).tolist() == [[0, 2, 4], [1, 3, 5]]  # sample j of dialogue i at j * n + i
