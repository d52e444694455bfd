#!/usr/bin/env bash
# TRL 0.11.4 and rlhf_core on the same CUDA GPU in one run: flan-t5-base shape, bf16 weights, the
# workload of benchmarks/trl011_bench.py (batch 16, 64 new tokens). Prints samples/s, peak GPU memory
# (torch.cuda.max_memory_allocated) and generation tokens/s for both, then the ratios.
# Usage: bash benchmarks/gpu.sh [--size base|small] [--steps K] [--dtype bfloat16|float32] [--device cuda|cpu]
#        bash benchmarks/gpu.sh --dry-run   # the same code paths on the CPU, tiny shapes, seconds (tested)
#   env TRL_VENV (default /tmp/trl011-venv; built with benchmarks/setup_trl011_venv.sh if missing)
#   env PYTHON (default: python) for rlhf_core
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRL_VENV:-/tmp/trl011-venv}
py=${PYTHON:-python}
size=base; steps=3; dtype=bfloat16; device=cuda; extra=(); ours_extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2;;
    --steps) steps=$2; shift 2;;
    --dtype) dtype=$2; shift 2;;
    --device) device=$2; shift 2;;
    --dry-run) size=tiny; steps=1; device=cpu
               extra=(--warmup 0 --batch-size 4 --mini-batch-size 2 --max-new-tokens 5
                      --prompt-len-min 8 --prompt-len-max 12); ours_extra=(--matmul-n 128); shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
[ -f "$venv/.trl011-ready" ] || bash "$here/setup_trl011_venv.sh" "$venv"
out=$(mktemp -d)
export HF_HUB_OFFLINE=1
echo "== TRL 0.11.4 PPOTrainer, batched generation ($size, $dtype, $device)" >&2
"$venv/bin/python" "$here/trl011_on_device.py" --device "$device" --size "$size" --dtype "$dtype" \
  --gen-mode batched --steps "$steps" "${extra[@]}" 2>/dev/null | tee "$out/trl.log" | grep -E "^step|^median" >&2
echo "== rlhf_core ($size, $dtype, $device)" >&2
"$py" "$here/ppo_step.py" --device "$device" --size "$size" --dtype "$dtype" --steps "$steps" "${extra[@]}" "${ours_extra[@]}" \
  2>/dev/null | tee "$out/ours.log" | grep -E "^step|^median" >&2
"$py" - "$out/trl.log" "$out/ours.log" <<'PY'
import json, sys
trl, ours = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:])
def gpu(r):
    return "n/a (not a GPU)" if r["peak_gpu_mb"] is None else f"{r['peak_gpu_mb']:.0f}"
print(f"\n{'':<22}{'TRL 0.11.4':>16}{'rlhf_core':>16}{'ratio':>8}")
print(f"{'samples/s':<22}{trl['samples_per_s']:>16.3f}{ours['samples_per_s']:>16.3f}"
      f"{ours['samples_per_s'] / trl['samples_per_s']:>7.2f}x")
print(f"{'generation tokens/s':<22}{trl['generation_tokens_per_s']:>16.0f}{ours['generation_tokens_per_s']:>16.0f}"
      f"{ours['generation_tokens_per_s'] / trl['generation_tokens_per_s']:>7.2f}x")
ratio = "" if ours["peak_gpu_mb"] is None else f"{ours['peak_gpu_mb'] / trl['peak_gpu_mb']:>7.2f}x"
print(f"{'peak GPU memory MB':<22}{gpu(trl):>16}{gpu(ours):>16}{ratio}")
print(f"{'peak RSS MB':<22}{trl['peak_rss_mb']:>16.0f}{ours['peak_rss_mb']:>16.0f}")
for k in ("generation", "reward", "ppo_step", "total"):
    print(f"{k + ' s':<22}{trl['median_s'][k]:>16.3f}{ours['median_s'][k]:>16.3f}")
print(json.dumps({"device": ours["config"]["device"], "dtype": ours["config"]["dtype"], "size": ours["config"]["size"],
                  "speedup": ours["samples_per_s"] / trl["samples_per_s"],
                  "trl": {k: trl[k] for k in ("samples_per_s", "peak_gpu_mb", "generation_tokens_per_s", "peak_rss_mb")},
                  "rlhf_core": {k: ours[k] for k in ("samples_per_s", "peak_gpu_mb", "generation_tokens_per_s",
                                                     "peak_rss_mb")}}))
PY
