#!/usr/bin/env bash
# Builds a separate venv with TRL 0.11.4, the last TRL release whose PPOTrainer trains
# encoder-decoder (seq2seq) models, for benchmarks/trl011_bench.py and check_trl011_math.py.
# It cannot share the project's environment: TRL 0.11 needs transformers 4.x.
#
# Usage: bash benchmarks/setup_trl011_venv.sh [VENV_DIR]     (default: $TRL_VENV or /tmp/trl011-venv)
#   env PYTHON3      the interpreter that creates the venv (default python3; 3.11 seen working)
#   env TORCH_SPEC   the torch requirement (default torch==2.13.0: the CPU wheel where pip is set up
#                    for it, as here; on a GPU machine pick the build that matches its CUDA)
#
# Everything comes from PyPI through pip. The venv is marked ready (.trl011-ready) only once every
# install succeeded, so an interrupted build is redone on the next call instead of being used.
set -euo pipefail
venv=${1:-${TRL_VENV:-/tmp/trl011-venv}}
python3=${PYTHON3:-python3}
torch_spec=${TORCH_SPEC:-torch==2.13.0}
marker="$venv/.trl011-ready"

check="import torch, transformers, peft, accelerate, datasets, rich, trl; assert trl.__version__ == '0.11.4', trl.__version__"
if [ -f "$marker" ]; then
  echo "TRL 0.11.4 venv already built: $venv" >&2
  exit 0
fi
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  touch "$marker"  # built earlier (by hand or by an older script): use it as it is
  echo "TRL 0.11.4 venv found complete: $venv" >&2
  exit 0
fi
if [ -e "$venv" ] && [ ! -f "$venv/pyvenv.cfg" ] && [ -n "$(ls -A "$venv")" ]; then
  echo "error: $venv exists and is not a venv; give another folder" >&2
  exit 1
fi

echo "building the TRL 0.11.4 venv in $venv (a few minutes) ..." >&2
"$python3" -m venv --clear "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" "$torch_spec"
# Versions seen working together with torch 2.13 on Python 3.11. trl 0.11.4 imports rich
# without declaring it; numpy stays below 2.3 for transformers 4.46.
"${pip[@]}" \
  "trl==0.11.4" \
  "transformers==4.46.3" \
  "tokenizers==0.20.3" \
  "peft==0.13.2" \
  "accelerate==1.1.1" \
  "datasets==3.1.0" \
  "numpy<2.3" \
  "rich"
"$venv/bin/python" -c "$check"
touch "$marker"
echo "ready: $venv/bin/python benchmarks/trl011_bench.py --size small --gen-mode batched" >&2
