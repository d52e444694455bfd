#!/usr/bin/env python
"""How well does the demo summarizer copy after its copy-pretraining stage alone (no SFT)?

Trains a fresh demo-sized T5 (DemoSpec's shape and tokenizer) on the copy task
(`rlhf_core.prep.copy_pretrain`) for `--steps`, then decodes greedily and prints the share of
strings copied exactly and the position-aligned token accuracy, on: held-out random token
strings, the turns of the hand-written dialogues (`tests/data/handwritten_dialogues.jsonl`) and
turns of the synthetic SFT dialogues. Teacher-forced accuracy (what the build logs) overstates
copying: one slip in greedy decoding shifts the rest of the string.

    python benchmarks/copy_stage_probe.py --steps 1500
    python benchmarks/copy_stage_probe.py --steps 4000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def greedy_copies(model, pad_id: int, eos_id: int, strings: list[list[int]]) -> dict:
    """Exact-copy share and position-aligned token accuracy (EOS included) of greedy decoding."""
    import torch

    exact = correct = total = 0
    for start in range(0, len(strings), 32):
        chunk = strings[start : start + 32]
        width = max(map(len, chunk))
        ids = torch.full((len(chunk), width), pad_id)
        mask = torch.zeros_like(ids)
        for i, s in enumerate(chunk):
            ids[i, : len(s)], mask[i, : len(s)] = torch.tensor(s), 1
        with torch.no_grad():
            out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=width + 3, do_sample=False)
        for i, s in enumerate(chunk):
            got, want = out[i, 1:].tolist(), s + [eos_id]
            exact += got[: len(want)] == want
            correct += sum(a == b for a, b in zip(got, want))
            total += len(want)
    return {"strings": len(strings), "exact": round(exact / len(strings), 3),
            "token_accuracy": round(correct / total, 3)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--max-tokens", type=int, default=24)
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    from rlhf_core.prep.copy_pretrain import pretrain_copying, random_copy_batch
    from rlhf_core.prep.demo_checks import HANDWRITTEN_FILE, read_jsonl
    from rlhf_core.prep.demo_corpus import policy_corpus
    from rlhf_core.prep.demo_init import SPECIAL_TOKENS, init_summarizer, wrap_tokenizer
    from rlhf_core.prep.demo_spec import DemoSpec

    spec = DemoSpec()
    sft_dialogues, _, vocabulary = policy_corpus(spec)
    tokenizer = wrap_tokenizer(vocabulary)
    model = init_summarizer(tokenizer, spec, 0)
    pad, eos, first = tokenizer.pad_token_id, tokenizer.eos_token_id, len(SPECIAL_TOKENS)
    config = dataclasses.replace(spec.copy_pretrain, steps=args.steps, max_tokens=args.max_tokens)
    figures = {"steps": args.steps, "max_tokens": args.max_tokens,
               "training": pretrain_copying(model, config, first_id=first, pad_id=pad, eos_id=eos)}
    model.eval()
    batch = random_copy_batch(torch.Generator().manual_seed(99), 128, 4, 24, model.config.vocab_size, first, pad, eos)
    random_strings = [row[row != pad].tolist() for row in batch["input_ids"]]

    def turns(dialogues):
        lines = [t for d in dialogues for t in d["dialogue"].split("\n")]
        return [tokenizer(t, add_special_tokens=False)["input_ids"] for t in lines]

    synthetic = turns(random.Random(0).sample(sft_dialogues, 40))[:128]
    figures["greedy"] = {"random strings of 4-24 tokens": greedy_copies(model, pad, eos, random_strings),
                         "hand-written turns": greedy_copies(model, pad, eos, turns(read_jsonl(HANDWRITTEN_FILE))),
                         "synthetic turns": greedy_copies(model, pad, eos, synthetic)}
    for name, f in figures["greedy"].items():
        print(f"{name:32s} exact {f['exact']:.1%}  token accuracy {f['token_accuracy']:.1%}  ({f['strings']} strings)")
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
