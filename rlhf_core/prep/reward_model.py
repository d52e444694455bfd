"""Stage 2: train the reward model, a `nothate`/`hate` sequence classifier, on labelled texts.

Input is a table (jsonl/json/csv/parquet) with a text column and a label column whose values are
the label names. The classifier keeps its labels by name in `id2label`, which is how
`rlhf_core.models.reward` reads them; a model whose head has generic labels (LABEL_0, LABEL_1) gets
`nothate`/`hate` assigned. After training, accuracy, precision, recall and F1 (hate = positive)
on a held-out split are printed and written to `reward_metrics.json` with the model.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from ..data.dialogues import _load_local
from ..errors import UserError
from ..models.loading import load_classifier
from ..models.reward import RewardModel, label_index
from .trainer_args import RewardTrainConfig, check_reward_training, new_or_empty, progress_callback, training_arguments  # noqa: F401,E501

METRICS_FILE = "reward_metrics.json"


def load_examples(cfg: RewardTrainConfig) -> tuple[list[str], list[str]]:
    """Returns (texts, label names in lower case) from the data file, checking columns and labels."""
    rows = _load_local(Path(cfg.data).expanduser())
    for column in (cfg.text_column, cfg.label_column):
        if column not in rows.columns:
            raise UserError(f"{cfg.data} has no column '{column}'; columns are: {', '.join(map(str, rows.columns))}")
    texts = rows[cfg.text_column].fillna("").astype(str).tolist()
    labels = rows[cfg.label_column].astype(str).str.strip().str.lower().tolist()
    known = {cfg.not_hate_label.lower(), cfg.hate_label.lower()}
    unknown = sorted(set(labels) - known)
    if unknown:
        raise UserError(f"{cfg.data} has labels {', '.join(map(repr, unknown[:5]))}; only "
                        f"'{cfg.not_hate_label}' and '{cfg.hate_label}' are allowed")
    if len(set(labels)) < 2 or len(texts) < 4:
        raise UserError(f"{cfg.data} needs at least 4 texts with both labels "
                        f"(got {len(texts)}, labels {sorted(set(labels))})")
    return texts, labels


def name_labels(model, not_hate: str, hate: str) -> dict[str, int]:
    """Returns {label name: class index}; a 2-class head with generic labels gets the two names."""
    id2label = {int(k): str(v) for k, v in model.config.id2label.items()}
    generic = id2label == {0: "LABEL_0", 1: "LABEL_1"}
    if generic:
        model.config.id2label = {0: not_hate, 1: hate}
        model.config.label2id = {not_hate: 0, hate: 1}
        id2label = model.config.id2label
    return {not_hate.lower(): label_index(id2label, not_hate), hate.lower(): label_index(id2label, hate)}


def classification_metrics(predicted: np.ndarray, actual: np.ndarray) -> dict[str, float]:
    """Returns accuracy, precision, recall and F1 of the positive class (1 = hate) with the counts."""
    tp = int(((predicted == 1) & (actual == 1)).sum())
    fp = int(((predicted == 1) & (actual == 0)).sum())
    fn = int(((predicted == 0) & (actual == 1)).sum())
    tn = int(((predicted == 0) & (actual == 0)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"accuracy": (tp + tn) / max(len(actual), 1), "precision": precision, "recall": recall, "f1": f1,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn}


def run_reward_training(cfg: RewardTrainConfig, out_dir: str | Path,
                        on_status: Callable[[str], None] | None = None) -> dict:
    """Trains the classifier, saves it (safetensors + tokenizer) to `out_dir`, and returns the
    held-out metrics also written to `out_dir/reward_metrics.json`."""
    from datasets import Dataset
    from transformers import DataCollatorWithPadding, PrinterCallback, Trainer, TrainingArguments

    status = on_status or (lambda message: None)
    check_reward_training(cfg)
    out = new_or_empty(out_dir)
    texts, labels = load_examples(cfg)

    torch.manual_seed(cfg.seed)
    status(f"loading {cfg.model}")
    # float32 weights whatever the machine: the loader's "auto" is bf16 on GPUs and bf16-native
    # CPUs, and AdamW on bf16 weights loses the small updates (the demo's classifiers came out
    # different, saved in bf16 at half the size, when built on such a CPU).
    model, tokenizer = load_classifier(cfg.model, "float32")
    model.train().requires_grad_(True)
    index = name_labels(model, cfg.not_hate_label, cfg.hate_label)
    hate_index = index[cfg.hate_label.lower()]

    rows = Dataset.from_dict({"text": texts, "labels": [index[label] for label in labels]})
    splits = rows.train_test_split(test_size=cfg.test_size, seed=cfg.seed)
    train_rows = splits["train"].map(
        lambda batch: tokenizer(batch["text"], truncation=True, max_length=cfg.max_length), batched=True,
    ).remove_columns(["text"])
    status(f"training on {len(train_rows)} texts ({len(splits['test'])} held out)")

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="reward-train-") as scratch:  # the trainer's files never reach `out`
        args = training_arguments(TrainingArguments, scratch, cfg, cfg.seed)
        trainer = Trainer(model=model, args=args, train_dataset=train_rows,
                          data_collator=DataCollatorWithPadding(tokenizer), processing_class=tokenizer,
                          callbacks=[progress_callback(status)])
        trainer.remove_callback(PrinterCallback)  # Progress reports instead of raw log dicts on stdout
        result = trainer.train()
    train_seconds = time.perf_counter() - t0

    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))

    test = splits["test"]
    scorer = RewardModel(model, tokenizer, cfg.not_hate_label, cfg.hate_label, batch_size=64, max_length=cfg.max_length)
    p_hate = np.array(scorer.score(list(test["text"])).toxicity)
    actual = (np.asarray(test["labels"]) == hate_index).astype(int)
    metrics = {
        "model": cfg.model,
        "data": cfg.data,
        "train_examples": len(train_rows),
        "test_examples": len(test),
        "steps": result.global_step,
        "train_loss": float(result.training_loss),
        "train_seconds": round(train_seconds, 1),
        "test": classification_metrics((p_hate >= 0.5).astype(int), actual),
        "config": asdict(cfg),
    }
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    return metrics


def format_metrics(metrics: dict) -> str:
    """Returns one line with the held-out accuracy and F1."""
    t = metrics["test"]
    return (f"held-out {metrics['test_examples']} texts: accuracy {t['accuracy']:.4f}, precision {t['precision']:.4f}, "
            f"recall {t['recall']:.4f}, F1 {t['f1']:.4f} (hate = positive)")
