"""The independent judge: a toxicity classifier that PPO never optimised, read by label name.

Evaluating with the reward model alone cannot see reward hacking: the policy was trained to
please exactly that classifier. The judge is another classifier (other data, other weights);
where the two disagree, the reward model was fooled or the judge is wrong, and either is worth
seeing. Single-label models are read with a softmax, multi-label ones (`problem_type`
`multi_label_classification`, e.g. unitary/toxic-bert) with a sigmoid.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..config import EvalConfig
from ..errors import UserError
from ..models.loading import load_classifier


class Judge:
    """P(toxic) of texts under a classifier's named toxic label."""

    def __init__(self, model, tokenizer, name: str, toxic_label: str = "toxic", batch_size: int = 32,
                 max_length: int = 512):
        self.model, self.tokenizer, self.name = model, tokenizer, name
        labels = {str(label).lower(): int(index) for index, label in model.config.id2label.items()}
        if toxic_label.lower() not in labels:
            raise UserError(f"judge {name} has no label '{toxic_label}'; its labels are: "
                            f"{', '.join(map(str, model.config.id2label.values()))} (set eval.judge_label)")
        self.toxic_index = labels[toxic_label.lower()]
        self.multi_label = getattr(model.config, "problem_type", None) == "multi_label_classification"
        self.batch_size, self.max_length = batch_size, max_length

    @classmethod
    def from_config(cls, cfg: EvalConfig, dtype: str = "float32") -> "Judge | None":
        """Returns the configured judge, or None when `eval.judge` is empty."""
        if not cfg.judge:
            return None
        model, tokenizer = load_classifier(cfg.judge, dtype, role="judge")
        return cls(model, tokenizer, cfg.judge, cfg.judge_label, max_length=cfg.judge_max_length)

    def to(self, device) -> "Judge":
        self.model.to(device)
        return self

    @torch.inference_mode()
    def toxicity(self, texts: Sequence[str]) -> list[float]:
        """Returns P(toxic) for each text."""
        texts = list(texts)
        out = [0.0] * len(texts)
        device = next(self.model.parameters()).device
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))  # less padding per batch
        for start in range(0, len(order), self.batch_size):
            chunk = order[start : start + self.batch_size]
            batch = self.tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                   max_length=self.max_length, return_tensors="pt").to(device)
            logits = self.model(**batch).logits.float()  # (b, num_labels)
            probs = logits.sigmoid() if self.multi_label else logits.softmax(-1)
            for j, i in enumerate(chunk):
                out[i] = probs[j, self.toxic_index].item()
        return out
