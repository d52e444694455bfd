#!/usr/bin/env bash
# The full-size dry run (benchmarks/full_size.py) on a CUDA GPU, offline: random-weight flan-t5-base
# (LoRA r=32 on q,v + value head) and the two roberta-base classifiers, through the real CLI (train,
# evaluate) and the real app (one summary through gradio_client), at the precision the product picks
# there (`--dtype auto`: bf16 on Ampere or newer, float32 on a T4); then three float32 steps for the
# T4 estimate and one float32 step at the default batch (16, mini-batch 4, 400 new tokens) measured
# directly. Prints one table (seconds, peak RSS, peak torch.cuda.max_memory_allocated per phase).
# Needs no network: it builds everything it loads.
# Usage: bash benchmarks/gpu.sh [--dtype auto|float32|bfloat16] [--steps K] [--out DIR] [--with-trl]
#        bash benchmarks/gpu.sh --dry-run   # the same script on the CPU at toy dims, under a minute (tested)
#   --with-trl  also TRL 0.11.4 vs rlhf_core on trl011_bench.py's workload (flan-t5-base shape, batch 16,
#               64 new tokens), as rows of the same table; only if $TRL_VENV (default /tmp/trl011-venv) is
#               already built (benchmarks/setup_trl011_venv.sh, which needs the network): never built here
#   env PYTHON (default: python) for rlhf_core
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=${TRL_VENV:-/tmp/trl011-venv}
py=${PYTHON:-python}
device=cuda; dtype=auto; steps=2; out=(); trl=0; dry=0
while [ $# -gt 0 ]; do
  case $1 in
    --dtype) dtype=$2; shift 2;;
    --steps) steps=$2; shift 2;;
    --out) out=(--out "$2"); shift 2;;
    --device) device=$2; shift 2;;
    --with-trl) trl=1; shift;;
    --dry-run) dry=1; device=cpu; shift;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
export HF_HUB_OFFLINE=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$dry" = 1 ]; then
  sizes=(--shrink --steps 1 --samples 1 --batch-size 2 --max-new-tokens 8 --skip-app --no-estimate)
else
  sizes=(--steps "$steps" --measure-default)
fi
extra=()
if [ "$trl" = 1 ]; then
  if [ ! -f "$venv/.trl011-ready" ]; then
    echo "note: $venv is not built, so no TRL 0.11.4 comparison (bash $here/setup_trl011_venv.sh $venv needs the network)" >&2
  else
    hide=(); [ "$device" = cpu ] && hide=(env CUDA_VISIBLE_DEVICES=)  # the CPU's own pick under --dry-run
    bench_dtype=$(cd "$here/.." && "${hide[@]}" "$py" -c "from rlhf_core.models.precision import resolve_dtype
print(str(resolve_dtype('$dtype')).removeprefix('torch.'))")
    size=base; bench=(); ours=()
    if [ "$dry" = 1 ]; then
      size=tiny; bench=(--warmup 0 --batch-size 4 --mini-batch-size 2 --max-new-tokens 5 --prompt-len-min 8
                        --prompt-len-max 12); ours=(--matmul-n 128)
    fi
    echo "== TRL 0.11.4 PPOTrainer, batched generation ($size, $bench_dtype, $device)" >&2
    "$venv/bin/python" "$here/trl011_on_device.py" --device "$device" --size "$size" --dtype "$bench_dtype" \
      --gen-mode batched --steps 1 "${bench[@]}" 2>/dev/null > "$tmp/trl.log"
    echo "== rlhf_core ppo_step.py ($size, $bench_dtype, $device)" >&2
    "$py" "$here/ppo_step.py" --device "$device" --size "$size" --dtype "$bench_dtype" --steps 1 --skip-floor \
      "${bench[@]}" "${ours[@]}" 2>/dev/null > "$tmp/ours.log"
    "$py" - "$tmp/trl.log" "$tmp/ours.log" "$tmp/rows.json" "$size" "$bench_dtype" <<'PY'
import json, sys
trl, ours = (json.loads(open(p).read().strip().splitlines()[-1]) for p in sys.argv[1:3])
size, dtype = sys.argv[4:6]
work = f"trl011_bench {size} shape, batch {ours['config']['batch_size']}, {dtype}"
rows = [{"phase": "TRL 0.11.4 step (bench)", "seconds": trl["median_s"]["total"], "peak_rss_mb": trl["peak_rss_mb"],
         "peak_gpu_mb": trl["peak_gpu_mb"], "note": f"{trl['samples_per_s']:.2f} samples/s; {work}"},
        {"phase": "rlhf_core step (bench)", "seconds": ours["median_s"]["total"], "peak_rss_mb": ours["peak_rss_mb"],
         "peak_gpu_mb": ours["peak_gpu_mb"],
         "note": f"{ours['samples_per_s']:.2f} samples/s = {ours['samples_per_s'] / trl['samples_per_s']:.2f}x TRL's"}]
json.dump(rows, open(sys.argv[3], "w"))
PY
    extra=(--extra-rows "$tmp/rows.json")
  fi
fi
"$py" "$here/full_size.py" --device "$device" --dtype "$dtype" --python "$py" "${sizes[@]}" "${out[@]}" "${extra[@]}"
