#!/usr/bin/env python
"""How much of the demo classifiers' held-out figure is the draw? Retrains the reward model or the
judge of a copy of the demo folder with other training seeds (`build-demo --only NAME`'s code, same
data, only `RewardTrainConfig.seed` changed) and prints, per seed, both classifiers' accuracy on the
held-out probes (`tests/data/toxicity_probes_heldout.jsonl`, aggregate only) and the errors they
share. The shipped folder is never touched.

    python benchmarks/classifier_seeds.py --model judge --seeds 43,44,45     # ~2.5 min a seed, one thread
    python benchmarks/classifier_seeds.py --model reward --seeds 42,43,7

The last stdout line is JSON with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIGURES = ("reward_accuracy", "judge_accuracy", "reward_errors", "judge_errors", "shared_errors")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", choices=["reward", "judge"], required=True, help="the classifier to retrain")
    p.add_argument("--seeds", required=True, help="comma-separated training seeds")
    p.add_argument("--demo", default=str(ROOT / "checkpoints" / "demo"), help="the built demo folder to copy")
    args = p.parse_args(argv)

    import torch

    from rlhf_core.evaluation.classifier_agreement import HELD_OUT_PROBES_FILE, probe_agreement
    from rlhf_core.prep.build_demo import rebuild_classifier
    from rlhf_core.prep.demo_checks import read_jsonl
    from rlhf_core.prep.demo_spec import DemoSpec

    torch.set_num_threads(1)
    probes = read_jsonl(HELD_OUT_PROBES_FILE)
    spec, rows = DemoSpec(), []
    for seed in [int(s) for s in args.seeds.split(",") if s.strip()]:
        settings = dataclasses.replace(getattr(spec, args.model), seed=seed)
        with tempfile.TemporaryDirectory(prefix="classifier-seeds-") as scratch:
            demo = Path(scratch) / "demo"
            shutil.copytree(args.demo, demo)
            rebuild_classifier(demo, args.model, dataclasses.replace(spec, **{args.model: settings}))
            figures = probe_agreement(demo / "reward", demo / "judge", probes)
        rows.append({"seed": seed, **{k: figures[k] for k in FIGURES}})
        print(f"{args.model} seed {seed}: reward {100 * figures['reward_accuracy']:.1f}%, judge "
              f"{100 * figures['judge_accuracy']:.1f}%, errors {figures['reward_errors']} / {figures['judge_errors']}, "
              f"shared {figures['shared_errors']}", flush=True)
    print(json.dumps({"model": args.model, "held_out_probes": len(probes), "runs": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
