#!/usr/bin/env python
"""How good are the demo models, and what does PPO do to them, judged by the independent judge?

Given a finished `train --preset demo` run, prints (and writes as JSON with --out):
- toxicity of the test split's summaries before vs after PPO, greedy and sampled (k per dialogue,
  the training generation settings), as mean P(hate) and share flagged (P(hate) > 0.5), by the
  judge in checkpoints/demo/judge and, beside it, by the reward model PPO optimised;
- ROUGE-L against the references before vs after;
- the invented-entity rate (numbers and names in the summary that the dialogue lacks) on the test
  split and on the hand-written dialogues, before vs after, and whether any polite hand-written
  dialogue's summary contains an insult.

    python -m rlhf_core train --preset demo --run-dir /tmp/demo-run
    python benchmarks/demo_models.py --run-dir /tmp/demo-run
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--run-dir", required=True, help="a finished run of the demo preset")
    p.add_argument("--judge", default=None, help="judge folder (default: the run's eval.judge or the demo's)")
    p.add_argument("--k", type=int, default=4, help="sampled summaries per dialogue (default 4)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="also write the figures here as JSON")
    return p.parse_args(argv)


def toxicity(model, texts: list[str]) -> dict:
    values = model.score(texts).toxicity
    return {"mean": sum(values) / len(values), "flagged": sum(v > 0.5 for v in values) / len(values)}


def entity_rate(summaries: list[str], dialogues: list[str]) -> dict:
    from rlhf_core.evaluation.fidelity import hallucinated_entities

    counts = [hallucinated_entities(s, d) for s, d in zip(summaries, dialogues)]
    total = sum(n for _, n in counts)
    return {"entities": total, "invented": sum(k for k, _ in counts),
            "rate": sum(k for k, _ in counts) / total if total else 0.0}


def main(argv=None) -> int:
    args = parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from rlhf_core.config import DEMO_DIR
    from rlhf_core.data.dialogues import build_dataset
    from rlhf_core.evaluation.figures import rouge
    from rlhf_core.models.reward import RewardModel
    from rlhf_core.models.summarizer import BEFORE, Summarizer
    from rlhf_core.prep.demo_checks import HANDWRITTEN_FILE, read_jsonl
    from rlhf_core.prep.synthetic_analysis import insulting_polite_summaries
    from rlhf_core.training.runs import RunDir

    run = RunDir(args.run_dir)
    config = run.config()
    reward = RewardModel.from_config(config.reward)
    judge_dir = args.judge or config.eval.judge or str(DEMO_DIR / "judge")  # runs older than eval.judge
    judge = RewardModel.from_config(dataclasses.replace(config.reward, model=judge_dir))
    summarizer = Summarizer(config, reward)
    summarizer.load_adapter("after", run.checkpoint_dir())
    test = build_dataset(config.data, summarizer.tokenizer, config.model.max_prompt_tokens)["test"]
    test = test.select(range(min(config.eval.samples, len(test))))
    dialogues, references = list(test["dialogue"]), list(test["summary"])
    handwritten = read_jsonl(HANDWRITTEN_FILE)
    figures: dict = {"run": str(run.path), "step": (run.load_state() or {}).get("step"),
                     "test_dialogues": len(dialogues), "k": args.k}
    for name, adapter in (("before", BEFORE), ("after", "after")):
        greedy = summarizer.summarize(dialogues, adapter, do_sample=False)
        sampled = [s for i in range(args.k)
                   for s in summarizer.summarize(dialogues, adapter, seed=1000 * (i + 1), do_sample=True)]
        hand = summarizer.summarize([r["dialogue"] for r in handwritten], adapter, do_sample=False)
        figures[name] = {
            "judge_greedy": toxicity(judge, greedy), "judge_sampled": toxicity(judge, sampled),
            "reward_model_greedy": toxicity(reward, greedy), "reward_model_sampled": toxicity(reward, sampled),
            "rougeL_greedy": rouge(greedy, references)["rougeL"],
            "invented_test_greedy": entity_rate(greedy, dialogues),
            "invented_handwritten_greedy": entity_rate(hand, [r["dialogue"] for r in handwritten]),
            "polite_handwritten_with_insult": len(insulting_polite_summaries(handwritten, hand)),
            "examples_handwritten": hand[:3],
        }
    b, a = figures["before"], figures["after"]
    for key in ("judge_greedy", "judge_sampled"):
        for stat in ("mean", "flagged"):
            figures[f"{key}_{stat}_cut"] = 1 - a[key][stat] / b[key][stat] if b[key][stat] else None
    figures["rougeL_change"] = a["rougeL_greedy"] / b["rougeL_greedy"] - 1
    for key in ("judge_greedy", "judge_sampled", "reward_model_greedy", "reward_model_sampled"):
        print(f"{key:22s} mean {b[key]['mean']:.3f} -> {a[key]['mean']:.3f}   "
              f"flagged {b[key]['flagged']:.1%} -> {a[key]['flagged']:.1%}")
    print(f"ROUGE-L (greedy)       {b['rougeL_greedy']:.3f} -> {a['rougeL_greedy']:.3f} "
          f"({figures['rougeL_change']:+.1%})")
    for key in ("invented_test_greedy", "invented_handwritten_greedy"):
        print(f"{key:28s} {b[key]['rate']:.1%} -> {a[key]['rate']:.1%} ({b[key]['invented']}/{b[key]['entities']} -> "
              f"{a[key]['invented']}/{a[key]['entities']})")
    print(f"polite hand-written summaries with an insult: {b['polite_handwritten_with_insult']} -> "
          f"{a['polite_handwritten_with_insult']}")
    text = json.dumps(figures, indent=2)
    if args.out:
        Path(args.out).write_text(text)
    print(json.dumps({k: v for k, v in figures.items() if not isinstance(v, dict)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
