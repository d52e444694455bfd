import pandas as pd
import pytest
from conftest import DIALOGSUM_DEV

from rlhf_core import UserError, build_dataset, get_config
from rlhf_core.config import PROMPT_TEMPLATE
from rlhf_core.data.dialogues import fit_prompts
from rlhf_core.models.tiny import tiny_tokenizer


def test_dialogsum_dev_file_is_filtered_wrapped_tokenized_and_split():
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV), "data.min_chars": 200, "data.max_chars": 1000})
    splits = build_dataset(cfg.data, tiny_tokenizer(), max_prompt_tokens=1200)
    raw = pd.read_json(DIALOGSUM_DEV, lines=True)
    kept = raw[raw.dialogue.str.strip().str.len().between(200, 1000)]
    assert len(splits["train"]) + len(splits["test"]) == len(kept)
    assert len(splits["test"]) == pytest.approx(0.2 * len(kept), abs=1)
    row = splits["train"][0]
    assert row["prompt"] == PROMPT_TEMPLATE.format(dialogue=row["dialogue"])
    assert row["prompt"].startswith("Summarize the following conversation.\n\n")
    assert row["prompt"].endswith("\n\nSummary:")
    assert row["id"].startswith("dev_")  # DialogSum's fname column becomes the id
    assert max(len(ids) for ids in splits["train"]["input_ids"]) <= 1200
    assert splits["train"][0]["references"] == [row["summary"]]
    assert all(200 <= len(d) <= 1000 for d in splits["test"]["dialogue"])


def test_test_split_depends_on_the_split_seed_not_the_run_seed():
    def test_ids(**overrides):
        cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV), "data.max_chars": 400, **overrides})
        return build_dataset(cfg.data, tiny_tokenizer(), 512)["test"]["id"]

    assert test_ids(seed=1) == test_ids(seed=2)  # runs with different seeds are judged on the same dialogues
    assert test_ids(**{"data.split_seed": 1}) != test_ids(**{"data.split_seed": 2})


def test_numbered_reference_columns_are_detected_as_multiple_references(tmp_path):
    path = tmp_path / "dialogsum.test.jsonl"
    rows = [{"fname": f"test_{i}", "dialogue": f"#Person1#: hello number {i}\n#Person2#: hi there",
             "summary1": f"a greeting {i}", "summary2": f"they say hi {i}", "summary3": "" if i == 0 else "hello"}
            for i in range(5)]
    pd.DataFrame(rows).to_json(path, orient="records", lines=True)
    cfg = get_config("tiny", {"data.dataset": str(path), "data.min_chars": 10})
    splits = build_dataset(cfg.data, tiny_tokenizer(), 128)
    by_id = {r["id"]: r for split in splits.values() for r in split}
    assert by_id["test_0"]["references"] == ["a greeting 0", "they say hi 0"]  # empty references dropped
    assert by_id["test_3"]["references"] == ["a greeting 3", "they say hi 3", "hello"]
    assert by_id["test_3"]["summary"] == "a greeting 3"


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


def test_long_dialogues_lose_their_end_never_the_instruction_or_the_cue():
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_DEV)})
    with pytest.warns(UserWarning, match=r"^(\d+) of \1 dialogues were longer than the model window \(100 tokens"):
        splits = build_dataset(cfg.data, tiny_tokenizer(), max_prompt_tokens=100)
    for row in splits["train"].select(range(20)):
        assert 95 <= len(row["input_ids"]) <= 100  # byte tokens: the cut is within a few characters of the window
        assert row["prompt"].startswith("Summarize the following conversation.\n\n#Person1#:")
        assert row["prompt"].endswith("\n\nSummary:")
        kept = row["prompt"][len("Summarize the following conversation.\n\n"):-len("\n\nSummary:")]
        assert row["dialogue"].startswith(kept)


def test_fit_prompts_counts_only_the_prompts_it_cut():
    tokenizer = tiny_tokenizer()
    prompts, cut = fit_prompts(PROMPT_TEMPLATE, ["short", "x" * 500], tokenizer, 80)
    assert cut == 1 and prompts[0] == PROMPT_TEMPLATE.format(dialogue="short")
    assert len(tokenizer(prompts[1])["input_ids"]) == 80 and prompts[1].endswith("x\n\nSummary:")


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


def test_a_hub_dataset_is_evaluated_on_its_own_test_split(monkeypatch):
    import datasets

    from rlhf_core.data import dialogues as data

    tables = {split: pd.DataFrame({"id": [f"{split}_{i}" for i in range(6)],
                                   "dialogue": [f"#Person1#: {split} dialogue {i}" for i in range(6)],
                                   "summary": ["s"] * 6}) for split in ("train", "test")}
    monkeypatch.setattr(datasets, "get_dataset_split_names", lambda name: ["train", "validation", "test"])
    monkeypatch.setattr(data, "_load_hub", lambda name, split: tables[split])
    cfg = get_config("tiny", {"data.dataset": "knkarthick/dialogsum", "data.min_chars": 1})
    splits = build_dataset(cfg.data, tiny_tokenizer(), 128)
    assert splits["test"]["id"] == [f"test_{i}" for i in range(6)] and len(splits["train"]) == 6
    cfg.data.test_split = None  # no own test split: carved out of the train split
    assert all(i.startswith("train_") for i in build_dataset(cfg.data, tiny_tokenizer(), 128)["test"]["id"])
