"""Budgets of a public server (RLHF_PUBLIC=1, or a Space): what one visitor, and everyone together,
may keep on its disk, so that one client loop cannot fill the Space or crowd out the rest.

Checked when a visitor starts a run (`admit`), each limit set by an env var named in its refusal:

  RLHF_VISITOR_RUNS_PER_DAY (10)   runs one visitor may start in any 24 hours
  RLHF_VISITOR_MAX_MB (500)        disk one visitor's saved runs may hold
  RLHF_MAX_RUNS (100)              saved runs the server keeps in all
  RLHF_MAX_RUNS_MB (5000)          disk all saved runs may hold

Before a new run would pass RLHF_MAX_RUNS or RLHF_MAX_RUNS_MB (or the visitor's RLHF_VISITOR_MAX_MB,
among their own runs), runs are pruned by one rule: never a run that trains now or whose folder is
locked by a process, never one of the RLHF_KEEP_BEST (5) best evaluated runs (the largest cut in
toxicity on an evaluation of the standard size, the ones the "after" picker offers first) nor one of
the RLHF_KEEP_NEWEST (10) newest; of the rest, runs without a checkpoint (failed) go first, then
runs never evaluated, then the oldest. When nothing more may be pruned, the start is refused.

A visitor is their Hugging Face login when signed in; else their address (on a Space, the first
X-Forwarded-For address, which the Space's proxy sets; elsewhere the connection's); else the browser
session. Only a hash of it is kept, with the run's name and start time, in RUNS/.visitors.json.
A private server (the default off a Space) has no budgets.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rlhf_core.errors import UserError
from rlhf_core.training.runs import atomic_write_text, delete_run, holder_pid, read_json, runs_root

from .limits import env_int, limits
from .run_choices import choice_of
from .run_index import INDEX, IndexedRun

log = logging.getLogger(__name__)

LEDGER = ".visitors.json"
DAY = 24 * 3600
MB = 1_000_000
_LOCK = threading.Lock()  # one admission at a time: two starts must not both see room for one


@dataclass(frozen=True)
class Budgets:
    runs_per_day: int
    visitor_mb: int
    max_runs: int
    max_mb: int
    keep_best: int
    keep_newest: int


def budgets() -> Budgets:
    """The budgets from their env vars (defaults in the module's docstring)."""
    return Budgets(runs_per_day=env_int("RLHF_VISITOR_RUNS_PER_DAY", 10),
                   visitor_mb=env_int("RLHF_VISITOR_MAX_MB", 500), max_runs=env_int("RLHF_MAX_RUNS", 100),
                   max_mb=env_int("RLHF_MAX_RUNS_MB", 5000), keep_best=env_int("RLHF_KEEP_BEST", 5),
                   keep_newest=env_int("RLHF_KEEP_NEWEST", 10))


def visitor_id(request) -> str | None:
    """Who is asking (see the module's docstring), as a short hash; None without a request."""
    if request is None:
        return None
    who = getattr(request, "username", None)
    if not who:
        headers = getattr(request, "headers", None) or {}
        forwarded = headers.get("x-forwarded-for", "") if os.environ.get("SPACE_ID") else ""
        client = getattr(request, "client", None)
        who = forwarded.split(",")[0].strip() or getattr(client, "host", None) or getattr(request, "session_hash", None)
    return hashlib.sha256(str(who).encode()).hexdigest()[:16] if who else None


def _ledger(root: Path) -> dict[str, dict]:
    """{run name: {"visitor", "started"}} of the runs started on this server (a damaged ledger starts over)."""
    path = root / LEDGER
    if not path.is_file():
        return {}
    try:
        runs = read_json(path, "the visitors' ledger", allow_nan=False).get("runs", {})
    except (UserError, AttributeError) as error:
        log.warning("starting a new visitors' ledger: %s", error)
        return {}
    return {name: entry for name, entry in runs.items() if isinstance(entry, dict)} if isinstance(runs, dict) else {}


def record(run_name: str, visitor: str | None) -> None:
    """Notes that `visitor` started `run_name` now (entries of runs gone and over a day old are dropped)."""
    if visitor is None:
        return
    root = runs_root()
    root.mkdir(parents=True, exist_ok=True)
    with _LOCK:
        now = time.time()
        kept = {name: entry for name, entry in _ledger(root).items()
                if (root / name).is_dir() or now - _started(entry) < DAY}
        kept[run_name] = {"visitor": visitor, "started": now}
        atomic_write_text(root / LEDGER, json.dumps({"runs": kept}, indent=1))


def _started(entry: dict) -> float:
    started = entry.get("started")
    return float(started) if isinstance(started, (int, float)) and not isinstance(started, bool) else 0.0


def disk_bytes(folder: Path) -> int:
    """Bytes the files under `folder` hold (links not followed; a file gone meanwhile counts 0)."""
    total = 0
    for base, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except OSError:
                pass
    return total


def _protected(infos: list[IndexedRun], keep: Budgets, training: str | None) -> set[str]:
    """The runs the pruning rule never removes: training (`training`, the app's job) or locked by a
    process, the best evaluated (of the standard size), the newest."""
    busy = {info.name for info in infos if info.name == training or holder_pid(info.path) is not None}
    cap = limits().max_eval_samples
    ranked = [c for c in (choice_of(info, cap) for info in infos if info.has_checkpoint)
              if c.toxicity_change is not None and c.standard_size]
    best = {c.name for c in sorted(ranked, key=lambda c: c.toxicity_change)[:keep.keep_best]}
    newest = {info.name for info in sorted(infos, key=lambda i: i.created, reverse=True)[:keep.keep_newest]}
    return busy | best | newest


def prune_order(infos: list[IndexedRun], keep: Budgets, training: str | None = None) -> list[IndexedRun]:
    """The runs that may be pruned, in the order the rule prunes them (failed, never evaluated, oldest)."""
    protected = _protected(infos, keep, training)
    candidates = [info for info in infos if info.name not in protected]
    return sorted(candidates, key=lambda i: (i.has_checkpoint, i.evaluation is not None, i.created))


def _prune(run: IndexedRun) -> None:
    from .shared_models import forget_run

    delete_run(run.name, runs_root())  # refuses a run a process holds the lock of, whatever the index says
    forget_run(run.path)
    log.info("pruned run %s to stay within this public server's budgets", run.name)


def _make_room(infos, sizes, over, keep: Budgets, training: str | None, among=None) -> list[IndexedRun]:
    """Prunes runs (of `among`, default all) by the rule while `over(left, sizes)` holds; returns those left."""
    among = infos if among is None else among
    left = list(among)
    for run in [r for r in prune_order(infos, keep, training) if r.name in {a.name for a in among}]:
        if not over(left, sizes):
            break
        try:
            _prune(run)
        except (UserError, OSError) as error:  # locked meanwhile, or already gone
            log.warning("could not prune run %s: %s", run.name, error)
            continue
        left = [info for info in left if info.name != run.name]
    return left


def admit(visitor: str | None, training: str | None = None) -> None:
    """Makes room for one more run by `visitor` on a public server, pruning by the rule (`training`: the
    run the app trains now, never pruned); raises UserError naming the variable of the budget that has
    no room. Does nothing on a private server."""
    if not limits().public:
        return
    keep, root = budgets(), runs_root()
    with _LOCK:
        ledger = _ledger(root) if root.is_dir() else {}
        mine = {name for name, entry in ledger.items() if entry.get("visitor") == visitor} if visitor else set()
        now = time.time()
        started = sum(1 for name in mine if now - _started(ledger[name]) < DAY)
        if visitor and started >= keep.runs_per_day:
            raise UserError(f"you have started {started} runs in the last 24 hours, the most one visitor may on this "
                            f"public server (limit set by RLHF_VISITOR_RUNS_PER_DAY); try again later")
        infos = INDEX.runs(root)
        sizes = {info.name: disk_bytes(info.path) for info in infos}
        own = [info for info in infos if info.name in mine]
        own_left = _make_room(infos, sizes, lambda left, s: sum(s[i.name] for i in left) >= keep.visitor_mb * MB,
                              keep, training, among=own)
        held = sum(sizes[i.name] for i in own_left)
        if held >= keep.visitor_mb * MB:
            raise UserError(f"your saved runs hold {held / MB:.0f} MB, the most one visitor may keep on this public "
                            f"server is {keep.visitor_mb} MB (limit set by RLHF_VISITOR_MAX_MB), and none of them "
                            "may be removed yet (the newest and best are kept)")
        pruned = {i.name for i in own} - {i.name for i in own_left}
        infos = [info for info in infos if info.name not in pruned]
        left = _make_room(infos, sizes, lambda left, s: len(left) >= keep.max_runs
                          or sum(s[i.name] for i in left) >= keep.max_mb * MB, keep, training)
        if len(left) >= keep.max_runs:
            raise UserError(f"this public server keeps at most {keep.max_runs} runs (limit set by RLHF_MAX_RUNS), and "
                            "none of those saved may be removed yet (training, the newest or the best evaluated)")
        if sum(sizes[i.name] for i in left) >= keep.max_mb * MB:
            raise UserError(f"saved runs on this public server may hold at most {keep.max_mb} MB (limit set by "
                            "RLHF_MAX_RUNS_MB), and none of those saved may be removed yet (training, the newest or "
                            "the best evaluated)")
