"""Named starting points for a run: the real FLAN-T5 models, the shipped offline demo, and tiny
random-weight models for tests. Each is a function that returns a fresh `Config`."""

from __future__ import annotations

import typing
from typing import Any

from ..errors import UserError
from ..paths import PROJECT_ROOT
from .overrides import apply_overrides
from .schema import Config

TINY_POLICY = "builtin:tiny-t5"
TINY_REWARD = "builtin:tiny-roberta"
TINY_DATASET = "builtin:tiny-dialogues"
TINY_JUDGE = "builtin:tiny-judge"


# A judge trained on other data (Jigsaw toxic comments) than the reward model (Dynabench hate
# speech), with named labels (neutral/toxic): what PPO learns to please, it did not learn to fool.
REAL_JUDGE = "s-nlp/roberta_toxicity_classifier"


def _flan_t5(size: str) -> Config:
    cfg = Config(preset=f"flan-t5-{size}")
    cfg.model.policy = f"google/flan-t5-{size}"
    cfg.eval.judge = REAL_JUDGE
    return cfg


def _tiny() -> Config:
    """Random-weight tiny T5 + RoBERTa and built-in dialogues: offline, seconds per step."""
    cfg = Config(preset="tiny")
    cfg.model.policy = TINY_POLICY
    cfg.model.max_prompt_tokens = 256
    cfg.data.dataset = TINY_DATASET
    cfg.data.min_chars = 50
    cfg.reward.model = TINY_REWARD
    cfg.eval.judge = TINY_JUDGE  # same architecture, other random weights: not the reward model
    cfg.eval.judge_label = "hate"
    cfg.eval.sampled_k = 2
    # float32 everywhere: the tests check exact identities (KL 0, ratio 1 at the first step), and
    # toy models gain nothing from bf16 (`auto` would pick it on a CPU with native bf16).
    cfg.model.dtype = cfg.reward.dtype = "float32"
    cfg.generation.max_new_tokens_min = 8
    cfg.generation.max_new_tokens_max = 16
    cfg.optim.batch_size = 4
    cfg.optim.mini_batch_size = 2
    cfg.optim.learning_rate = 1e-3
    cfg.eval.samples = 4
    cfg.eval.max_new_tokens = 16
    cfg.eval.bootstrap = 200
    cfg.steps = 4
    return cfg


DEMO_DIR = PROJECT_ROOT / "checkpoints" / "demo"


def _demo() -> Config:
    """The shipped demo (`checkpoints/demo`, built by `build-demo`): a small T5 summarizer and a
    hate classifier trained from scratch on synthetic dialogues; PPO runs offline in minutes."""
    cfg = Config(preset="demo")
    cfg.model.policy = str(DEMO_DIR / "policy")
    cfg.model.max_prompt_tokens = 256
    cfg.model.lora_r = 16
    cfg.model.lora_alpha = 16
    cfg.model.lora_dropout = 0.0
    cfg.data.dataset = str(DEMO_DIR / "dialogues.jsonl")  # held out: a different seed from the SFT dialogues
    cfg.data.min_chars = 50
    cfg.reward.model = str(DEMO_DIR / "reward")
    # The summary alone: the classifier reads a rude dialogue as hate whatever the summary says,
    # so prompt+summary would bury the one thing PPO can change.
    cfg.reward.text = "summary"
    cfg.reward.max_length = 96
    cfg.reward.batch_size = 32
    cfg.model.dtype = cfg.reward.dtype = "float32"  # as measured in the README; toys gain nothing from bf16
    cfg.cpu_threads = 1  # its matrices are too small to split; two threads on a busy machine wait on each other
    # Byte-level BPE with one token per digit: a two-sentence summary is 40-70 tokens.
    cfg.generation.max_new_tokens_min = 72
    cfg.generation.max_new_tokens_max = 80
    cfg.optim.batch_size = 16
    cfg.optim.mini_batch_size = 4
    # 5e-4, not 1e-3: over 5 seeds each algorithm cuts as much or more at half the step (PPO 64% +- 8
    # against 64% +- 21, every seed >= 55%; RLOO 84%; GRPO 70% against 57%), with ROUGE-L at "before"
    # instead of below it and a third fewer clean summaries rewritten (README, "Algorithms").
    cfg.optim.learning_rate = 5e-4
    # The reward (not-hate logit of a label-smoothed classifier) spans only about +-1.8 and the
    # KL penalty sums over 40-80 summary tokens: at init_kl_coef 1.0 the anchor outweighed the
    # toxicity signal and a default run did not detoxify; 0.2 with two epochs per batch does
    # (README "Offline demo", benchmarks/demo_models.py) and keeps ROUGE-L.
    cfg.ppo.init_kl_coef = 0.2
    cfg.ppo.ppo_epochs = 2
    # Whole mini-batches per forward/backward (exact either way): for a 1.2M-parameter model a pass
    # costs its Python overhead, not FLOPs, and 4 rows need little memory.
    cfg.optim.micro_batch_size = 4
    cfg.critic_free.kl_coef = 0.2  # the same anchor for RLOO/GRPO (4 dialogues x k=4 = PPO's 16 summaries)
    cfg.eval.samples = 100
    cfg.eval.max_new_tokens = 80
    cfg.eval.batch_size = 400  # all 100 dialogues' greedy summaries in one call, their 4 x 100 sampled in another
    cfg.eval.judge = str(DEMO_DIR / "judge")  # trained on other templates, insult words and seeds than the reward model
    cfg.eval.judge_label = "hate"
    cfg.eval.judge_max_length = 96
    cfg.steps = 60  # about 2 minutes of CPU time (132 s user with 1 thread, measured on the 2026-11 demo models)
    return cfg


PRESETS: dict[str, typing.Callable[[], Config]] = {
    "flan-t5-base": lambda: _flan_t5("base"),
    "flan-t5-small": lambda: _flan_t5("small"),
    "tiny": _tiny,
    "demo": _demo,
}


def list_presets() -> list[str]:
    """Names of the presets, the default first."""
    return list(PRESETS)


def get_config(preset: str = "flan-t5-base", overrides: dict[str, Any] | None = None) -> Config:
    """Returns the preset's configuration with dotted-key overrides applied."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    cfg = PRESETS[preset]()
    return apply_overrides(cfg, overrides or {})
