"""detox-rlhf's engine: PPO with a KL-anchored LoRA policy for seq2seq summarizers.

Public API (what the CLI and the app use):
    get_config, list_presets, Config          configuration and presets
    build_dataset                              dialogues -> prompt-wrapped, tokenized splits
    build_policy, PolicyWithValueHead          LoRA policy + value head; reference = adapter off
    RewardModel, Reward, label_index           hate-speech reward read by label name
    PPOTrainer                                 one PPO step for encoder-decoder models
    iter_train, train, StepResult              training runs with live stats and cancel
    Summarizer, clean_dialogue                 before/after summaries with scores
    evaluate_run, compare, format_report       toxicity + ROUGE before vs after
    RunDir, list_runs, delete_run, run_path    run directories on disk
    UserError                                  bad input, with a message for the user
"""

from . import memory  # noqa: F401  first: caps oneDNN's cache before any matmul runs (memory.py)
from .config import Config, apply_overrides, get_config, list_presets, validate
from .data import build_dataset
from .errors import UserError
from .evaluation import compare, evaluate_run, format_report
from .policy import PolicyWithValueHead, build_policy
from .ppo_trainer import PPOTrainer
from .reward import Reward, RewardModel, label_index
from .run_loop import StepResult, iter_train, train
from .runs import RunDir, delete_run, list_runs, run_path, runs_root
from .summarizer import Summarizer
from .text_input import clean_dialogue

__all__ = [
    "Config", "apply_overrides", "get_config", "list_presets", "validate",
    "build_dataset", "UserError", "compare", "evaluate_run", "format_report",
    "Summarizer", "clean_dialogue", "PolicyWithValueHead", "build_policy",
    "Reward", "RewardModel", "label_index", "RunDir", "delete_run", "list_runs", "run_path", "runs_root",
    "PPOTrainer", "StepResult", "iter_train", "train",
]
