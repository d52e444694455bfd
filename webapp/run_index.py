"""The saved runs as listed, parsed once and kept until a run's own files change.

Every list in the app (the Runs tab, the "after" pickers, each dialogue's notes) reads every run:
its config, checkpoint state, metrics and evaluation. Parsing them on every request made listing
grow with the runs folder (505 runs: /list_runs 0.34 s -> 2.35 s). Here each run's parsed entry is
kept with a signature of what it was parsed from, and one listing costs a `scandir` of the runs
folder and a few `stat` calls per run; only a run whose signature changed is parsed again.

The signature: the run folder's own stat (every write of the project is a rename inside it: config,
evaluation, a checkpoint swapped in, a deleted file) and the stats of the files the listing reads
(`metrics.jsonl` grows by appends, which leave the folder alone; a hand edit in place changes only
the file). File times can be coarse (a kernel tick), so two writes in one tick share a time: an entry
whose newest time is under RECENT_SECONDS old is not trusted, and is parsed again on the next call.
A deleted run simply is not in the next scan.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rlhf_core.config import Config
from rlhf_core.errors import UserError
from rlhf_core.training.diagnostics import clean_stats
from rlhf_core.training.runs import CHECKPOINT, STATE_FILE, RunDir, read_json

log = logging.getLogger(__name__)

RECENT_SECONDS = 2.0
# What the listing reads of a run, relative to its folder: a change to any of them is a new signature.
# (A checkpoint swapped in, or checkpoint.old coming and going, is a rename in the run folder itself.)
WATCHED = ("config.json", "metrics.jsonl", "eval.json", f"{CHECKPOINT}/{STATE_FILE}")


@dataclass(frozen=True)
class IndexedRun:
    """What listing knows of a run folder, as of its signature (training now or not is asked live)."""

    name: str
    path: Path
    config: Config
    metrics: list[dict]
    steps_done: int
    has_checkpoint: bool
    evaluation: dict | None
    created: float


def _stat(path: str) -> tuple | None:
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


def signature(folder: str) -> tuple | None:
    """The stats a run's parsed entry depends on, or None when the folder holds no config.json."""
    stats = (_stat(folder),) + tuple(_stat(f"{folder}/{name}") for name in WATCHED)
    return stats if stats[0] is not None and stats[1] is not None else None


def parse(path: Path) -> IndexedRun | None:
    """Reads a run folder as the app lists it; None (and one warning in the log) if it is unreadable."""
    run = RunDir(path)
    try:
        config = run.config()
        eval_file = run.path / "eval.json"
        evaluation = read_json(eval_file) if eval_file.is_file() else None
        if not isinstance(evaluation, dict) or not isinstance(evaluation.get("toxicity", {}), dict):
            evaluation = None
        state = run.load_state()
        metrics = clean_stats(run.metrics())
        created = (run.path / "config.json").stat().st_mtime
    except (UserError, ValueError, OSError) as error:  # one malformed folder never breaks the list
        log.warning("skipping unreadable run %s: %s", run.path, error)
        return None
    return IndexedRun(name=path.name, path=path, config=config, metrics=metrics,
                      steps_done=int(state["step"]) if state else 0, has_checkpoint=state is not None,
                      evaluation=evaluation, created=created)


class RunIndex:
    """The parsed runs of each runs folder, keyed by run name with the signature each was parsed at."""

    def __init__(self):
        self._folders: dict[str, dict[str, tuple[tuple, IndexedRun | None]]] = {}
        self._lock = threading.Lock()
        self.parsed = 0  # run folders parsed since start: the tests' proof that a second listing parses none

    def runs(self, root: Path) -> list[IndexedRun]:
        """The readable runs in `root`, newest first (by config.json's time, as `runs.list_runs` orders them)."""
        key = str(Path(root).resolve()) if Path(root).is_dir() else None
        if key is None:
            return []
        with self._lock:
            known = dict(self._folders.get(key, {}))
        fresh: dict[str, tuple[tuple, IndexedRun | None]] = {}
        listed: list[IndexedRun] = []
        trusted_before = time.time_ns() - int(RECENT_SECONDS * 1e9)
        try:
            entries = list(os.scandir(key))
        except OSError:
            return []
        for entry in entries:
            try:  # a run is a real folder inside the root: a link elsewhere could not be opened by name anyway
                if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                    continue
            except OSError:
                continue
            sig = signature(entry.path)
            if sig is None:
                continue
            cached = known.get(entry.name)
            if cached is not None and cached[0] == sig:
                info = cached[1]
            else:
                info = parse(Path(entry.path))
                self.parsed += 1
            if max(stat[1] for stat in sig if stat is not None) < trusted_before:
                fresh[entry.name] = (sig, info)  # old enough that a later write cannot share its times
            if info is not None:
                listed.append(info)
        with self._lock:
            self._folders[key] = fresh
        return sorted(listed, key=lambda info: info.created, reverse=True)


INDEX = RunIndex()
