"""Dialogues -> length-filtered, prompt-wrapped, tokenized train/test splits.

Sources: a Hub dataset id (e.g. `knkarthick/dialogsum`), a local json/jsonl/csv/parquet file,
or the built-in tiny dialogues. Every row keeps its id, dialogue, reference summary (when the
data has one), prompt text and prompt token ids.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from datasets import Dataset, DatasetDict

from .config import DataConfig
from .errors import UserError
from .hub import check_allowed

LOCAL_READERS = {
    ".json": lambda p: _read_json(p),
    ".jsonl": lambda p: pd.read_json(p, lines=True, dtype=False),
    ".csv": lambda p: pd.read_csv(p, dtype=str, keep_default_na=False),
    ".parquet": lambda p: pd.read_parquet(p),
}


def _read_json(path: Path) -> pd.DataFrame:
    try:
        return pd.read_json(path, dtype=False)
    except ValueError:  # a .json file holding JSON lines
        return pd.read_json(path, lines=True, dtype=False)


def load_rows(cfg: DataConfig) -> pd.DataFrame:
    """Returns the raw table of dialogues from the configured source."""
    name = cfg.dataset
    if name == "builtin:tiny-dialogues":
        from .tiny import TINY_DIALOGUES

        return pd.DataFrame(TINY_DIALOGUES)
    if name.startswith("builtin:"):
        raise UserError(f"unknown built-in dataset '{name}'; the built-in one is builtin:tiny-dialogues")
    path = Path(name).expanduser()
    if path.suffix.lower() in LOCAL_READERS or path.exists():
        return _load_local(path)
    check_allowed(name, "dataset")
    return _load_hub(name, cfg.split)


def _load_local(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise UserError(f"dataset file not found: {path}")
    reader = LOCAL_READERS.get(path.suffix.lower())
    if reader is None:
        raise UserError(f"unsupported dataset file type '{path.suffix}': use .json, .jsonl, .csv or .parquet")
    try:
        return reader(path)
    except UnicodeDecodeError:
        raise UserError(f"dataset file {path} is not valid UTF-8 text") from None
    except Exception as error:  # pandas raises many types for malformed files
        raise UserError(f"could not read dataset file {path}: {str(error).splitlines()[0]}") from None


def _load_hub(name: str, split: str) -> pd.DataFrame:
    from datasets import load_dataset

    try:
        return load_dataset(name, split=split).to_pandas()
    except Exception as error:  # datasets wraps network/cache failures in many types
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(
            f"cannot load dataset '{name}' (split '{split}'): {message}; offline, pass a local "
            "json/jsonl/csv/parquet file with --dataset (e.g. ../shared/data/dialogsum/dialogsum.dev.jsonl) "
            "or use --preset tiny"
        ) from None


def prepare_rows(rows: pd.DataFrame, cfg: DataConfig) -> pd.DataFrame:
    """Returns rows with columns id, dialogue, summary, prompt, after the length filter."""
    if cfg.dialogue_column not in rows.columns:
        raise UserError(
            f"dataset has no dialogue column '{cfg.dialogue_column}'; columns are: {', '.join(map(str, rows.columns))} "
            "(set data.dialogue_column)"
        )
    if cfg.summary_column and cfg.summary_column not in rows.columns:
        raise UserError(
            f"dataset has no summary column '{cfg.summary_column}'; columns are: {', '.join(map(str, rows.columns))} "
            "(set data.summary_column, or none if there are no reference summaries)"
        )
    id_column = cfg.id_column or next((c for c in ("id", "fname") if c in rows.columns), None)
    if cfg.id_column and cfg.id_column not in rows.columns:
        raise UserError(f"dataset has no id column '{cfg.id_column}'; columns are: {', '.join(map(str, rows.columns))}")

    dialogues = rows[cfg.dialogue_column].fillna("").astype(str).str.strip()
    out = pd.DataFrame(
        {
            "id": rows[id_column].astype(str) if id_column else [f"row_{i}" for i in range(len(rows))],
            "dialogue": dialogues,
            "summary": rows[cfg.summary_column].fillna("").astype(str) if cfg.summary_column else "",
        }
    )
    lengths = out["dialogue"].str.len()
    out = out[(lengths >= cfg.min_chars) & (lengths <= cfg.max_chars)].reset_index(drop=True)
    if out.empty:
        raise UserError(
            f"no dialogue left after the length filter ({cfg.min_chars}-{cfg.max_chars} characters) out of "
            f"{len(rows)} rows; widen data.min_chars/data.max_chars"
        )
    if cfg.max_examples:
        out = out.iloc[: cfg.max_examples].reset_index(drop=True)
    out["prompt"] = [cfg.prompt_template.format(dialogue=d) for d in out["dialogue"]]
    return out


def build_dataset(cfg: DataConfig, tokenizer, max_prompt_tokens: int = 512, seed: int = 42) -> DatasetDict:
    """Returns {'train', 'test'} splits with id, dialogue, summary, prompt and input_ids.

    The split is a seeded shuffle, so it is the same for every run with the same seed and data.
    """
    rows = prepare_rows(load_rows(cfg), cfg)
    if len(rows) < 2:
        raise UserError(f"need at least 2 dialogues to make a train/test split, got {len(rows)}")
    encoded = tokenizer(list(rows["prompt"]), truncation=True, max_length=max_prompt_tokens)
    rows["input_ids"] = encoded["input_ids"]
    dataset = Dataset.from_pandas(rows, preserve_index=False)
    return dataset.train_test_split(test_size=cfg.test_size, seed=seed)
