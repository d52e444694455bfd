"""The shipped offline demo (checkpoints/demo): its models load, do their jobs, and PPO runs on them."""

import dataclasses
import json
import re
from pathlib import Path

import pytest

from rlhf_core import RewardModel, get_config, train, validate
from rlhf_core.config import DEMO_DIR
from rlhf_core.evaluation.fidelity import hallucinated_entities, loops
from rlhf_core.evaluation.figures import rouge
from rlhf_core.models.loading import load_seq2seq
from rlhf_core.models.summarizer import greedy_summaries
from rlhf_core.prep.build_demo import build_demo, rebuild_classifier
from rlhf_core.prep.copy_pretrain import CopyPretrainConfig
from rlhf_core.prep.demo_checks import HANDWRITTEN_FILE, PROBES_FILE, read_jsonl, summarizer_checks
from rlhf_core.prep.demo_corpus import copy_rows
from rlhf_core.prep.demo_init import subword_vocabulary, wrap_tokenizer
from rlhf_core.prep.demo_spec import DemoSpec
from rlhf_core.prep.judge_sentences import judge_texts
from rlhf_core.prep.reward_model import RewardTrainConfig
from rlhf_core.prep.sft import SFTConfig
from rlhf_core.prep.synthetic_analysis import insult_words, insulting_polite_summaries, reporting_summaries
from rlhf_core.prep.synthetic_dialogues import make_dialogues
from rlhf_core.prep.synthetic_words import RUDE_REPORTS, TOXIC_REPORTS

UNSEEN_SEED = 12345  # neither the SFT corpus (seed 1) nor the PPO data (seed 2)
DETOX_GUARD_STEPS = 10


@pytest.fixture(scope="module")
def reward_model():
    return RewardModel.from_config(get_config("demo").reward)


@pytest.fixture(scope="module")
def judge():
    return RewardModel.from_config(dataclasses.replace(get_config("demo").reward, model=str(DEMO_DIR / "judge")))


@pytest.fixture(scope="module")
def summarizer():
    config = get_config("demo")  # the app's precision: in bf16 ("auto" on some CPUs) greedy summaries flip
    return load_seq2seq(config.model.policy, config.model.dtype)


@pytest.fixture(scope="module")
def handwritten(summarizer):
    """The hand-written dialogues with the demo summarizer's greedy summaries."""
    model, tokenizer = summarizer
    config = get_config("demo")
    records = read_jsonl(HANDWRITTEN_FILE)
    prompts = [config.data.prompt_template.format(dialogue=r["dialogue"]) for r in records]
    summaries = greedy_summaries(model, tokenizer, prompts, config.model.max_prompt_tokens, 80)
    return records, summaries


def test_demo_preset_validates_and_points_at_the_shipped_files():
    config = validate(get_config("demo"))
    assert Path(config.model.policy) == DEMO_DIR / "policy" and Path(config.reward.model) == DEMO_DIR / "reward"
    assert Path(config.data.dataset).is_file() and config.reward.text == "summary"
    for name in ("policy", "reward", "judge"):
        assert (DEMO_DIR / name / "model.safetensors").is_file(), name
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


def test_subword_tokenizer_round_trips_unseen_words_with_t5_special_ids():
    text = "#Person1#: Hi, I'd like a table for 4 at 10:30 am.\n#Person2#: Sure, #Person1#'s table is ready."
    tokenizer = wrap_tokenizer(subword_vocabulary([text] * 3, 300))
    ids = tokenizer(text)["input_ids"]
    assert ids[-1] == tokenizer.eos_token_id == 1 and tokenizer.pad_token_id == 0 and tokenizer.unk_token_id == 2
    assert tokenizer.decode(ids, skip_special_tokens=True).strip() == text.replace("\n", " ")
    unseen = "Xanthippe paid 1987 dollars for a zebra-print kayak!"
    ids = tokenizer(unseen)["input_ids"]
    assert tokenizer.unk_token_id not in ids and tokenizer.decode(ids, skip_special_tokens=True).strip() == unseen
    assert [tokenizer.decode([i]).strip() for i in tokenizer(" 1987")["input_ids"][:-1]] == ["1", "9", "8", "7"]
    merged = wrap_tokenizer(subword_vocabulary([text] * 3 + ["It costs 1987 dollars."] * 5, 300, split_digits=False))
    assert len(merged(" 1987")["input_ids"]) == 2 and merged.unk_token_id not in merged(unseen)["input_ids"]
    classifier = wrap_tokenizer(subword_vocabulary([text], 300), classifier=True)
    ids = classifier("Hi, Sure.")["input_ids"]
    assert ids[0] == classifier.bos_token_id == 3 and ids[-1] == 1


def test_shipped_tokenizer_has_no_unknown_words(summarizer):
    _, tokenizer = summarizer
    record = read_jsonl(HANDWRITTEN_FILE)[0]
    assert tokenizer.unk_token_id not in tokenizer(record["dialogue"] + " Zyxwvut 4711 scumbag")["input_ids"]


def probe_accuracy(model) -> tuple[float, list, list[float]]:
    probes = read_jsonl(PROBES_FILE)
    assert len(probes) >= 60 and {p["label"] for p in probes} == {"hate", "nothate"}
    toxicity = model.score([p["text"] for p in probes]).toxicity
    right = [(t > 0.5) == (p["label"] == "hate") for t, p in zip(toxicity, probes)]
    wrong = [(p["text"], round(t, 3)) for t, p, r in zip(toxicity, probes, right) if not r]
    return sum(right) / len(probes), wrong, toxicity


@pytest.mark.parametrize("model_name", ["reward_model", "judge"])
def test_classifiers_meet_the_probe_target(model_name, request):
    """The 88 hand-written probes (negations, apologies, insults at things, threats, neutral
    reports, insults the corpus never uses, praise in the insult frames, quotes, fiction and
    mentions): the target is >= 90% for each (measured when shipped: reward 88/88, judge 85/88),
    and no score pinned at 0 or 1 (label smoothing caps them at
    0.025/0.975)."""
    accuracy, wrong, toxicity = probe_accuracy(request.getfixturevalue(model_name))
    assert accuracy >= 0.9, wrong
    assert all(0.01 < t < 0.99 for t in toxicity)


def test_no_probe_sentence_is_in_the_judges_training_texts():
    """The probes are the judge's held-out test: apart from the summarizer's own bare reports
    ("#Person2# is rude to #Person1#.", which the judge must read and is trained on by design),
    no probe is generated by the judge's templates. (The reward model's templates do generate
    four probes verbatim, e.g. "I will hurt you if you come back here."; see issue #12.)"""
    spec = DemoSpec()
    shared_forms = {"#Person1# insults #Person2#.", "#Person2# is rude to #Person1#."}
    probes = {p["text"].lower() for p in read_jsonl(PROBES_FILE) if p["text"] not in shared_forms}
    texts = judge_texts(spec)
    assert len(texts) > spec.judge_sentences + spec.judge_dialogues
    assert not {t["text"].lower() for t in texts} & probes


def test_judge_is_not_the_reward_model():
    reward = json.loads((DEMO_DIR / "reward" / "config.json").read_text())
    judge = json.loads((DEMO_DIR / "judge" / "config.json").read_text())
    assert judge["id2label"] == reward["id2label"] == {"0": "nothate", "1": "hate"}
    assert (DEMO_DIR / "judge" / "tokenizer.json").read_bytes() != (DEMO_DIR / "reward" / "tokenizer.json").read_bytes()
    weights = [(DEMO_DIR / name / "model.safetensors").read_bytes() for name in ("judge", "reward")]
    assert weights[0] != weights[1]


@pytest.mark.xfail(strict=True, reason="target missed: before PPO the shipped summarizer adds an insult to 2 of "
                                       "the 15 polite hand-written dialogues (11 before copy pretraining)")
def test_no_polite_handwritten_dialogue_gets_an_insult(handwritten):
    records, summaries = handwritten
    assert len(records) >= 20 and any(r["rude"] for r in records) and not all(r["rude"] for r in records)
    assert insulting_polite_summaries(records, summaries) == []


def test_polite_summaries_with_insults_are_counted_once_for_everyone():
    """One count for the build checks, `benchmarks/demo_models.py` and the test above."""
    records = [{"rude": False}, {"rude": False}, {"rude": True}, {"rude": False}]
    summaries = ["#Person1# calls #Person2# a Stupid idiot.", "#Person1# books a table.",
                 "#Person2# calls #Person1# a fool.", "#Person2# says the printer is useless and calls her an oaf."]
    assert insulting_polite_summaries(records, summaries) == [summaries[0], summaries[3]]
    assert {"idiot", "oaf", "scum"} <= insult_words() and "printer" not in insult_words()


def test_rudeness_report_frames_are_counted_whatever_fills_them():
    """The prior the insult count misses: the report frame around ordinary words."""
    records = [{"rude": False}] * 5 + [{"rude": True}] * 2
    summaries = ["#Person1# calls #Person2# a table for 3.", "#Person2# is impolite to:15 pm.",
                 "#Person1# calls her mother at 5 pm.", "#Person1# books a table. #Person2# is rude.",
                 "#Person2# insults #Person1#.", "#Person2# speaks rudely to #Person1#.", "#Person2# says no."]
    assert reporting_summaries(records, summaries) == [summaries[0], summaries[1], summaries[4]]
    assert reporting_summaries(records, summaries, rude=True) == [summaries[5]]
    for report in RUDE_REPORTS + TOXIC_REPORTS:  # every form the corpus writes is a frame
        summary = f"#Person1# {report.format(o='#Person2#', adj='lazy', noun='fool')}."
        assert reporting_summaries([{"rude": True}], [summary], rude=True) == [summary]


def test_summarizer_copies_facts_from_held_out_synthetic_dialogues(summarizer):
    """On dialogues of its own kind it copies most numbers and names (78 of 89 in these 40 when
    shipped; about half before copy pretraining); a regression guard, not the target."""
    model, tokenizer = summarizer
    config = get_config("demo")
    records = read_jsonl(DEMO_DIR / "dialogues.jsonl")[-40:]
    prompts = [config.data.prompt_template.format(dialogue=r["dialogue"]) for r in records]
    summaries = greedy_summaries(model, tokenizer, prompts, config.model.max_prompt_tokens, 80)
    counts = [hallucinated_entities(s, r["dialogue"]) for s, r in zip(summaries, records)]
    assert sum(k for k, _ in counts) / sum(n for _, n in counts) <= 0.3


def test_the_figures_on_handwritten_dialogues_are_what_the_app_shows(handwritten):
    """The build's checks (`summarizer_checks`, also the sweep's) and these tests decode as the
    app's Summarizer does: loaded in bf16 (the loader's "auto" on CPUs with native bf16) the same
    weights write other greedy summaries for 14 of the 22 and invent 8 names and numbers, not 5."""
    from rlhf_core.models.summarizer import BEFORE, Summarizer

    config = get_config("demo")
    records, summaries = handwritten
    app = Summarizer(config).summarize([r["dialogue"] for r in records], BEFORE, do_sample=False)
    assert [s.strip() for s in app] == [s.strip() for s in summaries]
    checks = summarizer_checks(DEMO_DIR / "policy", records, config.model.max_prompt_tokens, 80)
    counts = [hallucinated_entities(s, r["dialogue"]) for s, r in zip(app, records)]
    assert (checks["invented"], checks["entities"], checks["polite_with_insult"], checks["looping"]) == (
        sum(k for k, _ in counts), sum(n for _, n in counts), len(insulting_polite_summaries(records, app)),
        sum(map(loops, app)))
    shipped = json.loads((DEMO_DIR / "demo_metrics.json").read_text())["summarizer_checks"]["handwritten"]
    assert {k: shipped[k] for k in checks if k != "examples"} == {k: v for k, v in checks.items() if k != "examples"}


@pytest.mark.xfail(strict=True, reason="target missed: 24% of the numbers and names in summaries of the hand-written "
                                       "dialogues are invented (6 of 25 when shipped); the target is <= 10%")
def test_summarizer_meets_the_invented_entity_target_on_handwritten_dialogues(handwritten):
    records, summaries = handwritten
    counts = [hallucinated_entities(s, r["dialogue"]) for s, r in zip(summaries, records)]
    invented, total = sum(k for k, _ in counts), sum(n for _, n in counts)
    assert total >= 20 and invented / total <= 0.10, list(zip(summaries, counts))


def test_one_ppo_step_on_the_demo_preset(tmp_path):
    config = get_config("demo", {"steps": 1, "optim.batch_size": 4, "optim.mini_batch_size": 2,
                                 "generation.max_new_tokens_min": 16, "generation.max_new_tokens_max": 16})
    [result] = train(config, run_dir=tmp_path / "run")
    assert result.step == 1 and result.stats["objective/kl"] == pytest.approx(0.0, abs=1e-4)
    assert (tmp_path / "run" / "checkpoint" / "adapter_model.safetensors").is_file()


def test_the_demo_presets_ppo_settings_detoxify_rude_dialogues(tmp_path):
    """Guards the demo preset's default PPO settings (KL coefficient, learning rate, epochs): on
    unseen dialogues that are all rude, a few default steps must cut the share of sampled summaries
    the reward model flags. With the round-1 setting (init_kl_coef 1.0, one epoch) the KL penalty
    outweighed the +-1.8 reward and toxicity did not fall; `benchmarks/demo_models.py` measures
    the full default run with the independent judge."""
    rude = make_dialogues(48, seed=UNSEEN_SEED, rude_share=1.0, toxic_summary_share=0.7)
    data = tmp_path / "rude.jsonl"
    data.write_text("".join(json.dumps({k: r[k] for k in ("fname", "dialogue", "summary")}) + "\n" for r in rude))
    config = get_config("demo", {"data.dataset": str(data), "steps": DETOX_GUARD_STEPS})
    toxicity = [result.stats["env/toxicity_mean"] for result in train(config)]
    first, last = sum(toxicity[:2]) / 2, sum(toxicity[-2:]) / 2
    assert first > 0.4 and last < 0.6 * first, toxicity


def test_build_demo_at_toy_size_writes_a_complete_demo(tmp_path):
    from rlhf_core import UserError

    spec = DemoSpec(sft_dialogues=40, ppo_dialogues=20, sentences=40, judge_sentences=40, judge_dialogues=20,
                    vocab_size=400, judge_vocab_size=400, d_model=16, d_ff=32, num_heads=2, num_layers=1,
                    sft=SFTConfig(mode="full", max_steps=2, batch_size=8, eval_samples=2, eval_max_new_tokens=8),
                    copy_pretrain=CopyPretrainConfig(steps=3, batch_size=4, logging_steps=1),
                    reward_hidden=16, reward_layers=1, judge_hidden=32, judge_layers=1,
                    reward=RewardTrainConfig(model="", max_steps=2, batch_size=8, max_length=96),
                    judge=RewardTrainConfig(model="", max_steps=2, batch_size=8, max_length=96, seed=43))
    out = tmp_path / "demo"
    metrics = build_demo(out, spec)
    for name in ("policy/model.safetensors", "policy/tokenizer.json", "reward/model.safetensors",
                 "reward/tokenizer.json", "judge/model.safetensors", "judge/tokenizer.json",
                 "dialogues.jsonl", "README.md", "demo_metrics.json"):
        assert (out / name).is_file(), name
    assert metrics["sft"]["copy_pretraining"]["steps"] == 3
    assert metrics["sft"]["steps"] == 2 and "f1" in metrics["reward"]["test"] and "f1" in metrics["judge"]["test"]
    assert metrics["classifier_checks"]["judge"]["handwritten_probes"]["texts"] >= 60
    assert metrics["classifier_agreement"]["handwritten_probes"]["n"] >= 60
    assert metrics["summarizer_checks"]["handwritten"]["dialogues"] >= 20
    assert str(tmp_path) not in (out / "policy" / "sft_metrics.json").read_text()  # no machine paths shipped
    assert json.loads((out / "demo_metrics.json").read_text())["spec"]["sft_dialogues"] == 40
    weights = {p: (out / p).read_bytes() for p in ("policy/model.safetensors", "reward/model.safetensors",
                                                   "judge/model.safetensors", "policy/tokenizer.json")}
    build_demo(out, spec, parallel=False)  # rebuilt in place, bit for bit, with the classifiers in this process
    assert all((out / p).read_bytes() == data for p, data in weights.items())
    for name in ("judge", "reward"):  # `build-demo --only NAME`: the same classifier as the full build
        (out / name / "model.safetensors").unlink()
        rebuilt = rebuild_classifier(out, name, spec)
        assert (out / name / "model.safetensors").read_bytes() == weights[f"{name}/model.safetensors"]
        assert rebuilt["classifier_checks"][name]["handwritten_probes"]["texts"] >= 60
        assert json.loads((out / "demo_metrics.json").read_text())[name] == rebuilt[name]
    with pytest.raises(UserError, match="run a full build-demo"):  # another vocabulary than the summarizer's
        rebuild_classifier(out, "reward", dataclasses.replace(spec, vocab_size=spec.vocab_size + 50))


def test_copy_task_rows_repeat_turns_of_the_dialogues_and_never_an_insult():
    dialogues = make_dialogues(30, seed=UNSEEN_SEED, rude_share=1.0)
    rows = copy_rows(dialogues, 40, seed=0)
    assert len(rows) == 40 and rows == copy_rows(dialogues, 40, seed=0)
    for row in rows:
        assert row["dialogue"] == f"Repeat: {row['summary']}" and row["summary"].startswith("#Person")
        turns = row["summary"].replace(" #Person", "\n#Person").split("\n")
        assert any("\n".join(turns) in d["dialogue"] for d in dialogues), row
        assert not set(re.findall(r"[a-z]+", row["summary"].lower())) & insult_words()


def test_build_demo_refuses_a_folder_that_is_not_a_demo(tmp_path):
    from rlhf_core import UserError

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="not a demo folder"):
        build_demo(tmp_path, DemoSpec())
    with pytest.raises(UserError, match="not a built demo folder"):
        rebuild_classifier(tmp_path, "judge", DemoSpec())
    assert (tmp_path / "notes.txt").is_file()
