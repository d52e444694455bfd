import re

import pandas as pd
import pytest
from conftest import DIALOGSUM_DEV, DIALOGSUM_TEST, real_dialogsum_dev

from rlhf_core import UserError, build_dataset, get_config
from rlhf_core.config import PROMPT_TEMPLATE
from rlhf_core.data.dialogues import fit_prompts
from rlhf_core.models.tiny import tiny_tokenizer


@pytest.fixture(params=["fixture", "real"])
def dev_file(request):
    """The invented dialogues in DialogSum's dev format, then the real file RLHF_DIALOGSUM_DEV names (if set)."""
    return DIALOGSUM_DEV if request.param == "fixture" else real_dialogsum_dev()


def test_the_dev_fixture_spans_the_length_filter():
    lengths = pd.read_json(DIALOGSUM_DEV, lines=True, dtype=False).dialogue.str.strip().str.len()
    assert (lengths < 200).sum() >= 2 and (lengths > 1000).sum() >= 2  # some dropped at each end by default
    assert lengths.between(200, 400).sum() >= 15 and lengths.between(200, 1000).sum() >= 25
    assert lengths.max() < 5000


def test_the_dev_fixture_has_the_real_dev_files_columns_and_turn_format():
    real = pd.read_json(real_dialogsum_dev(), lines=True, dtype=False)
    fixture = pd.read_json(DIALOGSUM_DEV, lines=True, dtype=False)
    assert list(fixture.columns) == list(real.columns) == ["fname", "dialogue", "summary", "topic"]
    turn = r"#Person\d+#: \S.*"
    for rows in (real, fixture):
        assert rows.fname.str.fullmatch(r"dev_\d+").all()
        assert all(re.fullmatch(turn, line) for d in rows.dialogue for line in d.split("\n"))
        assert rows.summary.str.contains("#Person").mean() > 0.5  # summaries name the speakers by tag


def test_dialogsum_dev_file_is_filtered_wrapped_tokenized_and_split(dev_file):
    cfg = get_config("tiny", {"data.dataset": str(dev_file), "data.min_chars": 200, "data.max_chars": 1000})
    splits = build_dataset(cfg.data, tiny_tokenizer(), max_prompt_tokens=1200)
    raw = pd.read_json(dev_file, lines=True)
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


def test_test_split_depends_on_the_split_seed_not_the_run_seed(dev_file):
    def test_ids(**overrides):
        cfg = get_config("tiny", {"data.dataset": str(dev_file), "data.max_chars": 400, **overrides})
        return build_dataset(cfg.data, tiny_tokenizer(), 512)["test"]["id"]

    assert test_ids(seed=1) == test_ids(seed=2)  # runs with different seeds are judged on the same dialogues
    assert test_ids(**{"data.split_seed": 1}) != test_ids(**{"data.split_seed": 2})


def test_numbered_reference_columns_are_detected_as_multiple_references():
    # DialogSum's original test release: summary1..3 (and topic1..3) per dialogue, no plain `summary`.
    raw = pd.read_json(DIALOGSUM_TEST, lines=True, dtype=False).set_index("fname")
    assert raw.loc["test_1", "summary3"] == "" and (raw.drop(index="test_1").summary3 != "").all()
    cfg = get_config("tiny", {"data.dataset": str(DIALOGSUM_TEST)})
    splits = build_dataset(cfg.data, tiny_tokenizer(), 512)
    by_id = {r["id"]: r for split in splits.values() for r in split}
    assert sorted(by_id) == sorted(raw.index)
    assert by_id["test_1"]["references"] == list(raw.loc["test_1", ["summary1", "summary2"]])  # empty one dropped
    assert by_id["test_3"]["references"] == list(raw.loc["test_3", ["summary1", "summary2", "summary3"]])
    assert by_id["test_3"]["summary"] == raw.loc["test_3", "summary1"]  # topic1..3 are not references


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


def test_long_dialogues_lose_their_end_never_the_instruction_or_the_cue(dev_file):
    cfg = get_config("tiny", {"data.dataset": str(dev_file)})
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
def test_bad_data_gives_clear_errors(overrides, match, dev_file):
    cfg = get_config("tiny", {"data.dataset": str(dev_file), **overrides})
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
