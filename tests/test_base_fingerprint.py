"""A checkpoint remembers the local base weights it was trained on: once the base folder is rebuilt in
place (as `build-demo` rewrites `checkpoints/demo/policy`, same shapes), the old adapter is refused
with one error line by `evaluate`, `train --resume`, the app's adapter loading and a starting
adapter, instead of summarising nonsense; Hub and built-in bases, and older checkpoints without the
record, load as before."""

import json
import shutil

import pytest

from rlhf_core import cli, get_config, train
from rlhf_core.errors import UserError
from rlhf_core.models import base_fingerprint
from rlhf_core.models.policy import build_policy
from rlhf_core.models.summarizer import Summarizer
from rlhf_core.models.tiny import tiny_policy_model, tiny_tokenizer

REFUSAL = "was trained on other weights"


def reward(prompts, summaries):
    return [float(len(s) % 5) for s in summaries]


def save_base(folder, seed):
    tiny_policy_model(seed).save_pretrained(str(folder))
    tiny_tokenizer().save_pretrained(str(folder))


@pytest.fixture
def trained(tmp_path):
    """A tiny PPO run trained for 1 step on a base model in a local folder."""
    base, run = tmp_path / "base", tmp_path / "run"
    save_base(base, seed=0)
    train(get_config("tiny", {"steps": 1, "model.policy": str(base)}), run, reward_fn=reward)
    return base, run


def run_cli(args, capsys):
    capsys.readouterr()
    code = cli.main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, [line for line in err.splitlines() if line.startswith("error:")]


def test_the_fingerprint_follows_the_weights_not_the_folder(tmp_path):
    save_base(tmp_path / "a", seed=0)
    shutil.copytree(tmp_path / "a", tmp_path / "copy")
    save_base(tmp_path / "b", seed=1)
    first = base_fingerprint.fingerprint(str(tmp_path / "a"))
    assert first and len(first) == 16
    assert base_fingerprint.fingerprint(str(tmp_path / "copy")) == first  # a clone elsewhere is the same base
    assert base_fingerprint.fingerprint(str(tmp_path / "b")) != first  # same shapes, other weights
    assert base_fingerprint.fingerprint("google/flan-t5-base") is None  # a Hub id: not checked
    assert base_fingerprint.fingerprint("builtin:tiny-t5") is None
    assert base_fingerprint.fingerprint(str(tmp_path)) is None  # a folder without weight files


def test_an_adapter_on_rebuilt_base_weights_is_refused_everywhere(trained, capsys):
    base, run = trained
    checkpoint = run / "checkpoint"
    recorded = json.loads((checkpoint / base_fingerprint.FILE).read_text())
    assert recorded == {"policy": str(base), "fingerprint": base_fingerprint.fingerprint(str(base))}
    save_base(base, seed=1)  # the base rebuilt in place: same shapes, other weights

    for args in (["evaluate", "--run-dir", str(run), "--samples", "2"],
                 ["train", "--resume", "--run-dir", str(run), "--steps", "2", "--no-progress"]):
        code, errors = run_cli(args, capsys)
        assert code == 2 and len(errors) == 1 and REFUSAL in errors[0] and str(checkpoint) in errors[0], errors
    assert not (run / "eval.json").exists()
    config = get_config("tiny", {"model.policy": str(base)})
    with pytest.raises(UserError, match=REFUSAL):  # the app's adapter loading
        Summarizer(config).load_adapter("after", checkpoint)
    with pytest.raises(UserError, match=REFUSAL):  # a starting adapter (--model.adapter)
        build_policy(get_config("tiny", {"model.policy": str(base), "model.adapter": str(checkpoint)}).model)

    save_base(base, seed=0)  # the weights it was trained on: loads again
    code, errors = run_cli(["evaluate", "--run-dir", str(run), "--samples", "2"], capsys)
    assert code == 0 and not errors


def test_a_checkpoint_without_the_record_loads_as_before(trained, capsys):
    base, run = trained
    (run / "checkpoint" / base_fingerprint.FILE).unlink()  # a run saved before the record existed
    save_base(base, seed=1)
    code, errors = run_cli(["evaluate", "--run-dir", str(run), "--samples", "2"], capsys)
    assert code == 0 and not errors
