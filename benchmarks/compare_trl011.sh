#!/usr/bin/env bash
# Runs TRL 0.11.4's anchor benchmark and ours on the same workload, back to back, and prints ratios.
# Usage: bash benchmarks/compare_trl011.sh [--size small|base] [--steps K] [-- extra ppo_step.py options, e.g. --dtype bfloat16]
#   env TRL_VENV (default /tmp/trl011-venv; built with ../shared/bench/setup_trl011_venv.sh if missing)
#   env PYTHON (default: python) for rlhf_core
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bench=${BENCH_DIR:-$here/../../shared/bench}
venv=${TRL_VENV:-/tmp/trl011-venv}
py=${PYTHON:-python}
size=small; steps=3
while [ $# -gt 0 ]; do
  case $1 in --size) size=$2; shift 2;; --steps) steps=$2; shift 2;; --) shift; break;; *) echo "unknown option $1" >&2; exit 2;; esac
done
[ -x "$venv/bin/python" ] || bash "$bench/setup_trl011_venv.sh" "$venv"
out=$(mktemp -d)
export HF_HUB_OFFLINE=1
echo "== TRL 0.11.4 PPOTrainer, batched generation ($size)" >&2
"$venv/bin/python" "$bench/trl011_ppo_bench.py" --size "$size" --gen-mode batched --steps "$steps" 2>/dev/null | tee "$out/trl.log" | grep -E "^step|^median" >&2
echo "== rlhf_core ($size)" >&2
"$py" "$here/ppo_step.py" --size "$size" --steps "$steps" "$@" 2>/dev/null | tee "$out/ours.log" | grep -E "^step|^median" >&2
"$py" - "$out/trl.log" "$out/ours.log" <<'PY'
import json, sys
trl, ours = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
print(f"{'phase':<12}{'TRL 0.11.4 s':>14}{'rlhf_core s':>14}{'speed-up':>10}")
for k in ("generation", "reward", "ppo_step", "total"):
    a, b = trl["median_s"][k], ours["median_s"][k]
    print(f"{k:<12}{a:>14.2f}{b:>14.2f}{a / b:>9.2f}x")
print(f"samples/s: TRL {trl['samples_per_s']:.3f}, rlhf_core {ours['samples_per_s']:.3f} -> {ours['samples_per_s'] / trl['samples_per_s']:.2f}x")
print(f"peak RSS: TRL {trl['peak_rss_mb']:.0f} MB, rlhf_core {ours['peak_rss_mb']:.0f} MB -> {ours['peak_rss_mb'] / trl['peak_rss_mb']:.2f}x")
print(f"update phase: {ours['update_flop_per_s'] / 1e9:.1f} GFLOP/s = {100 * ours['update_share_of_peak']:.0f}% of the measured matmul peak")
print(json.dumps({"trl": {k: trl[k] for k in ("median_s", "samples_per_s", "peak_rss_mb")},
                  "rlhf_core": {k: ours[k] for k in ("median_s", "samples_per_s", "peak_rss_mb", "update_share_of_peak")},
                  "speedup": ours["samples_per_s"] / trl["samples_per_s"],
                  "rss_ratio": ours["peak_rss_mb"] / trl["peak_rss_mb"]}))
PY
