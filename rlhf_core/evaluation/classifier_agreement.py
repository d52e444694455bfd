"""Do the demo's reward model and its judge err differently? A judge that makes the reward model's
mistakes cannot catch PPO exploiting them, so this measures, on labelled probes, each classifier's
accuracy, Cohen's kappa between their verdicts and the errors they share; on unlabelled summaries
(the demo's test split) only their agreement. Printed as a table by

    python -m rlhf_core.evaluation.classifier_agreement [--demo checkpoints/demo] [--summaries]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..prep.demo_checks import PROBES_FILE, TEST_DATA, read_jsonl

# Hand-written, labelled; no builder (`rlhf_core.prep`) ever reads it, for training or for its checks.
HELD_OUT_PROBES_FILE = TEST_DATA / "toxicity_probes_heldout.jsonl"


def cohen_kappa(a: Sequence[int], b: Sequence[int]) -> float | None:
    """Cohen's kappa of two raters' labels (nltk's, the library the fidelity term already uses);
    None where it is undefined (both raters give one and the same label to every item)."""
    from nltk.metrics.agreement import AnnotationTask

    if len(set(a) | set(b)) < 2:
        return None
    task = AnnotationTask(data=[(rater, i, int(x)) for rater, labels in (("a", a), ("b", b))
                                for i, x in enumerate(labels)])
    return float(task.kappa_pairwise("a", "b"))


def agreement(a: Sequence[int], b: Sequence[int], labels: Sequence[int] | None = None,
              names: tuple[str, str] = ("reward", "judge")) -> dict:
    """Agreement of two classifiers' 0/1 verdicts (1 = hate): share agreeing and kappa; with gold
    `labels` also each one's accuracy and errors, and the errors both make ("shared") as a share of
    each one's errors (0 where it makes none)."""
    a, b = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"need two equally long lists of verdicts (got {a.shape} and {b.shape})")
    out = {"n": len(a), "agreement": float((a == b).mean()) if len(a) else 0.0, "kappa": cohen_kappa(a, b)}
    if labels is None:
        return out
    gold = np.asarray(labels, dtype=int)
    wrong = {names[0]: a != gold, names[1]: b != gold}
    shared = int((wrong[names[0]] & wrong[names[1]]).sum())
    out["shared_errors"] = shared
    for name, errors in wrong.items():
        out[f"{name}_accuracy"] = float(1 - errors.mean()) if len(a) else 0.0
        out[f"{name}_errors"] = int(errors.sum())
        out[f"shared_of_{name}_errors"] = shared / int(errors.sum()) if errors.sum() else 0.0
    return out


def verdicts(folder: Path, texts: list[str], max_length: int = 96) -> list[int]:
    """The classifier's 0/1 verdicts (hate at p >= 0.5, as the build's checks count)."""
    from ..models.loading import load_classifier
    from ..models.reward import RewardModel

    scorer = RewardModel(*load_classifier(str(folder), "float32"), batch_size=64, max_length=max_length)
    return [int(p >= 0.5) for p in scorer.score(texts).toxicity]


def probe_agreement(reward_dir: Path, judge_dir: Path, probes: list[dict], max_length: int = 96) -> dict:
    """`agreement` of a reward model and a judge on labelled {text, label} probes, with the texts
    that both get wrong."""
    texts = [p["text"] for p in probes]
    gold = [int(p["label"] == "hate") for p in probes]
    reward, judge = verdicts(reward_dir, texts, max_length), verdicts(judge_dir, texts, max_length)
    out = agreement(reward, judge, gold)
    out["both_wrong"] = [t for t, g, r, j in zip(texts, gold, reward, judge) if r != g and j != g]
    return out


def test_split_summaries(demo: Path) -> dict[str, list[str]]:
    """The demo preset's test split (the dialogues evaluation reads): its reference summaries and
    the shipped summarizer's greedy summaries of it (before PPO)."""
    import dataclasses

    from ..config import get_config
    from ..data.dialogues import build_dataset
    from ..models.loading import load_seq2seq
    from ..models.summarizer import greedy_summaries

    config = get_config("demo")
    model, tokenizer = load_seq2seq(str(demo / "policy"), config.model.dtype)
    data = dataclasses.replace(config.data, dataset=str(demo / "dialogues.jsonl"))
    test = build_dataset(data, tokenizer, config.model.max_prompt_tokens)["test"]
    return {"references": list(test["summary"]),
            "greedy summaries": greedy_summaries(model, tokenizer, list(test["prompt"]), config.model.max_prompt_tokens,
                                                 config.eval.max_new_tokens)}


def agreement_report(demo: Path, summaries: bool = False) -> dict[str, dict]:
    """{texts: agreement} on the project's probes, the held-out probes and (optionally) the test split."""
    report = {}
    for label, path in (("probes (tests/data/toxicity_probes.jsonl)", PROBES_FILE),
                        ("held-out probes (tests/data/toxicity_probes_heldout.jsonl)", HELD_OUT_PROBES_FILE)):
        if path.is_file():
            report[label] = probe_agreement(demo / "reward", demo / "judge", read_jsonl(path))
    if summaries:
        for label, texts in test_split_summaries(demo).items():
            report[f"test split, {label}"] = agreement(verdicts(demo / "reward", texts),
                                                       verdicts(demo / "judge", texts))
    return report


def format_report(report: dict[str, dict]) -> str:
    """A markdown table of `agreement_report`, then the texts both classifiers get wrong."""
    def cell(row: dict, key: str, fmt: str) -> str:
        return format(row[key], fmt) if row.get(key) is not None else "-"

    lines = ["| texts | n | reward accuracy | judge accuracy | agreement | kappa | errors (reward / judge) | "
             "shared errors | shared / reward's | shared / judge's |", "|---" * 10 + "|"]
    for label, row in report.items():
        errors = f"{row['reward_errors']} / {row['judge_errors']}" if "reward_errors" in row else "-"
        lines.append(f"| {label} | {row['n']} | {cell(row, 'reward_accuracy', '.1%')} | "
                     f"{cell(row, 'judge_accuracy', '.1%')} | {row['agreement']:.1%} | {cell(row, 'kappa', '.2f')} | "
                     f"{errors} | {row.get('shared_errors', '-')} | {cell(row, 'shared_of_reward_errors', '.0%')} | "
                     f"{cell(row, 'shared_of_judge_errors', '.0%')} |")
    for label, row in report.items():
        if row.get("both_wrong"):
            lines += ["", f"Both wrong on {label}:"] + [f"- {text}" for text in row["both_wrong"]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--demo", default=None, help="a built demo folder (default: the shipped checkpoints/demo)")
    parser.add_argument("--summaries", action="store_true",
                        help="also the test split's reference and greedy summaries (a few seconds more)")
    args = parser.parse_args(argv)
    from ..config import DEMO_DIR
    from ..errors import UserError

    demo = Path(args.demo) if args.demo else DEMO_DIR
    try:
        missing = [name for name in ("reward", "judge") if not (demo / name).is_dir()]
        if missing:
            raise UserError(f"{demo} is not a built demo folder (no {' or '.join(f'{m}/' for m in missing)})")
        print(format_report(agreement_report(demo, args.summaries)))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
