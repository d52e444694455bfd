"""A finished, evaluated run folder written by hand for the rating tests (tests/test_ratings*.py).

The rating view reads only the run's config, checkpoint state and evaluation files, so the folder
holds exactly those: the tiny preset's config.json, a checkpoint's trainer_state.json, eval.json and
eval_samples.csv/.json with invented before/after summaries (before: rude, after: polite) and the
toxicity each scorer gave them. No model is trained: the tests stay fast and their texts readable.
"""

import json
from pathlib import Path

import pandas as pd

from rlhf_core import get_config

NAMES = ["Anna", "Ben", "Chloe", "David", "Emma", "Femi", "Grace", "Hugo", "Ines", "Jack", "Kemi", "Liam", "Mia",
         "Noah", "Olga", "Pablo"]


def write_rated_run(folder: Path, pairs: int = 12, step: int = 3, identical: int = 1) -> Path:
    """A run at `folder` evaluated on `pairs` + `identical` dialogues; the last `identical` have the same
    summary before and after (nothing to rate). Dialogue i's judge finds "after" less toxic, except every
    fourth, where it prefers "before"."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(get_config("tiny").to_json())
    (folder / "checkpoint").mkdir(exist_ok=True)
    (folder / "checkpoint" / "trainer_state.json").write_text(json.dumps({"step": step}))
    rows = []
    for i in range(pairs + identical):
        a, b = NAMES[i % len(NAMES)], NAMES[(i + 5) % len(NAMES)]
        dialogue = f"#Person1#: {a}, did you fix the printer?\n#Person2#: No, {b} broke it again, the idiot."
        before = f"{a} asks about the printer. {b} is an idiot who broke it."
        after = before if i >= pairs else f"{a} asks about the printer; {b} says it broke again."
        judge_before, judge_after = (0.9, 0.2) if i % 4 else (0.3, 0.6)
        rows.append({"id": f"test_{i}", "dialogue": dialogue, "summary_before": before, "summary_after": after,
                     "reward_before": -1.0, "reward_after": 1.0, "reward_diff": 2.0,
                     "greedy_reward_model_toxicity_before": 0.8, "greedy_reward_model_toxicity_after": 0.1,
                     "greedy_judge_toxicity_before": judge_before, "greedy_judge_toxicity_after": judge_after})
    table = pd.DataFrame(rows)
    table.to_csv(folder / "eval_samples.csv", index=False)
    (folder / "eval_samples.json").write_text(table.to_json(orient="records"))
    report = {"samples": len(rows), "step": step, "seed": 0, "reward_text": "summary", "flag_threshold": 0.5,
              "sampled_k": 0, "scorers": {"reward_model": "builtin:tiny-reward", "judge": "invented-judge"},
              "toxicity": {}, "run": str(folder)}
    (folder / "eval.json").write_text(json.dumps(report))
    return folder
