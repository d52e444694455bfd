import pytest
import torch

from rlhf_core import UserError, get_config
from rlhf_core.evaluation.judge import Judge
from rlhf_core.models.loading import load_classifier
from rlhf_core.models.reward import RewardModel

TEXTS = ["You are a stupid idiot.", "Thanks, see you at six.", "#Person1# books a table."]


def test_tiny_judge_is_not_the_reward_model():
    config = get_config("tiny")
    judge = Judge.from_config(config.eval)
    reward_model = RewardModel.from_config(config.reward)
    assert judge.name == "builtin:tiny-judge" != config.reward.model
    assert judge.toxicity(TEXTS) != pytest.approx(reward_model.score(TEXTS).toxicity, abs=1e-6)


def test_judge_reads_the_toxic_label_by_name_with_a_softmax():
    # float32: "auto" is bf16 on CPUs with native bf16, where rounding and padding move scores by 1e-3
    model, tokenizer = load_classifier("builtin:tiny-judge", "float32")  # labels stored as (hate, nothate)
    judge = Judge(model, tokenizer, "tiny", toxic_label="HATE", batch_size=2)
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        expected = model(**batch).logits.softmax(-1)[:, 0]
    assert judge.toxicity(TEXTS) == pytest.approx(expected.tolist(), abs=1e-5)


def test_multi_label_judges_are_read_with_a_sigmoid():
    model, tokenizer = load_classifier("builtin:tiny-judge", "float32")
    model.config.problem_type = "multi_label_classification"
    batch = tokenizer(TEXTS[:1], return_tensors="pt")
    with torch.no_grad():
        expected = model(**batch).logits.sigmoid()[0, 1].item()
    judge = Judge(model, tokenizer, "tiny", toxic_label="nothate")
    assert judge.toxicity(TEXTS[:1]) == pytest.approx([expected], abs=1e-5)


def test_no_judge_configured_gives_none_and_a_wrong_label_a_clear_error():
    assert Judge.from_config(get_config("tiny", {"eval.judge": "none"}).eval) is None
    with pytest.raises(UserError, match="judge builtin:tiny-judge has no label 'toxic'.*hate, nothate"):
        Judge.from_config(get_config("tiny", {"eval.judge_label": "toxic"}).eval)


def test_real_presets_judge_with_another_classifier_and_reward_the_summary():
    for preset in ("flan-t5-base", "flan-t5-small"):
        config = get_config(preset)
        assert config.eval.judge and config.eval.judge != config.reward.model
        assert config.reward.text == "summary"
        assert get_config(preset, {"reward.text": "prompt+summary"}).reward.text == "prompt+summary"
