"""Dialogues -> length-filtered, prompt-wrapped, tokenized train/test splits.

Sources: a Hub dataset id (e.g. `knkarthick/dialogsum`, evaluated on its own test split), a
local json/jsonl/csv/parquet file, or the built-in tiny dialogues. Every row keeps its id,
dialogue, reference summaries (one `summary` column, or `summary1..N`), prompt text and prompt
token ids. A dialogue too long for the model window loses its end, never the instruction or the
"Summary:" cue (a right-truncated prompt would end mid-dialogue with no instruction at all), and a
window too small for them and a few dialogue tokens is refused. Rows whose dialogue has no visible
character (empty, spaces, control or zero-width characters only) are dropped like too-short ones; a
dialogue or summary cell that holds a list or an object (not text) is refused, naming its row.

Ground truth travels with the rows when a dataset has it (the demo corpus, or any file with the
same columns): `rude`, `offender`, `target`, `insult_words` and `summary_neutral` (the reference
with the rudeness reported neutrally), read by the evaluation's outcomes (`evaluation/outcomes.py`)
and by the fidelity term (`fidelity_references`). Datasets without them are unchanged.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pandas as pd
from datasets import Dataset, DatasetDict

from ..config import DataConfig
from ..config.json_files import parse_json
from ..errors import UserError
from ..models.hub import check_allowed

GROUND_TRUTH_COLUMNS = ("rude", "offender", "target", "insult_words", "summary_neutral")
MIN_DIALOGUE_TOKENS = 8  # the fewest dialogue tokens a prompt window must leave room for
LOCAL_READERS = {
    ".json": lambda p: _read_json(p),
    ".jsonl": lambda p: _json_lines(p.read_text(encoding="utf-8"), p),
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
    ".parquet": lambda p: pd.read_parquet(p),
}


def _read_json(path: Path) -> pd.DataFrame:
    """A .json dataset: a list of row objects, an object of columns, or JSON lines."""
    text = path.read_text(encoding="utf-8")
    try:
        data = parse_json(text, f"dataset file {path}", allow_nan=True)
    except UserError:
        first = next((line for line in text.splitlines() if line.strip()), "")
        try:  # a .json file holding JSON lines: its first line alone is one object
            one_row = isinstance(parse_json(first, str(path)), dict)
        except UserError:
            one_row = False
        if one_row:
            return _json_lines(text, path)
        raise
    if isinstance(data, dict) and not any(isinstance(value, (list, dict)) for value in data.values()):
        data = [data]  # one line of JSON lines: one row
    if isinstance(data, list) and all(isinstance(row, dict) for row in data):
        return pd.DataFrame(data)
    if isinstance(data, dict) and all(isinstance(column, (list, dict)) for column in data.values()):
        try:
            return pd.DataFrame(data)
        except ValueError as error:  # columns of different lengths
            raise UserError(f"dataset file {path}: {str(error).splitlines()[0]}") from None
    raise UserError(f"dataset file {path} must hold a list of row objects, an object of columns, or one object "
                    "per line (JSON lines)")


def _json_lines(text: str, path: Path) -> pd.DataFrame:
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            row = parse_json(line, f"dataset file {path} line {number}", allow_nan=True)
            if not isinstance(row, dict):
                raise UserError(f"dataset file {path} line {number} is not a JSON object (one row per line)")
            rows.append(row)
    return pd.DataFrame(rows)


def load_rows(cfg: DataConfig) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Returns (rows, test rows) from the configured source; test rows only where the source has
    its own test split (a Hub dataset with `data.test_split`), else None."""
    name = cfg.dataset
    if name == "builtin:tiny-dialogues":
        from ..models.tiny import TINY_DIALOGUES

        return pd.DataFrame(TINY_DIALOGUES), None
    if name.startswith("builtin:"):
        raise UserError(f"unknown built-in dataset '{name}'; the built-in one is builtin:tiny-dialogues")
    path = Path(name).expanduser()
    if path.suffix.lower() in LOCAL_READERS or path.exists():
        return _load_local(path), None
    check_allowed(name, "dataset")
    test = _load_hub_split_if_any(name, cfg.test_split) if cfg.test_split and cfg.test_split != cfg.split else None
    return _load_hub(name, cfg.split), test


def _load_local(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"dataset file not found: {path}")
    reader = LOCAL_READERS.get(path.suffix.lower())
    if reader is None:
        raise UserError(f"unsupported dataset file type '{path.suffix}': use .json, .jsonl, .csv or .parquet")
    if path.stat().st_size == 0:
        raise UserError(f"dataset file {path} is empty")
    try:
        rows = reader(path)
    except UnicodeDecodeError:
        raise UserError(f"dataset file {path} is not valid UTF-8 text") from None
    except UserError:
        raise
    except Exception as error:  # pandas raises many types for malformed files
        raise UserError(f"could not read dataset file {path}: {str(error).splitlines()[0]}") from None
    if len(rows) == 0:
        raise UserError(f"dataset file {path} holds no rows")
    return rows


def _load_hub_split_if_any(name: str, split: str) -> pd.DataFrame | None:
    """Returns the dataset's `split` (e.g. DialogSum's own test split), or None if it has none."""
    from datasets import get_dataset_split_names

    try:
        if split not in get_dataset_split_names(name):
            return None
    except Exception:  # offline or unknown: _load_hub reports the problem with the main split
        return None
    return _load_hub(name, split)


def _load_hub(name: str, split: str) -> pd.DataFrame:
    from datasets import load_dataset

    try:
        return load_dataset(name, split=split).to_pandas()
    except Exception as error:  # datasets wraps network/cache failures in many types
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(
            f"cannot load dataset '{name}' (split '{split}'): {message}; offline, pick the demo or tiny "
            "preset (the app's Preset menu, --preset on the command line), or set data.dataset to a local "
            "json/jsonl/csv/parquet file (--dataset path/to/dialogsum.jsonl on the command line)"
        ) from None


def reference_columns(columns, summary_column: str | None) -> list[str]:
    """Returns the reference-summary columns: `summary`, or `summary1..summaryN` when the data has
    several references per dialogue (DialogSum's original test release) and no plain `summary`."""
    if not summary_column:
        return []
    if summary_column in columns:
        return [summary_column]
    numbered = [c for c in columns if re.fullmatch(rf"{re.escape(summary_column)}\d+", str(c))]
    return sorted(numbered, key=lambda c: int(str(c)[len(summary_column):]))


def prepare_rows(rows: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """Returns rows with columns id, dialogue, summary (the first reference), references (all of
    them) after the length filter."""
    columns = ", ".join(map(str, rows.columns))
    if cfg.dialogue_column not in rows.columns:
        raise UserError(
            f"dataset has no dialogue column '{cfg.dialogue_column}'; columns are: {columns} (set data.dialogue_column)"
        )
    references = reference_columns(rows.columns, cfg.summary_column)
    if cfg.summary_column and not references:
        raise UserError(
            f"dataset has no summary column '{cfg.summary_column}' "
            f"(nor {cfg.summary_column}1, {cfg.summary_column}2, ...); "
            f"columns are: {columns} (set data.summary_column, or none if there are no reference summaries)"
        )
    id_column = cfg.id_column or next((c for c in ("id", "fname") if c in rows.columns), None)
    if cfg.id_column and cfg.id_column not in rows.columns:
        raise UserError(f"dataset has no id column '{cfg.id_column}'; columns are: {columns}")

    dialogues = _text_column(rows, cfg.dialogue_column)
    texts = [_text_column(rows, c) for c in references]
    refs = [[t.iloc[i] for t in texts if t.iloc[i]] for i in range(len(rows))]
    out = pd.DataFrame(
        {
            "id": rows[id_column].astype(str).to_numpy() if id_column else [f"row_{i}" for i in range(len(rows))],
            "dialogue": dialogues.to_numpy(),
            "summary": [r[0] if r else "" for r in refs],
            "references": refs,
        }
    )
    for column in GROUND_TRUTH_COLUMNS:
        if column in rows.columns:
            out[column] = _truth_column(rows[column], column)
    lengths = out["dialogue"].str.len()
    visible = out["dialogue"].map(has_visible_text).astype(bool)
    out = out[visible & (lengths >= cfg.min_chars) & (lengths <= cfg.max_chars)].reset_index(drop=True)
    if out.empty and not visible.any():
        raise UserError(f"no dialogue left: all {len(rows)} rows have no visible character (empty, or only spaces, "
                        f"control or zero-width characters in column '{cfg.dialogue_column}')")
    if out.empty:
        invisible = len(rows) - int(visible.sum())
        raise UserError(
            f"no dialogue left after the length filter ({cfg.min_chars}-{cfg.max_chars} characters) out of "
            f"{len(rows)} rows" + (f" ({invisible} with no visible character)" if invisible else "")
            + "; widen data.min_chars/data.max_chars"
        )
    if cfg.max_examples:
        out = out.iloc[: cfg.max_examples].reset_index(drop=True)
    return out


def _truth_column(values: pd.Series, column: str) -> list:
    """A ground-truth column in one type whatever the file format: `rude` as bool ("true"/"1" in a
    CSV), `insult_words` as a list of lower-case words (a CSV cell "stupid idiot" or "stupid,idiot"),
    the others as text (missing -> "")."""
    def missing(value) -> bool:
        return value is None or (pd.api.types.is_scalar(value) and pd.isna(value))

    if column == "rude":
        return [False if missing(v) else str(v).strip().lower() in ("true", "1", "yes") if isinstance(v, str)
                else bool(v) for v in values]
    if column == "insult_words":
        return [[] if missing(v) else [w.lower() for w in re.split(r"[\s,;]+", v) if w] if isinstance(v, str)
                else [str(w).lower() for w in v] for v in values]
    return ["" if missing(v) else str(v) for v in values]


def fidelity_references(rows) -> list[str]:
    """The references the fidelity reward term compares with: `summary_neutral` where the data has
    it (the rudeness on record, without the insult), else `summary`."""
    if "summary_neutral" not in rows.column_names:
        return list(rows["summary"])
    return [neutral or summary for neutral, summary in zip(rows["summary_neutral"], rows["summary"])]


def has_visible_text(text: str) -> bool:
    """True if `text` has a character that shows: not a space, a control or a zero-width character."""
    return any(ch.isprintable() and not ch.isspace() for ch in text)


def _text_column(rows: pd.DataFrame, column: str) -> pd.Series:
    """The column as stripped text (missing -> ""); a cell holding a list, an object or bytes is refused
    (its Python repr is not the dialogue)."""
    for number, value in enumerate(rows[column], 1):
        if not pd.api.types.is_scalar(value) or isinstance(value, bytes):
            raise UserError(f"dataset column '{column}' row {number} holds {type(value).__name__} data, not text; "
                            "each cell must be a string")
    return rows[column].fillna("").astype(str).str.strip()


def min_prompt_tokens(template: str, tokenizer) -> int:
    """The smallest window that holds the template's instruction and cue and `MIN_DIALOGUE_TOKENS` of dialogue."""
    return _token_count(tokenizer, template.format(dialogue="")) + MIN_DIALOGUE_TOKENS


def fit_prompts(template: str, dialogues: list[str], tokenizer, max_tokens: int) -> tuple[list[str], int]:
    """Returns (prompts, how many were cut): each dialogue wrapped in the template, its end cut
    (at a character boundary) until the prompt fits `max_tokens`; the instruction before the
    dialogue and the cue after it ("Summary:") are always kept whole."""
    prompts, cut = [], 0
    for dialogue in dialogues:
        prompt = template.format(dialogue=dialogue)
        if _token_count(tokenizer, prompt) <= max_tokens:
            prompts.append(prompt)
            continue
        keep_low, keep_high = 0, len(dialogue)  # longest prefix that fits, by bisection (any tokenizer)
        while keep_low < keep_high:
            middle = (keep_low + keep_high + 1) // 2
            if _token_count(tokenizer, template.format(dialogue=dialogue[:middle].rstrip())) <= max_tokens:
                keep_low = middle
            else:
                keep_high = middle - 1
        prompts.append(template.format(dialogue=dialogue[:keep_low].rstrip()))
        cut += 1
    return prompts, cut


def _token_count(tokenizer, text: str) -> int:
    return len(tokenizer(text, truncation=False)["input_ids"])


def warn_truncated(cut: int, total: int, max_tokens: int, what: str = "dialogues") -> None:
    """Warns (once per call site and message) that `cut` of `total` inputs were shortened."""
    if cut:
        warnings.warn(f"{cut} of {total} {what} were longer than the model window ({max_tokens} tokens with the "
                      "prompt) and lost their end; the instruction and 'Summary:' were kept", stacklevel=3)


def build_dataset(cfg: DataConfig, tokenizer, max_prompt_tokens: int = 512) -> DatasetDict:
    """Returns {'train', 'test'} splits with id, dialogue, summary, references, prompt and input_ids.

    The test split is the source's own (a Hub dataset's `data.test_split`) or a shuffle seeded by
    `data.split_seed`, never by the run seed: every run with the same data is judged on the same dialogues.
    """
    needed = min_prompt_tokens(cfg.prompt_template, tokenizer)
    if max_prompt_tokens < needed:
        raise UserError(f"model.max_prompt_tokens={max_prompt_tokens} cannot hold the prompt template's "
                        f"instruction and cue ({needed - MIN_DIALOGUE_TOKENS} tokens with this tokenizer) and "
                        f"{MIN_DIALOGUE_TOKENS} dialogue tokens: set it to at least {needed}")
    rows, test_rows = load_rows(cfg)
    rows = prepare_rows(rows, cfg)
    if test_rows is not None:
        splits = {"train": rows, "test": prepare_rows(test_rows, cfg)}
    else:
        if len(rows) < 2:
            raise UserError(f"need at least 2 dialogues to make a train/test split, got {len(rows)}")
        try:
            shuffled = Dataset.from_pandas(rows, preserve_index=False).train_test_split(
                test_size=cfg.test_size, seed=cfg.split_seed)
        except ValueError as error:
            raise UserError(f"cannot split {len(rows)} dialogues with data.test_size={cfg.test_size}: "
                            f"{str(error).splitlines()[0]}") from None
        splits = {name: shuffled[name].to_pandas() for name in ("train", "test")}
    out, cut, total = {}, 0, 0
    for name, part in splits.items():
        prompts, n_cut = fit_prompts(cfg.prompt_template, list(part["dialogue"]), tokenizer, max_prompt_tokens)
        part = part.assign(prompt=prompts)
        part["input_ids"] = tokenizer(prompts, truncation=True, max_length=max_prompt_tokens)["input_ids"]
        out[name] = Dataset.from_pandas(part, preserve_index=False)
        cut, total = cut + n_cut, total + len(part)
    warn_truncated(cut, total, max_prompt_tokens)
    return DatasetDict(out)
