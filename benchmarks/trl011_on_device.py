#!/usr/bin/env python
"""TRL 0.11.4's benchmark (`benchmarks/trl011_bench.py`) on a chosen device, CUDA by default.

Kept for `benchmarks/gpu.sh` and older notes: it is `trl011_bench.py --device cuda` (the reward
model on the GPU as well, each phase timed to the GPU's end), with `--device cpu` for dry runs.
The last stdout line is the benchmark's JSON, which carries `device`, `peak_gpu_mb`
(torch.cuda.max_memory_allocated, None off CUDA) and `generation_tokens_per_s`.
Run it with TRL 0.11.4's Python (`bash benchmarks/setup_trl011_venv.sh`):

    /tmp/trl011-venv/bin/python benchmarks/trl011_on_device.py --device cuda --size base --dtype bfloat16
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent / "trl011_bench.py"


def load_bench(path: Path = BENCH):
    spec = importlib.util.spec_from_file_location("trl011_bench", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--device", choices=["cpu", "cuda"], default="cuda")
    ours, rest = p.parse_known_args(argv)
    return load_bench().main(["--device", ours.device, *rest])


if __name__ == "__main__":
    main()
