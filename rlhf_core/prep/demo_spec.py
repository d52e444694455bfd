"""`DemoSpec`: the corpus sizes, seeds, model shapes and training settings of the shipped offline
demo, in a module of its own because every part of the demo build (tokenizers and models, corpora,
checks, the build itself) reads it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .copy_pretrain import CopyPretrainConfig
from .reward_model import RewardTrainConfig
from .sft import SFTConfig


@dataclass
class DemoSpec:
    """Corpus sizes, seeds, model shapes and training settings of the shipped demo."""

    sft_dialogues: int = 6000
    sft_seed: int = 1
    sft_rude_share: float = 0.5
    # More insulting than neutral reports among rude dialogues' references, so greedy decoding
    # copies the insult before PPO (there is something to remove). Fewer (0.5, 0.3) make the
    # summarizer name the rudeness more often but rarely with the right speakers, and leave little
    # to detoxify (docs/experiments.md, "More neutral reports in the summarizer's SFT data").
    sft_toxic_summary_share: float = 0.7
    # Where a rude speaker's report goes in every corpus's summaries: before their verb phrase
    # ("calls #Person1# a stupid idiot and ..."), or as a closing sentence of its own.
    rude_report_at_end: bool = False
    ppo_dialogues: int = 500  # shipped as dialogues.jsonl: PPO's training split and the held-out test split
    ppo_seed: int = 2
    vocab_size: int = 2000  # byte-level BPE: no word is unknown
    # One token per digit. False lets BPE merge whole numbers: with vocab_size 8000 most names and
    # numbers become one token (see benchmarks/README.md, "Demo summarizer sweep").
    split_digits: bool = True
    judge_vocab_size: int = 3000  # the judge's own lower-cased words (`demo_init.word_vocabulary`), from its own texts
    # The reward model's labelled sentences: its templates and composed families (`reward_frames`).
    sentences: int = 12000
    sentence_seed: int = 9
    # The judge: its own composed sentences and insult words (`judge_sentences`, `judge_words`), its own
    # seeds, its own dialogues' summaries, its own tokenizer (WordPiece, not BPE) and its own shape
    # (narrower and deeper); nothing shared with the reward model's data but the dialogues' insults.
    judge_sentences: int = 18000
    judge_seed: int = 5
    judge_dialogues: int = 3000
    judge_dialogue_seed: int = 7
    # Extra SFT rows of an auxiliary copy task ("Repeat: <one or two turns>" -> the same turns):
    # cheap practice at copying any name or number piece by piece.
    copy_examples: int = 0
    # Share of open dialogues (`synthetic_dialogues._open_dialogue`: free-form events and plans whose summary
    # can only be copied) among the SFT, PPO and judge dialogues (each from its own seed). With
    # copy pretraining they cut the invented names and numbers on hand-written dialogues by ~40%.
    open_share: float = 0.5
    # Stage 0: copying random token strings before SFT (`prep.copy_pretrain`); without it the
    # summarizer invents about half of the names and numbers it writes. 4000 steps, not 1500:
    # teacher-forced accuracy is 0.87 at 1500 but greedy decoding then copies only 2% of the
    # hand-written turns exactly, 48% at 4000 (`benchmarks/copy_stage_probe.py`).
    copy_pretrain: CopyPretrainConfig = field(default_factory=lambda: CopyPretrainConfig(steps=4000))
    d_model: int = 128
    d_ff: int = 512
    num_heads: int = 4
    num_layers: int = 2
    sft: SFTConfig = field(default_factory=lambda: SFTConfig(
        mode="full", epochs=2.5, learning_rate=1.5e-3, batch_size=16, warmup_steps=50, max_target_tokens=80,
        eval_samples=100, eval_max_new_tokens=80, logging_steps=50))
    reward_hidden: int = 128
    reward_layers: int = 2
    judge_hidden: int = 96
    judge_layers: int = 4
    reward: RewardTrainConfig = field(default_factory=lambda: RewardTrainConfig(
        model="", epochs=3, learning_rate=1e-3, batch_size=32, warmup_steps=20, max_length=96, seed=42,
        label_smoothing=0.05))
    judge: RewardTrainConfig = field(default_factory=lambda: RewardTrainConfig(
        model="", epochs=3, learning_rate=1e-3, batch_size=32, warmup_steps=20, max_length=96, seed=43,
        label_smoothing=0.05))
