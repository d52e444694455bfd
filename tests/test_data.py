import pandas as pd
import pytest
from conftest import DIALOGSUM_DEV

from rlhf_core import UserError, build_dataset, get_config
from rlhf_core.config import PROMPT_TEMPLATE
from rlhf_core.tiny import tiny_tokenizer


def test_dialogsum_dev_file_is_filtered_wrapped_tokenized_and_split():
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV), "data.min_chars": 200, "data.max_chars": 1000})
    splits = build_dataset(cfg.data, tiny_tokenizer(), max_prompt_tokens=512, seed=42)
    raw = pd.read_json(DIALOGSUM_DEV, lines=True)
    kept = raw[raw.dialogue.str.strip().str.len().between(200, 1000)]
    assert len(splits["train"]) + len(splits["test"]) == len(kept)
    assert len(splits["test"]) == pytest.approx(0.2 * len(kept), abs=1)
    row = splits["train"][0]
    assert row["prompt"] == PROMPT_TEMPLATE.format(dialogue=row["dialogue"])
    assert row["prompt"].startswith("Summarize the following conversation.\n\n")
    assert row["prompt"].endswith("\n\nSummary:")
    assert row["id"].startswith("dev_")  # DialogSum's fname column becomes the id
    assert max(len(ids) for ids in splits["train"]["input_ids"]) <= 512
    assert all(200 <= len(d) <= 1000 for d in splits["test"]["dialogue"])


def test_split_is_deterministic_for_a_seed():
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV)})
    a = build_dataset(cfg.data, tiny_tokenizer(), 512, seed=1)["test"]["id"]
    b = build_dataset(cfg.data, tiny_tokenizer(), 512, seed=1)["test"]["id"]
    c = build_dataset(cfg.data, tiny_tokenizer(), 512, seed=2)["test"]["id"]
    assert a == b and a != c


@pytest.mark.parametrize("suffix", ["csv", "parquet", "json"])
def test_local_formats_and_column_mapping(tmp_path, suffix):
    frame = pd.DataFrame({"conv": ["A: hi there\nB: hello, how are you?"] * 5, "ref": ["greeting"] * 5,
                          "id": [f"x{i}" for i in range(5)]})
    path = tmp_path / f"d.{suffix}"
    {"csv": lambda: frame.to_csv(path, index=False), "parquet": lambda: frame.to_parquet(path),
     "json": lambda: frame.to_json(path, orient="records")}[suffix]()
    cfg = get_config("tiny", {"data.dataset": str(path), "data.dialogue_column": "conv",
                              "data.summary_column": "ref", "data.min_chars": 10})
    splits = build_dataset(cfg.data, tiny_tokenizer(), 64)
    assert len(splits["train"]) == 4 and splits["train"][0]["summary"] == "greeting"
    assert all(len(ids) <= 64 for ids in splits["train"]["input_ids"])


def test_truncation_to_the_model_window():
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV)})
    splits = build_dataset(cfg.data, tiny_tokenizer(), max_prompt_tokens=100)
    assert max(len(ids) for ids in splits["train"]["input_ids"]) == 100


@pytest.mark.parametrize("overrides,match", [
    ({"data.dataset": "/no/such/file.jsonl"}, "not found"),
    ({"data.dialogue_column": "text"}, "no dialogue column 'text'.*fname"),
    ({"data.summary_column": "abstract"}, "summary column"),
    ({"data.min_chars": 5000, "data.max_chars": 6000}, "no dialogue left"),
])
def test_bad_data_gives_clear_errors(overrides, match):
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV), **overrides})
    with pytest.raises(UserError, match=match):
        build_dataset(cfg.data, tiny_tokenizer())


def test_non_utf8_file_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("dialogue,summary\n\"caf\xe9 talk\",x\n".encode("latin-1"))
    cfg = get_config("tiny", {"data.dataset": str(path), "data.min_chars": 1})
    with pytest.raises(UserError, match="UTF-8"):
        build_dataset(cfg.data, tiny_tokenizer())
