"""The command line end to end on the tiny preset, and its one-line errors."""

import json
import os
import subprocess
import sys

import pytest
from conftest import DIALOGSUM_DEV, ROOT


def run_cli(*args, timeout=300):
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "rlhf_core", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_train_then_evaluate_end_to_end(tmp_path):
    run = tmp_path / "run"
    done = run_cli("train", "--preset", "tiny", "--steps", "2", "--run-dir", str(run), "--seed", "3",
                   "--optim.learning_rate", "1e-3", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "step 2/2" in done.stderr
    assert json.loads((run / "config.json").read_text())["seed"] == 3
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2

    evaluated = run_cli("evaluate", "--run-dir", str(run), "--samples", "2", "--judge", "builtin:tiny-roberta",
                        "--judge-label", "hate", "--sampled-k", "3")
    assert evaluated.returncode == 0, evaluated.stderr
    assert "judge: builtin:tiny-roberta" in evaluated.stdout and "summary_before" in evaluated.stdout
    report = json.loads((run / "eval.json").read_text())
    assert report["samples"] == 2 and report["sampled_k"] == 3
    assert report["scorers"]["judge"] == "builtin:tiny-roberta"  # --judge overrides the run's eval.judge
    assert set(report["toxicity"]) == {"greedy", "sampled"}
    assert set(report["toxicity"]["sampled"]) == {"reward_model", "judge"}
    assert set(report["toxicity"]["greedy"]["judge"]["before"]) == {"mean", "std"}
    assert set(report["rouge"]["greedy"]["all"]["after"]) == {"rouge1", "rouge2", "rougeL", "rougeLsum"}
    assert report["rouge"]["sampled"]["all"]["rows"] == 6  # 2 dialogues x 3 samples

    no_judge = run_cli("evaluate", "--run-dir", str(run), "--samples", "2", "--judge", "none", "--sampled-k", "0")
    assert no_judge.returncode == 0, no_judge.stderr
    assert "no independent judge" in no_judge.stdout
    report = json.loads((run / "eval.json").read_text())
    assert report["scorers"]["judge"] is None and set(report["toxicity"]) == {"greedy"}
    assert (run / "eval_samples.csv").is_file() and (run / "eval_samples.json").is_file()


def test_resume_continues_a_run_and_refuses_changes_that_alter_learning(tmp_path):
    run = tmp_path / "run"
    first = run_cli("train", "--preset", "tiny", "--steps", "1", "--run-dir", str(run), "--seed", "5")
    assert first.returncode == 0, first.stderr
    assert "resolved configuration (preset tiny)" in first.stderr and "  optim.learning_rate = " in first.stderr

    refused = run_cli("train", "--run-dir", str(run), "--resume", "--learning-rate", "0.5")
    lines = [line for line in refused.stderr.splitlines() if line.startswith("error:")]
    assert refused.returncode == 2 and len(lines) == 1, refused.stderr
    assert "optim.learning_rate=0.5" in lines[0] and "new --run-dir" in lines[0]

    # No --preset: the saved run (tiny, seed 5) is the base; more steps are a safe change, applied and saved.
    again = run_cli("train", "--steps", "2", "--run-dir", str(run), "--resume", "--no-progress")
    assert again.returncode == 0, again.stderr
    assert "step 2/2" in again.stderr and "step 1/2" not in again.stderr and "steps=2 (was 1)" in again.stderr
    assert json.loads((run / "config.json").read_text())["steps"] == 2
    assert json.loads((run / "config.json").read_text())["seed"] == 5


def test_an_uncached_hub_model_with_no_hub_fails_in_seconds_with_one_line(tmp_path):
    import socket
    import time

    with socket.socket() as probe:  # a port nothing listens on: connections are refused at once
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{port}", HF_HOME=str(tmp_path / "hf"))  # an empty cache
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "rlhf_core", "train", "--preset", "flan-t5-base", "--steps", "10",
                           "--run-dir", str(tmp_path / "run")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=60)
    elapsed = time.perf_counter() - t0
    assert done.returncode == 2 and elapsed < 10, (elapsed, done.stderr)
    assert done.stderr.strip().count("\n") == 0 and done.stdout == "", done.stderr  # one line, no retry noise
    line = done.stderr.strip()
    assert line.startswith("error: cannot load policy model 'google/flan-t5-base'") and "not reachable" in line
    assert "--preset demo" in line and "HF_HUB_OFFLINE" not in line  # not set, so not hinted

    env["HF_HUB_OFFLINE"] = "1"
    offline = subprocess.run([sys.executable, "-m", "rlhf_core", "train", "--preset", "flan-t5-base", "--run-dir",
                              str(tmp_path / "run")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert offline.returncode == 2 and "HF_HUB_OFFLINE is set" in offline.stderr.strip()
    assert not (tmp_path / "run").exists()


def test_help_documents_every_dotted_flag_and_presets_show_describes_fields():
    helped = run_cli("train", "--help")
    assert helped.returncode == 0
    assert "--ppo.cliprange" in helped.stdout and "policy ratio clip" in helped.stdout
    shown = run_cli("presets", "--show", "tiny")
    assert shown.returncode == 0
    assert "  model.lora_r = 32  # LoRA rank" in shown.stdout and "preset = 'tiny'" in shown.stdout


@pytest.mark.parametrize("args,message", [
    (["--preset", "huge"], "unknown preset 'huge'"),
    (["--preset", "tiny", "--dataset", "/missing.jsonl"], "dataset file not found"),
    (["--preset", "tiny", "--dataset", str(DIALOGSUM_DEV), "--data.dialogue_column", "text"],
     "no dialogue column 'text'"),
    (["--preset", "tiny", "--data.min_chars", "100000", "--data.max_chars", "200000"], "no dialogue left"),
    (["--preset", "tiny", "--reward.not_hate_label", "clean"], "no label 'clean'"),
    (["--preset", "tiny", "--steps", "-3"], "steps must be at least 1"),
    (["--preset", "tiny", "--batch-size", "lots"], "invalid value 'lots'"),
    (["--preset", "flan-t5-small"], "HF_HUB_OFFLINE is set.*--preset tiny"),
])
def test_bad_input_gives_one_clear_line_and_exit_2(tmp_path, args, message):
    done = run_cli("train", *args, "--run-dir", str(tmp_path / "run"), timeout=120)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    import re
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "run").exists()  # a run that fails to start leaves nothing behind


def test_existing_run_dir_is_refused(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "config.json").write_text("{}")
    done = run_cli("train", "--preset", "tiny", "--run-dir", str(tmp_path / "run"))
    assert done.returncode == 2 and "--resume" in done.stderr


def test_evaluate_of_a_missing_run_is_a_clear_error(tmp_path):
    done = run_cli("evaluate", "--run-dir", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "not a run directory" in done.stderr


def test_two_process_accelerate_launch_on_cpu(tmp_path):
    """DDP over gloo: `accelerate launch` runs the same command on 2 processes without code changes."""
    run = tmp_path / "ddp"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
         "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", "29533",
         "-m", "rlhf_core", "train", "--preset", "tiny", "--steps", "2", "--batch-size", "2",
         "--mini-batch-size", "1", "--run-dir", str(run), "--no-progress"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "on 2 processes" in done.stderr
    assert done.stderr.count("step 2/2") == 1  # only rank 0 reports
    assert [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()] == [1, 2]


def test_build_demo_only_judge_needs_a_built_demo(tmp_path):
    done = run_cli("build-demo", "--only", "judge", "--out", str(tmp_path), timeout=120)
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(lines) == 1 and "not a built demo folder" in lines[0], done.stderr
    assert not list(tmp_path.iterdir())
