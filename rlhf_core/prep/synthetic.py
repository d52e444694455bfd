"""A deterministic synthetic corpus for offline runs, written to files: everyday two-person dialogues
in DialogSum's format (some with a rude speaker, some with summaries that repeat the insult) and a
labelled set of toxic ("hate") / neutral ("nothate") sentences for a small reward classifier. This
module is the command line and the JSONL writer; the corpus itself comes from

- `synthetic_words`: the word lists and topic templates,
- `synthetic_styles`: the labelled sentences' two template styles (reward model, judge),
- `reward_frames`: the reward model's own composed sentence families and extra insult words,
- `synthetic_dialogues`: `make_dialogues`,
- `synthetic_sentences`: `make_toxicity_sentences`,
- `synthetic_analysis`: counts over summaries (insult words, rudeness-report frames).

    python -m rlhf_core.prep.synthetic --out-dir data/synthetic --dialogues 3000 --sentences 4000 --seed 0
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
from pathlib import Path

from .synthetic_dialogues import make_dialogues
from .synthetic_sentences import make_toxicity_sentences

# --- files and command line ----------------------------------------------------------------------


def write_jsonl(records, path) -> Path:
    """Writes one JSON object per line (UTF-8), atomically: a temp file in the same folder, then rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            for record in records:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _count_arg(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer (got {value})")
    return value


def _share_arg(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number in [0, 1] (got {value})")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Adds the generator's options (also used by the `rlhf_core` subcommand)."""
    parser.add_argument("--out-dir", required=True, help="folder for dialogues.jsonl and toxicity_sentences.jsonl")
    parser.add_argument("--dialogues", type=_count_arg, default=3000, help="number of dialogues (default 3000)")
    parser.add_argument("--sentences", type=_count_arg, default=4000,
                        help="number of labelled sentences (default 4000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--rude-share", type=_share_arg, default=0.4, help="share of dialogues with a rude speaker")
    parser.add_argument("--toxic-summary-share", type=_share_arg, default=0.5,
                        help="share of rude dialogues whose summary repeats the insult")
    parser.add_argument("--toxic-share", type=_share_arg, default=0.5, help="share of sentences labelled hate")
    return parser


def run(args: argparse.Namespace) -> None:
    dialogues = make_dialogues(args.dialogues, args.seed, args.rude_share, args.toxic_summary_share)
    sentences = make_toxicity_sentences(args.sentences, args.seed, args.toxic_share)
    out = Path(args.out_dir)
    d_path = write_jsonl(dialogues, out / "dialogues.jsonl")
    s_path = write_jsonl(sentences, out / "toxicity_sentences.jsonl")
    rude = sum(d["rude"] for d in dialogues)
    toxic = sum(d["summary_toxic"] for d in dialogues)
    hate = sum(s["label"] == "hate" for s in sentences)
    print(f"wrote {len(dialogues)} dialogues ({rude} rude, {toxic} with toxic summaries) to {d_path}")
    print(f"wrote {len(sentences)} sentences ({hate} hate, {len(sentences) - hate} nothate) to {s_path}")


def main(argv=None) -> int:
    parser = add_arguments(argparse.ArgumentParser(
        prog="python -m rlhf_core.prep.synthetic",
        description="Write a synthetic dialogue corpus and toxicity sentences."))
    args = parser.parse_args(argv)
    try:
        run(args)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    main()
