"""Stage-1 SFT: teach a seq2seq model to summarise dialogues before PPO makes it less toxic.

Two modes, one recipe (transformers' Seq2SeqTrainer on prompt -> reference summary pairs, with
the prompts built by `rlhf_core.data` from the run configuration's template):

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
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..config import Config, validate
from ..data import build_dataset
from ..errors import UserError
from ..evaluation import rouge
from ..hub import load_seq2seq
from ..policy import lora_config

METRICS_FILE = "sft_metrics.json"


@dataclass
class SFTConfig:
    """Stage-1 hyper-parameters; the model, LoRA shape and data come from the run's `Config`."""

    mode: str = "lora"  # lora: train an adapter (PPO's --adapter); full: train all weights (PPO's --policy)
    epochs: float = 3.0  # passes over the training split
    max_steps: int = -1  # stop after this many optimizer steps (overrides epochs when > 0)
    learning_rate: float = 3e-4
    batch_size: int = 16
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_target_tokens: int = 128  # reference summaries are cut to this many tokens
    eval_samples: int = 100  # held-out dialogues summarised greedily for ROUGE after training
    eval_max_new_tokens: int = 128
    logging_steps: int = 50


def check(sft: SFTConfig) -> SFTConfig:
    """Raises UserError for SFT settings that cannot work; returns them otherwise."""
    checks = [
        (sft.mode in ("lora", "full"), f"--mode must be lora or full (got {sft.mode!r})"),
        (sft.epochs > 0 or sft.max_steps > 0, "need --epochs > 0 or --max-steps > 0"),
        (sft.learning_rate > 0, f"--learning-rate must be positive (got {sft.learning_rate})"),
        (sft.batch_size >= 1, f"--batch-size must be at least 1 (got {sft.batch_size})"),
        (sft.max_target_tokens >= 1, f"--max-target-tokens must be at least 1 (got {sft.max_target_tokens})"),
        (sft.eval_samples >= 0, f"--eval-samples must be >= 0 (got {sft.eval_samples})"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    return sft


def prepare_model(config: Config, mode: str):
    """Returns (model, tokenizer) ready to train: a LoRA-wrapped or fully trainable seq2seq LM."""
    model, tokenizer = load_seq2seq(config.model.policy, config.model.dtype)
    if mode == "full":
        return model.requires_grad_(True), tokenizer
    from peft import get_peft_model

    try:
        return get_peft_model(model, lora_config(config.model)), tokenizer
    except ValueError as error:
        raise UserError(f"cannot add LoRA to '{config.model.policy}': {str(error).splitlines()[0]}") from None


def tokenize_pairs(split, tokenizer, max_target_tokens: int):
    """Returns the split as (input_ids, attention_mask, labels) rows; labels end with EOS."""
    labels = tokenizer(text_target=list(split["summary"]), truncation=True, max_length=max_target_tokens)["input_ids"]
    split = split.add_column("labels", labels)
    split = split.map(lambda row: {"attention_mask": [1] * len(row["input_ids"])})
    return split.select_columns(["input_ids", "attention_mask", "labels"])


def training_arguments(arguments_class, output_dir: str, settings, seed: int):
    """Returns the transformers TrainingArguments both fine-tuning commands share (no checkpoints)."""
    return arguments_class(
        output_dir=output_dir,
        num_train_epochs=settings.epochs,
        max_steps=settings.max_steps,
        learning_rate=settings.learning_rate,
        per_device_train_batch_size=settings.batch_size,
        warmup_steps=settings.warmup_steps,
        weight_decay=settings.weight_decay,
        lr_scheduler_type="linear",
        logging_steps=settings.logging_steps,
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        seed=seed,
        use_cpu=not torch.cuda.is_available(),
        dataloader_pin_memory=False,
    )


def progress_callback(status: Callable[[str], None]):
    """Returns a transformers TrainerCallback that reports each logged loss through `status`."""
    from transformers import TrainerCallback

    class Progress(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                status(f"step {state.global_step}/{state.max_steps}  loss {logs['loss']:.4f}")

    return Progress()


@torch.inference_mode()
def summarize(model, tokenizer, prompts: list[str], max_prompt_tokens: int, max_new_tokens: int,
              batch_size: int = 32) -> list[str]:
    """Returns greedy summaries of the prompts (the evaluation's decoding)."""
    model.eval()
    device = next(model.parameters()).device
    out: list[str] = []
    for start in range(0, len(prompts), batch_size):
        batch = tokenizer(prompts[start : start + batch_size], truncation=True, max_length=max_prompt_tokens,
                          padding=True, return_tensors="pt").to(device)
        ids = model.generate(**batch, max_new_tokens=max_new_tokens, do_sample=False)
        out.extend(s.strip() for s in tokenizer.batch_decode(ids, skip_special_tokens=True))
    return out


def run_sft(config: Config, sft: SFTConfig, out_dir: str | Path,
            on_status: Callable[[str], None] | None = None) -> dict:
    """Trains on the configured dialogues, saves the adapter (lora) or model (full) to `out_dir`,
    and returns the metrics also written to `out_dir/sft_metrics.json`."""
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Seq2SeqTrainer, Seq2SeqTrainingArguments

    status = on_status or (lambda message: None)
    validate(config)
    check(sft)
    if not config.data.summary_column:
        raise UserError("SFT needs reference summaries: set data.summary_column to the summary column")
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"output folder {out} is not empty; choose a new --out")

    torch.manual_seed(config.seed)
    status(f"loading {config.model.policy} ({sft.mode} fine-tuning)")
    model, tokenizer = prepare_model(config, sft.mode)
    status(f"loading data {config.data.dataset}")
    splits = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens, config.seed)
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
        predictions = summarize(model, tokenizer, list(test["prompt"]), config.model.max_prompt_tokens,
                                sft.eval_max_new_tokens)
        metrics["eval_samples"] = len(test)
        metrics["rouge"] = rouge(predictions, list(test["summary"]))
        metrics["examples"] = [{"reference": r, "summary": p} for r, p in
                               zip(list(test["summary"])[:3], predictions[:3])]
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2))
    return metrics

