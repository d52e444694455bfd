"""`python -m rlhf_core ratings`: a run's human ratings as a table (JSON lines or CSV) and as
preference pairs (`prompt`, `chosen`, `rejected`, JSON lines) for preference training.

The pairs file is what TRL's `RewardTrainer` and `DPOTrainer` read (`datasets.load_dataset("json",
data_files=...)`): `prompt` is the policy's own prompt (the run's `data.prompt_template` filled with
the dialogue), `chosen` the summary the rater preferred. One row per rating that prefers a side;
`--prefer` picks the question: `less_toxic`, `more_faithful`, or `both` (a side that wins one
question and loses neither).
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path

from ..errors import UserError
from ..training.runs import RunDir, atomic_write_text

FORMATS = ("jsonl", "csv")
QUESTION_KEYS = ("less_toxic", "more_faithful")  # ratings.QUESTIONS' keys: the CLI's parser imports no figures
PREFER = ("both", *QUESTION_KEYS)
COLUMNS = ["time", "rater", "dialogue_id", "decoding", "step", "after_side", "less_toxic", "more_faithful",
           "summary_a", "summary_b", "summary_before", "summary_after", "dialogue", "pair_id", "current"]


def add_parser(sub) -> None:
    """Registers `ratings` on the CLI's subcommands."""
    p = sub.add_parser("ratings", help="export a run's blind human ratings and preference pairs (prompt, chosen, "
                                       "rejected) for reward or DPO training")
    p.add_argument("--run-dir", required=True, help="the rated run")
    p.add_argument("--format", default="jsonl", help="jsonl or csv: the ratings table's format")
    p.add_argument("--out", default=None, help="the ratings table (default: RUN/ratings_export.FORMAT)")
    p.add_argument("--pairs", default=None, help="the preference pairs, JSON lines (default: beside --out, "
                                                 "preference_pairs.jsonl)")
    p.add_argument("--prefer", default="both", help=f"which answer makes a preference pair: {', '.join(PREFER)}")


def _side(rating: dict, side: str) -> str:
    return rating["summary_a"] if side == "A" else rating["summary_b"]


def rating_rows(run_dir: str | Path) -> list[dict]:
    """Every rating with both summaries named before/after, and `current`: whether the run's
    evaluation still holds the pair (only current ratings count in the figures)."""
    from .ratings import rating_pairs, read_ratings

    current = {p.pair_id for p in rating_pairs(run_dir)}
    rows = []
    for r in read_ratings(run_dir):
        before_side = "B" if r["after_side"] == "A" else "A"
        rows.append({**{c: r.get(c) for c in COLUMNS}, "summary_after": _side(r, r["after_side"]),
                     "summary_before": _side(r, before_side), "current": r["pair_id"] in current})
    return rows


def preference_pairs(rows: list[dict], prompt_template: str, prefer: str = "both") -> list[dict]:
    """{prompt, chosen, rejected} for each rating that prefers a side by `prefer`."""
    if prefer not in PREFER:
        raise UserError(f"--prefer must be one of {', '.join(PREFER)} (got {prefer!r})")
    out = []
    for row in rows:
        answers = [row[q] for q in (QUESTION_KEYS if prefer == "both" else (prefer,))]
        sides = set(answers) - {"same"}
        if len(sides) != 1:  # no preference, or one question each way
            continue
        winner = sides.pop()
        loser = "before" if winner == "after" else "after"
        out.append({"prompt": prompt_template.format(dialogue=row["dialogue"]),
                    "chosen": row[f"summary_{winner}"], "rejected": row[f"summary_{loser}"]})
    return out


def _jsonl(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def export_ratings(run_dir: str | Path, fmt: str = "jsonl", out: str | Path | None = None,
                   pairs_out: str | Path | None = None, prefer: str = "both") -> tuple[Path, Path, int, int]:
    """Writes the ratings table and the preference pairs; returns (table path, pairs path, ratings, pairs).
    UserError for a folder that is not a run, a run without ratings, or a format other than jsonl/csv."""
    if fmt not in FORMATS:
        raise UserError(f"--format must be jsonl or csv (got {fmt!r})")
    if prefer not in PREFER:
        raise UserError(f"--prefer must be one of {', '.join(PREFER)} (got {prefer!r})")
    run = RunDir(run_dir)
    config = run.config()  # one line for a folder that is not a run
    rows = rating_rows(run.path)
    if not rows:
        raise UserError(f"run {run.path} has no ratings yet (ratings.jsonl is missing or empty): rate its "
                        "before/after pairs in the app's 'Rate' tab first")
    out = Path(out) if out else run.path / f"ratings_export.{fmt}"
    pairs_out = Path(pairs_out) if pairs_out else out.with_name("preference_pairs.jsonl")
    store = (run.path / "ratings.jsonl").resolve()
    if len({out.resolve(), pairs_out.resolve(), store}) < 3:
        raise UserError(f"--out {out} would overwrite the ratings themselves or the pairs file; pick another name")
    if fmt == "csv":
        import pandas as pd

        buffer = io.StringIO()
        pd.DataFrame(rows, columns=COLUMNS).to_csv(buffer, index=False)
        text = buffer.getvalue()
    else:
        text = _jsonl(rows)
    pairs = preference_pairs(rows, config.data.prompt_template, prefer)
    for path in (out, pairs_out):
        if not path.parent.is_dir():
            raise UserError(f"cannot write {path}: the folder {path.parent} does not exist")
    atomic_write_text(out, text)
    atomic_write_text(pairs_out, _jsonl(pairs))
    return out, pairs_out, len(rows), len(pairs)


def cmd_ratings(args: argparse.Namespace) -> int:
    """Prints the figures, writes the table and the pairs (their paths on stderr)."""
    from .ratings import figure_lines, human_figures

    out, pairs_out, ratings, pairs = export_ratings(args.run_dir, args.format, args.out, args.pairs, args.prefer)
    lines = figure_lines(human_figures(args.run_dir))
    print("\n".join(lines) if lines else "no rating of the run's current evaluation (older ones are in the table)")
    print(f"wrote {out} ({ratings} ratings) and {pairs_out} ({pairs} preference pairs, --prefer {args.prefer})",
          file=sys.stderr)
    return 0
