"""What the two Hugging Face Trainer commands (stage-1 SFT, reward-model training) share: their
settings, checked in one place, the TrainingArguments they build, and progress reports.

Kept free of torch and transformers at import time, so the CLI can build its flags from these
settings and answer bad input in a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


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


def check_sft(sft: SFTConfig) -> SFTConfig:
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


@dataclass
class RewardTrainConfig:
    """What to train and how; label names match `RewardConfig`'s defaults."""

    model: str = "facebook/roberta-hate-speech-dynabench-r4-target"  # Hub id, local folder, or builtin:tiny-roberta
    data: str = ""  # jsonl/json/csv/parquet with a text and a label column
    text_column: str = "text"
    label_column: str = "label"
    not_hate_label: str = "nothate"
    hate_label: str = "hate"
    test_size: float = 0.2  # held-out share for the reported metrics
    epochs: float = 3.0
    max_steps: int = -1  # stop after this many optimizer steps (overrides epochs when > 0)
    learning_rate: float = 2e-5
    batch_size: int = 32
    warmup_steps: int = 0
    weight_decay: float = 0.0
    max_length: int = 128  # texts are cut to this many tokens
    label_smoothing: float = 0.0  # > 0 keeps P(hate) off 0 and 1, so scores are not all saturated
    seed: int = 42
    logging_steps: int = 50


def check_reward_training(cfg: RewardTrainConfig) -> RewardTrainConfig:
    """Raises UserError for settings that cannot work; returns them otherwise."""
    checks = [
        (bool(cfg.data), "--data is required: a jsonl/json/csv/parquet file with text and label columns"),
        (0 < cfg.test_size < 1, f"--test-size must be between 0 and 1 (got {cfg.test_size})"),
        (cfg.epochs > 0 or cfg.max_steps > 0, "need --epochs > 0 or --max-steps > 0"),
        (cfg.learning_rate > 0, f"--learning-rate must be positive (got {cfg.learning_rate})"),
        (cfg.batch_size >= 1, f"--batch-size must be at least 1 (got {cfg.batch_size})"),
        (cfg.max_length >= 2, f"--max-length must be at least 2 (got {cfg.max_length})"),
        (cfg.not_hate_label.lower() != cfg.hate_label.lower(), "the not-hate and hate labels must differ"),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    return cfg


def new_or_empty(out_dir) -> Path:
    """Returns `out_dir` as a Path, or raises UserError if it already holds something (never overwrite)."""
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise UserError(f"output folder {out} is not empty; choose a new --out")
    return out


def training_arguments(arguments_class, output_dir: str, settings, seed: int):
    """Returns the transformers TrainingArguments both fine-tuning commands share (no checkpoints)."""
    import torch

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
        label_smoothing_factor=getattr(settings, "label_smoothing", 0.0),  # SFTConfig has none
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
