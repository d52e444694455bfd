#!/usr/bin/env python
"""Does PPO detoxify the offline demo, judged honestly? Trains the `demo` preset once per seed,
evaluates every run on the same fixed test split (`data.split_seed`), and prints mean +- std over
seeds of every figure: greedy and sampled (k per dialogue), reward model and independent judge,
flagged share, ROUGE-L and fidelity.

Targets (sampled, judged by the independent judge, mean over seeds): flagged share of
summaries cut by >= 50%; ROUGE-L within 5%; hallucinated-entity rate up by at most 2 points.
Without a judge (`eval.judge` empty) the targets are checked on the reward model and say so.

    python benchmarks/demo_detox.py --seeds 0,1,2,3,4          # ~2 min per seed on one CPU thread
    python benchmarks/demo_detox.py --seeds 0 --steps 10 --judge PATH

The last stdout line is JSON with every per-seed figure and the summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"flagged_cut_min": 0.5, "rougeL_drop_max": 0.05, "hallucination_rise_max": 0.02}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", default="0,1,2,3,4",
                   help="comma-separated run seeds (the test split does not depend on them)")
    p.add_argument("--steps", type=int, default=None, help="PPO steps (default: the demo preset's)")
    p.add_argument("--samples", type=int, default=None,
                   help="test dialogues to evaluate (default: the whole test split)")
    p.add_argument("--sampled-k", type=int, default=4, help="summaries sampled per dialogue (default 4)")
    p.add_argument("--judge", default=None, help="independent judge (default: the demo preset's eval.judge)")
    p.add_argument("--judge-label", default=None, help="the judge's toxic label (default: the preset's)")
    p.add_argument("--runs-dir", default=None, help="keep the runs here (default: a temporary folder)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: on a shared 2-core machine, two threads wait on each other)")
    return p.parse_args(argv)


def flat_figures(report: dict, table, rude: set[str], history: list[dict], seconds: float) -> dict:
    """Returns one run's figures as a flat {name: value} dict; names say decoding and scorer."""
    out = {"train_seconds": seconds, "kl_final": history[-1]["objective/kl"],
           "kl_max": max(h["objective/kl"] for h in history)}
    for decoding, by_scorer in report["toxicity"].items():
        for scorer, t in by_scorer.items():
            key = f"{decoding}/{scorer}"
            out[f"{key}/toxicity_before"] = t["before"]["mean"]
            out[f"{key}/toxicity_after"] = t["after"]["mean"]
            out[f"{key}/flagged_before"] = t["flagged_before"]
            out[f"{key}/flagged_after"] = t["flagged_after"]
            out[f"{key}/flagged_relative_change"] = t["flagged_relative_change"]
    is_rude = table["id"].astype(str).isin(rude)
    for column in table.columns:
        if column.endswith("_toxicity_before") or column.endswith("_toxicity_after"):
            out[f"rude_dialogues/{column}"] = float(table.loc[is_rude, column].mean())
    for decoding in ("greedy", "sampled"):
        for subset, block in (report.get("rouge", {}).get(decoding) or {}).items():
            if block:
                out[f"{decoding}/rougeL/{subset}_before"] = block["before"]["rougeL"]
                out[f"{decoding}/rougeL/{subset}_after"] = block["after"]["rougeL"]
                out[f"{decoding}/rougeL/{subset}_relative_change"] = block["relative_change"]["rougeL"]
        f = report["fidelity"].get(decoding)
        if f:
            for name in ("hallucinated_entity_rate", "length_words", "distinct_2"):
                out[f"{decoding}/{name}_before"] = f["before"][name]
                out[f"{decoding}/{name}_after"] = f["after"][name]
            out[f"{decoding}/edit_rate"] = f["edit_rate"]
    return out


def summarise(per_seed: list[dict]) -> dict[str, dict]:
    """Returns {figure: {mean, std, n}} over seeds (std with ddof=1; 0 for one seed)."""
    keys = [k for k in per_seed[0] if all(isinstance(r.get(k), (int, float)) for r in per_seed)]
    out = {}
    for key in keys:
        values = np.array([r[key] for r in per_seed], dtype=float)
        out[key] = {"mean": float(values.mean()), "std": float(values.std(ddof=1)) if len(values) > 1 else 0.0,
                    "n": len(values)}
    return out


def check_targets(summary: dict, scorer: str) -> dict[str, tuple[bool, str]]:
    """Returns {target: (met, figure)} for the issue's targets on sampled summaries by `scorer`."""
    def mean(key):
        return summary[key]["mean"]

    out = {}
    key = f"sampled/{scorer}/flagged_relative_change"
    if key in summary:
        cut = mean(key)
        out[f"flagged share cut >= 50% (sampled, {scorer})"] = (
            cut <= -TARGETS["flagged_cut_min"],
            f"{mean(f'sampled/{scorer}/flagged_before'):.3f} -> {mean(f'sampled/{scorer}/flagged_after'):.3f} "
            f"({100 * cut:+.1f}% +- {100 * summary[key]['std']:.1f})")
    key = "sampled/rougeL/all_relative_change"
    if key in summary:
        out["ROUGE-L within 5% (sampled)"] = (abs(mean(key)) <= TARGETS["rougeL_drop_max"],
                                             f"{100 * mean(key):+.1f}% +- {100 * summary[key]['std']:.1f}")
    rise = [mean("sampled/hallucinated_entity_rate_after") - mean("sampled/hallucinated_entity_rate_before")]
    out["hallucinated-entity rate up <= 2 points (sampled)"] = (
        rise[0] <= TARGETS["hallucination_rise_max"],
        f"{100 * mean('sampled/hallucinated_entity_rate_before'):.1f}% -> "
        f"{100 * mean('sampled/hallucinated_entity_rate_after'):.1f}% ({100 * rise[0]:+.1f} points)")
    return out


def rude_ids(dataset: str) -> set[str]:
    """Returns the ids of the dialogues with a rude speaker (the synthetic corpus marks them)."""
    import pandas as pd

    rows = pd.read_json(dataset, lines=True, dtype=False)
    return set(rows.loc[rows["rude"].astype(bool), "fname"].astype(str)) if "rude" in rows else set()


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from rlhf_core import evaluate_run, format_report, get_config, iter_train
    from rlhf_core.evaluation.judge import Judge

    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    scratch = tempfile.TemporaryDirectory(prefix="demo-detox-") if args.runs_dir is None else None
    runs_dir = Path(scratch.name if scratch else args.runs_dir)
    per_seed, judge = [], None
    for seed in seeds:
        overrides = {k: v for k, v in {"steps": args.steps, "seed": seed, "eval.judge": args.judge,
                                       "eval.judge_label": args.judge_label}.items() if v is not None}
        config = get_config("demo", overrides)
        if judge is None and config.eval.judge:
            judge = Judge.from_config(config.eval, config.reward.dtype)
        run_dir = runs_dir / f"seed-{seed}"
        t0 = time.perf_counter()
        history = []
        for result in iter_train(config, run_dir):
            history.append(result.stats)
        seconds = time.perf_counter() - t0
        report, table = evaluate_run(run_dir, samples=args.samples or 10**9, judge=judge or False,
                                     sampled_k=args.sampled_k)
        print(f"== seed {seed}: {len(history)} steps in {seconds:.0f}s, final KL {history[-1]['objective/kl']:.3f}",
              flush=True)
        print(format_report(report), flush=True)
        figs = flat_figures(report, table, rude_ids(config.data.dataset), history, seconds)
        figs["seed"] = seed
        per_seed.append(figs)

    summary = summarise(per_seed)
    scorer = "judge" if judge is not None else "reward_model"
    print(f"\n== {len(seeds)} seeds ({', '.join(map(str, seeds))}), {report['samples']} test dialogues "
          f"(split_seed {report['split_seed']}), sampled k={args.sampled_k}; mean +- std over seeds")
    if judge is None:
        print("no independent judge (demo preset's eval.judge is empty; pass --judge): "
              "targets are checked on the reward model, which PPO optimised")
    for key, s in summary.items():
        if key != "seed":
            print(f"{key:58s} {s['mean']:9.4f} +- {s['std']:.4f}")
    targets = check_targets(summary, scorer)
    for name, (met, figure) in targets.items():
        print(f"  {'PASS' if met else 'FAIL'}  {name}: {figure}")
    print(json.dumps({"seeds": seeds, "scorer_for_targets": scorer, "per_seed": per_seed, "summary": summary,
                      "targets": {k: {"met": m, "figure": f} for k, (m, f) in targets.items()}}))
    if scratch is not None:
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
