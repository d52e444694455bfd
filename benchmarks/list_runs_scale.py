#!/usr/bin/env python
"""How the app's run listing scales: ms per call with 10 and with 1,000 saved runs, in one process.

Trains one tiny run (2 PPO steps) and evaluates it, then fills two runs folders with copies of its
listed files (config.json, a 50-step metrics.jsonl, checkpoint/trainer_state.json, eval.json on every
other run; no weights: nothing that lists runs reads them) and times, per folder:

  list_runs     the Runs tab's refresh (`tab_views.runs_view`, the API's /list_runs): the run table,
                the curves of the newest runs, the picker, the Pareto chart
  after_choices the "after" pickers (`tab_views.after_choices`), which /summarize_dialogue's notes
                and every page load also read
  runs          `run_list.runs()` alone

Each figure is the median of --repeat calls after one warm-up call (the first call of a folder
parses every run; later ones read the index, `webapp/run_index.py`). The first call is printed too.

    HF_HUB_OFFLINE=1 python benchmarks/list_runs_scale.py            # 10 vs 1,000 runs
    HF_HUB_OFFLINE=1 python benchmarks/list_runs_scale.py --sizes 10 505 1000 --repeat 7
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

METRIC_STEPS = 50


def template_run(folder: Path) -> Path:
    """A real tiny run, trained 2 steps and evaluated on 2 test dialogues."""
    import torch

    torch.set_num_threads(1)
    from rlhf_core import get_config, train
    from rlhf_core.evaluation.evaluate import evaluate_run

    run = folder / "template"
    train(get_config("tiny", {"steps": 2}), run, reward_fn=lambda p, s: [float(len(x) % 5) for x in s])
    evaluate_run(run, samples=2, judge=False)
    return run


def fill(root: Path, template: Path, count: int) -> None:
    """`count` runs in `root`, each with the template's listed files and a METRIC_STEPS-step metrics.jsonl."""
    record = json.loads((template / "metrics.jsonl").read_text().splitlines()[0])
    metrics = "".join(json.dumps({**record, "step": step}) + "\n" for step in range(1, METRIC_STEPS + 1))
    config = json.loads((template / "config.json").read_text())
    config["steps"] = METRIC_STEPS
    for i in range(count):
        run = root / f"run-{i:05d}"
        (run / "checkpoint").mkdir(parents=True)
        (run / "config.json").write_text(json.dumps(config))
        (run / "metrics.jsonl").write_text(metrics)
        (run / "checkpoint" / "trainer_state.json").write_text(json.dumps({"step": METRIC_STEPS}))
        if i % 2 == 0:
            shutil.copy(template / "eval.json", run / "eval.json")
        stamp = time.time() - 3600 + i  # created over the last hour, oldest first
        os.utime(run / "config.json", (stamp, stamp))
        os.utime(run, (stamp, stamp))


def timed(call, repeat: int) -> tuple[float, float]:
    """(first call ms, median ms of `repeat` later calls)."""
    started = time.perf_counter()
    call()
    first = 1000 * (time.perf_counter() - started)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(1000 * (time.perf_counter() - started))
    return first, statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("RLHF_PRESET", "tiny")
    work = Path(tempfile.mkdtemp(prefix="list-runs-scale-"))
    try:
        template = template_run(work)
        from webapp import run_list, tab_views

        calls = {"list_runs": tab_views.runs_view, "after_choices": tab_views.after_choices, "runs": run_list.runs}
        results = {}
        for size in args.sizes:
            root = work / f"runs-{size}"
            fill(root, template, size)
            os.environ["RLHF_RUNS_DIR"] = str(root)
            assert len(run_list.runs()) == size
            results[size] = {name: timed(call, args.repeat) for name, call in calls.items()}
        print(f"{'call':<14}" + "".join(f"{f'{s} runs: first / then ms':>30}" for s in args.sizes)
              + f"{'ratio':>9}")
        small, large = args.sizes[0], args.sizes[-1]
        for name in calls:
            cells = "".join(f"{results[s][name][0]:>19.1f} / {results[s][name][1]:>8.1f}" for s in args.sizes)
            print(f"{name:<14}{cells}{results[large][name][1] / results[small][name][1]:>8.2f}x")
        print(f"(ratio: median ms at {large} runs / at {small} runs, after the first call; "
              f"{args.repeat} calls each, one process)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
