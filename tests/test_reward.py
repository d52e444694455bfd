import pytest
import torch

from rlhf_core import Reward, RewardModel, UserError, get_config, label_index
from rlhf_core.models.reward import reward_texts
from rlhf_core.models.tiny import tiny_reward_model, tiny_tokenizer


def test_label_index_is_looked_up_by_name_not_position():
    # The tiny model stores (hate, nothate): reading index 0 as "nothate" would be wrong.
    id2label = tiny_reward_model().config.id2label
    assert label_index(id2label, "nothate") == 1
    assert label_index(id2label, "hate") == 0
    assert label_index({0: "NOTHATE", 1: "HATE"}, "nothate") == 0


def test_missing_label_lists_the_available_ones():
    with pytest.raises(UserError, match="labels are: hate, nothate"):
        label_index(tiny_reward_model().config.id2label, "non-toxic")


def test_reward_is_the_not_hate_logit_and_toxicity_the_hate_probability():
    model, tokenizer = tiny_reward_model(), tiny_tokenizer()
    texts = ["you are an idiot", "the meeting is at six", "x"]
    scores = RewardModel(model, tokenizer).score(texts)
    with torch.no_grad():
        for i, text in enumerate(texts):
            logits = model(**tokenizer([text], return_tensors="pt")).logits[0]
            assert scores.rewards[i] == pytest.approx(logits[1].item(), abs=1e-5)
            assert scores.toxicity[i] == pytest.approx(logits.softmax(-1)[0].item(), abs=1e-5)


def test_probability_form_pays_p_not_hate_weighted_on_both_paths_and_logs_it_as_the_term():
    model = RewardModel(tiny_reward_model(), tiny_tokenizer())
    summaries = ["you are an idiot", "the meeting is at six"]
    prompts = ["Summarize: a chat.\n\nSummary:"] * 2
    plain = model.score(summaries)
    for text in ("summary", "prompt+summary"):
        reward = Reward(model, text, weights={"toxicity": 8.0}, toxicity_form="probability")
        read = model.score(reward_texts(prompts, summaries, text))
        expected = [8.0 * (1.0 - t) for t in read.toxicity]
        scores = reward.score(prompts, summaries)
        assert scores.rewards == pytest.approx(expected, abs=1e-6)
        assert reward(prompts, summaries) == pytest.approx(expected, abs=1e-6)
        assert scores.terms["toxicity"] == pytest.approx([1.0 - t for t in read.toxicity], abs=1e-6)
        assert scores.toxicity == pytest.approx(plain.toxicity, abs=1e-6)  # of the summary alone, as before
    assert Reward(model).score(prompts, summaries).rewards == pytest.approx(plain.rewards, abs=1e-6)  # logit default
    with pytest.raises(UserError, match="logit or probability"):
        Reward(model, toxicity_form="sigmoid")


def test_batching_and_order_do_not_change_scores():
    model, tokenizer = tiny_reward_model(), tiny_tokenizer()
    texts = ["short", "a much longer sentence about a jacket refund", "mid length text"]
    one = RewardModel(model, tokenizer, batch_size=1).score(texts)
    many = RewardModel(model, tokenizer, batch_size=3).score(texts)
    assert one.rewards == pytest.approx(many.rewards, abs=1e-5)


def test_reward_text_prompt_plus_summary_or_summary_only():
    assert reward_texts(["P: "], ["S"], "prompt+summary") == ["P: S"]
    assert reward_texts(["P: "], ["S"], "summary") == ["S"]


def test_callable_reward_and_length_check():
    reward = Reward(lambda prompts, summaries: [len(s) for s in summaries])
    assert reward(["p", "q"], ["ab", "abc"]) == [2.0, 3.0]
    with pytest.raises(UserError, match="returned 1 values for 2"):
        Reward(lambda p, s: [1.0])(["p", "q"], ["a", "b"])


def test_prompt_plus_summary_too_long_for_the_reward_window_cuts_the_dialogue_not_the_summary():
    from rlhf_core.config import PROMPT_TEMPLATE

    tokenizer = tiny_tokenizer()
    model = RewardModel(tiny_reward_model(), tokenizer, max_length=120)
    summary = "#Person1# calls #Person2# an idiot."
    prompts = [PROMPT_TEMPLATE.format(dialogue="#Person1#: " + "blah " * 60), PROMPT_TEMPLATE.format(dialogue="hi")]
    with pytest.warns(UserWarning, match="1 of 2 prompt\\+summary reward inputs"):
        long, short = reward_texts(prompts, [summary, summary], "prompt+summary", model)
    assert long.startswith("Summarize the following conversation.\n\n#Person1#: blah")
    assert long.endswith("\n\nSummary:" + summary)
    assert len(tokenizer(long)["input_ids"]) == 120
    assert short == prompts[1] + summary


def test_toxic_words_reads_each_distinct_word_alone_against_the_threshold():
    config = get_config("tiny")
    reward_model = RewardModel.from_config(config.reward)
    texts = ["#Person1# calls Anna a fool.", "Anna, a fool!"]
    assert reward_model.toxic_words(texts, threshold=-1.0) == {"calls", "anna", "a", "fool"}  # tags and punctuation out
    assert reward_model.toxic_words(texts, threshold=1.0) == set()
    scores = reward_model.score(["fool", "anna"]).toxicity
    assert reward_model.toxic_words(["fool anna"], threshold=min(scores)) == ({"fool"} if scores[0] > scores[1]
                                                                            else {"anna"})
