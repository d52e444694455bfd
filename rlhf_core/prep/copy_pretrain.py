"""Stage 0 of the demo summarizer: learn to copy before learning to summarise.

A T5 of about a million parameters trained from random weights on the synthetic dialogues alone
learns the corpus's priors: it copies the first piece of a name or number and continues from what
it has seen most ("Maifluna" -> "Mai", 1356 -> 135; benchmarks/README.md, "Demo summarizer
sweep"). Copying an arbitrary token string is the primitive such a summary needs, and a small T5
learns it only after a sudden drop in loss some hundreds of steps in, on strings of random tokens
where no prior helps. This stage trains exactly that, before SFT: input = random token ids, target
= the same ids then EOS. Copying keeps improving long after the drop, and greedy decoding needs
it nearly perfect (one slip shifts the rest), so the stage runs for thousands of steps. It also
trains every embedding row, so the pieces of words that the synthetic corpus never uses are not
left as random vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..errors import UserError


@dataclass
class CopyPretrainConfig:
    """How long and on what strings the summarizer practises copying (steps 0 skips the stage)."""

    steps: int = 0
    batch_size: int = 32
    learning_rate: float = 2e-3
    warmup_steps: int = 100
    min_tokens: int = 4  # each string's length is drawn uniformly from [min_tokens, max_tokens]
    max_tokens: int = 24
    seed: int = 0
    logging_steps: int = 100
    # Then this many more steps where half the strings draw their ids from a random subset of
    # L/3..L ids (L = the string's length), so ids repeat as they do in text and the copier must
    # keep its place among equal tokens (benchmarks/README.md, "Copy pretraining": a lead).
    repeat_steps: int = 0


def check_copy_pretrain(config: CopyPretrainConfig) -> CopyPretrainConfig:
    """Raises UserError for settings that cannot work; returns them otherwise."""
    if config.steps < 0 or config.repeat_steps < 0 or config.batch_size < 1 or config.learning_rate <= 0:
        raise UserError(f"copy pretraining needs steps >= 0, batch_size >= 1 and a positive learning rate "
                        f"(got {config.steps}, {config.batch_size}, {config.learning_rate})")
    if not 1 <= config.min_tokens <= config.max_tokens:
        raise UserError(f"copy pretraining needs 1 <= min_tokens <= max_tokens "
                        f"(got {config.min_tokens}, {config.max_tokens})")
    return config


def random_copy_batch(generator: torch.Generator, batch_size: int, min_tokens: int, max_tokens: int,
                      vocab_size: int, first_id: int, pad_id: int, eos_id: int) -> dict[str, torch.Tensor]:
    """Returns a right-padded batch of random strings of ids in [first_id, vocab_size) and, as
    labels, the same strings followed by EOS (-100 on padding, so the loss skips it)."""
    lengths = torch.randint(min_tokens, max_tokens + 1, (batch_size,), generator=generator)
    width = int(lengths.max())
    tokens = torch.randint(first_id, vocab_size, (batch_size, width), generator=generator)
    positions = torch.arange(width + 1)
    real = positions[None, :width] < lengths[:, None]
    labels = torch.full((batch_size, width + 1), -100, dtype=torch.long)
    labels[:, :width] = torch.where(real, tokens, -100)
    labels[torch.arange(batch_size), lengths] = eos_id
    return {"input_ids": torch.where(real, tokens, pad_id), "attention_mask": real.long(), "labels": labels}


def with_repeats(batch: dict[str, torch.Tensor], generator: torch.Generator, share: float, first_id: int,
                 vocab_size: int) -> dict[str, torch.Tensor]:
    """Rewrites about `share` of the strings of a `random_copy_batch` (in place, labels too) so
    that each draws its ids from its own random subset of L/3..L ids: ids repeat."""
    ids, labels, real = batch["input_ids"], batch["labels"], batch["attention_mask"].bool()
    for row, length in enumerate(real.sum(1).tolist()):
        if float(torch.rand((), generator=generator)) >= share:
            continue
        low = max(2, length // 3)
        distinct = int(torch.randint(low, max(low, length) + 1, (), generator=generator))
        pool = torch.randint(first_id, vocab_size, (distinct,), generator=generator)
        ids[row, :length] = labels[row, :length] = pool[torch.randint(0, distinct, (length,), generator=generator)]
    return batch


def copy_accuracy(model, batch: dict[str, torch.Tensor]) -> float:
    """Share of the labels (EOS included) that the model predicts by teacher-forced argmax; leaves
    the model in eval mode."""
    model.eval()
    with torch.no_grad():
        logits = model(**batch).logits
    target = batch["labels"] != -100
    return float(((logits.argmax(-1) == batch["labels"]) & target).sum() / target.sum())


def pretrain_copying(model, config: CopyPretrainConfig, first_id: int, pad_id: int, eos_id: int,
                     on_status: Callable[[str], None] | None = None) -> dict:
    """Trains `model` (a seq2seq LM, in place) to copy random strings; returns its loss and its
    teacher-forced token accuracy on 256 strings it never saw, before and after."""
    from transformers import get_constant_schedule_with_warmup

    check_copy_pretrain(config)
    status = on_status or (lambda message: None)
    vocab_size = model.config.vocab_size
    shape = (config.min_tokens, config.max_tokens, vocab_size, first_id, pad_id, eos_id)
    held_out = random_copy_batch(torch.Generator().manual_seed(config.seed + 1), 256, *shape)
    generator = torch.Generator().manual_seed(config.seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.0)
    schedule = get_constant_schedule_with_warmup(optimizer, config.warmup_steps)
    before = copy_accuracy(model, held_out)
    t0, losses = time.perf_counter(), []
    model.train()
    total = config.steps + config.repeat_steps
    for step in range(1, total + 1):
        batch = random_copy_batch(generator, config.batch_size, *shape)
        if step > config.steps:
            batch = with_repeats(batch, generator, 0.5, first_id, vocab_size)
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())
        if step % config.logging_steps == 0 or step == total:
            status(f"copy pretraining step {step}/{total}  loss {sum(losses[-50:]) / len(losses[-50:]):.3f}")
    return {"steps": config.steps, "repeat_steps": config.repeat_steps, "seconds": round(time.perf_counter() - t0, 1),
            "final_loss": sum(losses[-50:]) / len(losses[-50:]) if losses else None,
            "held_out_token_accuracy_before": before, "held_out_token_accuracy": copy_accuracy(model, held_out)}
