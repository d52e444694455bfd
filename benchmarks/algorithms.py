#!/usr/bin/env python
"""PPO vs RLOO vs GRPO on the offline demo, with a toxicity-only and a toxicity+fidelity reward.

Every run trains the `demo` preset (or `--preset`) with the same number of sampled summaries (optim.batch_size
samples a step: 16 dialogues for PPO, 4 dialogues x k=4 for RLOO/GRPO, times the same steps),
then evaluates on the same held-out test dialogues:
with the project's evaluation (`evaluate_run`: fixed test split, k sampled summaries each):
- toxicity: flagged share (P(toxic) > eval.flag_threshold) of *sampled* summaries before/after and
  its relative cut, scored by the independent judge when one is given (`--judge`) and otherwise by
  the reward model the policy was trained on (said so in the output: that one can be gamed);
- ROUGE-L of the sampled summaries against the references;
- hallucinated-entity rate of the sampled summaries (numbers/names absent from the dialogue);
- edit rate of non-toxic summaries: greedy summaries before vs after, for the dialogues whose
  greedy summary before was not flagged, word edit distance per word (and the share rewritten);
- wall time of training and peak RSS of the training process (each run in its own process).
Prints a mean +- std table over seeds, the issue's targets as met / not met, a Pareto chart, and
a last stdout line of JSON with every per-run figure.

    python benchmarks/algorithms.py --seeds 0,1,2,3,4                      # the full grid, one run at a time
    python benchmarks/algorithms.py --seeds 0 --steps 4 --samples 16      # a smoke run
    python benchmarks/algorithms.py --rewards shuffled-toxicity           # the control: training's noise floor
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ALGOS = ("ppo", "rloo", "grpo")
REWARDS = {"toxicity": {}, "toxicity+fidelity": {"reward.fidelity_weight": 4.0, "reward.anchor_weight": 0.0},
           "shuffled-toxicity": {}}
# "shuffled-toxicity" is a control, not a reward to use: the batch's toxicity rewards in random order, the same
# values without their signal. Its updates are as large as a toxicity run's but aim nowhere, so the edit rate of
# clean summaries they cause is the noise floor of training itself.
COLUMNS = (("flagged_before", "flagged before"), ("flagged_after", "flagged after"), ("toxicity_cut", "tox cut"),
           ("rougeL", "ROUGE-L"), ("hallucinated_rate", "halluc. rate"), ("edit_rate_nontoxic", "edit rate"),
           ("rewritten_share_nontoxic", "rewritten"), ("edit_rate_nontoxic_no_loops", "edit rate w/o loops"),
           ("looping_before_nontoxic", "loops before"), ("looping_after_nontoxic", "loops after"),
           ("train_seconds", "wall s"), ("peak_rss_mb", "peak RSS MB"))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="demo",
                   help="the preset every run starts from (default: the offline demo; e.g. flan-t5-base on a "
                        "GPU with the Hub, with its judge: --judge s-nlp/roberta_toxicity_classifier "
                        "--judge-label toxic)")
    p.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated run seeds")
    p.add_argument("--algos", default=",".join(ALGOS))
    p.add_argument("--rewards", default="toxicity,toxicity+fidelity",
                   help=f"any of: {', '.join(REWARDS)} (the last is a control, not in the default grid)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the demo preset's)")
    p.add_argument("--samples", type=int, default=None, help="test dialogues to evaluate (default: all)")
    p.add_argument("--judge", default=None, help="independent judge: a classifier folder")
    p.add_argument("--judge-label", default="toxic", help="the judge's toxic label")
    p.add_argument("--fidelity-weight", type=float, default=REWARDS["toxicity+fidelity"]["reward.fidelity_weight"],
                   help="reward.fidelity_weight of the toxicity+fidelity runs")
    p.add_argument("--anchor-weight", type=float, default=REWARDS["toxicity+fidelity"]["reward.anchor_weight"],
                   help="reward.anchor_weight of the toxicity+fidelity runs (0: off; README, anchor term)")
    p.add_argument("--toxicity-form", default="logit", choices=("logit", "probability"),
                   help="reward.toxicity_form of every run: the not-hate logit or P(not hate) (README, algorithms)")
    p.add_argument("--toxicity-weight", type=float, default=1.0, help="reward.toxicity_weight of every run")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for every run, e.g. critic_free.kl_coef=0.6 (repeatable)")
    p.add_argument("--sampled-k", type=int, default=2, help="summaries sampled per test dialogue (default 2)")
    p.add_argument("--jobs", type=int, default=1,
                   help="runs at a time (each one thread); >1 makes wall times share the CPU, alike for every algo")
    p.add_argument("--png", default=str(ROOT / "docs" / "algorithms_pareto.png"), help="Pareto chart ('' to skip)")
    p.add_argument("--collect", default=None, metavar="DIR",
                   help="print the table of the runs already finished in a grid folder (its per-run JSON files: "
                        "the folder `started` lines name), e.g. of a grid stopped early")
    p.add_argument("--one", default=None, help=argparse.SUPPRESS)  # internal: ALGO:REWARD:SEED in this process
    p.add_argument("--out", default=None, help=argparse.SUPPRESS)
    return p.parse_args(argv)


# ------------------------------------------------------------------------------------------ one run


def shuffled_toxicity(config, seed: int):
    """A reward_fn giving each batch its own toxicity rewards (the classifier's, as configured) in a random order."""
    from rlhf_core.models.reward import Reward, RewardModel

    toxicity = Reward(RewardModel.from_config(config.reward), config.reward.text, config.data.prompt_template,
                      {"toxicity": 1.0}, config.reward.toxicity_form)  # the run's Reward applies the weight
    rng = np.random.default_rng(seed)

    def reward_fn(prompts, summaries):
        return [float(v) for v in rng.permutation(toxicity(prompts, summaries))]

    return reward_fn


def run_one(algo: str, reward: str, seed: int, steps: int | None, samples: int | None, judge, judge_label,
            sampled_k: int, fidelity_weight: float, anchor_weight: float, toxicity_form: str = "logit",
            toxicity_weight: float = 1.0, settings: list[str] = (), preset: str = "demo") -> dict:
    import torch

    from rlhf_core import get_config, iter_train
    from rlhf_core.evaluation.evaluate import evaluate_run

    torch.set_num_threads(1)
    overrides = {"algo": algo, "seed": seed, "reward.toxicity_form": toxicity_form,
                 "reward.toxicity_weight": toxicity_weight, **REWARDS[reward],
                 **dict(item.split("=", 1) for item in settings)}
    if "reward.fidelity_weight" in overrides:
        overrides["reward.fidelity_weight"] = fidelity_weight
        overrides["reward.anchor_weight"] = anchor_weight
    if steps:
        overrides["steps"] = steps
    if judge:
        overrides.update({"eval.judge": judge, "eval.judge_label": judge_label})
    config = get_config(preset, overrides)
    with tempfile.TemporaryDirectory(prefix="algorithms-") as scratch:
        run_dir = Path(scratch) / "run"
        t0 = time.perf_counter()
        history = []
        for result in iter_train(config, run_dir, shuffled_toxicity(config, seed) if reward == "shuffled-toxicity"
                                 else None):
            history.append(result.stats)
            if result.step % 10 == 0:
                stats = result.stats
                print(f"  {algo} {reward} seed {seed}: step {result.step}, reward {stats['env/reward_mean']:+.2f}, "
                      f"KL {stats['objective/kl']:.2f}", file=sys.stderr, flush=True)
        seconds = time.perf_counter() - t0
        peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # training's peak (Linux: KiB)
        # the project's evaluation: fixed test split, greedy and k sampled summaries per dialogue
        report, table = evaluate_run(run_dir, samples, write=False, judge=None if judge else False,
                                     sampled_k=sampled_k)
    scorer = "judge" if "judge" in report["toxicity"]["sampled"] else "reward_model"
    tox = report["toxicity"]["sampled"][scorer]
    polite = table[table[f"greedy_{scorer}_toxicity_before"] <= report["flag_threshold"]]
    steady = polite[~(polite["loops_before"] | polite["loops_after"])]
    return {
        "preset": preset, "algo": algo, "reward": reward, "seed": seed, "steps": len(history),
        "fidelity_weight": config.reward.fidelity_weight, "anchor_weight": config.reward.anchor_weight,
        "toxicity_form": config.reward.toxicity_form, "toxicity_weight": config.reward.toxicity_weight,
        "settings": list(settings),
        "scorer": "judge" if scorer == "judge" else "reward model (trained on: not independent)",
        "samples": report["samples"], "sampled_k": sampled_k,
        "sampled_summaries_trained": len(history) * config.optim.batch_size,
        "flagged_before": tox["flagged_before"], "flagged_after": tox["flagged_after"],
        "toxicity_cut": (1 - tox["flagged_after"] / tox["flagged_before"]) if tox["flagged_before"] else None,
        "rougeL": report["rouge"]["sampled"]["all"]["after"]["rougeL"],
        "rougeL_before": report["rouge"]["sampled"]["all"]["before"]["rougeL"],
        "hallucinated_rate": report["fidelity"]["sampled"]["after"]["hallucinated_entity_rate"],
        "hallucinated_rate_before": report["fidelity"]["sampled"]["before"]["hallucinated_entity_rate"],
        "edit_rate_nontoxic": float(polite["edit_rate"].mean()) if len(polite) else None,
        "rewritten_share_nontoxic": float((polite["edit_rate"] > 0).mean()) if len(polite) else None,
        # the same without the summaries stuck in a repetition loop before or after (fidelity.loops): a loop
        # that comes or goes counts up to ~3 edits a word and dominates the mean on the demo's small model
        "edit_rate_nontoxic_no_loops": float(steady["edit_rate"].mean()) if len(steady) else None,
        "looping_before_nontoxic": int(polite["loops_before"].sum()),
        "looping_after_nontoxic": int(polite["loops_after"].sum()),
        "nontoxic_count": int(len(polite)),
        "train_seconds": seconds, "peak_rss_mb": peak_rss_mb,
        "kl_final": history[-1]["objective/kl"], "reward_final": history[-1]["env/reward_mean"],
    }


# ------------------------------------------------------------------------------------------ the grid


def run_grid(args) -> list[dict]:
    """Runs every (algo, reward, seed) in its own process, `--jobs` at a time; returns their figures."""
    jobs = [(a, r, s) for s in [int(x) for x in args.seeds.split(",")] for r in args.rewards.split(",")
            for a in args.algos.split(",")]
    results, running = [], []
    scratch = tempfile.mkdtemp(prefix="algorithms-grid-")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    while jobs or running:
        while jobs and len(running) < args.jobs:
            a, r, s = jobs.pop(0)
            out = Path(scratch) / f"{a}_{r}_{s}.json".replace("+", "-")
            cmd = [sys.executable, __file__, "--one", f"{a}:{r}:{s}", "--out", str(out)]
            for flag, value in (("--preset", args.preset), ("--steps", args.steps), ("--samples", args.samples),
                                ("--judge", args.judge),
                                ("--judge-label", args.judge_label), ("--sampled-k", args.sampled_k),
                                ("--fidelity-weight", args.fidelity_weight),
                                ("--anchor-weight", args.anchor_weight), ("--toxicity-form", args.toxicity_form),
                                ("--toxicity-weight", args.toxicity_weight)):
                if value is not None:
                    cmd += [flag, str(value)]
            for item in args.set:
                cmd += ["--set", item]
            running.append((subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL), out, (a, r, s)))
            print(f"started {a} {r} seed {s} ({out})", file=sys.stderr, flush=True)
        for entry in list(running):
            proc, out, key = entry
            if proc.poll() is None:
                continue
            running.remove(entry)
            if proc.returncode != 0 or not out.exists():
                print(f"error: run {key} failed (exit {proc.returncode})", file=sys.stderr)
                continue
            results.append(json.loads(out.read_text()))
            r = results[-1]
            print(f"done {key}: flagged {r['flagged_before']:.2f}->{r['flagged_after']:.2f}, ROUGE-L "
                  f"{r['rougeL']:.3f}, edit {r['edit_rate_nontoxic']}, {r['train_seconds']:.0f}s, "
                  f"{r['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
        time.sleep(1)
    return results


def summarise(results: list[dict]) -> dict[tuple[str, str], dict[str, tuple[float, float]]]:
    """Returns {(algo, reward): {figure: (mean, std over seeds)}}."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["algo"], r["reward"]), []).append(r)
    table = {}
    for key, runs in groups.items():
        table[key] = {"seeds": (len(runs), 0.0)}
        for name, _ in COLUMNS:
            values = [r[name] for r in runs if r.get(name) is not None]
            table[key][name] = (float(np.mean(values)), float(np.std(values))) if values else (float("nan"), 0.0)
    return table


def targets(table) -> list[str]:
    """The issue's targets, each line saying met / NOT met with its figures."""
    lines = []
    ppo = table.get(("ppo", "toxicity"))
    for algo in ("rloo", "grpo"):
        cf = table.get((algo, "toxicity"))
        if ppo and cf:
            cut_ok = cf["toxicity_cut"][0] >= ppo["toxicity_cut"][0] - ppo["toxicity_cut"][1]
            time_ratio = cf["train_seconds"][0] / ppo["train_seconds"][0]
            # lower by more than the seed spread of either: a 1 MB difference is noise, not a saving
            rss_ok = ppo["peak_rss_mb"][0] - cf["peak_rss_mb"][0] > max(ppo["peak_rss_mb"][1], cf["peak_rss_mb"][1])
            met = cut_ok and time_ratio <= 0.7 and rss_ok
            lines.append(f"{algo} vs ppo (toxicity only): cut {cf['toxicity_cut'][0]:.2f} vs "
                         f"{ppo['toxicity_cut'][0]:.2f} +- {ppo['toxicity_cut'][1]:.2f} "
                         f"({'ok' if cut_ok else 'short'}), wall {time_ratio:.2f}x "
                         f"({'ok' if time_ratio <= 0.7 else '> 0.7x'}), peak RSS {cf['peak_rss_mb'][0]:.0f} vs "
                         f"{ppo['peak_rss_mb'][0]:.0f} MB ({'lower' if rss_ok else 'not lower beyond the spread'}): "
                         f"{'MET' if met else 'NOT met'}")
    for algo in ALGOS:
        tox, fid = table.get((algo, "toxicity")), table.get((algo, "toxicity+fidelity"))
        if tox and fid:
            halves = fid["edit_rate_nontoxic"][0] <= 0.5 * tox["edit_rate_nontoxic"][0]
            halluc_ok = fid["hallucinated_rate"][0] <= tox["hallucinated_rate"][0]
            cut_ok = fid["toxicity_cut"][0] >= 0.8 * tox["toxicity_cut"][0]
            lines.append(f"{algo} +fidelity: edit rate {tox['edit_rate_nontoxic'][0]:.3f} -> "
                         f"{fid['edit_rate_nontoxic'][0]:.3f} ({'halved' if halves else 'not halved'}), halluc. "
                         f"{tox['hallucinated_rate'][0]:.3f} -> {fid['hallucinated_rate'][0]:.3f} "
                         f"({'ok' if halluc_ok else 'rose'}), cut {fid['toxicity_cut'][0]:.2f} vs 0.8 x "
                         f"{tox['toxicity_cut'][0]:.2f} ({'ok' if cut_ok else 'short'}): "
                         f"{'MET' if halves and halluc_ok and cut_ok else 'NOT met'}")
            before, after = tox["edit_rate_nontoxic_no_loops"][0], fid["edit_rate_nontoxic_no_loops"][0]
            if not np.isnan(after):  # not the target: what the loops hide
                steady = after <= 0.5 * before
                lines.append(f"  (not the target) without summaries that loop before or after: edit rate "
                             f"{before:.3f} -> {after:.3f} "
                             f"({'halved' if steady else 'not halved'}); looping clean summaries, before -> after: "
                             f"{tox['looping_before_nontoxic'][0]:.1f} -> {tox['looping_after_nontoxic'][0]:.1f} "
                             f"(toxicity only), {fid['looping_before_nontoxic'][0]:.1f} -> "
                             f"{fid['looping_after_nontoxic'][0]:.1f} (+ fidelity)")
    return lines


def format_table(table) -> str:
    head = "| algo | reward | seeds | " + " | ".join(label for _, label in COLUMNS) + " |"
    lines = [head, "|" + "---|" * (3 + len(COLUMNS))]
    for (algo, reward), figs in sorted(table.items(), key=lambda kv: (ALGOS.index(kv[0][0]), kv[0][1])):
        cells = [f"{figs[name][0]:.3g} +- {figs[name][1]:.2g}" for name, _ in COLUMNS]
        lines.append(f"| {algo} | {reward} | {figs['seeds'][0]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def draw(results: list[dict], path: str, scorer: str) -> None:
    """Two panels: flagged share vs ROUGE-L and vs hallucinated-entity rate, per run, front drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rlhf_core.evaluation.pareto import pareto_front

    colors = {"ppo": "tab:blue", "rloo": "tab:orange", "grpo": "tab:green"}
    markers = {"toxicity": "o", "toxicity+fidelity": "^", "shuffled-toxicity": "x"}
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, label, higher in ((axes[0], "rougeL", "ROUGE-L (higher is better)", True),
                                   (axes[1], "hallucinated_rate", "hallucinated-entity rate (lower is better)", False)):
        for r in results:
            ax.scatter(r["flagged_after"], r[key], color=colors[r["algo"]], marker=markers[r["reward"]], alpha=0.8)
        # the untrained policy, on the same test dialogues (every run's "before" is the same)
        ax.scatter(results[0]["flagged_before"], results[0][f"{key}_before"], color="black", marker="*", s=120,
                   label="before training" if ax is axes[0] else None)
        front = pareto_front([(r["flagged_after"], r[key]) for r in results], higher)
        ax.plot([x for x, _ in front], [y for _, y in front], color="black", linestyle="--", linewidth=1,
                label="Pareto front")
        ax.set_xlabel(f"flagged share of sampled summaries ({scorer})", fontsize=8)
        ax.set_ylabel(label, fontsize=9)
    for algo, color in colors.items():
        axes[0].scatter([], [], color=color, label=algo)
    for reward, marker in markers.items():
        axes[0].scatter([], [], color="grey", marker=marker, label=reward)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=8, loc="lower center", ncol=len(labels))  # below the plots: hides no run
    fig.suptitle("Demo preset, one point per run (algorithm x reward x seed)", fontsize=10)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.one:
        algo, reward, seed = args.one.split(":")
        result = run_one(algo, reward, int(seed), args.steps, args.samples, args.judge, args.judge_label,
                         args.sampled_k, args.fidelity_weight, args.anchor_weight, args.toxicity_form,
                         args.toxicity_weight, args.set, args.preset)
        Path(args.out).write_text(json.dumps(result))
        return 0
    for item in args.set:
        if "=" not in item:
            print(f"error: --set takes KEY=VALUE, not {item!r}", file=sys.stderr)
            return 2
    for reward in args.rewards.split(","):
        if reward not in REWARDS:
            print(f"error: unknown reward {reward!r}; choose from {', '.join(REWARDS)}", file=sys.stderr)
            return 2
    t0 = time.perf_counter()
    if args.collect:
        results = [json.loads(f.read_text()) for f in sorted(Path(args.collect).glob("*.json"))]
    else:
        results = run_grid(args)
    if not results:
        print("error: no run finished", file=sys.stderr)
        return 2
    table = summarise(results)
    print(f"toxicity scored by: {results[0]['scorer']}; {results[0]['samples']} test dialogues; "
          f"{results[0]['sampled_summaries_trained']} sampled summaries trained on per run; "
          + (f"{len(results)} runs collected from {args.collect}" if args.collect else
             f"{args.jobs} run(s) at a time; grid took {time.perf_counter() - t0:.0f}s"))
    print(format_table(table))
    for line in targets(table):
        print(line)
    if args.png:
        draw(results, args.png, results[0]["scorer"].split(" (")[0])
        print(f"chart: {args.png}")
    print(json.dumps({"runs": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
