#!/usr/bin/env python
"""Reward curves of the tiny learning task, over several seeds, to check that speed work keeps learning.

The task is the one of `tests/test_training.py::test_reward_rises_on_a_simple_task_while_kl_stays_finite`:
a random tiny T5 with LoRA (q, v, lm_head) is rewarded for the share of lowercase letters in its
summary (about 0.25 at random). Prints, per seed, the mean reward of the first and last 5 steps,
then the mean over seeds; the last line is JSON. Extra `key=value` arguments override the config,
e.g. `model.dtype=bfloat16` (before `--seeds`, which takes every number after it).

    python benchmarks/learning_curve.py --seeds 0 1 2 3 4
    python benchmarks/learning_curve.py model.dtype=bfloat16 --seeds 0 1 2 3 4
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TASK = {"steps": 30, "optim.batch_size": 8, "optim.mini_batch_size": 4, "ppo.ppo_epochs": 4,
        "optim.learning_rate": 1e-2, "reward.text": "summary", "ppo.init_kl_coef": 0.05,
        "model.lora_target_modules": "q,v,lm_head", "generation.max_new_tokens_min": 12,
        "generation.max_new_tokens_max": 12}


def share_of_lowercase(prompts, summaries):
    return [sum(c.islower() for c in s) / max(len(s), 1) for s in summaries]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--label", default="")
    p.add_argument("overrides", nargs="*", help="config overrides as key=value")
    args = p.parse_args(argv)
    import torch

    from rlhf_core import get_config
    from rlhf_core.training.run_loop import train

    torch.set_num_threads(1)
    overrides = dict(TASK)
    for item in args.overrides:
        key, _, value = item.partition("=")
        overrides[key] = value
    runs = []
    for seed in args.seeds:
        t = time.perf_counter()
        config = get_config("tiny", {**overrides, "seed": seed})
        results = train(config, reward_fn=share_of_lowercase)
        rewards = [r.stats["env/reward_mean"] for r in results]
        kls = [r.stats["objective/kl"] for r in results]
        run = {"seed": seed, "first5": float(np.mean(rewards[:5])), "last5": float(np.mean(rewards[-5:])),
               "max_kl": float(np.max(kls)), "seconds": time.perf_counter() - t, "rewards": rewards}
        runs.append(run)
        print(f"seed {seed}: reward first 5 steps {run['first5']:.3f} -> last 5 {run['last5']:.3f}, "
              f"max KL {run['max_kl']:.2f} ({run['seconds']:.0f}s)", flush=True)
    gain = [r["last5"] - r["first5"] for r in runs]
    summary = {"label": args.label, "overrides": args.overrides,
               "mean_first5": float(np.mean([r["first5"] for r in runs])),
               "mean_last5": float(np.mean([r["last5"] for r in runs])), "mean_gain": float(np.mean(gain)),
               "min_gain": float(np.min(gain)), "runs": runs}
    print(f"mean over {len(runs)} seeds: {summary['mean_first5']:.3f} -> {summary['mean_last5']:.3f} "
          f"(gain {summary['mean_gain']:.3f}, worst seed {summary['min_gain']:.3f})")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
