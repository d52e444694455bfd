#!/usr/bin/env python
"""How long after Stop does a run end? Trains the `demo` preset (one torch thread) and sets the stop
request at 10%, 30%, 50%, 70% and 90% of step 3, five runs, then prints the seconds from Stop to the
run's end and the steps kept. Stop is checked inside a step (between sampling groups, after scoring,
after the no-grad passes and between mini-batch updates), so the run should end well before the
step would have finished; the step is dropped and the checkpoint stays the last finished step's.

    python benchmarks/stop_latency.py            # about a minute on one CPU thread
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FRACTIONS = [0.1, 0.3, 0.5, 0.7, 0.9]


def stop_once(fraction: float) -> tuple[float, float, int]:
    """Returns (seconds from Stop to the run's end, seconds of a step, steps kept)."""
    from rlhf_core import get_config, iter_train

    config = get_config("demo", {"steps": 50})
    cancel = threading.Event()
    steps: list[float] = []
    ended: dict[str, float] = {}
    folder = tempfile.mkdtemp(prefix="stop-latency-")

    def work() -> None:
        for result in iter_train(config, Path(folder) / "run", cancel=cancel):
            steps.append(result.seconds)
        ended["at"] = time.perf_counter()

    thread = threading.Thread(target=work)
    thread.start()
    while len(steps) < 2:
        time.sleep(0.01)
    step_seconds = steps[-1]
    time.sleep(fraction * step_seconds)
    stopped = time.perf_counter()
    cancel.set()
    thread.join()
    shutil.rmtree(folder, ignore_errors=True)
    return ended["at"] - stopped, step_seconds, len(steps)


def main() -> None:
    import torch

    torch.set_num_threads(1)
    waits = []
    for fraction in FRACTIONS:
        wait, step_seconds, kept = stop_once(fraction)
        waits.append(wait)
        print(f"stop at {fraction:.0%} of step 3 (a step: {step_seconds:.2f} s): the run ended {wait:.2f} s "
              f"later, {kept} steps kept", flush=True)
    print(f"Stop -> end: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s")


if __name__ == "__main__":
    main()
