"""Counts the reward classifier's input rows in one demo-preset PPO step: with reward.text=summary each
summary is scored once (rewards and toxicity from one pass). Run from the project root:

    HF_HUB_OFFLINE=1 python benchmarks/count_reward_rows.py
"""
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rlhf_core import PPOTrainer, Reward, RewardModel, build_dataset, build_policy, get_config  # noqa: E402

config = get_config("demo", {"optim.batch_size": 8, "optim.mini_batch_size": 4})
torch.manual_seed(0)
policy, tokenizer = build_policy(config.model)
data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"].select(range(8))
model = RewardModel.from_config(config.reward)
rows = []
forward = model.model.forward
model.model.forward = lambda *a, **k: rows.append(k["input_ids"].shape[0]) or forward(*a, **k)
trainer = PPOTrainer(config, policy, tokenizer, Reward(model, config.reward.text))
rollout, stats = trainer.step_from_prompts(data["input_ids"], data["prompt"], 24)
print(f"reward.text={config.reward.text}: {len(rollout.summaries)} summaries, classifier rows scored in the step: "
      f"{sum(rows)} in {len(rows)} forward call(s); env/toxicity_mean={stats['env/toxicity_mean']:.3f}")
