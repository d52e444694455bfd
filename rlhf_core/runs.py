"""Run directories: config, per-step metrics, and checkpoints that survive a crash at any moment.

    RUN/config.json           the full Config of the run
    RUN/metrics.jsonl         one JSON object per PPO step (appended, fsynced)
    RUN/checkpoint/           adapter (PEFT, safetensors), value head, optimizer, trainer_state.json
    RUN/eval.json, eval_samples.csv/.json   written by evaluation

A checkpoint is written into a temporary folder and swapped in by rename, so a kill during a
write leaves the previous complete checkpoint loadable (`checkpoint.old` covers the instant
between the two renames).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from pathlib import Path

from .config import Config
from .errors import UserError
from .paths import PROJECT_ROOT

CHECKPOINT = "checkpoint"
STATE_FILE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"


def runs_root() -> Path:
    """The folder that holds saved runs: $RLHF_RUNS_DIR or checkpoints/runs in the project."""
    return Path(os.environ.get("RLHF_RUNS_DIR", PROJECT_ROOT / "checkpoints" / "runs"))


def safe_run_name(name: str) -> str:
    """Returns `name` if it is a plain folder name (letters, digits, . _ -), else raises UserError."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", name or "") or ".." in name:
        raise UserError(f"invalid run name {name!r}: use 1-100 letters, digits, '.', '_' or '-' (no slashes)")
    return name


def run_path(name: str, root: Path | None = None) -> Path:
    """Returns the folder of run `name` inside the runs root, refusing names that escape it."""
    root = (root or runs_root()).resolve()
    path = (root / safe_run_name(name)).resolve()
    if path.parent != root:
        raise UserError(f"invalid run name {name!r}")
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Writes a file via temp file + fsync + rename, so readers see the old or the new content."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # keep the line valid JSON; readers see "nan"/"inf"
    return value


class RunDir:
    """A run's folder on disk."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # -------------------------------------------------------------- creation

    def check_new(self) -> None:
        """Raises UserError if the folder already holds something (a new run never overwrites)."""
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise UserError(f"run directory {self.path} already exists; pass --resume to continue it or pick another")

    def create(self, config: Config, resume: bool = False) -> None:
        """Creates the folder and writes config.json; refuses an existing run unless resuming."""
        if not resume:
            self.check_new()
        if resume and not self.exists():
            raise UserError(f"cannot resume: {self.path} holds no run (config.json missing)")
        self.path.mkdir(parents=True, exist_ok=True)
        if not resume or self.config().to_dict() != config.to_dict():  # a resume may change safe settings
            atomic_write_text(self.path / "config.json", config.to_json())

    def exists(self) -> bool:
        return (self.path / "config.json").is_file()

    def config(self) -> Config:
        if not self.exists():
            raise UserError(f"{self.path} is not a run directory (config.json missing)")
        return Config.from_dict(json.loads((self.path / "config.json").read_text()))

    # -------------------------------------------------------------- metrics

    def append_metrics(self, record: dict) -> None:
        """Appends one step's stats as a JSON line and fsyncs it."""
        self._append("metrics.jsonl", {k: _json_safe(v) for k, v in record.items()})

    def append_samples(self, step: int, samples: list[dict]) -> None:
        """Appends a few of the step's (dialogue, summary, reward) triples, to read what it writes."""
        self._append("samples.jsonl", {"step": step, "samples": samples})

    def _append(self, name: str, record: dict) -> None:
        with open(self.path / name, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
            f.flush()
            os.fsync(f.fileno())

    def metrics(self) -> list[dict]:
        """Returns the complete metric lines (a line cut short by a crash is skipped)."""
        path = self.path / "metrics.jsonl"
        if not path.is_file():
            return []
        records = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records

    def truncate_metrics(self, last_step: int) -> None:
        """Keeps only metric lines up to `last_step` (steps after the last checkpoint are redone)."""
        kept = [r for r in self.metrics() if r.get("step", 0) <= last_step]
        atomic_write_text(self.path / "metrics.jsonl", "".join(json.dumps(r) + "\n" for r in kept))

    # -------------------------------------------------------------- checkpoints

    def checkpoint_dir(self) -> Path | None:
        """Returns the newest complete checkpoint folder, or None."""
        for name in (CHECKPOINT, CHECKPOINT + ".old"):
            folder = self.path / name
            if (folder / STATE_FILE).is_file():
                return folder
        return None

    def save_checkpoint(self, policy, optimizer, state: dict) -> Path:
        """Writes adapter, value head, optimizer and trainer state atomically; returns the folder."""
        for stale in self.path.glob(f".{CHECKPOINT}.tmp-*"):  # left by a process killed mid-write
            shutil.rmtree(stale, ignore_errors=True)
        tmp = self.path / f".{CHECKPOINT}.tmp-{os.getpid()}"
        policy.save(tmp)
        from safetensors.torch import save_file  # torch on first use: listing runs (the app's start) needs none

        save_file(optimizer_tensors(optimizer), str(tmp / OPTIMIZER_FILE))
        (tmp / STATE_FILE).write_text(json.dumps(state, indent=2))  # written last: marks completeness
        _fsync_tree(tmp)
        final, old = self.path / CHECKPOINT, self.path / (CHECKPOINT + ".old")
        # `final` only ever comes from renaming a complete folder, so whenever it exists `old` is
        # redundant; if a crash left only `old`, the new folder goes straight into place.
        if final.exists():
            if old.exists():
                shutil.rmtree(old)
            os.replace(final, old)
        os.replace(tmp, final)
        _fsync_dir(self.path)
        if old.exists():
            shutil.rmtree(old)
        return final

    def load_checkpoint(self, policy, optimizer) -> dict | None:
        """Restores what `save_checkpoint` wrote (adapter, value head, optimizer) and returns its
        state dict, or returns None when the run has no checkpoint yet."""
        folder = self.checkpoint_dir()
        if folder is None:
            return None
        policy.load(folder)
        load_optimizer_tensors(optimizer, folder / OPTIMIZER_FILE)
        return json.loads((folder / STATE_FILE).read_text())

    def load_state(self) -> dict | None:
        """Returns the newest checkpoint's state dict (step, KL controller), or None."""
        folder = self.checkpoint_dir()
        return json.loads((folder / STATE_FILE).read_text()) if folder else None


def optimizer_tensors(optimizer) -> dict:
    """Flattens an optimizer's per-parameter state into named tensors for safetensors."""
    import torch

    tensors = {}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensor = value if torch.is_tensor(value) else torch.tensor(value)
            tensors[f"{index}.{key}"] = tensor.detach().cpu().contiguous()
    return tensors


def load_optimizer_tensors(optimizer, path: Path) -> None:
    """Restores optimizer state written by `optimizer_tensors` (same parameter order)."""
    from safetensors.torch import load_file

    tensors = load_file(str(path))
    state_dict = optimizer.state_dict()
    state: dict[int, dict] = {}
    for name, tensor in tensors.items():
        index, key = name.split(".", 1)
        state.setdefault(int(index), {})[key] = tensor
    state_dict["state"] = state
    optimizer.load_state_dict(state_dict)


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def list_runs(root: Path | None = None) -> list[RunDir]:
    """Returns the saved runs under the runs root, newest first."""
    root = root or runs_root()
    if not root.is_dir():
        return []
    runs = [RunDir(p) for p in root.iterdir() if p.is_dir() and (p / "config.json").is_file()]
    return sorted(runs, key=lambda r: (r.path / "config.json").stat().st_mtime, reverse=True)


def delete_run(name: str, root: Path | None = None) -> None:
    """Deletes a saved run by name (only inside the runs root)."""
    path = run_path(name, root)
    if not (path / "config.json").is_file():
        raise UserError(f"no run named {name!r}")
    shutil.rmtree(path)
