"""A table of hostile and careless inputs: each one gives exactly one `error:` line and
exit status 2, never a traceback, and changes nothing on disk.

The CLI runs in-process (`cli.main`), so an exception that escapes it fails the test as a
traceback would; one case runs as a real subprocess to check what a user actually sees.
Inputs that can be known before any model loads are checked to fail before one does.
"""

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from rlhf_core import cli, get_config, train
from rlhf_core.training.runs import OPTIMIZER_FILE, STATE_FILE

TRAIN = ["train", "--preset", "tiny", "--steps", "1"]

# (flags after `train --preset tiny --steps 1`, the error's expected text)
BEFORE_ANY_MODEL = [
    (["--generation.top_p", "-1"], r"generation.top_p must be greater than 0 and at most 1 \(got -1.0\)"),
    (["--reward.batch_size", "0"], r"reward.batch_size must be at least 1"),
    (["--data.prompt_template", "{dialogue} {oops}"], r"prompt_template can only use the \{dialogue\} placeholder"),
    (["--data.prompt_template", "no placeholder"], r"must contain '\{dialogue\}'"),
    (["--seed", "-1"], r"seed must be at least 0 and at most 4,294,967,295"),
    (["--seed", "1e29"], r"invalid value '1e29' for 'seed'"),
    (["--seed", "99999999999"], r"seed must be at least 0"),
    (["--ppo.cliprange", "-5"], r"ppo.cliprange must be greater than 0"),
    (["--ppo.lam", "-3"], r"ppo.lam must be at least 0 and at most 1"),
    (["--generation.temperature", "inf"], r"generation.temperature must be a finite number"),
    (["--optim.learning_rate", "inf"], r"optim.learning_rate must be a finite number"),
    (["--optim.max_grad_norm", "-1"], r"optim.max_grad_norm must be greater than 0"),
    (["--ppo.ratio_threshold", "nan"], r"ppo.ratio_threshold must be a finite number"),
    (["--model.max_prompt_tokens", "0"], r"model.max_prompt_tokens must be at least 1"),
    (["--reward.max_length", "0"], r"reward.max_length must be at least 1"),
    (["--optim.forward_batch_size", "0"], r"optim.forward_batch_size must be at least 1"),
    (["--eval.bootstrap", "0"], r"eval.bootstrap must be at least 1"),
    (["--data.max_examples", "-100"], r"data.max_examples must be at least 1"),
    (["--data.test_size", "1.5"], r"data.test_size must be greater than 0 and less than 1"),
    (["--ppo.kl_penalty", "huge"], r"ppo.kl_penalty must be one of kl, abs, mse, full"),
    (["--model.lora_target_modules", ","], r"must name at least one module"),
    # only a bare {dialogue}: no attribute or index lookup, conversion or format spec
    *[(["--data.prompt_template", t], r"prompt_template can only use the \{dialogue\} placeholder, bare \(got ")
      for t in ["{dialogue.__class__} {dialogue}", "{dialogue[0]}", "{dialogue!r}", "{dialogue:>30}",
                "{0} {dialogue}"]],
    (["--data.prompt_template", "{{dialogue}}"], r"must contain '\{dialogue\}'"),
]


def run_main(args, capsys) -> tuple[int, list[str], str]:
    code = cli.main(args)
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.startswith("error:")], err


def assert_one_error(code, lines, err, pattern):
    assert code == 2, err
    assert len(lines) == 1 and "Traceback" not in err, err
    assert re.search(pattern, lines[0]), lines[0]


@pytest.fixture
def no_model_loads(monkeypatch):
    """Fails the test if anything tries to load a model."""
    import rlhf_core.models.policy as policy
    import rlhf_core.models.reward as reward

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the bad input was refused")

    monkeypatch.setattr(policy, "load_seq2seq", refuse)
    monkeypatch.setattr(reward.RewardModel, "from_config", classmethod(refuse))


@pytest.mark.parametrize("flags, message", BEFORE_ANY_MODEL, ids=[" ".join(f) for f, _ in BEFORE_ANY_MODEL])
def test_a_bad_setting_is_one_line_before_any_model_loads(tmp_path, capsys, no_model_loads, flags, message):
    code, lines, err = run_main([*TRAIN, "--run-dir", str(tmp_path / "run"), *flags], capsys)
    assert_one_error(code, lines, err, message)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("run_dir, message", [
    ("", r"--run-dir is empty"),
    ("  ", r"--run-dir is empty"),
    ("/proc/foo", r"cannot write to run directory /proc/foo"),
])
def test_an_unusable_run_dir_is_refused_before_any_model_loads(capsys, no_model_loads, run_dir, message):
    code, lines, err = run_main([*TRAIN, "--run-dir", run_dir], capsys)
    assert_one_error(code, lines, err, message)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_run_dir_is_refused_before_any_model_loads(tmp_path, capsys, no_model_loads):
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        code, lines, err = run_main([*TRAIN, "--run-dir", str(parent / "run")], capsys)
    finally:
        parent.chmod(0o700)
    assert_one_error(code, lines, err, r"cannot write to run directory .*Permission denied")


def test_a_pickle_only_adapter_is_refused_before_any_model_loads(tmp_path, capsys, no_model_loads):
    adapter = tmp_path / "adapter"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    (adapter / "adapter_model.bin").write_bytes(b"\x80\x04not really a pickle")
    code, lines, err = run_main([*TRAIN, "--run-dir", str(tmp_path / "run"), "--adapter", str(adapter)], capsys)
    assert_one_error(code, lines, err, r"only a pickle adapter_model.bin, which is refused")
    assert not (tmp_path / "run").exists()


def test_a_bad_setting_in_a_real_process_prints_only_one_line(tmp_path):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "rlhf_core", *TRAIN, "--run-dir", str(tmp_path / "run"),
                           "--ppo.lam", "-3"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == ["error: ppo.lam must be at least 0 and at most 1 (got -3.0)"]


# ------------------------------------------------------------------ damaged run folders


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny run of one step, copied for each damage."""
    run = tmp_path_factory.mktemp("trained") / "run"
    train(get_config("tiny", {"steps": 1}), run, reward_fn=lambda p, s: [float(len(x) % 3) for x in s])
    return run


def _config_edit(run, edit):
    data = json.loads((run / "config.json").read_text())
    edit(data)
    (run / "config.json").write_text(json.dumps(data))


def _garble(path):
    path.write_bytes(path.read_bytes()[:40] + b"garbage")


DEEP_LIST, DEEP_OBJECT = "[" * 1001 + "]" * 1001, '{"a":' * 1001 + "1" + "}" * 1001


def _link_checkpoint(run):
    (run / "checkpoint").rename(run.parent / "checkpoint-elsewhere")
    (run / "checkpoint").symlink_to(run.parent / "checkpoint-elsewhere")


DAMAGES = {
    "config truncated": (lambda r: (r / "config.json").write_text('{"preset": "ti'), r"config.json.*is damaged"),
    "config empty": (lambda r: (r / "config.json").write_text(""), r"is damaged"),
    "config null": (lambda r: (r / "config.json").write_text("null"), r"must be a JSON object \(got null\)"),
    "config list": (lambda r: (r / "config.json").write_text("[]"), r"must be a JSON object"),
    "config section not an object": (lambda r: _config_edit(r, lambda d: d.update(ppo=5)),
                                     r"section 'ppo' must be a JSON object"),
    "config wrong type": (lambda r: _config_edit(r, lambda d: d.update(steps="many")),
                          r"steps must be a whole number \(got 'many'\)"),
    "config out of range": (lambda r: _config_edit(r, lambda d: d["ppo"].update(cliprange=-5)),
                            r"ppo.cliprange must be greater than 0"),
    "adapter garbled": (lambda r: _garble(r / "checkpoint" / "adapter_model.safetensors"), r"is damaged"),
    "optimizer garbled": (lambda r: _garble(r / "checkpoint" / OPTIMIZER_FILE), r"is damaged"),
    "value head garbled": (lambda r: _garble(r / "checkpoint" / "value_head.safetensors"), r"is damaged"),
    "state truncated": (lambda r: (r / "checkpoint" / STATE_FILE).write_text('{"st'), r"checkpoint state.*damaged"),
    "state null": (lambda r: (r / "checkpoint" / STATE_FILE).write_text("null"), r"damaged"),
    "state deleted": (lambda r: (r / "checkpoint" / STATE_FILE).unlink(), r"incomplete.*overwrite"),
    "config nested deeply": (lambda r: (r / "config.json").write_text(DEEP_LIST),
                             r"config.json is damaged \(nested deeper than 64 levels\)"),
    "config huge number": (lambda r: _config_edit(r, lambda d: d.update(seed=10**4000)),
                           r"config.json is damaged \(a number with 4,001 digits\)"),
    "config infinite": (lambda r: (r / "config.json").write_text('{"steps": 1e999}'),
                        r"config.json is damaged \(a number too large to hold \(1e999\)\)"),
    "config a folder": (lambda r: ((r / "config.json").unlink(), (r / "config.json").mkdir()),
                        r"holds no run \(config.json missing\)|not a run directory"),
    "state nested deeply": (lambda r: (r / "checkpoint" / STATE_FILE).write_text(DEEP_OBJECT),
                            r"trainer_state.json is damaged \(nested deeper than 64 levels\)"),
    "eval report nested deeply": (lambda r: (r / "eval.json").write_text(DEEP_OBJECT),
                                  r"eval.json is damaged \(nested deeper than 64 levels\)"),
    "eval report of another layout": (lambda r: (r / "eval.json").write_text('{"toxicity": 5}'),
                                      r"eval.json is not an evaluation report this version can read"),
    "checkpoint symlinked": (_link_checkpoint, r"checkpoint is a symbolic link"),
}


def _fingerprint(folder):
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_resume_of_a_damaged_run_is_one_line_and_changes_nothing(trained, tmp_path, capsys, damage):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    make, message = DAMAGES[damage]
    make(run)
    before = _fingerprint(run)
    code, lines, err = run_main(["train", "--run-dir", str(run), "--resume", "--steps", "2"], capsys)
    assert_one_error(code, lines, err, message)
    assert _fingerprint(run) == before  # nothing lost, nothing overwritten, no lock left behind


@pytest.mark.parametrize("damage", ["config null", "config section not an object", "state truncated",
                                    "adapter garbled", "config nested deeply", "state nested deeply",
                                    "checkpoint symlinked"])
def test_evaluate_of_a_damaged_run_is_one_line_and_changes_nothing(trained, tmp_path, capsys, damage):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    make, message = DAMAGES[damage]
    make(run)
    before = _fingerprint(run)
    code, lines, err = run_main(["evaluate", "--run-dir", str(run), "--samples", "1"], capsys)
    assert_one_error(code, lines, err, message)
    assert _fingerprint(run) == before


@pytest.mark.parametrize("content, message", [("", r"is empty"), ("\n", r"holds no rows|could not read")])
def test_an_empty_dataset_file_is_one_line(tmp_path, capsys, content, message):
    data = tmp_path / "empty.jsonl"
    data.write_text(content)
    code, lines, err = run_main([*TRAIN, "--run-dir", str(tmp_path / "run"), "--dataset", str(data)], capsys)
    assert_one_error(code, lines, err, message)
    assert not (tmp_path / "run").exists()


def test_resume_skips_hostile_metrics_lines(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained, run)
    with open(run / "metrics.jsonl", "a") as f:  # each one was a RecursionError or ValueError traceback
        f.write("\n".join([DEEP_LIST, DEEP_OBJECT, '{"step": 1e999}', '{"step": 1' + "0" * 5000 + "}"]) + "\n")
    code, lines, err = run_main(["train", "--run-dir", str(run), "--resume", "--steps", "2", "--no-progress"], capsys)
    assert code == 0 and not lines, err
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2]


# ------------------------------------------------------------------ dialogues and prompt windows


def _dataset(tmp_path, dialogues) -> str:
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "dialogue": d, "summary": "s"}) + "\n"
                            for i, d in enumerate(dialogues)))
    return str(path)


INVISIBLE = ["\u200b\u200b\x01 \u2060", "", "   \t", "\x00\x01\x02", "\u2060" * 300]


def test_dialogues_with_no_visible_character_are_dropped(tmp_path):
    from rlhf_core.data.dialogues import build_dataset
    from rlhf_core.models.tiny import tiny_tokenizer

    real = ["#Person1#: Hello there, how are you today? #Person2#: Fine, thanks."] * 4
    cfg = get_config("tiny", {"data.dataset": _dataset(tmp_path, INVISIBLE + real), "data.min_chars": 0})
    splits = build_dataset(cfg.data, tiny_tokenizer(), 256)
    assert sorted(d for split in splits.values() for d in split["dialogue"]) == real


@pytest.mark.parametrize("command", [["train", "--preset", "tiny", "--steps", "1"],
                                     ["sft", "--preset", "tiny", "--epochs", "1"]])
def test_only_invisible_dialogues_is_one_line(tmp_path, capsys, command):
    where = ["--run-dir", str(tmp_path / "run")] if command[0] == "train" else ["--out", str(tmp_path / "out")]
    code, lines, err = run_main([*command, *where, "--dataset", _dataset(tmp_path, INVISIBLE),
                                 "--data.min_chars", "0"], capsys)
    assert_one_error(code, lines, err, r"no dialogue left: all 5 rows have no visible character")
    assert not (tmp_path / "run").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("cell", [["a", "list"], {"an": "object"}])
def test_a_dialogue_cell_holding_an_object_is_refused(tmp_path, capsys, cell):
    data = _dataset(tmp_path, ["#Person1#: a real dialogue that is long enough to keep."] * 3 + [cell])
    code, lines, err = run_main([*TRAIN, "--run-dir", str(tmp_path / "run"), "--dataset", data], capsys)
    assert_one_error(code, lines, err, r"dataset column 'dialogue' row 4 holds (list|dict) data, not text")


def test_a_window_too_small_for_the_prompt_is_one_line(tmp_path, capsys):
    code, lines, err = run_main([*TRAIN, "--run-dir", str(tmp_path / "run"), "--model.max_prompt_tokens", "1"], capsys)
    assert_one_error(code, lines, err, r"model.max_prompt_tokens=1 cannot hold .* set it to at least \d+")
    assert not (tmp_path / "run").exists()
