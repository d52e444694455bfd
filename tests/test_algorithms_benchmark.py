"""benchmarks/algorithms.py end to end at toy size: the grid passes its reward settings to every run."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_one_run_of_the_grid_carries_the_toxicity_form_and_config_overrides():
    cmd = [sys.executable, str(ROOT / "benchmarks" / "algorithms.py"), "--seeds", "0", "--algos", "rloo",
           "--rewards", "toxicity", "--steps", "1", "--samples", "4", "--sampled-k", "1", "--png", "",
           "--toxicity-form", "probability", "--toxicity-weight", "8", "--set", "critic_free.kl_coef=0.3"]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    [run] = json.loads(out.stdout.strip().splitlines()[-1])["runs"]
    assert (run["preset"], run["algo"], run["steps"], run["toxicity_form"], run["toxicity_weight"]) == (
        "demo", "rloo", 1, "probability", 8.0)
    assert run["settings"] == ["critic_free.kl_coef=0.3"] and run["samples"] == 4
    assert 0 <= run["looping_before_nontoxic"] <= run["nontoxic_count"] and "edit_rate_nontoxic_no_loops" in run
    bad = subprocess.run(cmd[:2] + ["--set", "critic_free.kl_coef"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "KEY=VALUE" in bad.stderr


def test_the_grid_runs_any_preset():
    cmd = [sys.executable, str(ROOT / "benchmarks" / "algorithms.py"), "--preset", "tiny", "--seeds", "0", "--algos",
           "grpo", "--rewards", "toxicity", "--steps", "1", "--samples", "2", "--sampled-k", "1", "--png", ""]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600,
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, cwd=ROOT)
    assert out.returncode == 0, out.stderr[-2000:]
    [run] = json.loads(out.stdout.strip().splitlines()[-1])["runs"]
    assert (run["preset"], run["algo"], run["samples"]) == ("tiny", "grpo", 2)


def test_the_shuffled_control_gives_each_batch_its_own_toxicity_rewards_in_another_order():
    import pytest

    sys.path.insert(0, str(ROOT / "benchmarks"))
    import algorithms

    from rlhf_core import get_config
    from rlhf_core.models.reward import Reward, RewardModel

    config = get_config("tiny")
    summaries = [f"summary {i}, you idiot" if i % 2 else f"a polite summary, number {i}" for i in range(12)]
    prompts = ["Summarize: a dialogue"] * len(summaries)
    real = Reward(RewardModel.from_config(config.reward), config.reward.text, config.data.prompt_template)(
        prompts, summaries)
    shuffled = algorithms.shuffled_toxicity(config, seed=0)(prompts, summaries)
    assert sorted(shuffled) == pytest.approx(sorted(real)) and shuffled != pytest.approx(real)
