"""The app's run listing from an index (webapp/run_index.py): each run is parsed once and again only
when its own files change (a new evaluation, a new step, a new checkpoint, a hand edit), a deleted
run leaves the list, and a second listing of 1,000 runs parses none of them."""

import json
import os
import shutil
import time

import pytest

from rlhf_core import get_config
from rlhf_core.training.runs import RunDir, atomic_write_text
from webapp import run_index, run_list

CONFIG = get_config("tiny", {"steps": 20}).to_json()
HOUR_AGO = time.time() - 3600
EVAL = {"toxicity": {}, "samples": 2}


def make_run(root, name, steps=1, stamp=HOUR_AGO):
    """A run folder as training leaves it (no weights: listing never reads them), its times at `stamp`."""
    run = root / name
    (run / "checkpoint").mkdir(parents=True)
    (run / "config.json").write_text(CONFIG)
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s, "env/reward_mean": 0.1 * s}) + "\n"
                                               for s in range(1, steps + 1)))
    (run / "checkpoint" / "trainer_state.json").write_text(json.dumps({"step": steps}))
    for path in [*run.rglob("*"), run]:
        os.utime(path, (stamp, stamp))
    return run


@pytest.fixture
def root(tmp_path, monkeypatch):
    folder = tmp_path / "runs"
    folder.mkdir()
    monkeypatch.setenv("RLHF_RUNS_DIR", str(folder))
    return folder


@pytest.fixture
def parses(monkeypatch):
    """Counts the run folders parsed (calls of RunDir.config, the first file a parse reads)."""
    count = {"n": 0}
    real = RunDir.config

    def counted(self):
        count["n"] += 1
        return real(self)

    monkeypatch.setattr(RunDir, "config", counted)
    return count


def listed(name):
    return next((info for info in run_list.runs() if info.name == name), None)


def test_a_second_listing_of_1000_runs_parses_none(root, parses):
    for i in range(1000):
        make_run(root, f"run-{i:04d}", stamp=HOUR_AGO + i)
    first = run_list.runs()
    assert len(first) == 1000 and parses["n"] == 1000
    assert [info.name for info in first[:2]] == ["run-0999", "run-0998"]  # newest first
    second = run_list.runs()
    assert parses["n"] == 1000  # not one more file parsed
    assert [(i.name, i.steps_done, i.created) for i in second] == [(i.name, i.steps_done, i.created) for i in first]


@pytest.fixture
def trusted_now(monkeypatch):
    """Entries are trusted at once, so only a changed signature can make the index parse a run again."""
    monkeypatch.setattr(run_index, "RECENT_SECONDS", 0.0)


def test_a_new_evaluation_is_listed(root, parses, trusted_now):
    run = make_run(root, "a")
    make_run(root, "b")
    assert listed("a").evaluation is None and parses["n"] == 2
    atomic_write_text(run / "eval.json", json.dumps(EVAL))  # as `evaluate` writes it
    assert listed("a").evaluation == EVAL and parses["n"] == 3  # only the run that changed


def test_a_new_step_and_checkpoint_are_listed(root, parses, trusted_now):
    run = make_run(root, "a", steps=1)
    assert listed("a").steps_done == 1 and len(listed("a").metrics) == 1
    RunDir(run).append_metrics({"step": 2, "env/reward_mean": 0.5})  # an append: the folder's time stays
    assert [m["step"] for m in listed("a").metrics] == [1, 2]
    shutil.rmtree(run / "checkpoint")  # a checkpoint swapped in by rename, as save_checkpoint does
    (run / ".checkpoint.tmp").mkdir()
    (run / ".checkpoint.tmp" / "trainer_state.json").write_text(json.dumps({"step": 2}))
    os.replace(run / ".checkpoint.tmp", run / "checkpoint")
    assert listed("a").steps_done == 2 and parses["n"] == 3


def test_a_deleted_run_leaves_the_list(root, trusted_now):
    make_run(root, "a")
    make_run(root, "b")
    assert {i.name for i in run_list.runs()} == {"a", "b"}
    shutil.rmtree(root / "a")
    assert [i.name for i in run_list.runs()] == ["b"]


def test_a_file_edited_in_place_is_read_again(root, trusted_now):
    run = make_run(root, "a")
    assert listed("a").config.steps == 20
    (run / "config.json").write_text(CONFIG.replace('"steps": 20', '"steps": 30'))  # in place: the folder's time stays
    assert listed("a").config.steps == 30
    (run / "config.json").write_text("[" * 1001 + "]" * 1001)  # damaged: left out of the list, which stays up
    assert listed("a") is None
    (run / "config.json").write_text(CONFIG)
    assert listed("a").config.steps == 20


def test_a_run_written_just_now_is_not_trusted_yet(root, parses):
    make_run(root, "old")
    run = make_run(root, "new", stamp=time.time())  # times within one file-clock tick of a write to come
    run_list.runs()
    run_list.runs()
    assert parses["n"] == 1 + 2  # "old" once, "new" on every call while it is recent
    for path in [*run.rglob("*"), run]:
        os.utime(path, (HOUR_AGO, HOUR_AGO))
    run_list.runs()
    run_list.runs()
    assert parses["n"] == 1 + 3


def test_an_unreadable_run_is_parsed_once_and_skipped(root, parses):
    make_run(root, "good")
    bad = make_run(root, "bad")
    (bad / "checkpoint" / "trainer_state.json").write_text("null")
    os.utime(bad / "checkpoint" / "trainer_state.json", (HOUR_AGO, HOUR_AGO))
    assert [i.name for i in run_list.runs()] == ["good"]
    assert [i.name for i in run_list.runs()] == ["good"] and parses["n"] == 2
