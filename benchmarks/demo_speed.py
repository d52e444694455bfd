#!/usr/bin/env python
"""Speed of the offline demo as stakeholders see it: seconds per PPO step and the evaluation.

Trains the `demo` preset (as `python -m rlhf_core train --preset demo` does) for `--steps` steps
into a temporary run folder, then evaluates that run on `--samples` test dialogues (as
`python -m rlhf_core evaluate` does: greedy and sampled summaries before and after, scored by the
reward model and the judge, ROUGE, fidelity, bootstrap intervals). It prints the median seconds
per step after the first (warm-up) step, the evaluation's seconds (model loading apart), the load
average, and as its last line JSON. The same command measures the engine before and after a change.

    python benchmarks/demo_speed.py --steps 6 --samples 100
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=6, help="PPO steps; the first is not counted")
    p.add_argument("--samples", type=int, default=100, help="test dialogues evaluated (the demo preset's eval.samples)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice, as the CLI)")
    p.add_argument("--skip-eval", action="store_true")
    p.add_argument("--skip-train", action="store_true", help="evaluate --run-dir instead of training one")
    p.add_argument("--run-dir", default=None, help="the run to evaluate with --skip-train")
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    from rlhf_core import get_config
    from rlhf_core.evaluation.evaluate import evaluate_run
    from rlhf_core.evaluation.judge import Judge
    from rlhf_core.models.reward import RewardModel
    from rlhf_core.models.summarizer import Summarizer
    from rlhf_core.training.run_loop import iter_train

    out: dict = {"bench": "demo_speed", "threads": torch.get_num_threads(),  # torch's, before the preset's setting
                 "load_average_start": os.getloadavg()}
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run_dir or str(Path(tmp) / "run")
        if not args.skip_train:
            config = get_config("demo", {"steps": args.steps, "save_every": args.steps})
            seconds = []
            for result in iter_train(config, run_dir):
                seconds.append(result.seconds)
                print(f"step {result.step}: {result.seconds:.2f}s  objective/kl={result.stats['objective/kl']:.3g}  "
                      f"env/reward_mean={result.stats['env/reward_mean']:.3f}", flush=True)
            counted = seconds[1:] or seconds
            out.update(step_seconds=seconds, s_per_step=statistics.median(counted))
            print(f"train: {out['s_per_step']:.3f} s/step (median of steps 2..{len(seconds)})", flush=True)
        if not args.skip_eval:
            from rlhf_core.training.runs import RunDir

            config = RunDir(run_dir).config()
            t0 = time.perf_counter()
            summarizer = Summarizer(config, RewardModel.from_config(config.reward))
            judge = Judge.from_config(config.eval, config.reward.dtype)
            t1 = time.perf_counter()
            report, _ = evaluate_run(run_dir, args.samples, summarizer=summarizer, judge=judge, write=False)
            t2 = time.perf_counter()
            tox = report["toxicity"]["greedy"]
            out.update(eval_load_s=t1 - t0, eval_s=t2 - t1, eval_samples=report["samples"],
                       eval_greedy_flagged={k: [v["flagged_before"], v["flagged_after"]] for k, v in tox.items()})
            print(f"evaluate {report['samples']} dialogues: {out['eval_s']:.2f}s (+ {out['eval_load_s']:.2f}s "
                  "loading the models)", flush=True)
    out["threads_used"] = torch.get_num_threads()  # after the preset's `cpu_threads` took effect
    out["load_average_end"] = os.getloadavg()
    print(f"load average at start {out['load_average_start']}, at end {out['load_average_end']}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
