"""Which base weights an adapter was trained on. A LoRA adapter only means something on top of the
weights it was trained with; a local base folder can be retrained in place (`build-demo` rewrites
`checkpoints/demo/policy` with the same shapes), and an old run's adapter then loads without error
and summarises nonsense. Each checkpoint records a fingerprint of its local base's weight files
(`base_model.json`); loading it on other weights is refused with one line. Hub ids are not
fingerprinted (a Hub revision does not change under a name the way a local folder can).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..errors import UserError

FILE = "base_model.json"
WEIGHT_PATTERNS = ("*.safetensors", "*.bin")
HEAD_BYTES = 1 << 20  # retraining changes every tensor: the first MiB of each file (and its size) tells


def fingerprint(policy: str) -> str | None:
    """A short hash of a local base folder's weight files (names, sizes and first MiB), or None for
    anything that is not a local folder with weight files (a Hub id, a built-in model)."""
    folder = Path(policy)
    if not folder.is_dir():
        return None
    files = sorted({f for pattern in WEIGHT_PATTERNS for f in folder.glob(pattern) if f.is_file()})
    if not files:
        return None
    digest = hashlib.sha256()
    for file in files:
        digest.update(f"{file.name}\0{file.stat().st_size}\0".encode())
        with open(file, "rb") as handle:
            digest.update(handle.read(HEAD_BYTES))
    return digest.hexdigest()[:16]


def record(folder: str | Path, policy: str) -> None:
    """Writes `folder/base_model.json` for a checkpoint trained on `policy` (nothing for unfingerprinted bases)."""
    mark = fingerprint(policy)
    if mark is not None:
        (Path(folder) / FILE).write_text(json.dumps({"policy": policy, "fingerprint": mark}) + "\n")


def check(folder: str | Path, policy: str) -> None:
    """Refuses to load the adapter in `folder` on `policy` when its recorded base had other weights.
    Checkpoints without the record (older runs, Hub bases) load as before."""
    file = Path(folder) / FILE
    if not file.is_file():
        return
    try:
        recorded = json.loads(file.read_text()).get("fingerprint")
    except (OSError, ValueError, AttributeError):
        raise UserError(f"{file} is unreadable; restore it, or delete it to load the adapter unchecked") from None
    current = fingerprint(policy)
    if recorded and current and recorded != current:
        raise UserError(f"{folder} was trained on other weights of {policy} than the ones there now (the base "
                        "was rebuilt or replaced since): its summaries would be meaningless; load it with the base "
                        "it was trained on, or start a new run")
