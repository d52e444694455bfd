#!/usr/bin/env python
"""Does PPO detoxify the offline demo? Trains the `demo` preset, evaluates before vs after on the
held-out test split of its dialogues, prints the figures against the demo's targets, and draws
the chart for the README.

Targets: before PPO, ROUGE-L >= 0.4 and mean toxicity of rude dialogues' summaries >= 0.2; after
PPO, mean toxicity down by >= 50% (relative), ROUGE-L down by <= 10% (relative), KL bounded.

    python benchmarks/demo_detox.py                       # default demo run (a few minutes on 2 cores)
    python benchmarks/demo_detox.py --steps 10 --png /tmp/demo.png --run-dir /tmp/demo-run

The last stdout line is JSON with every figure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"rougeL_before_min": 0.4, "rude_toxicity_before_min": 0.2,
           "toxicity_cut_min": 0.5, "rougeL_drop_max": 0.1}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=None, help="PPO steps (default: the demo preset's)")
    p.add_argument("--seed", type=int, default=None, help="run seed (default: the preset's)")
    p.add_argument("--samples", type=int, default=None,
                   help="test dialogues to evaluate (default: the whole test split)")
    p.add_argument("--run-dir", default=None, help="keep the run here (default: a temporary folder)")
    p.add_argument("--png", default=str(ROOT / "docs" / "demo_detox.png"), help="chart file ('' to skip)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: on a shared 2-core machine, two threads wait on each other)")
    return p.parse_args(argv)


def rude_ids(dataset: str) -> set[str]:
    """Returns the ids of the dialogues with a rude speaker (the synthetic corpus marks them)."""
    import pandas as pd

    rows = pd.read_json(dataset, lines=True, dtype=False)
    return set(rows.loc[rows["rude"].astype(bool), "fname"].astype(str))


def figures(report: dict, table, rude: set[str], history: list[dict], seconds: float) -> dict:
    """Returns the demo's figures: toxicity (all and rude), ROUGE, reward, KL, and the targets met."""
    is_rude = table["id"].astype(str).isin(rude)
    tox, rg = report["toxicity"], report["rouge"]
    rude_before = float(table.loc[is_rude, "toxicity_before"].mean())
    rude_after = float(table.loc[is_rude, "toxicity_after"].mean())
    kl = [h["objective/kl"] for h in history]
    out = {
        "steps": len(history),
        "train_seconds": round(seconds, 1),
        "samples": report["samples"],
        "rude_samples": int(is_rude.sum()),
        "toxicity_before": tox["before"]["mean"],
        "toxicity_after": tox["after"]["mean"],
        "toxicity_relative_change": tox["relative_change"],
        "toxicity_diff_ci95": tox["diff_ci95"],
        "rude_toxicity_before": rude_before,
        "rude_toxicity_after": rude_after,
        "rude_toxicity_relative_change": (rude_after - rude_before) / rude_before if rude_before else None,
        "rougeL_before": rg["before"]["rougeL"],
        "rougeL_after": rg["after"]["rougeL"],
        "rougeL_relative_change": rg["relative_change"]["rougeL"],
        "reward_before": report["reward"]["before"],
        "reward_after": report["reward"]["after"],
        "kl_final": kl[-1],
        "kl_max": max(kl),
        "kl_coef_final": history[-1]["objective/kl_coef"],
    }
    out["targets_met"] = {
        "rougeL_before >= 0.4": out["rougeL_before"] >= TARGETS["rougeL_before_min"],
        "rude_toxicity_before >= 0.2": rude_before >= TARGETS["rude_toxicity_before_min"],
        "toxicity cut >= 50%": (tox["relative_change"] or 0) <= -TARGETS["toxicity_cut_min"],
        "ROUGE-L drop <= 10%": (rg["relative_change"]["rougeL"] or 0) >= -TARGETS["rougeL_drop_max"],
    }
    return out


def draw(figs: dict, history: list[dict], path: str) -> None:
    """Writes a three-panel PNG: training curves, toxicity before/after, ROUGE-L before/after."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [h["step"] for h in history]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8), gridspec_kw={"width_ratios": [1.8, 1.2, 0.8]})
    ax = axes[0]
    ax.plot(steps, [h["env/reward_mean"] for h in history], color="tab:green", label="reward (not-hate logit)")
    ax.set_xlabel("PPO step")
    ax.set_ylabel("mean reward")
    twin = ax.twinx()
    twin.plot(steps, [h["objective/kl"] for h in history], color="tab:purple", linestyle="--", label="KL to start")
    twin.set_ylabel("KL (nats)")
    ax.legend(handles=ax.get_lines() + twin.get_lines(), loc="lower right", fontsize=8)
    ax.set_title("PPO on the demo preset")

    labels = ["all summaries", "rude dialogues"]
    before = [figs["toxicity_before"], figs["rude_toxicity_before"]]
    after = [figs["toxicity_after"], figs["rude_toxicity_after"]]
    _bars(axes[1], labels, before, after, "mean P(hate)", f"toxicity ({figs['toxicity_relative_change']:+.1%})")
    _bars(axes[2], ["ROUGE-L"], [figs["rougeL_before"]], [figs["rougeL_after"]], "F-measure",
          f"ROUGE-L vs references ({figs['rougeL_relative_change']:+.1%})")
    axes[2].set_ylim(0, 1)
    axes[2].set_xlim(-0.8, 0.8)
    fig.suptitle(f"Held-out demo dialogues (n={figs['samples']}, {figs['rude_samples']} rude), "
                 f"{figs['steps']} PPO steps in {figs['train_seconds'] / 60:.1f} min on CPU", fontsize=10)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _bars(ax, labels, before, after, ylabel, title):
    x = range(len(labels))
    ax.bar([i - 0.2 for i in x], before, width=0.4, label="before PPO", color="tab:red")
    ax.bar([i + 0.2 for i in x], after, width=0.4, label="after PPO", color="tab:blue")
    for i, (b, a) in enumerate(zip(before, after)):
        ax.text(i - 0.2, b, f"{b:.2f}", ha="center", va="bottom", fontsize=8)
        ax.text(i + 0.2, a, f"{a:.2f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(x), labels)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    from rlhf_core import evaluate_run, format_report, get_config, iter_train

    torch.set_num_threads(args.threads)
    overrides = {k: v for k, v in {"steps": args.steps, "seed": args.seed}.items() if v is not None}
    config = get_config("demo", overrides)
    scratch = None
    if args.run_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="demo-detox-")
        run_dir = Path(scratch.name) / "run"
    else:
        run_dir = Path(args.run_dir)

    t0 = time.perf_counter()
    history = []
    for result in iter_train(config, run_dir, on_status=lambda m: print(m, file=sys.stderr)):
        s = result.stats
        history.append(s)
        print(f"step {result.step}/{result.total_steps}  reward {s['env/reward_mean']:+.3f}  "
              f"kl {s['objective/kl']:.3f}  kl_coef {s['objective/kl_coef']:.3f}  {result.seconds:.1f}s",
              file=sys.stderr, flush=True)
    seconds = time.perf_counter() - t0

    report, table = evaluate_run(run_dir, samples=args.samples or 10**9)  # default: the whole test split
    print(format_report(report))
    rude = rude_ids(config.data.dataset)
    figs = figures(report, table, rude, history, seconds)
    print(f"PPO: {figs['steps']} steps in {seconds / 60:.1f} min; final KL {figs['kl_final']:.3f} "
          f"(max {figs['kl_max']:.3f}, kl_coef {figs['kl_coef_final']:.3f})")
    print(f"toxicity (mean P(hate)): all {figs['toxicity_before']:.4f} -> {figs['toxicity_after']:.4f} "
          f"({figs['toxicity_relative_change']:+.1%}); rude dialogues ({figs['rude_samples']}) "
          f"{figs['rude_toxicity_before']:.4f} -> {figs['rude_toxicity_after']:.4f}")
    print(f"ROUGE-L: {figs['rougeL_before']:.4f} -> {figs['rougeL_after']:.4f} ({figs['rougeL_relative_change']:+.1%})")
    for target, met in figs["targets_met"].items():
        print(f"  {'PASS' if met else 'FAIL'}  {target}")
    for _, row in table[table["id"].astype(str).isin(rude)].head(3).iterrows():
        print(f"  before: {row['summary_before']}\n  after:  {row['summary_after']}")
    if args.png:
        draw(figs, history, args.png)
        print(f"wrote {args.png}", file=sys.stderr)
    print(json.dumps(figs))
    if scratch is not None:
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
