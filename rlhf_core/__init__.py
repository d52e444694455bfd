"""detox-rlhf's engine: PPO with a KL-anchored LoRA policy for seq2seq summarizers.

Public API (what the CLI and the app use):
    get_config, list_presets, Config          configuration and presets
    build_dataset                              dialogues -> prompt-wrapped, tokenized splits
    build_policy, PolicyWithValueHead          LoRA policy + value head; reference = adapter off
    RewardModel, Reward, label_index           hate-speech reward read by label name, plus weighted terms
    PPOTrainer                                 one PPO step for encoder-decoder models
    CriticFreeTrainer                          one RLOO or GRPO step (k samples per prompt, no value head)
    iter_train, train, StepResult              training runs with live stats and cancel
    Summarizer, clean_dialogue                 before/after summaries with scores
    evaluate_run, compare, format_report       before vs after: reward model and judge, greedy and
    headline_toxicity, Judge                   sampled, fidelity, ROUGE; the independent judge
    format_markdown                            the evaluation as Markdown (model cards, pull requests)
    write_model_card, push_run                 a run's model card (README.md); upload to the Hub
    RunDir, list_runs, delete_run, run_path    run directories on disk
    UserError                                  bad input, with a message for the user
"""

from .models import memory  # noqa: F401  first: caps oneDNN's cache before any matmul runs (memory.py)

# The public API, imported on first use: `python -m rlhf_core` then reaches its Hub probe and
# its one-line errors in a second instead of after importing torch, transformers and peft.
_API = {
    "config": ["Config", "apply_overrides", "get_config", "list_presets", "validate"],
    "data.dialogues": ["build_dataset"],
    "errors": ["UserError"],
    "evaluation.evaluate": ["compare", "evaluate_run"],
    "evaluation.report": ["format_markdown", "format_report", "headline_toxicity"],
    "evaluation.judge": ["Judge"],
    "evaluation.model_card": ["write_model_card"],
    "evaluation.publish": ["push_run"],
    "models.summarizer": ["Summarizer"],
    "data.text_input": ["clean_dialogue"],
    "models.policy": ["PolicyWithValueHead", "build_policy"],
    "models.reward": ["Reward", "RewardModel", "label_index"],
    "training.runs": ["RunDir", "delete_run", "list_runs", "run_path", "runs_root"],
    "algorithms.ppo_trainer": ["PPOTrainer"],
    "algorithms.critic_free_trainer": ["CriticFreeTrainer"],
    "training.run_loop": ["StepResult", "iter_train", "train"],
}
_WHERE = {name: module for module, names in _API.items() for name in names}
__all__ = list(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'rlhf_core' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted([*globals(), *__all__])
