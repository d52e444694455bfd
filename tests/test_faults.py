"""A training process killed at any moment leaves a loadable checkpoint and readable metrics;
a second process cannot share a run; bad weights and a full disk never cost the last good checkpoint."""

import errno
import json
import math
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from conftest import ROOT

from rlhf_core import RunDir, UserError, build_policy, get_config, iter_train, train
from rlhf_core.training.diagnostics import check_finite_weights
from rlhf_core.training.runs import atomic_write_text, delete_run, holder_pid

# Runs a tiny training in a child process that pauses (and announces it) at a chosen moment,
# so the test can SIGKILL it exactly there.
CHILD = textwrap.dedent("""
    import os, sys, time
    import torch
    torch.set_num_threads(1)
    import rlhf_core.training.runs as runs
    from rlhf_core import get_config, train

    moment, run_dir = sys.argv[1], sys.argv[2]
    real_replace, calls = os.replace, {"n": 0}

    def pause():
        print("PAUSED", flush=True)
        time.sleep(120)

    def replace(src, dst):
        if "checkpoint" in os.path.basename(str(src)) + os.path.basename(str(dst)):
            calls["n"] += 1
            # step 1 swaps once, later steps twice: call 4 = step 3 before its swap, 5 = between renames
            if (moment, calls["n"]) in (("before_swap", 4), ("between_renames", 5)):
                pause()
        real_replace(src, dst)

    runs.os.replace = replace
    rewards = {"n": 0}

    def reward(prompts, summaries):
        rewards["n"] += 1
        if moment == "mid_step" and rewards["n"] == 3:
            pause()
        return [float(len(s) % 5) for s in summaries]

    train(get_config("tiny", {"steps": 4}), run_dir, reward_fn=reward)
""")


def reward(prompts, summaries):
    return [float(len(s) % 5) for s in summaries]


@pytest.mark.parametrize("moment", ["mid_step", "before_swap", "between_renames"])
def test_sigkill_leaves_the_last_complete_checkpoint_and_resume_finishes(tmp_path, moment):
    run_dir = tmp_path / "run"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, moment, str(run_dir)], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        for line in child.stdout:
            if line.strip() == "PAUSED":
                break
        else:
            pytest.fail(f"child finished without pausing (exit {child.wait()})")
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)

    run = RunDir(run_dir)
    assert run.load_state()["step"] == 2  # step 3 never completed its checkpoint
    policy, _ = build_policy(run.config().model)
    policy.load(run.checkpoint_dir())  # loads without error
    steps = [m["step"] for m in run.metrics()]
    assert steps[:2] == [1, 2] and all(json.dumps(m) for m in run.metrics())

    resumed = train(get_config("tiny", {"steps": 4}), run_dir, reward_fn=reward, resume=True)
    assert [r.step for r in resumed] == [3, 4]
    assert [m["step"] for m in run.metrics()] == [1, 2, 3, 4]
    assert [r["step"] for r in run.samples()] == [1, 2, 3, 4]  # cut back with the metrics: no duplicates
    assert run.load_state()["step"] == 4
    assert not [p.name for p in run_dir.iterdir() if p.name.startswith(".checkpoint")]


def test_a_line_cut_short_by_a_crash_is_skipped(tmp_path):
    run = RunDir(tmp_path)
    run.append_metrics({"step": 1, "env/reward_mean": 0.5})
    with open(tmp_path / "metrics.jsonl", "a") as f:
        f.write('{"step": 2, "env/rew')
    assert run.metrics() == [{"step": 1, "env/reward_mean": 0.5}]


def test_nan_in_stats_is_written_as_valid_json(tmp_path):
    run = RunDir(tmp_path)
    run.append_metrics({"step": 1, "objective/kl": float("nan")})
    assert json.loads((tmp_path / "metrics.jsonl").read_text())["objective/kl"] == "nan"


def test_metrics_and_samples_are_cut_back_to_the_checkpoint_on_resume(tmp_path):
    run_dir = tmp_path / "run"
    train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward)
    run = RunDir(run_dir)
    # What a kill after the appends of steps 3 and 4 (and a damaged line) leaves behind.
    with open(run_dir / "metrics.jsonl", "a") as f:
        f.write('{"step": 3, "env/reward_mean": 9}\nnull\n5\n{"step": 4}\n')
    with open(run_dir / "samples.jsonl", "a") as f:
        f.write('{"step": 3, "samples": []}\n{"step": 4, "samples": []}\n')
    resumed = train(get_config("tiny", {"steps": 4}), run_dir, reward_fn=reward, resume=True)
    assert [r.step for r in resumed] == [3, 4]
    assert [m["step"] for m in run.metrics()] == [1, 2, 3, 4]
    assert [r["step"] for r in run.samples()] == [1, 2, 3, 4]
    assert run.metrics()[2]["env/reward_mean"] != 9  # step 3 was redone, not kept from the dead process
    assert len((run_dir / "metrics.jsonl").read_text().splitlines()) == 4


def test_a_step_missing_from_the_metrics_is_reported_on_resume(tmp_path):
    run_dir = tmp_path / "run"
    train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward)
    lines = (run_dir / "metrics.jsonl").read_text().splitlines()
    (run_dir / "metrics.jsonl").write_text(lines[0] + "\n" + lines[1][:20] + "\n")  # step 2 cut mid-line
    messages = []
    train(get_config("tiny", {"steps": 3}), run_dir, reward_fn=reward, resume=True, on_status=messages.append)
    assert any("no record of step(s) 2" in m for m in messages), messages


HOLDER = textwrap.dedent("""
    import sys, time
    from rlhf_core.training.runs import RunDir
    lock = RunDir(sys.argv[1]).lock()
    print("LOCKED", flush=True)
    time.sleep(120)
""")


def test_a_second_process_cannot_share_a_run_and_a_dead_holder_lock_is_recovered(tmp_path):
    run_dir = tmp_path / "run"
    train(get_config("tiny", {"steps": 1}), run_dir, reward_fn=reward)
    assert not (run_dir / ".lock").exists()  # released when the run ended
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(run_dir)], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "LOCKED"
        before = (run_dir / "metrics.jsonl").read_text()
        with pytest.raises(UserError, match=f"in use by another training process \\(pid {holder.pid}\\)"):
            train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward, resume=True)
        assert (run_dir / "metrics.jsonl").read_text() == before
        with pytest.raises(UserError, match="being trained"):
            delete_run("run", tmp_path)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    assert (run_dir / ".lock").read_text() == str(holder.pid)  # a stale lock file from a dead process...
    resumed = train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward, resume=True)  # ...is taken over
    assert [r.step for r in resumed] == [2] and not (run_dir / ".lock").exists()


def test_the_lock_is_held_while_the_generator_runs_and_released_when_it_is_closed(tmp_path):
    run_dir = tmp_path / "run"
    steps = iter_train(get_config("tiny", {"steps": 3}), run_dir, reward_fn=reward)
    next(steps)
    assert holder_pid(run_dir) == os.getpid()
    with pytest.raises(UserError, match="in use"):
        next(iter_train(get_config("tiny", {"steps": 3}), run_dir, reward_fn=reward, resume=True))
    steps.close()  # a consumer that stops early (the app's Stop, Ctrl-C) releases it too
    assert holder_pid(run_dir) is None and not (run_dir / ".lock").exists()


@pytest.mark.parametrize("bad_step", [1, 2])
def test_non_finite_weights_are_never_checkpointed(tmp_path, monkeypatch, bad_step):
    # The update of `bad_step` leaves infinite weights behind finite losses (what --optim.learning_rate inf did).
    from rlhf_core.algorithms.ppo_trainer import PPOTrainer

    real_step, calls = PPOTrainer.step_from_prompts, {"n": 0}

    def step(self, *args, **kwargs):
        out = real_step(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == bad_step:
            with torch.no_grad():
                next(p for p in self.unwrapped.parameters() if p.requires_grad).fill_(math.inf)
        return out

    monkeypatch.setattr(PPOTrainer, "step_from_prompts", step)
    run_dir = tmp_path / "run"
    with pytest.raises(UserError) as caught:
        train(get_config("tiny", {"steps": 3}), run_dir, reward_fn=reward)
    message = str(caught.value)
    assert f"training stopped at step {bad_step}" in message and "NaN or infinite after the update" in message
    run = RunDir(run_dir)
    if bad_step == 1:
        assert "no checkpoint was saved" in message and "step 0" not in message
        assert run.checkpoint_dir() is None and run.metrics() == []
    else:
        assert "the last good checkpoint (step 1) is kept" in message
        assert run.load_state()["step"] == 1 and [m["step"] for m in run.metrics()] == [1]
        policy, _ = build_policy(run.config().model)
        policy.load(run.checkpoint_dir())
        check_finite_weights(policy)


def test_an_absurd_learning_rate_is_refused_before_training():
    with pytest.raises(UserError, match="optim.learning_rate must be greater than 0 and at most 10"):
        train(get_config("tiny", {"optim.learning_rate": 1e300}))


def test_a_checkpoint_is_written_only_when_every_weight_is_finite(tmp_path):
    policy, _ = build_policy(get_config("tiny").model)
    check_finite_weights(policy)
    weight = next(p for p in policy.parameters() if p.requires_grad)
    with torch.no_grad():
        weight.view(-1)[:3] = torch.tensor([math.nan, math.inf, -math.inf])
    with pytest.raises(FloatingPointError, match="^3 of "):
        check_finite_weights(policy)


def test_a_full_disk_during_the_checkpoint_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):

    run_dir = tmp_path / "run"
    train(get_config("tiny", {"steps": 1}), run_dir, reward_fn=reward)
    saved = {p.name: p.read_bytes() for p in (run_dir / "checkpoint").iterdir()}

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    import safetensors.torch

    monkeypatch.setattr(safetensors.torch, "save_file", full)  # runs.py imports it on first use
    with pytest.raises(UserError, match="could not write the checkpoint of step 2.*No space left on device.*"
                                        "previous checkpoint \\(checkpoint\\) is kept"):
        train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward, resume=True)
    assert {p.name: p.read_bytes() for p in (run_dir / "checkpoint").iterdir()} == saved
    assert sorted(p.name for p in run_dir.iterdir() if p.name.startswith(".")) == []  # no temp folder, no lock
    monkeypatch.undo()
    assert [r.step for r in train(get_config("tiny", {"steps": 2}), run_dir, reward_fn=reward, resume=True)] == [2]


def test_a_full_disk_during_a_small_write_leaves_no_temp_file(tmp_path, monkeypatch):
    target = tmp_path / "eval.json"
    target.write_text("old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(UserError, match="could not write .*eval.json: No space left on device"):
        atomic_write_text(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["eval.json"]
