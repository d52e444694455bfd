"""A training process killed at any moment leaves a loadable checkpoint and readable metrics."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
from conftest import ROOT

from rlhf_core import RunDir, build_policy, get_config, train

# Runs a tiny training in a child process that pauses (and announces it) at a chosen moment,
# so the test can SIGKILL it exactly there.
CHILD = textwrap.dedent("""
    import os, sys, time
    import torch
    torch.set_num_threads(1)
    import rlhf_core.runs as runs
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
