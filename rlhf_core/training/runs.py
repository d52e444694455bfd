"""Run directories: config, per-step metrics, and checkpoints that survive a crash at any moment.

    RUN/config.json           the full Config of the run
    RUN/metrics.jsonl         one JSON object per PPO step (appended, fsynced)
    RUN/samples.jsonl         a few (dialogue, summary, reward) triples per step
    RUN/checkpoint/           adapter (PEFT, safetensors), value head, optimizer, trainer_state.json
    RUN/eval.json, eval_samples.csv/.json   written by evaluation; RUN/ratings.jsonl: people's votes
    RUN/.lock                 held (flock) by the process training the run; holds its pid

A checkpoint is written into a temporary folder and swapped in by rename, so a kill during a
write leaves the previous complete checkpoint loadable (`checkpoint.old` covers the instant
between the two renames). Everything read back is checked: a malformed file raises UserError
naming the file (never a traceback), and `metrics()` skips lines that are not step records.
A run folder holds only its own files: a symbolic link among them (`checkpoint` -> elsewhere, a
linked `metrics.jsonl` that appends would follow) is refused before anything is read or written.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import math
import os
import re
import shutil
from pathlib import Path

from safetensors import SafetensorError  # the Rust core only: no torch on import

from ..config import Config, validate
from ..config.json_files import parse_json, read_json_file
from ..errors import UserError
from ..paths import PROJECT_ROOT

CHECKPOINT = "checkpoint"
STATE_FILE = "trainer_state.json"
OPTIMIZER_FILE = "optimizer.safetensors"
LOCK_FILE = ".lock"
# What a run folder holds (besides a trainer's own tracker folders): none of it may be a symbolic link.
RUN_ENTRIES = ("config.json", "metrics.jsonl", "samples.jsonl", "eval.json", "eval_samples.csv",
               "eval_samples.json", "ratings.jsonl", LOCK_FILE, CHECKPOINT, CHECKPOINT + ".old")


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
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        _fsync_dir(path.parent)  # the rename itself survives a power cut
    except OSError as error:
        _remove(tmp)  # never raises: a read-only folder would refuse the unlink too
        raise UserError(f"could not write {path}: {error.strerror or error}; the previous version is kept") from None


def read_json(path: Path, what: str | None = None, allow_nan: bool = True):
    """Returns a JSON file's content or raises UserError naming the file (`json_files.read_json_file`);
    NaN literals pass by default: `json.dumps` writes them into evaluation reports."""
    return read_json_file(path, what, allow_nan=allow_nan)


def _remove(path: Path) -> None:
    """Removes a file, a symbolic link (never what it points to) or a folder; ignores what is gone."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def _names(folder: Path) -> list[str]:
    with contextlib.suppress(OSError):  # unreadable: what reads it later says so
        return os.listdir(folder)
    return []


def _step_record(record) -> bool:
    """True for a metrics/samples line that is a JSON object with a whole-number step >= 1."""
    step = record.get("step") if isinstance(record, dict) else None
    return isinstance(step, int) and not isinstance(step, bool) and step >= 1


class RunLock:
    """An exclusive lock on a run folder (`RUN/.lock`), held for a whole training run.

    It is an flock, so the kernel drops it when the holder dies however it dies: a lock file left by
    a killed process is taken over, not obeyed. The file holds the holder's pid for the message.
    """

    def __init__(self, folder: Path):
        self.path = Path(folder) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        """Takes the lock or raises UserError naming the process that holds it."""
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)  # never truncate a link target
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as error:
                os.close(fd)
                if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
                holder = holder_pid(self.path.parent)
                who = f" (pid {holder})" if holder else ""
                raise UserError(f"run directory {self.path.parent} is in use by another training process{who}; "
                                "wait for it to end or stop it first") from None
            try:  # the holder may have removed the file between our open and our flock: lock the new one
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Removes the lock file and drops the lock (idempotent)."""
        if self._fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self._fd)
        self._fd = None


def holder_pid(folder: Path) -> int | None:
    """Returns the pid of the process training in `folder` now, or None if no one holds its lock."""
    path = Path(folder) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


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
        if self.path.exists() and (not self.path.is_dir() or any(p.name != LOCK_FILE for p in self.path.iterdir())):
            raise UserError(f"run directory {self.path} already exists; pass --resume to continue it or pick another")

    def lock(self) -> RunLock:
        """Creates the folder if needed and takes its lock (UserError if it cannot be written or is in use)."""
        self.check_links()
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            return RunLock(self.path).acquire()
        except OSError as error:
            raise UserError(f"cannot write to run directory {self.path}: {error.strerror or error}") from None

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

    def check_links(self) -> None:
        """Raises UserError if a file or folder of the run (or of its checkpoints) is a symbolic link:
        a checkpoint swap would move the link and fail on it forever, an append would write where it points."""
        checkpoints = [self.path / name for name in (CHECKPOINT, CHECKPOINT + ".old")]
        inside = [c / name for c in checkpoints if c.is_dir() and not c.is_symlink() for name in _names(c)]
        for path in [self.path / name for name in RUN_ENTRIES] + inside:
            if path.is_symlink():
                raise UserError(f"{path} is a symbolic link; a run folder holds only its own files: "
                                "put the real file or folder there, or start a new --run-dir")

    def check_writable(self) -> None:
        """Raises UserError unless files can be created in the run folder: checked before work whose
        results would be lost to a read-only folder (an evaluation)."""
        probe = self.path / f".write-check-{os.getpid()}"
        try:
            os.close(os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600))
            probe.unlink()
        except OSError as error:
            raise UserError(f"cannot write to run directory {self.path}: {error.strerror or error}; "
                            "make it writable first (nothing was evaluated)") from None

    def config(self) -> Config:
        """The run's Config, checked like any other (UserError naming config.json if it is malformed)."""
        if not self.exists():
            raise UserError(f"{self.path} is not a run directory (config.json missing)")
        self.check_links()
        data = read_json(self.path / "config.json", f"the configuration of run {self.path.name}", allow_nan=False)
        try:
            return validate(Config.from_dict(data))
        except UserError as error:
            raise UserError(f"{self.path / 'config.json'} is not a valid run configuration: {error}") from None

    # -------------------------------------------------------------- metrics

    def append_metrics(self, record: dict) -> None:
        """Appends one step's stats as a JSON line and fsyncs it."""
        self._append("metrics.jsonl", {k: _json_safe(v) for k, v in record.items()})

    def append_samples(self, step: int, samples: list[dict]) -> None:
        """Appends a few of the step's (dialogue, summary, reward) triples, to read what it writes."""
        self._append("samples.jsonl", {"step": step, "samples": samples})

    def _append(self, name: str, record: dict) -> None:
        try:
            with open(self.path / name, "a", encoding="utf-8") as f:
                f.write(json.dumps(record) + "\n")
                f.flush()
                os.fsync(f.fileno())
        except OSError as error:
            raise UserError(f"could not write {self.path / name}: {error.strerror or error}; "
                            "the last checkpoint is kept (resume with --resume once there is room)") from None

    def _records(self, name: str) -> list[dict]:
        """The step records of a .jsonl file: lines that are not JSON objects with a step are skipped
        (a line cut short by a crash, or one damaged by hand)."""
        path = self.path / name
        if not path.is_file():
            return []
        records = []
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            try:
                record = parse_json(line, f"{path} line {number}", allow_nan=True)
            except UserError:  # not JSON, nested too deeply, a number out of range
                continue
            if _step_record(record):
                records.append(record)
        return records

    def metrics(self) -> list[dict]:
        """Returns the complete metric records in file order (damaged lines are skipped)."""
        return self._records("metrics.jsonl")

    def samples(self) -> list[dict]:
        """Returns the per-step sample records (damaged lines are skipped)."""
        return self._records("samples.jsonl")

    def truncate_to(self, last_step: int) -> list[int]:
        """Cuts metrics.jsonl, samples.jsonl and ratings.jsonl (a rating's step: the evaluated checkpoint's) back to
        steps 1..`last_step` (the checkpoint's: later ones are redone on resume); returns the steps without metrics."""
        for name in ("metrics.jsonl", "samples.jsonl", "ratings.jsonl"):
            if (self.path / name).exists():
                kept = [r for r in self._records(name) if r["step"] <= last_step]
                atomic_write_text(self.path / name, "".join(json.dumps(r) + "\n" for r in kept))
        have = {r["step"] for r in self.metrics()}
        return [step for step in range(1, last_step + 1) if step not in have]

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
        self.check_links()  # a linked checkpoint would fail the swap below, on every later save too
        for stale in self.path.glob(f".{CHECKPOINT}.tmp-*"):  # left by a process killed mid-write
            _remove(stale)
        tmp = self.path / f".{CHECKPOINT}.tmp-{os.getpid()}"
        from safetensors.torch import save_file  # torch on first use: listing runs (the app's start) needs none

        try:
            policy.save(tmp)
            save_file(optimizer_tensors(optimizer), str(tmp / OPTIMIZER_FILE))
            (tmp / STATE_FILE).write_text(json.dumps(state, indent=2))  # written last: marks completeness
            _fsync_tree(tmp)
        except (OSError, SafetensorError) as error:  # a full disk, a quota: the old checkpoint is untouched
            _remove(tmp)
            reason = getattr(error, "strerror", None) or str(error).splitlines()[0]
            kept = self.checkpoint_dir()
            raise UserError(f"could not write the checkpoint of step {state.get('step')} to {self.path}: {reason}; "
                            + (f"the previous checkpoint ({kept.name}) is kept" if kept else "no checkpoint was kept")
                            + ", resume with --resume once there is room") from None
        final, old = self.path / CHECKPOINT, self.path / (CHECKPOINT + ".old")
        # `final` only ever comes from renaming a complete folder, so whenever it exists `old` is
        # redundant; if a crash left only `old`, the new folder goes straight into place.
        try:
            if os.path.lexists(final):
                _remove(old)
                os.replace(final, old)
            os.replace(tmp, final)
        except OSError as error:
            _remove(tmp)
            raise UserError(f"could not put the checkpoint of step {state.get('step')} in place in {self.path}: "
                            f"{error.strerror or error}; resume with --resume once the folder is fixed") from None
        _fsync_dir(self.path)
        _remove(old)
        return final

    def load_checkpoint(self, policy, optimizer) -> dict | None:
        """Restores what `save_checkpoint` wrote (adapter, value head, optimizer) and returns its
        state dict, or returns None when the run has no checkpoint yet. A damaged checkpoint is a
        UserError, never a silent restart that would overwrite the run."""
        state = self.load_state()
        if state is None:
            return None
        folder = self.checkpoint_dir()
        try:
            policy.load(folder)
            load_optimizer_tensors(optimizer, folder / OPTIMIZER_FILE)
        except (SafetensorError, OSError, RuntimeError, ValueError, KeyError) as error:
            raise UserError(f"the checkpoint in {folder} is damaged ({type(error).__name__}: "
                            f"{str(error).splitlines()[0] if str(error) else 'unreadable'}); restore it, "
                            "or start a new --run-dir") from None
        return state

    def load_state(self) -> dict | None:
        """Returns the newest checkpoint's state dict (step, and the trainer's own state such as PPO's KL
        controller: objects keyed by name), None if the run has no
        checkpoint yet, or raises UserError if the checkpoint folder is incomplete or its state damaged."""
        folder = self.checkpoint_dir()
        if folder is None:
            if (self.path / CHECKPOINT).exists() or (self.path / (CHECKPOINT + ".old")).exists():
                raise UserError(f"the checkpoint in {self.path / CHECKPOINT} is incomplete ({STATE_FILE} missing); "
                                "resuming would start over and overwrite the run: restore it, or start a new --run-dir")
            return None
        state = read_json(folder / STATE_FILE, f"the checkpoint state of run {self.path.name}")
        step = state.get("step") if isinstance(state, dict) else None
        if not (isinstance(step, int) and not isinstance(step, bool) and step >= 0
                and all(isinstance(value, dict) for key, value in state.items() if key != "step")):
            raise UserError(f"the checkpoint state {folder / STATE_FILE} is damaged (no whole-number step, or a "
                            "trainer state that is not an object); restore it, or start a new --run-dir")
        return state


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
    runs = []
    for p in root.iterdir():
        try:  # a run is a real folder inside the root: a link elsewhere could not be opened by name anyway
            if not p.is_symlink() and p.is_dir() and (p / "config.json").is_file():
                runs.append(((p / "config.json").stat().st_mtime, RunDir(p)))
        except OSError:  # not a run, or deleted while listing
            continue
    return [run for _, run in sorted(runs, key=lambda pair: pair[0], reverse=True)]


def delete_run(name: str, root: Path | None = None) -> None:
    """Deletes a saved run by name (only inside the runs root; not while a process trains it)."""
    path = run_path(name, root)
    if not (path / "config.json").is_file():
        raise UserError(f"no run named {name!r}")
    pid = holder_pid(path)
    if pid is not None:
        raise UserError(f"run {name} is being trained (pid {pid}); stop it first, then delete it")
    shutil.rmtree(path)
