"""Stage-1 SFT: teach a seq2seq model to summarise dialogues before PPO makes it less toxic.

Two modes, one recipe (transformers' Seq2SeqTrainer on prompt -> reference summary pairs, with
the prompts built by `rlhf_core.data.dialogues` from the run configuration's template):

- `lora` (the default, for Hub models): trains a LoRA adapter with the run's LoRA settings, so
  the output folder is PPO's starting adapter (`--adapter DIR` / `model.adapter`).
- `full` (for small models trained from scratch, like the demo's): trains every weight and saves
  model + tokenizer, so the output folder is PPO's policy (`--policy DIR` / `model.policy`).

Outputs are safetensors only, plus `sft_metrics.json` (loss, held-out ROUGE, timings).
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import torch

from ..config import Config, validate
from ..data.dialogues import build_dataset
from ..errors import UserError
from ..evaluation.figures import rouge
from ..models.loading import load_seq2seq
from ..models.policy import add_lora
from ..models.summarizer import greedy_summaries
from .trainer_args import SFTConfig, check_sft, new_or_empty, progress_callback, training_arguments  # noqa: F401

METRICS_FILE = "sft_metrics.json"


def prepare_model(config: Config, mode: str):
    """Returns (model, tokenizer) ready to train: a LoRA-wrapped or fully trainable seq2seq LM.

    Full fine-tuning trains float32 weights whatever `model.dtype` says (its "auto" is bf16 on
    GPUs and bf16-native CPUs, where AdamW on bf16 weights loses the small updates); LoRA keeps
    the frozen base in `model.dtype` and its adapter in float32.
    """
    model, tokenizer = load_seq2seq(config.model.policy, "float32" if mode == "full" else config.model.dtype)
    if mode == "full":
        return model.requires_grad_(True), tokenizer
    return add_lora(model, config.model), tokenizer


def tokenize_pairs(split, tokenizer, max_target_tokens: int):
    """Returns the split as (input_ids, attention_mask, labels) rows; labels end with EOS."""
    labels = tokenizer(text_target=list(split["summary"]), truncation=True, max_length=max_target_tokens)["input_ids"]
    split = split.add_column("labels", labels)
    split = split.map(lambda row: {"attention_mask": [1] * len(row["input_ids"])})
    return split.select_columns(["input_ids", "attention_mask", "labels"])


def run_sft(config: Config, sft: SFTConfig, out_dir: str | Path,
            on_status: Callable[[str], None] | None = None) -> dict:
    """Trains on the configured dialogues, saves the adapter (lora) or model (full) to `out_dir`,
    and returns the metrics also written to `out_dir/sft_metrics.json`."""
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Seq2SeqTrainer, Seq2SeqTrainingArguments

    status = on_status or (lambda message: None)
    validate(config)
    check_sft(sft)
    if not config.data.summary_column:
        raise UserError("SFT needs reference summaries: set data.summary_column to the summary column")
    out = new_or_empty(out_dir)

    torch.manual_seed(config.seed)
    status(f"loading {config.model.policy} ({sft.mode} fine-tuning)")
    model, tokenizer = prepare_model(config, sft.mode)
    status(f"loading data {config.data.dataset}")
    splits = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)
    train_rows = tokenize_pairs(splits["train"], tokenizer, sft.max_target_tokens)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    total = sum(p.numel() for p in model.parameters())
    status(f"training {trainable:,} of {total:,} parameters on {len(train_rows)} dialogues "
           f"({len(splits['test'])} held out)")

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sft-") as scratch:  # the trainer's files never reach `out`
        args = training_arguments(Seq2SeqTrainingArguments, scratch, sft, config.seed)
        trainer = Seq2SeqTrainer(
            model=model,
            args=args,
            train_dataset=train_rows,
            data_collator=DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=-100),
            processing_class=tokenizer,
            callbacks=[progress_callback(status)],
        )
        trainer.remove_callback(PrinterCallback)  # Progress reports instead of raw log dicts on stdout
        result = trainer.train()
    train_seconds = time.perf_counter() - t0

    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    if sft.mode == "full":
        tokenizer.save_pretrained(str(out))

    test = splits["test"].select(range(min(sft.eval_samples, len(splits["test"]))))
    metrics: dict = {
        "mode": sft.mode,
        "policy": config.model.policy,
        "dataset": config.data.dataset,
        "train_examples": len(train_rows),
        "steps": result.global_step,
        "train_loss": float(result.training_loss),
        "train_seconds": round(train_seconds, 1),
        "sft": asdict(sft),
    }
    if len(test):
        status(f"summarising {len(test)} held-out dialogues")
        predictions = greedy_summaries(model, tokenizer, list(test["prompt"]), config.model.max_prompt_tokens,
                                sft.eval_max_new_tokens)
        metrics["eval_samples"] = len(test)
        metrics["rouge"] = rouge(predictions, list(test["summary"]))
        metrics["examples"] = [{"reference": r, "summary": p} for r, p in
                               zip(list(test["summary"])[:3], predictions[:3])]
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    return metrics

