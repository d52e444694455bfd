"""Budgets of a public server (webapp/budgets.py): per-visitor and total caps on runs and disk, each
refusal one line naming its variable, and the pruning rule (never a training/locked run, the best
evaluated or the newest; failed first, then never evaluated, then oldest) that makes room first."""

import json
import os
import shutil
import time
from types import SimpleNamespace

import pytest
from test_run_index import HOUR_AGO, make_run

from rlhf_core import UserError
from rlhf_core.training.runs import RunLock
from webapp import budgets, run_list

GOOD_EVAL = {"toxicity": {"greedy": {"reward_model": {"flagged_relative_change": -0.5}}}, "samples": 4,
             "samples_asked": 4}  # the tiny preset's standard size


def request(host, session="s", username=None, forwarded=None):
    headers = {"x-forwarded-for": forwarded} if forwarded else {}
    return SimpleNamespace(username=username, headers=headers, client=SimpleNamespace(host=host), session_hash=session)


@pytest.fixture
def public(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setenv("RLHF_RUNS_DIR", str(root))
    monkeypatch.setenv("RLHF_PUBLIC", "1")
    for name, value in {"RLHF_MAX_RUNS": 6, "RLHF_KEEP_NEWEST": 1, "RLHF_KEEP_BEST": 1}.items():
        monkeypatch.setenv(name, str(value))
    return root


def names():
    return {info.name for info in run_list.runs()}


def fill(root):
    """Six runs, oldest first: a failed one (no checkpoint), the best evaluated (oldest of the
    finished), two plain, an evaluated one, and the newest."""
    runs = {}
    for age, name in enumerate(["failed", "best", "plain-old", "plain", "evaluated", "newest"]):
        runs[name] = make_run(root, name, steps=20, stamp=HOUR_AGO + 60 * age)
    shutil.rmtree(runs["failed"] / "checkpoint")  # stopped before its first checkpoint
    for name, change in (("best", -0.5), ("evaluated", -0.1)):
        (runs[name] / "eval.json").write_text(json.dumps({**GOOD_EVAL, "toxicity": {
            "greedy": {"reward_model": {"flagged_relative_change": change}}}}))
    for run in runs.values():
        for path in [*run.rglob("*"), run]:
            os.utime(path, (HOUR_AGO + 60 * list(runs.values()).index(run),) * 2)
    return runs


def test_the_pruning_rule_removes_failed_then_unevaluated_then_oldest(public):
    fill(public)
    order = [info.name for info in budgets.prune_order(run_list.runs(), budgets.budgets())]
    assert order == ["failed", "plain-old", "plain", "evaluated"]  # never "best" nor the newest
    budgets.admit("visitor")  # 6 runs, RLHF_MAX_RUNS=6: one must go to make room
    assert names() == {"best", "plain-old", "plain", "evaluated", "newest"}
    budgets.admit("visitor")  # still 5 < 6: nothing more is removed
    assert len(names()) == 5


def test_a_full_server_with_nothing_prunable_refuses_with_its_variable(public, monkeypatch):
    fill(public)
    monkeypatch.setenv("RLHF_KEEP_NEWEST", "6")
    with pytest.raises(UserError, match=r"at most 6 runs \(limit set by RLHF_MAX_RUNS\)") as refused:
        budgets.admit("visitor")
    assert "\n" not in str(refused.value) and len(names()) == 6  # nothing removed


def test_a_run_in_training_is_never_pruned(public, monkeypatch):
    runs = fill(public)
    lock = RunLock(runs["failed"]).acquire()  # a process trains it (the CLI's `train --resume`)
    try:
        budgets.admit("visitor")
    finally:
        lock.release()
    assert "failed" in {p.name for p in public.iterdir()} and "plain-old" not in names()


def test_the_disk_cap_prunes_until_the_runs_fit(public, monkeypatch):
    runs = fill(public)
    monkeypatch.setenv("RLHF_MAX_RUNS", "100")
    monkeypatch.setenv("RLHF_MAX_RUNS_MB", "1")
    for name in ("plain", "evaluated"):  # 0.6 MB each: over 1 MB until one is gone
        (runs[name] / "checkpoint" / "adapter_model.safetensors").write_bytes(b"\0" * 600_000)
    budgets.admit("visitor")
    assert names() == {"best", "evaluated", "newest"}  # failed, plain-old, then plain (its 0.6 MB) removed
    (runs["newest"] / "checkpoint" / "optimizer.safetensors").write_bytes(b"\0" * 600_000)
    monkeypatch.setenv("RLHF_KEEP_NEWEST", "6")  # 1.2 MB, all kept: no room, and nothing is removed
    with pytest.raises(UserError, match=r"at most 1 MB \(limit set by RLHF_MAX_RUNS_MB\)"):
        budgets.admit("visitor")
    assert names() == {"best", "evaluated", "newest"}


def test_one_visitor_is_capped_per_day_and_others_are_not(public, monkeypatch):
    monkeypatch.setenv("RLHF_VISITOR_RUNS_PER_DAY", "2")
    a, b = budgets.visitor_id(request("203.0.113.5", "s1")), budgets.visitor_id(request("198.51.100.7", "s1"))
    assert a != b and budgets.visitor_id(request("203.0.113.5", "a new session")) == a  # not per session
    for name in ("a1", "a2"):
        budgets.admit(a)
        budgets.record(name, a)
    with pytest.raises(UserError, match=r"started 2 runs in the last 24 hours.*RLHF_VISITOR_RUNS_PER_DAY"):
        budgets.admit(a)
    budgets.admit(b)  # another visitor is not held back
    ledger = json.loads((public / budgets.LEDGER).read_text())["runs"]
    ledger["a1"]["started"] = ledger["a2"]["started"] = time.time() - 2 * budgets.DAY  # a day later
    (public / budgets.LEDGER).write_text(json.dumps({"runs": ledger}))
    budgets.admit(a)
    assert "203.0.113.5" not in (public / budgets.LEDGER).read_text()  # only a hash is kept


def test_one_visitors_disk_is_capped_by_pruning_their_own_runs(public, monkeypatch):
    runs = fill(public)
    monkeypatch.setenv("RLHF_MAX_RUNS", "100")
    monkeypatch.setenv("RLHF_VISITOR_MAX_MB", "1")
    for name in ("plain-old", "plain", "newest"):
        budgets.record(name, "visitor")
        (runs[name] / "checkpoint" / "adapter_model.safetensors").write_bytes(b"\0" * 400_000)
    budgets.admit("visitor")  # 1.2 MB: their oldest prunable run goes, no one else's
    assert names() == {"failed", "best", "plain", "evaluated", "newest"}
    budgets.record("evaluated", "visitor")  # now a kept (newest) run would have to go: refused
    (runs["evaluated"] / "checkpoint" / "adapter_model.safetensors").write_bytes(b"\0" * 400_000)
    monkeypatch.setenv("RLHF_KEEP_NEWEST", "6")
    with pytest.raises(UserError, match=r"the most one visitor may keep .* 1 MB \(limit set by RLHF_VISITOR_MAX_MB\)"):
        budgets.admit("visitor")


def test_the_identity_prefers_a_login_then_the_spaces_forwarded_address(monkeypatch):
    monkeypatch.delenv("SPACE_ID", raising=False)
    spoofed = request("10.0.0.1", forwarded="1.2.3.4")
    assert budgets.visitor_id(spoofed) == budgets.visitor_id(request("10.0.0.1"))  # off a Space: not trusted
    monkeypatch.setenv("SPACE_ID", "me/space")
    assert budgets.visitor_id(spoofed) == budgets.visitor_id(request("10.0.0.9", forwarded="1.2.3.4, 10.0.0.1"))
    assert budgets.visitor_id(request("10.0.0.1", username="ann")) != budgets.visitor_id(request("10.0.0.1"))
    assert budgets.visitor_id(None) is None


def test_a_private_server_has_no_budgets(public, monkeypatch):
    fill(public)
    monkeypatch.setenv("RLHF_PUBLIC", "0")
    monkeypatch.setenv("RLHF_MAX_RUNS", "1")
    budgets.admit("visitor")
    assert len(names()) == 6


@pytest.mark.parametrize("variable", ["RLHF_MAX_RUNS", "RLHF_VISITOR_RUNS_PER_DAY", "RLHF_KEEP_BEST"])
def test_a_bad_budget_value_names_its_variable(public, monkeypatch, variable):
    monkeypatch.setenv(variable, "many")
    with pytest.raises(UserError, match=f"{variable} must be a positive whole number"):
        budgets.admit("visitor")
