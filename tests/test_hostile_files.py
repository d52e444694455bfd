"""Hostile files: whatever a run folder, a `--trl-config` file or a dataset holds (nesting a
thousand levels deep, 1e999, a number of 5,000 digits, NaN, the wrong types, random bytes, a folder
in place of a file, symbolic links), the CLI answers with exactly one `error:` line and exit status
2, or succeeds where the content is valid; never a traceback.

The property tests call `cli.main` in-process with no model loaded: training stops where the models
would load (what `train --resume` reads after training, the model card's metrics and eval.json, is
still read), and `evaluate` raises `ModelsWouldLoad` where it would load its first model.
"""

import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rlhf_core import cli, get_config
from rlhf_core.config.json_files import MAX_DEPTH, parse_json, read_json_file
from rlhf_core.data.dialogues import load_rows
from rlhf_core.errors import UserError
from rlhf_core.training.runs import STATE_FILE, RunDir, atomic_write_text, list_runs

FAST = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))

DEEP_LIST = "[" * 1001 + "]" * 1001
DEEP_OBJECT = '{"a":' * 1001 + "1" + "}" * 1001
# Contents every strict reader must refuse (NaN too: where it is allowed, a bare NaN is still not an object).
MALFORMED = [DEEP_LIST, DEEP_OBJECT, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "1e999", "-1e999",
             "1" + "0" * 5000, "NaN", "Infinity", "", "{", '{"a": 1} trailing', "\xff\xfe", r'{"a": "\ud800"}']
MALFORMED_BYTES = [b"\xff\xfe{}", b'{"a": "\xc3"}', b"\x00" * 8]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8)
adversarial = st.sampled_from(MALFORMED)
# A file's content: adversarial text, random JSON, or random bytes.
contents = st.one_of(adversarial.map(str.encode), json_values.map(lambda v: json.dumps(v).encode()),
                     st.binary(max_size=40), st.sampled_from(MALFORMED_BYTES))


class ModelsWouldLoad(Exception):
    """Raised where `evaluate` would load its first model: every check before it passed."""


@pytest.fixture
def no_models(monkeypatch):
    """Training runs every check up to its models, then ends with no step; evaluation stops at its first model."""
    import rlhf_core.evaluation.evaluate as evaluate
    import rlhf_core.training.run_loop as run_loop

    def no_steps(config, run, reward_fn, resume, *rest):
        if run and resume:
            run.load_state()  # what the real one reads before its models
        return
        yield

    class Refuse:
        def __init__(self, *args, **kwargs):
            raise ModelsWouldLoad()

        from_config = classmethod(lambda cls, *args, **kwargs: cls())

    monkeypatch.setattr(run_loop, "_train_steps", no_steps)
    monkeypatch.setattr(evaluate, "RewardModel", Refuse)
    monkeypatch.setattr(evaluate, "Summarizer", Refuse)


@pytest.fixture(scope="module")
def template_run(tmp_path_factory):
    """A run folder as training leaves it (config, checkpoint state, metrics), with no weights."""
    run = tmp_path_factory.mktemp("template") / "run"
    (run / "checkpoint").mkdir(parents=True)
    (run / "config.json").write_text(get_config("tiny").to_json())
    (run / "checkpoint" / STATE_FILE).write_text(json.dumps({"step": 1, "kl_ctl": {"value": 0.2}}))
    (run / "metrics.jsonl").write_text("")  # no curve to draw: the model card stays fast
    return run


def run_cli(args, capsys):
    """(exit status or "models", the error lines, stderr) of one in-process CLI call."""
    capsys.readouterr()
    try:
        code = cli.main(args)
    except ModelsWouldLoad:
        code = "models"
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, [line for line in err.splitlines() if line.startswith("error:")], err


def assert_one_error(code, lines, err):
    assert code == 2 and len(lines) == 1, err


def _place(path: Path, content: bytes | None) -> None:
    """Writes `content` to `path`, or puts a folder there when it is None."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    if content is None:
        path.mkdir()
    else:
        path.write_bytes(content)


def _strictly_malformed(content: bytes | None, allow_nan: bool) -> bool:
    """True if the strict reader refuses the content whatever the file (a folder, bytes, bad JSON)."""
    if content is None:
        return True
    try:
        parse_json(content.decode("utf-8"), "x", allow_nan=allow_nan)
    except (UnicodeDecodeError, UserError):
        return True
    return False


# ------------------------------------------------------------------ the reader itself


@FAST
@given(content=contents)
@example(content=DEEP_LIST.encode())
@example(content=DEEP_OBJECT.encode())
def test_the_reader_returns_a_value_or_one_user_error_naming_the_file(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("reader") / "file.json"
    path.write_bytes(content)
    for allow_nan in (False, True):
        try:
            value = read_json_file(path, "the file", allow_nan=allow_nan)
        except UserError as error:
            assert str(path) in str(error) and "\n" not in str(error)
        else:
            json.dumps(value)  # what it returns is plain, finite-depth JSON


@pytest.mark.parametrize("text", MALFORMED)
def test_every_malformed_text_is_refused(text):
    with pytest.raises(UserError, match=r"^the file is damaged \("):
        parse_json(text, "the file")


def test_a_folder_or_a_missing_file_is_one_error(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        read_json_file(tmp_path, "x")
    with pytest.raises(UserError, match="is missing"):
        read_json_file(tmp_path / "nope.json", "x")
    with pytest.raises(UserError, match=r"must hold a JSON object \(got a list\)"):
        (tmp_path / "l.json").write_text("[1]")
        read_json_file(tmp_path / "l.json", expect=dict)


def test_nan_is_kept_only_where_allowed():
    assert parse_json('{"v": NaN}', "x", allow_nan=True)["v"] != parse_json('{"v": NaN}', "x", allow_nan=True)["v"]
    with pytest.raises(UserError, match="NaN"):
        parse_json('{"v": NaN}', "x")
    with pytest.raises(UserError, match="too large"):
        parse_json('{"v": 1e999}', "x", allow_nan=True)


# ------------------------------------------------------------------ run folders, through the CLI

RUN_FILES = {  # file -> (NaN allowed by its reader, what `train --resume` does with any damage)
    "config.json": (False, "refused"),
    "checkpoint/trainer_state.json": (True, "refused"),
    "metrics.jsonl": (True, "skipped"),  # a damaged line (a crash mid-write) is skipped, not fatal
    "eval.json": (True, "refused"),  # the model card written after training reads it
}


@pytest.mark.parametrize("name", list(RUN_FILES))
@FAST
@given(content=st.one_of(contents, st.none()))
@example(content=DEEP_LIST.encode())
@example(content=DEEP_OBJECT.encode())
@example(content=b"1e999")
@example(content=None)
def test_any_run_file_content_is_one_line_or_success(template_run, capsys, no_models, name, content):
    allow_nan, on_damage = RUN_FILES[name]
    run = Path(tempfile.mkdtemp()) / "run"
    try:
        shutil.copytree(template_run, run)
        _place(run / name, content)
        for command in (["train", "--run-dir", str(run), "--resume", "--no-progress"],
                        ["evaluate", "--run-dir", str(run), "--samples", "1"]):
            code, lines, err = run_cli(command, capsys)
            if code == 2:
                assert_one_error(code, lines, err)
            else:
                assert code in (0, "models") and not lines, err
            read_before_models = command[0] == "train" or name != "eval.json"  # evaluate replaces eval.json
            if on_damage == "refused" and read_before_models and _strictly_malformed(content, allow_nan):
                assert code == 2, (name, content[:80] if content else content, err)
            if on_damage == "skipped" or not read_before_models:
                assert code != 2, err
    finally:
        shutil.rmtree(run.parent, ignore_errors=True)


def test_a_valid_run_folder_passes(template_run, tmp_path, capsys, no_models):
    run = tmp_path / "run"
    shutil.copytree(template_run, run)
    report = {"samples": 1, "reward_text": "summary", "toxicity": {}, "n": float("nan")}  # NaN: json.dumps writes it
    (run / "eval.json").write_text(json.dumps(report))
    assert run_cli(["train", "--run-dir", str(run), "--resume", "--no-progress"], capsys)[0] == 0
    assert run_cli(["evaluate", "--run-dir", str(run)], capsys)[0] == "models"


@pytest.mark.parametrize("name", ["config.json", "checkpoint/trainer_state.json", "eval.json"])
@pytest.mark.parametrize("text", [DEEP_LIST, DEEP_OBJECT])
def test_deep_nesting_in_a_run_file_is_one_line(template_run, tmp_path, capsys, no_models, name, text):
    run = tmp_path / "run"
    shutil.copytree(template_run, run)
    (run / name).write_text(text)
    code, lines, err = run_cli(["train", "--run-dir", str(run), "--resume"], capsys)
    assert_one_error(code, lines, err)
    assert f"{run / name} is damaged (nested deeper than 64 levels)" in lines[0]


def test_a_deeply_nested_run_is_left_out_of_the_apps_run_list(template_run, tmp_path, monkeypatch):
    from webapp.run_list import runs

    for name in ("good", "deep-config", "deep-state", "deep-eval", "deep-metrics"):
        shutil.copytree(template_run, tmp_path / name)
    (tmp_path / "deep-config" / "config.json").write_text(DEEP_LIST)
    (tmp_path / "deep-state" / "checkpoint" / STATE_FILE).write_text(DEEP_OBJECT)
    (tmp_path / "deep-eval" / "eval.json").write_text(DEEP_OBJECT)
    (tmp_path / "deep-metrics" / "metrics.jsonl").write_text(DEEP_LIST + "\n")  # a damaged line is skipped
    monkeypatch.setenv("RLHF_RUNS_DIR", str(tmp_path))
    assert sorted(run.name for run in runs()) == ["deep-metrics", "good"]


# ------------------------------------------------------------------ --trl-config

TRL_FIELDS = ["steps", "batch_size", "horizon", "log_with", "forward_batch_size", "learning_rate", "seed",
              "adap_kl_ctrl", "tracker_project_name", "score_clip", "exp_name", "tracker_kwargs/wandb", "nonsense"]
trl_objects = st.dictionaries(st.sampled_from(TRL_FIELDS), json_values, max_size=4).map(
    lambda fields: json.dumps(fields).encode())


@FAST
@given(content=st.one_of(contents, trl_objects, st.none()))
@example(content=DEEP_LIST.encode())
@example(content=DEEP_OBJECT.encode())
@example(content=b'{"steps": 1e999}')
@example(content=b'{"steps": NaN}')
@example(content=None)
def test_any_trl_config_is_one_line_or_success(capsys, no_models, content):
    folder = Path(tempfile.mkdtemp())
    try:
        _place(folder / "trl.json", content)
        code, lines, err = run_cli(["train", "--preset", "tiny", "--run-dir", str(folder / "run"), "--trl-config",
                                    str(folder / "trl.json"), "--no-progress"], capsys)
        if code == 2:
            assert_one_error(code, lines, err)
        else:
            assert code == 0 and not lines, err
        if _strictly_malformed(content, allow_nan=False):
            assert code == 2 and "--trl-config" in lines[0], err
        assert not (folder / "run").exists()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


TRL_CASES = [
    ('{"steps": 100, "batch_size": 0}', r"batch_size must be at least 1 \(got 0\)"),
    ('{"batch_size": "x"}', r"batch_size must be a whole number \(got 'x'\)"),
    ('{"steps": 100, "batch_size": "x"}', r"batch_size must be a whole number \(got 'x'\)"),
    ('{"steps": "many"}', r"steps must be a whole number \(got 'many'\)"),
    ('{"steps": null}', r"steps must be a whole number \(got null\)"),
    ('{"horizon": "abc"}', r"horizon must be a whole number \(got 'abc'\)"),
    ('{"horizon": null}', r"horizon must be a whole number \(got null\)"),
    ('{"log_with": 5}', r"log_with must be a name or a list of names \(got a number\)"),
    ('{"steps": 10.7, "batch_size": 4}', r"steps must be a whole number \(got 10.7\)"),
    ('{"seed": 1, "seed/x": 2}', r"seed is given both as a value and as seed/\.\.\. keys"),
    (None, r"--trl-config: .* is a folder, not a JSON file"),
]


@pytest.mark.parametrize("content, message", TRL_CASES, ids=[c or "a folder" for c, _ in TRL_CASES])
def test_bad_trl_values_are_one_line_before_any_model(tmp_path, capsys, no_models, content, message):
    _place(tmp_path / "trl.json", None if content is None else content.encode())
    code, lines, err = run_cli(["train", "--preset", "tiny", "--run-dir", str(tmp_path / "run"),
                                "--trl-config", str(tmp_path / "trl.json")], capsys)
    assert_one_error(code, lines, err)
    import re

    assert re.search(message, lines[0]), lines[0]


def test_a_whole_float_step_count_is_accepted():
    from rlhf_core.config.trl import overrides_from_trl

    overrides, _ = overrides_from_trl({"steps": 10.0, "batch_size": 4, "horizon": 50.0})
    assert overrides == {"optim.batch_size": 4, "ppo.horizon": 50, "steps": 3}


# ------------------------------------------------------------------ datasets


@FAST
@given(content=st.one_of(contents, st.lists(json_values, max_size=4).map(
    lambda rows: "\n".join(json.dumps(r) for r in rows).encode())))
@example(content=b'{"dialogue": ' + DEEP_LIST.encode() + b"}")
@example(content=b'{"dialogue": 1e999}')
def test_a_json_dataset_is_rows_or_one_error(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("data")
    for suffix in (".json", ".jsonl"):
        path = folder / f"d{suffix}"
        path.write_bytes(content)
        try:
            rows, _ = load_rows(get_config("tiny", {"data.dataset": str(path)}).data)
        except UserError as error:
            assert str(path) in str(error) and "\n" not in str(error)
        else:
            assert len(rows) > 0


# ------------------------------------------------------------------ folders and links


def test_evaluate_on_a_read_only_run_is_one_line_before_any_model(template_run, tmp_path, capsys, no_models,
                                                                  monkeypatch):
    run = tmp_path / "run"
    shutil.copytree(template_run, run)
    if os.geteuid() == 0:  # root writes into read-only folders: refuse the probe as the kernel would
        real_open = os.open

        def read_only(path, flags, *args, **kwargs):
            if flags & os.O_CREAT and Path(path).parent == run:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", read_only)
    run.chmod(0o500)
    try:
        code, lines, err = run_cli(["evaluate", "--run-dir", str(run), "--samples", "1"], capsys)
    finally:
        run.chmod(0o700)
    assert_one_error(code, lines, err)
    assert "cannot write to run directory" in lines[0] and "Permission denied" in lines[0]


def test_atomic_write_never_raises_from_its_cleanup(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    monkeypatch.setattr(Path, "unlink", refuse)
    with pytest.raises(UserError, match=r"could not write .*x\.json: Permission denied"):
        atomic_write_text(tmp_path / "x.json", "{}")


@pytest.mark.parametrize("name", ["checkpoint", "metrics.jsonl", "config.json", "checkpoint/trainer_state.json",
                                  ".lock"])
def test_a_symlinked_run_file_is_refused_before_anything_changes(template_run, tmp_path, capsys, no_models, name):
    run = tmp_path / "run"
    shutil.copytree(template_run, run)
    target = tmp_path / "elsewhere"
    if (run / name).exists():
        (run / name).rename(target)
    else:
        target.write_text("victim")
    (run / name).symlink_to(target)
    before, kept = sorted(p.name for p in run.rglob("*")), _contents(target)
    for command in (["train", "--run-dir", str(run), "--resume", "--steps", "2"], ["evaluate", "--run-dir", str(run)]):
        code, lines, err = run_cli(command, capsys)
        assert_one_error(code, lines, err)
        assert "is a symbolic link" in lines[0], lines[0]
    assert sorted(p.name for p in run.rglob("*")) == before  # no .checkpoint.tmp-PID, nothing moved
    assert _contents(target) == kept  # what the link points to is untouched


def _contents(path: Path) -> dict:
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    return {str(p): p.read_bytes() for p in files if p.is_file()}


def test_a_checkpoint_linked_mid_run_leaves_nothing_behind(template_run, tmp_path):
    class Policy:
        def save(self, folder):
            Path(folder).mkdir()

    class Optimizer:
        def state_dict(self):
            return {"state": {}}

    run = tmp_path / "run"
    shutil.copytree(template_run, run)
    (tmp_path / "elsewhere").mkdir()
    (run / "checkpoint.old").symlink_to(tmp_path / "elsewhere")  # appears after the run's start checks
    with pytest.raises(UserError, match="is a symbolic link"):
        RunDir(run).save_checkpoint(Policy(), Optimizer(), {"step": 2})
    (run / "checkpoint.old").unlink()
    RunDir(run).save_checkpoint(Policy(), Optimizer(), {"step": 2})
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint", "config.json", "metrics.jsonl"]
    assert (tmp_path / "elsewhere").is_dir()


def test_a_symlinked_run_folder_is_not_listed(template_run, tmp_path):
    root = tmp_path / "runs"
    shutil.copytree(template_run, root / "real")
    shutil.copytree(template_run, tmp_path / "outside")
    (root / "linked").symlink_to(tmp_path / "outside")
    (root / "file").write_text("not a run")
    assert [run.path.name for run in list_runs(root)] == ["real"]
