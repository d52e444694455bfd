"""How many CPU threads torch uses for a run (config `cpu_threads`).

The demo's models (d_model 128) are too small to split across cores: a second thread only adds
hand-offs, and on a busy 2-core machine two threads wait on each other (OpenMP spins): 32
sampled demo summaries took 25 s with 2 threads and 1.5 s with 1 under a load of 4
(benchmarks/demo_speed.py measures a whole step and evaluation).
"""

from __future__ import annotations

import torch


def use_cpu_threads(threads: int | None) -> None:
    """Sets torch's intra-op CPU threads; None keeps torch's choice (one per core)."""
    if threads is not None and threads != torch.get_num_threads():
        torch.set_num_threads(threads)
