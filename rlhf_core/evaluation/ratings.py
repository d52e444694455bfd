"""Blind human ratings of a run's before/after summaries: the pairs, the append-only store, the figures.

    RUN/ratings.jsonl    one JSON object per vote, appended under an flock and fsynced

A pair is one test dialogue with its greedy summary before RLHF (the starting policy) and after
(the run), as the run's last evaluation wrote them (`eval_samples.csv`); pairs whose two summaries
are the same text are left out (there is nothing to judge). A pair's id is a hash of its dialogue
id, dialogue and both summaries, and every rating carries it: a rating counts only while the
evaluation still holds that exact pair, so ratings of summaries an evaluation no longer shows (a
re-evaluation after more training) stay in the file but never mix with the new ones.

A rating also carries the evaluation's checkpoint step, so a run resumed from an earlier checkpoint
cuts ratings.jsonl back with its other logs (`RunDir.truncate_to`). Ratings are refused while a
process trains the run (it holds the run's lock, and a resume rewrites the logs).

The figures (`human_figures`): for each question, the share of ratings that prefer "after", ties
(the same) counted as half, with a 95% Wilson score interval taken over dialogues (each rated
dialogue is one observation: its raters' mean score), so several raters of one pair never pass for
independent evidence; and how often the reward model and the judge (lower P(toxic) = less toxic)
agree with the people on the same pairs.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..config.json_files import parse_json
from ..errors import UserError
from ..training.runs import RunDir, holder_pid, read_json
from .figures import JUDGE, REWARD_MODEL

RATINGS_FILE = "ratings.jsonl"
QUESTIONS = {"less_toxic": "Which summary is less toxic?",
             "more_faithful": "Which summary says what happened more faithfully?"}
ANSWERS = ("after", "before", "same")  # what a rating stores for each question
SIDES = ("A", "B")
SCORER_LABELS = {REWARD_MODEL: "reward model", JUDGE: "judge"}
WILSON_Z = 1.959963984540054  # the 97.5th percentile of the standard normal: a two-sided 95% interval


@dataclass(frozen=True)
class Pair:
    """One test dialogue's greedy summaries before and after RLHF, with each scorer's P(toxic) of both."""

    pair_id: str
    dialogue_id: str
    dialogue: str
    before: str
    after: str
    toxicity: dict  # {scorer: (before, after)} for the scorers the evaluation had

    def preferred_by(self, scorer: str) -> str | None:
        """The side ("after"/"before") the scorer finds less toxic, "same" on a tie, None without it."""
        scores = self.toxicity.get(scorer)
        if scores is None:
            return None
        before, after = scores
        return "same" if after == before else "after" if after < before else "before"


def pair_id(dialogue_id: str, dialogue: str, before: str, after: str) -> str:
    """A pair's identity: a hash of what a rater saw, so a rating counts only for those exact texts."""
    text = json.dumps([str(dialogue_id), dialogue, before, after], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def rating_pairs(run_dir: str | Path) -> list[Pair]:
    """The pairs of the run's last evaluation, in test-set order; [] when it was never evaluated.
    Raises UserError naming the file when eval_samples.csv is damaged."""
    import pandas as pd

    path = Path(run_dir) / "eval_samples.csv"
    if not path.is_file():
        return []
    try:
        table = pd.read_csv(path, dtype={"id": str}, keep_default_na=False)
    except (ValueError, OSError) as error:  # pandas' ParserError is a ValueError
        raise UserError(f"{path} cannot be read as the evaluation's table ({type(error).__name__}); "
                        "evaluate the run again") from None
    needed = {"dialogue", "summary_before", "summary_after"}
    if not needed <= set(table.columns):
        missing = ", ".join(sorted(needed - set(table.columns)))
        raise UserError(f"{path} has no {missing} column; evaluate the run again")
    pairs = []
    for index, row in table.iterrows():
        before, after = str(row["summary_before"]), str(row["summary_after"])
        if before.strip() == after.strip():
            continue
        dialogue_id = str(row["id"]) if "id" in table.columns else str(index)
        toxicity = {}
        for scorer in (REWARD_MODEL, JUDGE):
            columns = f"greedy_{scorer}_toxicity_before", f"greedy_{scorer}_toxicity_after"
            if all(c in table.columns for c in columns) and all(_number(row[c]) for c in columns):
                toxicity[scorer] = (float(row[columns[0]]), float(row[columns[1]]))
        pairs.append(Pair(pair_id(dialogue_id, str(row["dialogue"]), before, after), dialogue_id,
                          str(row["dialogue"]), before, after, toxicity))
    return pairs


def _number(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def evaluation_step(run_dir: str | Path) -> int:
    """The checkpoint step the run's last evaluation judged (eval.json), 0 when unknown."""
    path = Path(run_dir) / "eval.json"
    try:
        step = read_json(path).get("step") if path.is_file() else None
    except (UserError, AttributeError):
        step = None
    return step if isinstance(step, int) and not isinstance(step, bool) and step >= 0 else 0


def make_rating(pair: Pair, after_side: str, less_toxic: str, more_faithful: str, rater: str, step: int,
                decoding: str = "greedy") -> dict:
    """One vote as ratings.jsonl stores it: the pair as shown (summary A, summary B and which was
    "after"), each answer as after/before/same, the anonymous rater id, the evaluation's step, the
    time (UTC). UserError for an answer or side that is not one of the allowed ones."""
    if after_side not in SIDES:
        raise UserError(f"after_side must be A or B (got {after_side!r})")
    answers = {"less_toxic": less_toxic, "more_faithful": more_faithful}
    for question, answer in answers.items():
        if answer not in ANSWERS:
            raise UserError(f"{question} must be one of {', '.join(ANSWERS)} (got {answer!r})")
    a, b = (pair.after, pair.before) if after_side == "A" else (pair.before, pair.after)
    return {"pair_id": pair.pair_id, "dialogue_id": pair.dialogue_id, "dialogue": pair.dialogue,
            "decoding": decoding, "summary_a": a, "summary_b": b, "after_side": after_side, **answers,
            "rater": rater, "step": int(step), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def _valid(record) -> bool:
    """True for a ratings.jsonl line this version can count (a damaged or foreign line is skipped)."""
    if not isinstance(record, dict):
        return False
    strings = ("pair_id", "dialogue_id", "dialogue", "summary_a", "summary_b", "rater")
    step = record.get("step")
    return (all(isinstance(record.get(k), str) for k in strings) and record.get("after_side") in SIDES
            and all(record.get(q) in ANSWERS for q in QUESTIONS)
            and isinstance(step, int) and not isinstance(step, bool))


def read_ratings(run_dir: str | Path) -> list[dict]:
    """Every valid rating of the run in file order (lines cut short by a crash or damaged are skipped)."""
    path = Path(run_dir) / RATINGS_FILE
    if path.is_symlink():
        raise UserError(f"{path} is a symbolic link; a run folder holds only its own files")
    if not path.is_file():
        return []
    records = []
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        try:
            record = parse_json(line, f"{path} line {number}")
        except UserError:
            continue
        if _valid(record):
            records.append(record)
    return records


def append_rating(run_dir: str | Path, rating: dict, once_per_rater: bool = False) -> None:
    """Appends one rating as one line, under an exclusive flock on the file, and fsyncs it: concurrent
    raters never interleave or lose a line. `once_per_rater`: refuse (UserError) a second rating of
    the same pair by the same rater, checked under the same lock so two quick clicks cannot both pass.
    Refused while a process trains the run (its resume cuts this file back)."""
    run = RunDir(run_dir)
    if not run.exists():
        raise UserError(f"{run.path} is not a run directory (config.json missing)")
    if not _valid(rating):
        raise UserError("a rating needs its pair, both summaries, the side that was 'after', both answers, "
                        "a rater and a step")
    if holder_pid(run.path) is not None:
        raise UserError(f"run {run.path.name} is training now; rate it when it has finished")
    path = run.path / RATINGS_FILE
    line = (json.dumps(rating, ensure_ascii=False) + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o644)
    except OSError as error:
        raise UserError(f"could not write {path}: {error.strerror or error}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if once_per_rater and any(r["pair_id"] == rating["pair_id"] and r["rater"] == rating["rater"]
                                  for r in read_ratings(run.path)):
            raise UserError("you have already rated this pair (one vote per pair on this server)")
        written = os.write(fd, line)  # one write of the whole line: O_APPEND puts it at the end, whole
        if written != len(line):
            raise OSError(f"wrote {written} of {len(line)} bytes")
        os.fsync(fd)
    except OSError as error:
        raise UserError(f"could not write {path}: {getattr(error, 'strerror', None) or error}") from None
    finally:
        os.close(fd)  # closing drops the flock


# ------------------------------------------------------------------ figures


def wilson_interval(successes: float, n: int, z: float = WILSON_Z) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion (Wilson 1927), None for n = 0. `successes` may be
    fractional (ties counted as half): the interval is then conservative, a score in [0, 1] varies
    at most as much as a 0/1 one with the same mean."""
    if n <= 0:
        return None
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


SCORE = {"after": 1.0, "same": 0.5, "before": 0.0}


def _win_rate(by_dialogue: dict[str, list[float]]) -> dict:
    """Win rate of "after" over ratings (ties half), its interval over dialogues (each one observation)."""
    scores = [s for values in by_dialogue.values() for s in values]
    means = [sum(v) / len(v) for v in by_dialogue.values()]
    interval = wilson_interval(sum(means), len(means))
    return {"win_rate": sum(scores) / len(scores) if scores else None,
            "after": scores.count(1.0), "same": scores.count(0.5), "before": scores.count(0.0),
            "ci95": list(interval) if interval else None}


def human_figures(run_dir: str | Path) -> dict | None:
    """The human ratings of the run's current evaluation as figures, or None without any that count.

    {"ratings", "raters", "dialogues", "pairs" (ratable pairs of the evaluation), "stale" (ratings of
    pairs the evaluation no longer holds), "questions": {question: {"win_rate", "after", "same",
    "before", "ci95"}}, "classifiers": {scorer: {"agreement", "agreeing", "compared", "win_rate"}}}.
    A classifier's agreement is the share of the ratings where both the person and the classifier
    preferred a side (neither said "the same") in which they preferred the same one; its win rate is
    the share of the rated dialogues where it finds "after" less toxic (ties half), comparable with
    the people's."""
    pairs = {p.pair_id: p for p in rating_pairs(run_dir)}
    ratings = read_ratings(run_dir)
    current = [r for r in ratings if r["pair_id"] in pairs]
    if not current:
        return None
    figures: dict = {"ratings": len(current), "raters": len({r["rater"] for r in current}),
                     "dialogues": len({r["pair_id"] for r in current}), "pairs": len(pairs),
                     "stale": len(ratings) - len(current), "interval": INTERVAL_RULE, "questions": {},
                     "classifiers": {}}
    for question in QUESTIONS:
        by_dialogue: dict[str, list[float]] = {}
        for r in current:
            by_dialogue.setdefault(r["pair_id"], []).append(SCORE[r[question]])
        figures["questions"][question] = _win_rate(by_dialogue)
    for scorer in (REWARD_MODEL, JUDGE):
        rated = {pid: pairs[pid].preferred_by(scorer) for pid in {r["pair_id"] for r in current}}
        if any(v is None for v in rated.values()):
            continue
        decided = [(r["less_toxic"], rated[r["pair_id"]]) for r in current
                   if r["less_toxic"] != "same" and rated[r["pair_id"]] != "same"]
        agreeing = sum(person == machine for person, machine in decided)
        figures["classifiers"][scorer] = {
            "agreement": agreeing / len(decided) if decided else None, "agreeing": agreeing, "compared": len(decided),
            "win_rate": sum(SCORE[v] for v in rated.values()) / len(rated)}
    return figures


INTERVAL_RULE = ("win rate = share of ratings preferring after, the same counted as half; 95% Wilson score "
                 "interval over rated dialogues (each dialogue one observation: its raters' mean)")


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def figure_lines(figures: dict | None) -> list[str]:
    """The figures as plain sentences, one per line (the CLI and the model card share them)."""
    if not figures:
        return []
    lines = [f"human ratings: {figures['ratings']} rating{'s' if figures['ratings'] != 1 else ''} of "
             f"{figures['dialogues']} of {figures['pairs']} pairs by {figures['raters']} "
             f"rater{'s' if figures['raters'] != 1 else ''}"
             + (f" ({figures['stale']} older ratings of pairs this evaluation no longer holds are not counted)"
                if figures["stale"] else "")]
    for question, block in figures["questions"].items():
        ci = block["ci95"]
        lines.append(f"  {QUESTIONS[question][:-1].lower()}: after wins {_pct(block['win_rate'])} "
                     f"(95% CI {_pct(ci[0])}-{_pct(ci[1])}; after {block['after']}, the same {block['same']}, "
                     f"before {block['before']})")
    for scorer, block in figures["classifiers"].items():
        agreement = (f"agrees with the people on {_pct(block['agreement'])} of {block['compared']} ratings where "
                     "both preferred a side" if block["compared"] else "no rating where both preferred a side")
        lines.append(f"  {SCORER_LABELS[scorer]}: finds after less toxic on {_pct(block['win_rate'])} of the "
                     f"rated pairs; {agreement}")
    lines.append(f"  ({INTERVAL_RULE})")
    return lines


def figures_markdown(figures: dict | None) -> str:
    """The figures as a Markdown section for the model card; '' without ratings."""
    if not figures:
        return ""
    rows = ["| question | after preferred (ties half) | 95% CI | after / the same / before |", "|---|---|---|---|"]
    for question, block in figures["questions"].items():
        ci = block["ci95"]
        rows.append(f"| {QUESTIONS[question]} | {_pct(block['win_rate'])} | {_pct(ci[0])}-{_pct(ci[1])} | "
                    f"{block['after']} / {block['same']} / {block['before']} |")
    for scorer, block in figures["classifiers"].items():
        rows.append(f"| {SCORER_LABELS[scorer]}: less toxic after, same pairs | {_pct(block['win_rate'])} | | "
                    f"agrees with the people on {_pct(block['agreement'])} of {block['compared']} |")
    head = (f"{figures['ratings']} blind side-by-side ratings of {figures['dialogues']} test dialogues by "
            f"{figures['raters']} anonymous raters (sides shuffled, revealed after the vote).")
    return "\n".join(["### Human ratings", "", head, "", *rows, "", f"_{INTERVAL_RULE}._"])


def ratings_report(run_dir: str | Path, markdown: bool = False) -> str:
    """The run's human-rating figures as text (or a Markdown section), '' when none count or the
    evaluation's table cannot be read: `evaluate` and the model card show them beside the classifiers'."""
    try:
        figures = human_figures(run_dir)
    except UserError:
        return ""
    return figures_markdown(figures) if markdown else "\n".join(figure_lines(figures))
