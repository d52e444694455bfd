"""Rewards: a hate-speech classifier read by label name, or any Python callable, plus named terms.

The reward of a summary is a weighted sum of named terms (`reward.*_weight` in the config):
`toxicity` (the classifier's not-hate logit, or P(not hate) with `reward.toxicity_form probability`,
or a custom callable's value, logged as `custom`),
`fidelity`, `anchor` and `length` (reward_terms.py, no model needed; `anchor` reads the reference
model's summaries, which the trainer passes in). Each term's raw values are kept
in `Scores.terms`, so every term can be logged on its own.

reward = the logit of the not-hate label; toxicity = softmax probability of the hate label.
Label indices come from the checkpoint's `id2label`: reading them by position silently trains
the wrong way whenever the label order differs (the original lab's bug).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from ..config import PROMPT_TEMPLATE, REWARD_TERMS, RewardConfig
from ..data.dialogues import fit_prompts, warn_truncated
from ..errors import UserError
from .loading import load_classifier

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
    """Per-text reward (the weighted sum of terms), toxicity (P(hate)) and each term's raw values."""

    rewards: list[float]
    toxicity: list[float] | None  # None when a Python callable gives the reward (no classifier)
    terms: dict[str, list[float]] = field(default_factory=dict)  # term name -> unweighted values


def term_weights(cfg: RewardConfig) -> dict[str, float]:
    """Returns {term: weight} from the config's `<term>_weight` fields."""
    return {name: float(getattr(cfg, f"{name}_weight")) for name in REWARD_TERMS}


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

    def toxic_words(self, texts: Sequence[str], threshold: float = 0.5) -> set[str]:
        """The words of `texts` that this classifier, reading each word alone, rates P(hate) > threshold.

        One batched pass over the distinct words (speaker tags and punctuation left out); a word's
        toxicity in context may differ, so this marks candidates for the eye, it does not explain a score.
        """
        from ..evaluation.text_diff import words_of

        words = sorted({w for text in texts if text for w in words_of(text)})
        if not words:
            return set()
        return {w for w, t in zip(words, self.score(words).toxicity) if t > threshold}


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
    """The reward for training: weighted terms around a RewardModel on the configured text, or a user callable."""

    def __init__(self, source: RewardModel | RewardFn, text: str = "summary", template: str = PROMPT_TEMPLATE,
                 weights: dict[str, float] | None = None, toxicity_form: str = "logit"):
        if toxicity_form not in ("logit", "probability"):
            raise UserError(f"reward.toxicity_form must be logit or probability, not {toxicity_form!r}")
        self.source = source
        self.text = text
        self.toxicity_form = toxicity_form  # the classifier's value: not-hate logit, or P(not hate)
        self.template = template  # the prompt template, to cut a too-long prompt+summary in its dialogue
        self.weights = dict(weights) if weights is not None else {"toxicity": 1.0}
        unknown = set(self.weights) - set(REWARD_TERMS)
        if unknown:
            raise UserError(f"unknown reward term(s) {', '.join(sorted(unknown))}; known: {', '.join(REWARD_TERMS)}")

    @property
    def base_term(self) -> str:
        """The name the classifier's (or callable's) values are logged under."""
        return "toxicity" if self.model is not None else "custom"

    @property
    def needs_anchors(self) -> bool:
        """Whether `score` must be given the reference model's summaries (the anchor term is on)."""
        return bool(self.weights.get("anchor", 0.0))

    def combine(self, base: list[float], summaries: Sequence[str], dialogues: Sequence[str],
                references: Sequence[str] | None,
                anchors: Sequence[str] | None = None) -> tuple[list[float], dict[str, list[float]]]:
        """Returns (weighted rewards, raw terms): weight_toxicity * base + the other weighted terms.

        A term with weight 0 is not computed (the base term always is: it is logged).
        """
        from .reward_terms import anchor_scores, fidelity_scores, length_scores

        terms = {self.base_term: list(base)}
        if self.weights.get("fidelity", 0.0):
            terms["fidelity"] = fidelity_scores(summaries, dialogues, references)
        if self.needs_anchors:
            if anchors is None:
                raise UserError("the anchor reward term needs the reference model's summaries "
                                "(the trainers pass them; set reward.anchor_weight 0 elsewhere)")
            terms["anchor"] = anchor_scores(summaries, anchors)
        if self.weights.get("length", 0.0):
            terms["length"] = length_scores(summaries, references)
        rewards = [self.weights.get("toxicity", 1.0) * b for b in base]
        for name in ("fidelity", "anchor", "length"):
            if name in terms:
                rewards = [r + self.weights[name] * v for r, v in zip(rewards, terms[name])]
        return rewards, terms

    @property
    def model(self) -> RewardModel | None:
        return self.source if isinstance(self.source, RewardModel) else None

    def score(self, prompts: Sequence[str], summaries: Sequence[str], dialogues: Sequence[str] | None = None,
              references: Sequence[str] | None = None, anchors: Sequence[str] | None = None) -> Scores:
        """Returns each summary's weighted reward, its toxicity (of the summary alone) and the raw terms.

        One classifier pass: with `text="summary"` reward and toxicity come from the same logits;
        with `prompt+summary` the reward texts and the bare summaries go through one batched call.
        A callable reward gives no toxicity (None). The fidelity term checks summaries against
        `dialogues` (the prompts when not given) and `references` (none: no ROUGE part); the
        anchor term checks them against `anchors`.
        """
        model = self.model
        if model is None:
            base, toxicity = self._call_source(prompts, summaries), None
        elif self.text == "summary":
            scored = model.score(summaries)
            base, toxicity = self._base(scored), scored.toxicity
        else:
            both = model.score(reward_texts(prompts, summaries, self.text, model, self.template) + list(summaries))
            n = len(summaries)
            base, toxicity = self._base(both)[:n], both.toxicity[n:]
        rewards, terms = self.combine(base, summaries, list(dialogues) if dialogues is not None else list(prompts),
                                      references, anchors)
        return Scores(rewards, toxicity, terms)

    def __call__(self, prompts: Sequence[str], summaries: Sequence[str]) -> list[float]:
        """Returns the weighted rewards only (the classifier reads the configured text once)."""
        if self.model is not None:
            base = self._base(self.model.score(reward_texts(prompts, summaries, self.text, self.model, self.template)))
        else:
            base = self._call_source(prompts, summaries)
        return self.combine(base, summaries, prompts, None)[0]

    def _base(self, scored: Scores) -> list[float]:
        """The classifier's value per text in the configured form."""
        if self.toxicity_form == "probability":
            return [1.0 - t for t in scored.toxicity]
        return list(scored.rewards)

    def _call_source(self, prompts: Sequence[str], summaries: Sequence[str]) -> list[float]:
        values = [float(v) for v in self.source(list(prompts), list(summaries))]
        if len(values) != len(summaries):
            raise UserError(f"reward function returned {len(values)} values for {len(summaries)} summaries")
        return values
