#!/usr/bin/env python
"""Which stage-1 SFT recipe makes the demo summarizer copy names and numbers instead of inventing?

Trains the demo summarizer (same corpus, tokenizer and seeds as `build-demo`) once per variant,
each variant a set of `DemoSpec` overrides, and prints per variant: SFT steps and seconds, the
invented-entity rate on the 100 held-out synthetic dialogues (last 100 of the PPO dialogues, as
in `checkpoints/demo/README.md`) and on the hand-written dialogues, ROUGE-L, and how many polite
hand-written dialogues get an insult. A variant is `name=key:value,key:value`, keys are DemoSpec
fields, `sft.<field>` or `copy_pretrain.<field>`:

    python benchmarks/demo_summarizer_sweep.py --variant shipped= \\
        --variant long=sft.epochs:6 --variant no_copy_stage=copy_pretrain.steps:0

Speed only holds on the machine that ran it; the build's figures come from `build-demo` on CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_variant(text: str) -> tuple[str, dict]:
    name, _, body = text.partition("=")
    overrides = {}
    for item in filter(None, body.split(",")):
        key, _, value = item.partition(":")
        overrides[key] = json.loads(value) if value[:1] in "0123456789-[{tf" or value in ("null",) else value
    return name, overrides


NESTED = ("sft", "copy_pretrain")  # DemoSpec fields that are settings objects: `sft.epochs:4`


def apply(spec, overrides: dict):
    top = {k: v for k, v in overrides.items() if k.split(".")[0] not in NESTED}
    for group in NESTED:
        fields = {k[len(group) + 1:]: v for k, v in overrides.items() if k.startswith(group + ".")}
        top[group] = dataclasses.replace(getattr(spec, group), **fields)
    return dataclasses.replace(spec, **top)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--variant", action="append", required=True, help="name=key:value,... (see above)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="also write the figures here as JSON")
    p.add_argument("--keep", default=None, help="keep each variant's summarizer in KEEP/<name>")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from rlhf_core.config import get_config
    from rlhf_core.prep.build_demo import train_summarizer
    from rlhf_core.prep.demo_checks import HANDWRITTEN_FILE, read_jsonl, summarizer_checks
    from rlhf_core.prep.demo_corpus import demo_dialogues, policy_corpus
    from rlhf_core.prep.demo_spec import DemoSpec

    results = {}
    for name, overrides in map(parse_variant, args.variant):
        spec = apply(DemoSpec(), overrides)
        sft_dialogues, _, vocabulary = policy_corpus(spec)
        held_out = demo_dialogues(spec)[-100:]
        base = get_config("demo")
        with tempfile.TemporaryDirectory(prefix="sft-sweep-") as scratch:
            scratch = Path(scratch)
            t0 = time.perf_counter()
            metrics, parameters = train_summarizer(spec, vocabulary, sft_dialogues, scratch / "data", scratch,
                                                   scratch / "policy", lambda message: None)
            seconds = time.perf_counter() - t0
            if args.keep:
                shutil.copytree(scratch / "policy", Path(args.keep) / name, dirs_exist_ok=True)
            checks = {key: summarizer_checks(scratch / "policy", records, base.model.max_prompt_tokens,
                                             spec.sft.eval_max_new_tokens)
                      for key, records in (("synthetic", held_out), ("handwritten", read_jsonl(HANDWRITTEN_FILE)))}
        syn, hand = checks["synthetic"], checks["handwritten"]
        results[name] = {"overrides": overrides, "parameters": parameters, "steps": metrics["steps"],
                         "copy_pretraining": metrics.get("copy_pretraining"),
                         "seconds": round(seconds, 1), "train_loss": metrics["train_loss"],
                         "synthetic": {k: syn[k] for k in ("invented", "entities", "invented_rate", "rouge")},
                         "handwritten": {k: hand[k] for k in ("invented", "entities", "invented_rate", "rouge",
                                                              "polite", "polite_with_insult", "polite_with_report",
                                                              "rude_with_report")},
                         "handwritten_examples": [e["summary"] for e in hand["examples"]]}
        print(f"{name:12s} {parameters / 1e6:.2f}M params {metrics['steps']:5d} steps {seconds:6.0f} s | "
              f"invented: synthetic {syn['invented_rate']:.1%} ({syn['invented']}/{syn['entities']}), "
              f"hand-written {hand['invented_rate']:.1%} ({hand['invented']}/{hand['entities']}) | "
              f"ROUGE-L {syn['rouge']['rougeL']:.3f} / {hand['rouge']['rougeL']:.3f} | "
              f"polite with insult {hand['polite_with_insult']}/{hand['polite']}, with a rudeness report "
              f"{hand['polite_with_report']}/{hand['polite']} (rude ones {hand['rude_with_report']}/"
              f"{hand['dialogues'] - hand['polite']})", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
