"""Stage 2: the reward classifier trains on labelled texts, keeps its labels by name, and reports
held-out accuracy and F1."""

import json

import numpy as np
import pytest
from test_cli import run_cli

from rlhf_core import RewardModel, UserError
from rlhf_core.cli import main
from rlhf_core.config import RewardConfig
from rlhf_core.prep.reward_model import RewardTrainConfig, classification_metrics, name_labels, run_reward_training
from rlhf_core.prep.synthetic import write_jsonl
from rlhf_core.prep.synthetic_sentences import make_toxicity_sentences


@pytest.fixture
def sentences(tmp_path):
    return write_jsonl(make_toxicity_sentences(24, seed=5), tmp_path / "sentences.jsonl")


def test_reward_train_command_writes_a_classifier_the_reward_reads(tmp_path, sentences):
    out = tmp_path / "reward"
    done = run_cli("reward-train", "--model", "builtin:tiny-roberta", "--data", str(sentences), "--out", str(out),
                   "--max-steps", "2", "--batch-size", "4", "--learning-rate", "1e-3", "--test-size", "0.25")
    assert done.returncode == 0, done.stderr
    assert "accuracy" in done.stdout and "F1" in done.stdout
    metrics = json.loads((out / "reward_metrics.json").read_text())
    assert metrics["steps"] == 2 and metrics["test_examples"] == 6
    assert set(metrics["test"]) >= {"accuracy", "precision", "recall", "f1"}
    assert (out / "model.safetensors").is_file()
    assert not [p for p in out.rglob("*") if p.suffix in (".bin", ".pt", ".pkl")]

    reward = RewardModel.from_config(RewardConfig(model=str(out)))
    # builtin:tiny-roberta stores (hate, nothate): the trained model keeps that order, by name.
    assert reward.model.config.id2label == {0: "hate", 1: "nothate"}
    assert (reward.hate_index, reward.not_hate_index) == (0, 1)
    scores = reward.score(["You stupid idiot.", "Thank you, have a nice day."])
    assert all(0 <= t <= 1 for t in scores.toxicity)


def test_the_classifier_trains_and_is_saved_in_float32_where_auto_means_bf16(tmp_path, sentences, monkeypatch):
    import torch
    from safetensors.torch import load_file

    from rlhf_core.models import precision

    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)  # as on AVX512-BF16 / AMX CPUs
    assert precision.resolve_dtype("auto") == torch.bfloat16
    cfg = RewardTrainConfig(model="builtin:tiny-roberta", data=str(sentences), max_steps=2, batch_size=4)
    run_reward_training(cfg, tmp_path / "reward")
    assert {t.dtype for t in load_file(tmp_path / "reward" / "model.safetensors").values()} == {torch.float32}


def test_metrics_match_hand_counts():
    predicted = np.array([1, 1, 0, 0, 1, 0])
    actual = np.array([1, 0, 0, 1, 1, 0])
    m = classification_metrics(predicted, actual)
    assert (m["tp"], m["fp"], m["fn"], m["tn"]) == (2, 1, 1, 2)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["precision"] == pytest.approx(2 / 3) and m["recall"] == pytest.approx(2 / 3)
    assert m["f1"] == pytest.approx(2 / 3)


def test_generic_two_class_head_gets_the_label_names():
    class Model:
        class config:
            id2label = {0: "LABEL_0", 1: "LABEL_1"}
            label2id = {"LABEL_0": 0, "LABEL_1": 1}

    assert name_labels(Model, "nothate", "hate") == {"nothate": 0, "hate": 1}
    assert Model.config.id2label == {0: "nothate", 1: "hate"}


def test_unknown_labels_in_the_data_are_refused(tmp_path):
    data = write_jsonl([{"text": "hi", "label": "hate"}, {"text": "yo", "label": "spam"}] * 3, tmp_path / "d.jsonl")
    with pytest.raises(UserError, match="'spam'"):
        run_reward_training(RewardTrainConfig(model="builtin:tiny-roberta", data=str(data)), tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args,message", [
    (["--data", "/missing.jsonl"], "dataset file not found"),
    (["--text-column", "sentence"], "no column 'sentence'"),
    (["--test-size", "2"], "--test-size must be between 0 and 1"),
])
def test_bad_reward_train_input_gives_one_line_and_exit_2(tmp_path, capsys, sentences, args, message):
    args = ["--data", str(sentences), *args] if args[0] != "--data" else args
    assert main(["reward-train", "--model", "builtin:tiny-roberta", "--out", str(tmp_path / "out"), *args]) == 2
    stderr = capsys.readouterr().err
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], stderr
    assert not (tmp_path / "out").exists()
