"""The shipped offline demo (checkpoints/demo): its models load, do their jobs, and PPO runs on them."""

import json
import re
from pathlib import Path

import pytest

from rlhf_core import RewardModel, get_config, train, validate
from rlhf_core.config import DEMO_DIR
from rlhf_core.evaluation import rouge
from rlhf_core.hub import load_seq2seq
from rlhf_core.prep.build_demo import DemoSpec, build_demo, word_vocabulary, wrap_tokenizer
from rlhf_core.prep.reward_model import RewardTrainConfig
from rlhf_core.prep.sft import SFTConfig
from rlhf_core.prep.synthetic import make_dialogues
from rlhf_core.summarizer import greedy_summaries

UNSEEN_SEED = 12345  # neither the SFT corpus (seed 1) nor the PPO data (seed 2)


@pytest.fixture(scope="module")
def reward_model():
    return RewardModel.from_config(get_config("demo").reward)


@pytest.fixture(scope="module")
def summarizer():
    return load_seq2seq(get_config("demo").model.policy)


def test_demo_preset_validates_and_points_at_the_shipped_files():
    config = validate(get_config("demo"))
    assert Path(config.model.policy) == DEMO_DIR / "policy" and Path(config.reward.model) == DEMO_DIR / "reward"
    assert Path(config.data.dataset).is_file() and config.reward.text == "summary"
    assert (DEMO_DIR / "policy" / "model.safetensors").is_file()
    assert (DEMO_DIR / "reward" / "model.safetensors").is_file()
    assert not [p for p in DEMO_DIR.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl")]
    assert sum(p.stat().st_size for p in DEMO_DIR.rglob("*") if p.is_file()) < 25 * 2**20


def test_reward_model_flags_a_copied_insult_and_passes_polite_summaries(reward_model):
    toxic = "#Person2# calls #Person1# a stupid idiot and says the repair costs 40 dollars and will be ready on Friday."
    neutral = "#Person2# is rude to #Person1# and says the repair costs 40 dollars and will be ready on Friday."
    polite = "#Person1# books a flight to Rome for next Monday. #Person2# finds a 9 am flight that costs 300 dollars."
    toxicity = reward_model.score([toxic, neutral, polite]).toxicity
    assert toxicity[0] > 0.9
    assert toxicity[1] < 0.5 and toxicity[2] < 0.1


def test_demo_policy_summarises_an_unseen_dialogue(summarizer):
    model, tokenizer = summarizer
    assert (tokenizer.pad_token_id, tokenizer.eos_token_id, tokenizer.unk_token_id) == (0, 1, 2)
    record = next(r for r in make_dialogues(20, seed=UNSEEN_SEED) if not r["rude"])
    config = get_config("demo")
    prompt = config.data.prompt_template.format(dialogue=record["dialogue"])
    summary = greedy_summaries(model, tokenizer, [prompt], config.model.max_prompt_tokens, 64)[0]
    assert summary.startswith("#Person1# ") and summary.endswith(".")
    assert re.fullmatch(r"[#A-Za-z0-9 .,:'?-]+", summary), summary
    assert rouge([summary], [record["summary"]])["rougeL"] > 0.4, (summary, record["summary"])


def test_word_tokenizer_round_trips_text_with_t5_special_ids():
    text = "#Person1#: Hi, I'd like a table for 4 at 10:30 am.\n#Person2#: Sure, #Person1#'s table is ready."
    vocabulary = word_vocabulary([text])
    tokenizer = wrap_tokenizer(vocabulary)
    ids = tokenizer(text)["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id == 1 and tokenizer.pad_token_id == 0 and tokenizer.unk_token_id == 2
    assert tokenizer.decode(ids, skip_special_tokens=True) == text.replace("\n", " ")
    classifier = wrap_tokenizer(vocabulary, classifier=True)
    ids = classifier("Hi, Sure.")["input_ids"]
    assert ids[0] == classifier.bos_token_id == 3 and ids[-1] == 1


def test_one_ppo_step_on_the_demo_preset(tmp_path):
    config = get_config("demo", {"steps": 1, "ppo.batch_size": 4, "ppo.mini_batch_size": 2,
                                 "generation.max_new_tokens_min": 16, "generation.max_new_tokens_max": 16})
    [result] = train(config, run_dir=tmp_path / "run")
    assert result.step == 1 and result.stats["objective/kl"] == pytest.approx(0.0, abs=1e-4)
    assert (tmp_path / "run" / "checkpoint" / "adapter_model.safetensors").is_file()


def test_build_demo_at_toy_size_writes_a_complete_demo(tmp_path):
    spec = DemoSpec(sft_dialogues=40, ppo_dialogues=20, sentences=40, d_model=16, d_ff=32, num_heads=2, num_layers=1,
                    sft=SFTConfig(mode="full", max_steps=2, batch_size=8, eval_samples=2, eval_max_new_tokens=8),
                    reward_hidden=16, reward_layers=1,
                    reward=RewardTrainConfig(model="", max_steps=2, batch_size=8, max_length=96))
    out = tmp_path / "demo"
    metrics = build_demo(out, spec)
    for name in ("policy/model.safetensors", "policy/tokenizer.json", "reward/model.safetensors",
                 "reward/tokenizer.json", "dialogues.jsonl", "README.md", "demo_metrics.json"):
        assert (out / name).is_file(), name
    assert metrics["sft"]["steps"] == 2 and "f1" in metrics["reward"]["test"]
    assert str(tmp_path) not in (out / "policy" / "sft_metrics.json").read_text()  # no machine paths shipped
    assert json.loads((out / "demo_metrics.json").read_text())["spec"]["sft_dialogues"] == 40
    build_demo(out, spec)  # an existing demo is rebuilt in place


def test_build_demo_refuses_a_folder_that_is_not_a_demo(tmp_path):
    from rlhf_core import UserError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a demo folder"):
        build_demo(tmp_path, DemoSpec())
    assert (tmp_path / "notes.txt").is_file()
