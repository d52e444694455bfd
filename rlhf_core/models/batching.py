"""Padding, masks and length buckets shared by sampling and the PPO passes.

Prompts vary about 2x in length, so every pass groups sequences of similar length
(`length_buckets`) and pads on the right (`pad_right`). Response masks come from the first
EOS (`response_lengths`), never from pad ids: T5's pad id is also its decoder-start id.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def pad_right(seqs: Sequence[Sequence[int]], pad_id: int, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Returns (ids (B, L), mask (B, L)) with each sequence left-aligned and padded on the right."""
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(seqs), width), dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.as_tensor(list(s), dtype=torch.long)
        mask[i, : len(s)] = 1
    return ids.to(device), mask.to(device)


def response_lengths(response_ids: torch.Tensor, eos_id: int) -> torch.Tensor:
    """Returns each response's length up to and including its first EOS (all of it if none).

    Built from EOS positions, never from `ids != pad`: T5's pad id is also its decoder-start id.
    """
    is_eos = response_ids == eos_id  # (B, T)
    has_eos = is_eos.any(dim=1)
    first_eos = is_eos.float().argmax(dim=1)
    return torch.where(has_eos, first_eos + 1, torch.full_like(first_eos, response_ids.shape[1]))


def length_mask(lengths: torch.Tensor, width: int) -> torch.Tensor:
    """Returns a (B, width) float mask with ones on the first `lengths[i]` positions."""
    return (torch.arange(width, device=lengths.device)[None, :] < lengths[:, None]).float()


def length_buckets(lengths: Sequence[int], size: int) -> list[list[int]]:
    """Returns index chunks of at most `size`, each holding sequences of similar length."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + size] for i in range(0, len(order), size)]
