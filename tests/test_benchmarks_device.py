"""The GPU benchmarks' code paths, run on the CPU with tiny shapes (no GPU is at hand here).

`benchmarks/gpu.sh` runs the full-size dry run (`full_size.py --device cuda`) and, with `--with-trl`
when TRL's venv is built, `ppo_step.py` and TRL's anchor through `trl011_on_device.py`; `--dry-run`
takes the same script on the CPU at toy dims.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
TRL_VENV = Path(os.environ.get("TRL_VENV", "/tmp/trl011-venv"))
TINY = ["--size", "tiny", "--steps", "1", "--warmup", "0", "--batch-size", "4", "--mini-batch-size", "2",
        "--max-new-tokens", "5", "--prompt-len-min", "8", "--prompt-len-max", "12", "--matmul-n", "128"]


def load_ppo_step():
    spec = importlib.util.spec_from_file_location("ppo_step", ROOT / "benchmarks" / "ppo_step.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_ppo_step_on_cpu_reports_the_cli_precision_and_gpu_fields(capsys):
    from rlhf_core.models.precision import resolve_dtype

    threads = torch.get_num_threads()
    try:
        load_ppo_step().main(["--device", "cpu", *TINY])
    finally:
        torch.set_num_threads(threads)
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    cfg = summary["config"]
    assert cfg["device"] == "cpu" and cfg["dtype_requested"] == "auto"
    assert cfg["dtype"] == str(resolve_dtype("auto")).removeprefix("torch.")  # the CLI's model.dtype default
    assert summary["peak_gpu_mb"] is None
    assert summary["generation_tokens_per_s"] == pytest.approx(4 * 5 / summary["median_s"]["generation"])
    assert summary["samples_per_s"] == pytest.approx(4 / summary["median_s"]["total"])
    floor = summary["generation_matmul_floor"]
    # Each of the 5 decoding steps runs the tiny decoder's projections and its LM head.
    assert floor["steps"] == 5 and floor["matmuls"] > 5 * 8 and 0 < floor["floor_s"]
    assert summary["generation_over_floor"] == pytest.approx(
        summary["median_s"]["generation"] / 5 / floor["floor_s_per_token"])
    assert summary["update_rss_rise_mb"] is None or summary["update_rss_rise_mb"] >= 0
    # The FLOP-bound floor of a step: generation at its matmul floor, scoring and update at the peak.
    ceiling, peak = summary["step_floor"], summary["matmul_peak_flop_per_s"]
    assert summary["reward_flops"] > 0 and summary["update_flops"] > 0
    assert ceiling["generation_s"] == pytest.approx(5 * floor["floor_s_per_token"])
    assert ceiling["reward_s"] == pytest.approx(summary["reward_flops"] / peak)
    assert ceiling["update_s"] == pytest.approx(summary["update_flops"] / peak)
    assert ceiling["total_s"] == pytest.approx(ceiling["generation_s"] + ceiling["reward_s"] + ceiling["update_s"])
    assert ceiling["samples_per_s"] == pytest.approx(4 / ceiling["total_s"])
    update_floor = summary["update_matmul_floor"]  # the update's products (forward and backward) replayed
    assert update_floor["matmuls"] > 0 and update_floor["floor_s"] > 0
    assert summary["update_over_matmul_floor"] > 0


def test_matmul_recording_sees_the_backward_products_and_replays_them():
    module = load_ppo_step()
    x, w = torch.randn(4, 3, requires_grad=True), torch.randn(5, 3, requires_grad=True)
    _, calls = module.record_matmuls(lambda: torch.nn.functional.linear(x, w).sum().backward())
    shapes = sorted(tuple(a[0] for a in args if isinstance(a, tuple)) for _, args, _ in calls)
    # forward x @ w.T, then grad_x = g @ w and grad_w = g.T @ x
    assert shapes == [((4, 3), (3, 5)), ((4, 5), (5, 3)), ((5, 4), (4, 3))]
    assert module.replay_matmuls(calls, "cpu", repeats=1) > 0


@pytest.mark.parametrize("algo", ["rloo", "grpo"])
def test_ppo_step_runs_the_critic_free_step_without_a_value_head(capsys, algo):
    module, threads = load_ppo_step(), torch.get_num_threads()
    summaries = {}
    try:
        for name in ("ppo", algo):
            module.main(["--device", "cpu", "--algo", name, "--k", "2", *TINY])
            summaries[name] = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    finally:
        torch.set_num_threads(threads)
    summary = summaries[algo]
    assert summary["config"]["algo"] == algo
    head = module.T5_SHAPES["tiny"]["d_model"] + 1  # PPO's value head: Linear(d_model, 1)
    assert summaries["ppo"]["params"]["policy_trainable"] - summary["params"]["policy_trainable"] == head
    assert summary["update_flops"] is None  # only PPO's passes are counted
    assert summary["samples_per_s"] == pytest.approx(4 / summary["median_s"]["total"])  # 2 prompts x k=2


def test_ppo_step_refuses_cuda_without_a_gpu():
    if torch.cuda.is_available():
        pytest.skip("a CUDA GPU is present")
    args = load_ppo_step().parse_args(["--device", "cuda"])
    with pytest.raises(SystemExit, match="error: --device cuda"):
        load_ppo_step().resolve_device_and_dtype(args)


@pytest.mark.slow
def test_gpu_sh_dry_run_prints_one_table_with_trl_rows_when_its_venv_is_built():
    with_trl = (TRL_VENV / ".trl011-ready").is_file()  # never built by gpu.sh (that needs the network)
    env = {**os.environ, "PYTHON": sys.executable, "TRL_VENV": str(TRL_VENV), "OMP_NUM_THREADS": "1"}
    done = subprocess.run(["bash", str(ROOT / "benchmarks" / "gpu.sh"), "--dry-run", "--with-trl"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    from rlhf_core.models.precision import cpu_has_native_bf16

    auto = "bfloat16" if cpu_has_native_bf16() else "float32"  # the product's pick on this CPU
    assert summary["device"] == "cpu" and summary["shrink"] and summary["dtype"] == summary["auto_dtype"] == auto
    phases = {p["phase"]: p for p in summary["phases"]}
    assert phases[f"train step ({auto})"]["seconds"] > 0 and phases["evaluate"]["peak_rss_mb"] > 0
    assert all(p["peak_gpu_mb"] is None for p in phases.values())
    assert sum(line.startswith("phase ") for line in lines) == 1  # one table
    if with_trl:
        trl, ours = phases["TRL 0.11.4 step (bench)"], phases["rlhf_core step (bench)"]
        assert trl["seconds"] > 0 and ours["seconds"] > 0 and "x TRL's" in ours["note"]
    else:
        assert "TRL 0.11.4 step (bench)" not in phases and "is not built" in done.stderr
