"""Rewards: a hate-speech classifier read by label name, or any Python callable.

reward = the logit of the not-hate label; toxicity = softmax probability of the hate label.
Label indices come from the checkpoint's `id2label`: reading them by position silently trains
the wrong way whenever the label order differs (the original lab's bug).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from .config import PROMPT_TEMPLATE, RewardConfig
from .data import fit_prompts, warn_truncated
from .errors import UserError
from .hub import load_classifier

RewardFn = Callable[[Sequence[str], Sequence[str]], Sequence[float]]


def label_index(id2label: dict, name: str) -> int:
    """Returns the class index whose label is `name` (case-insensitive), or raises UserError."""
    for index, label in id2label.items():
        if str(label).lower() == name.lower():
            return int(index)
    available = ", ".join(str(label) for label in id2label.values())
    raise UserError(f"reward model has no label '{name}'; its labels are: {available} "
                    "(set reward.not_hate_label / reward.hate_label)")


@dataclass
class Scores:
    """Per-text reward (not-hate logit) and toxicity (P(hate))."""

    rewards: list[float]
    toxicity: list[float] | None  # None when a Python callable gives the reward (no classifier)


class RewardModel:
    """Batched scoring of texts with a sequence classifier."""

    def __init__(self, model, tokenizer, not_hate_label="nothate", hate_label="hate", batch_size=16, max_length=512):
        self.model = model
        self.tokenizer = tokenizer
        id2label = model.config.id2label
        self.not_hate_index = label_index(id2label, not_hate_label)
        self.hate_index = label_index(id2label, hate_label)
        self.batch_size = batch_size
        self.max_length = max_length

    @classmethod
    def from_config(cls, cfg: RewardConfig) -> "RewardModel":
        model, tokenizer = load_classifier(cfg.model, cfg.dtype)
        return cls(model, tokenizer, cfg.not_hate_label, cfg.hate_label, cfg.batch_size, cfg.max_length)

    def to(self, device) -> "RewardModel":
        self.model.to(device)
        return self

    @property
    def device(self):
        return next(self.model.parameters()).device

    @torch.inference_mode()
    def score(self, texts: Sequence[str]) -> Scores:
        """Returns rewards and toxicity for each text, batching texts of similar length together."""
        texts = list(texts)
        rewards = [0.0] * len(texts)
        toxicity = [0.0] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch = self.tokenizer(
                [texts[i] for i in chunk],
                padding=True,
                truncation=True,
                max_length=self.max_length,
                return_tensors="pt",
            ).to(self.device)
            logits = self.model(**batch).logits.float()  # (b, num_labels)
            probs = logits.softmax(-1)
            for j, i in enumerate(chunk):
                rewards[i] = logits[j, self.not_hate_index].item()
                toxicity[i] = probs[j, self.hate_index].item()
        return Scores(rewards, toxicity)


def reward_texts(prompts: Sequence[str], summaries: Sequence[str], text: str, model: RewardModel | None = None,
                 template: str = PROMPT_TEMPLATE) -> list[str]:
    """Returns what the reward model reads: the summary only, or prompt + summary (the lab's choice).

    Given the reward `model`, a prompt + summary too long for its window loses the end of its
    dialogue, never the summary (which a right-truncating tokenizer would cut first) nor the
    instruction; the first time this happens a warning gives the counts.
    """
    if text == "summary":
        return list(summaries)
    if model is None:
        return [p + s for p, s in zip(prompts, summaries)]
    head, tail = template.split("{dialogue}", 1)
    head, tail = head.format(), tail.format()  # the template's literal text ({{ -> {)
    out, cut = [], 0
    for prompt, summary in zip(prompts, summaries):
        if not (prompt.startswith(head) and prompt.endswith(tail)):  # not built from this template: plain concatenation
            out.append(prompt + summary)
            continue
        dialogue = prompt[len(head):len(prompt) - len(tail)]
        escaped = summary.replace("{", "{{").replace("}", "}}")
        fitted, n = fit_prompts(template + escaped, [dialogue], model.tokenizer, model.max_length)
        out.append(fitted[0])
        cut += n
    global _warned_reward_cut
    if cut and not _warned_reward_cut:
        _warned_reward_cut = True
        warn_truncated(cut, len(out), model.max_length, "prompt+summary reward inputs")
    return out


_warned_reward_cut = False


class Reward:
    """The reward for PPO: a RewardModel on the configured text, or a user callable."""

    def __init__(self, source: RewardModel | RewardFn, text: str = "summary", template: str = PROMPT_TEMPLATE):
        self.source = source
        self.text = text
        self.template = template  # the prompt template, to cut a too-long prompt+summary in its dialogue

    @property
    def model(self) -> RewardModel | None:
        return self.source if isinstance(self.source, RewardModel) else None

    def score(self, prompts: Sequence[str], summaries: Sequence[str]) -> Scores:
        """Returns each summary's reward (on the configured text) and toxicity (of the summary alone).

        One classifier pass: with `text="summary"` both come from the same logits; with
        `prompt+summary` the reward texts and the bare summaries go through one batched call.
        A callable reward gives rewards only (toxicity None).
        """
        model = self.model
        if model is None:
            return Scores(self._call_source(prompts, summaries), None)
        if self.text == "summary":
            return model.score(summaries)
        both = model.score(reward_texts(prompts, summaries, self.text, model, self.template) + list(summaries))
        n = len(summaries)
        return Scores(both.rewards[:n], both.toxicity[n:])

    def __call__(self, prompts: Sequence[str], summaries: Sequence[str]) -> list[float]:
        """Returns the rewards only (the classifier reads the configured text once)."""
        if self.model is not None:
            return self.model.score(reward_texts(prompts, summaries, self.text, self.model, self.template)).rewards
        return self._call_source(prompts, summaries)

    def _call_source(self, prompts: Sequence[str], summaries: Sequence[str]) -> list[float]:
        values = [float(v) for v in self.source(list(prompts), list(summaries))]
        if len(values) != len(summaries):
            raise UserError(f"reward function returned {len(values)} values for {len(summaries)} summaries")
        return values
