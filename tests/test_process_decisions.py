"""Branches of the PPO update that processes must take together: the ratio guard's skip and early
stopping are decided on numbers summed over processes, so no rank goes its own way (a rank that
skipped or stopped alone would hold other weights, or wait forever in the next all-reduce)."""

import json
import os
import socket
import subprocess
import sys

import torch
from conftest import ROOT

from rlhf_core import PPOTrainer, Reward, build_dataset, build_policy, get_config


def make_trainer(**overrides):
    config = get_config("tiny", {"optim.batch_size": 4, "optim.mini_batch_size": 2, "ppo.ppo_epochs": 2, **overrides})
    torch.manual_seed(0)
    policy, tokenizer = build_policy(config.model)
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"].select(range(4))
    return PPOTrainer(config, policy, tokenizer, Reward(lambda p, s: [float(len(x) % 3) for x in s])), data


def other_process(trainer, monkeypatch, *others):
    """Makes `trainer` reduce as if a second process had reported `others` (summed into its own)."""
    calls = []

    def summed(*values):
        calls.append(values)
        return [float(v) + o for v, o in zip(values, others)]

    monkeypatch.setattr(trainer, "_sum_over_processes", summed)
    return calls


def trainable(trainer):
    return [p.detach().clone() for p in trainer.unwrapped.parameters() if p.requires_grad]


def test_a_ratio_that_explodes_on_another_process_skips_the_mini_batch_here(monkeypatch):
    trainer, data = make_trainer()
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8)
    before = trainable(trainer)
    calls = other_process(trainer, monkeypatch, 1.0, 0.0)  # the other process: ratio over the threshold
    stats = trainer.step(rollout)
    assert len(calls) == 4  # one collective per mini-batch decides both branches
    assert stats["ppo/skipped_minibatches"] == 4.0  # 2 mini-batches x 2 epochs, although our ratios are ~1
    assert all(torch.equal(a, b) for a, b in zip(before, trainable(trainer)))


def test_early_stopping_follows_the_kl_averaged_over_processes(monkeypatch):
    trainer, data = make_trainer(**{"ppo.early_stopping": True, "ppo.early_stopping_kl": 0.5})
    rollout = trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8)
    calls = other_process(trainer, monkeypatch, 0.0, 10.0)  # the other process: policy KL 10, mean > 1.5 * 0.5
    stats = trainer.step(rollout)
    assert stats["ppo/early_stopped"] == 1.0 and len(calls) == 1  # stopped after the first mini-batch's update
    assert stats["ppo/skipped_minibatches"] == 0.0


def test_one_process_reduces_nothing():
    trainer, _ = make_trainer()
    assert trainer._sum_over_processes(True, 0.25) == [1.0, 0.25]


SCRIPT = """
import json, sys
import torch
sys.path.insert(0, {root!r})
from accelerate import Accelerator
from rlhf_core import PPOTrainer, Reward, build_dataset, build_policy, get_config

torch.set_num_threads(1)
accelerator = Accelerator(cpu=True)
rank = accelerator.process_index
config = get_config("tiny", {{"optim.batch_size": 2, "optim.mini_batch_size": 1, "ppo.ppo_epochs": 2}})
config.ppo.ratio_threshold = 1e-9 if rank == 1 else 10.0  # only rank 1's ratios (all ~1) count as exploding
torch.manual_seed(0)
policy, tokenizer = build_policy(config.model)
data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"].select([2 * rank, 2 * rank + 1])
trainer = PPOTrainer(config, policy, tokenizer, Reward(lambda p, s: [float(len(x) % 3) for x in s]), accelerator)
torch.manual_seed(rank)
stats = trainer.step(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8))
weights = torch.cat([p.detach().flatten() for p in trainer.unwrapped.parameters() if p.requires_grad])
both = accelerator.gather(weights[None])
if rank == 0:
    same = bool(torch.equal(both[0], both[1]))
    print(json.dumps({{"skipped": stats["ppo/skipped_minibatches"], "same_weights": same}}))
accelerator.wait_for_everyone()
torch.distributed.destroy_process_group()  # gloo's threads end before the process does
"""


def test_two_processes_skip_a_mini_batch_together(tmp_path):
    """DDP over gloo on a CPU: rank 1 alone sees an exploding ratio; both ranks skip, weights stay equal."""
    script = tmp_path / "decide.py"
    script.write_text(SCRIPT.format(root=str(ROOT)))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "accelerate.commands.launch", "--multi_gpu", "--num_processes", "2",
         "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no", "--main_process_port", str(port),
         str(script)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"skipped": 4.0, "same_weights": True}  # 2 mini-batches x 2 epochs on each rank
