"""Shared test setup: offline, deterministic, single-threaded where it matters."""

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DIALOGSUM_DEV = ROOT.parent / "shared" / "data" / "dialogsum" / "dialogsum.dev.jsonl"

import torch  # noqa: E402

# Tiny models run fastest on one thread, and a busy 2-core machine punishes oversubscription.
torch.set_num_threads(1)
