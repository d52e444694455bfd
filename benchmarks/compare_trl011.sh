#!/usr/bin/env bash
# Runs TRL 0.11.4's anchor benchmark and ours on the same workload, back to back, and prints ratios.
# Usage: bash benchmarks/compare_trl011.sh [--size small|base] [--steps K] [--trl-mode batched|lab]
#                                          [--ours "ppo_step.py options"]...
#   --trl-mode lab: TRL generates one prompt at a time, as the original lab did (default: batched).
#   Each --ours runs rlhf_core once more with those options, against the same TRL run, e.g.
#   --ours "" (the CLI's precision, `model.dtype` auto). Default: both precisions,
#   --ours "--dtype float32" --ours "--dtype bfloat16".
#   env TRL_VENV (default /tmp/trl011-venv; built with benchmarks/setup_trl011_venv.sh if missing)
#   env PYTHON (default: python) for rlhf_core
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRL_VENV:-/tmp/trl011-venv}
py=${PYTHON:-python}
size=small; steps=3; mode=batched; ours=()
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2;;
    --steps) steps=$2; shift 2;;
    --trl-mode) mode=$2; shift 2;;
    --ours) ours+=("$2"); shift 2;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
[ ${#ours[@]} -gt 0 ] || ours=("--dtype float32" "--dtype bfloat16")
[ -f "$venv/.trl011-ready" ] || bash "$here/setup_trl011_venv.sh" "$venv"
out=$(mktemp -d)
export HF_HUB_OFFLINE=1
echo "== TRL 0.11.4 PPOTrainer, $mode generation ($size)" >&2
"$venv/bin/python" "$here/trl011_bench.py" --size "$size" --gen-mode "$mode" --steps "$steps" 2>/dev/null | tee "$out/trl.log" | grep -E "^step|^median" >&2
logs=()
for i in "${!ours[@]}"; do
  echo "== rlhf_core ($size) ${ours[$i]}" >&2
  # shellcheck disable=SC2086  # options are word-split on purpose
  "$py" "$here/ppo_step.py" --size "$size" --steps "$steps" ${ours[$i]} 2>/dev/null | tee "$out/ours$i.log" | grep -E "^step|^median" >&2
  logs+=("$out/ours$i.log")
done
"$py" - "$out/trl.log" "${logs[@]}" <<'PY'
import json, sys
trl = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
runs = [json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[2:]]
print(f"\n{'phase':<12}{'TRL 0.11.4 s':>14}" + "".join(f"{'rlhf_core ' + r['config']['dtype']:>22}" for r in runs))
for k in ("generation", "reward", "ppo_step", "total"):
    a = trl["median_s"][k]
    print(f"{k:<12}{a:>14.2f}" + "".join(f"{r['median_s'][k]:>13.2f} ({a / r['median_s'][k]:.2f}x)" for r in runs))
print(f"{'samples/s':<12}{trl['samples_per_s']:>14.3f}" + "".join(
    f"{r['samples_per_s']:>13.3f} ({r['samples_per_s'] / trl['samples_per_s']:.2f}x)" for r in runs))
print(f"{'peak RSS MB':<12}{trl['peak_rss_mb']:>14.0f}" + "".join(
    f"{r['peak_rss_mb']:>13.0f} ({r['peak_rss_mb'] / trl['peak_rss_mb']:.2f}x)" for r in runs))
for r in runs:
    print(f"update phase ({r['config']['dtype']}): {r['update_flop_per_s'] / 1e9:.1f} GFLOP/s = "
          f"{100 * r['update_share_of_peak']:.0f}% of the measured {r['config']['dtype']} matmul peak "
          f"({r['matmul_peak_flop_per_s'] / 1e9:.0f} GFLOP/s)")
for r in runs:
    c = r.get("step_floor")
    if c:  # the same work at this machine's matmul peak (generation: its matmul floor)
        print(f"ceiling ({r['config']['dtype']}): a step cannot take less than {c['total_s']:.2f}s here (generation "
              f"{c['generation_s']:.2f} + reward {c['reward_s']:.2f} + update {c['update_s']:.2f}), i.e. at most "
              f"{c['samples_per_s'] / trl['samples_per_s']:.2f}x TRL's samples/s without doing fewer FLOPs; "
              f"this run reached {r['samples_per_s'] / c['samples_per_s']:.0%} of that ceiling")
    u = r.get("update_matmul_floor")
    if c and u:  # the update's real matrix products, replayed alone, instead of its FLOPs at the peak
        total = c["generation_s"] + c["reward_s"] + u["floor_s"]
        print(f"  with the update's own products replayed ({u['floor_s']:.2f}s, {r['update_over_matmul_floor']:.2f}x "
              f"below the measured update): at least {total:.2f}s a step, at most "
              f"{r['config']['batch_size'] / total / trl['samples_per_s']:.2f}x TRL")
print(json.dumps({"trl": {k: trl[k] for k in ("median_s", "samples_per_s", "peak_rss_mb")},
                  "rlhf_core": [{k: r[k] for k in ("config", "median_s", "samples_per_s", "peak_rss_mb", "update_share_of_peak")}
                                for r in runs],
                  "speedup": [r["samples_per_s"] / trl["samples_per_s"] for r in runs],
                  "rss_ratio": [r["peak_rss_mb"] / trl["peak_rss_mb"] for r in runs],
                  "ceiling_speedup": [r["step_floor"]["samples_per_s"] / trl["samples_per_s"] if r.get("step_floor")
                                      else None for r in runs]}))
PY
