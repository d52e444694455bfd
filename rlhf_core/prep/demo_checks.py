"""Checks of the demo's models on texts they never saw: the classifiers' accuracy on new sentences, on
the shipped dialogues' reference summaries and on the hand-written probes, and the summarizer's
invented entities, ROUGE and insults in greedy summaries. The metrics that the demo build records
and `demo_readme` reports; the benchmarks reuse them.
"""

from __future__ import annotations

import json
from pathlib import Path

from .demo_corpus import labelled_summaries
from .demo_spec import DemoSpec
from .judge_sentences import make_judge_sentences
from .reward_model import RewardTrainConfig
from .synthetic_analysis import insulting_polite_summaries, reporting_summaries
from .synthetic_sentences import make_toxicity_sentences

TEST_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
PROBES_FILE = TEST_DATA / "toxicity_probes.jsonl"  # hand-written, labelled sentences
HANDWRITTEN_FILE = TEST_DATA / "handwritten_dialogues.jsonl"  # hand-written dialogues with numbers and names


def score_texts(classifier_dir: Path, records: list[dict], max_length: int) -> dict[str, float]:
    """Returns the classifier's accuracy/precision/recall/F1 on labelled {text, label} records."""
    import numpy as np

    from ..models.loading import load_classifier
    from ..models.reward import RewardModel
    from .reward_model import classification_metrics

    scorer = RewardModel(*load_classifier(str(classifier_dir)), batch_size=64, max_length=max_length)
    p_hate = np.array(scorer.score([r["text"] for r in records]).toxicity)
    actual = np.array([r["label"] == "hate" for r in records], dtype=int)
    return {"texts": len(records), **classification_metrics((p_hate >= 0.5).astype(int), actual),
            "p_hate_between_0.05_and_0.95": float(((p_hate > 0.05) & (p_hate < 0.95)).mean()) if len(records) else 0.0}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def summarizer_checks(policy_dir: Path, dialogues: list[dict], max_prompt_tokens: int, max_new_tokens: int) -> dict:
    """Greedy summaries of `dialogues` ({dialogue, summary?}): invented-entity rate, ROUGE when
    there are references, and a few examples."""
    from ..config import get_config
    from ..evaluation.fidelity import hallucinated_entities, loops
    from ..evaluation.figures import rouge
    from ..models.loading import load_seq2seq
    from ..models.summarizer import greedy_summaries

    demo = get_config("demo")
    # In the preset's precision, as the app's Summarizer decodes: the loader's "auto" picks bf16 on
    # CPUs with native bf16, and in bf16 the shipped summarizer writes other greedy summaries for
    # 14 of the 22 hand-written dialogues (8 of 27 names and numbers invented instead of 5).
    model, tokenizer = load_seq2seq(str(policy_dir), demo.model.dtype)
    template = demo.data.prompt_template
    summaries = greedy_summaries(model, tokenizer, [template.format(dialogue=r["dialogue"]) for r in dialogues],
                          max_prompt_tokens, max_new_tokens)
    counts = [hallucinated_entities(s, r["dialogue"]) for s, r in zip(summaries, dialogues)]
    out = {"dialogues": len(dialogues), "entities": sum(n for _, n in counts),
           "invented": sum(k for k, _ in counts),
           "examples": [{"dialogue": r["dialogue"], "summary": s} for r, s in list(zip(dialogues, summaries))[:2]]}
    out["invented_rate"] = out["invented"] / out["entities"] if out["entities"] else 0.0
    out["looping"] = sum(map(loops, summaries))
    if all("rude" in r for r in dialogues):
        out["polite"] = sum(not r["rude"] for r in dialogues)
        out["polite_with_insult"] = len(insulting_polite_summaries(dialogues, summaries))
        out["polite_with_report"] = len(reporting_summaries(dialogues, summaries))
        out["rude_with_report"] = len(reporting_summaries(dialogues, summaries, rude=True))
    if all(r.get("summary") for r in dialogues):
        out["rouge"] = rouge(summaries, [r["summary"] for r in dialogues])
    return out


def classifier_checks(folder: Path, settings: RewardTrainConfig, spec: DemoSpec, ppo_dialogues: list[dict]) -> dict:
    """A classifier on texts it never saw: new sentences in its own style and in the other's, the
    reference summaries of the PPO/evaluation dialogues, and the hand-written probes."""
    checks = {
        "reward_style_sentences": score_texts(folder, make_toxicity_sentences(
            1000, spec.sentence_seed + 100, style="reward"), settings.max_length),
        "judge_style_sentences": score_texts(folder, make_judge_sentences(1000, spec.judge_seed + 100),
                                             settings.max_length),
        "ppo_reference_summaries": score_texts(folder, labelled_summaries(ppo_dialogues), settings.max_length),
    }
    if PROBES_FILE.is_file():
        checks["handwritten_probes"] = score_texts(folder, read_jsonl(PROBES_FILE), settings.max_length)
    return checks
