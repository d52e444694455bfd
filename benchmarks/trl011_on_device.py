#!/usr/bin/env python
"""TRL 0.11.4's anchor benchmark (`../shared/bench/trl011_ppo_bench.py`) on a chosen device.

The anchor is written for a CPU: its reward model and scoring tensors stay there, while TRL's
PPOTrainer moves the policy to CUDA whenever a GPU is present. This wrapper runs the anchor
unchanged except that the reward model runs on `--device` too (responses come back to the CPU
for the anchor's id mapping, as they do there), and that the generation clock waits for the
GPU. The last stdout line is the anchor's JSON plus `device`, `peak_gpu_mb`
(torch.cuda.max_memory_allocated) and `generation_tokens_per_s`.
Run it with TRL 0.11.4's Python (`../shared/bench/setup_trl011_venv.sh`):

    /tmp/trl011-venv/bin/python benchmarks/trl011_on_device.py --device cuda --size base --dtype bfloat16
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import io
import json
import os
import sys
from pathlib import Path

ANCHOR = Path(os.environ.get("BENCH_DIR", Path(__file__).resolve().parent.parent.parent / "shared" / "bench"))


class _Tee(io.TextIOBase):
    """Writes to stdout and keeps a copy, so the anchor's JSON line can be extended."""

    def __init__(self, target):
        self.target, self.copy = target, io.StringIO()

    def write(self, text):
        self.copy.write(text)
        return self.target.write(text)

    def flush(self):
        self.target.flush()


def load_anchor(path: Path = ANCHOR / "trl011_ppo_bench.py"):
    spec = importlib.util.spec_from_file_location("trl011_ppo_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def patch_for_device(anchor, device: str) -> None:
    """Puts the anchor's reward model on `device` and makes generation timing wait for the GPU."""
    import torch
    import trl

    build_reward_model, score_batch = anchor.build_reward_model, anchor.score_batch

    def build_on_device(args, torch_module):
        cfg, rm = build_reward_model(args, torch_module)
        return cfg, rm.to(device)

    def score_on_device(rm, queries, responses, args, torch_module):
        def call(**inputs):
            return rm(**{k: v.to(device) for k, v in inputs.items()})

        rewards = score_batch(call, [q.cpu() for q in queries], [r.cpu() for r in responses], args, torch_module)
        return [r.cpu() for r in rewards]

    generate = trl.PPOTrainer.generate

    def generate_and_wait(self, *a, **kw):
        out = generate(self, *a, **kw)
        if device == "cuda":
            torch.cuda.synchronize()
        return out

    anchor.build_reward_model, anchor.score_batch = build_on_device, score_on_device
    trl.PPOTrainer.generate = generate_and_wait


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    ours, rest = p.parse_known_args(argv)
    import torch

    if ours.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda, but torch sees no CUDA GPU")
    if ours.device == "cpu" and torch.cuda.is_available():
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # accelerate would otherwise put TRL's policy on the GPU
    anchor = load_anchor()
    patch_for_device(anchor, ours.device)
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        anchor.main(rest)
    summary = json.loads(tee.copy.getvalue().strip().splitlines()[-1])
    cfg = summary["config"]
    summary["device"] = ours.device
    summary["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20 if ours.device == "cuda" else None
    summary["generation_tokens_per_s"] = cfg["batch_size"] * cfg["max_new_tokens"] / summary["median_s"]["generation"]
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
