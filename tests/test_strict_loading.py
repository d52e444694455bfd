"""Checkpoints that refuse to load wrong: an adapter or value head whose tensors are missing, extra or
mis-shaped is one `error:` line naming the file and exit 2, for `evaluate`, `train --resume`, the app's
adapter loading and a starting adapter; a resume cannot cut a run back below its checkpoint's step."""

import shutil
from dataclasses import replace

import pytest
import torch
from safetensors.torch import load_file, save_file

from rlhf_core import cli, get_config, train
from rlhf_core.errors import UserError
from rlhf_core.models.policy import build_policy
from rlhf_core.models.summarizer import Summarizer
from rlhf_core.training.runs import RunDir

ADAPTER = "checkpoint/adapter_model.safetensors"
VALUE_HEAD = "checkpoint/value_head.safetensors"


def reward(prompts, summaries):
    return [float(len(s) % 5) for s in summaries]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A tiny PPO run trained for 2 steps (adapter, value head, optimizer, state)."""
    run = tmp_path_factory.mktemp("trained") / "run"
    train(get_config("tiny", {"steps": 2}), run, reward_fn=reward)
    return run


@pytest.fixture
def run(trained_run, tmp_path):
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy


def run_cli(args, capsys):
    capsys.readouterr()
    code = cli.main(args)
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    return code, [line for line in err.splitlines() if line.startswith("error:")]


def resume(run, capsys, steps=3):
    return run_cli(["train", "--resume", "--run-dir", str(run), "--steps", str(steps), "--no-progress"], capsys)


def evaluate(run, capsys):
    return run_cli(["evaluate", "--run-dir", str(run), "--samples", "2"], capsys)


def one_unrelated_tensor(path):
    save_file({"unrelated": torch.zeros(3)}, str(path))


def one_tensor_reshaped(path):
    tensors = load_file(str(path))
    key = next(k for k in tensors if "lora_A" in k)
    tensors[key] = torch.zeros(tensors[key].shape[0] + 1, tensors[key].shape[1])
    save_file(tensors, str(path))


def one_tensor_dropped(path):
    tensors = load_file(str(path))
    tensors.pop(next(k for k in tensors if "lora_B" in k))
    save_file(tensors, str(path))


def one_tensor_added(path):
    tensors = load_file(str(path))
    save_file({**tensors, "extra.weight": torch.zeros(2)}, str(path))


def not_safetensors(path):
    path.write_bytes(b"\x00" * 16)


DAMAGE = [one_unrelated_tensor, one_tensor_reshaped, one_tensor_dropped, one_tensor_added, not_safetensors]


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("command", [evaluate, resume])
def test_a_damaged_adapter_is_one_line_naming_it(run, capsys, damage, command):
    damage(run / ADAPTER)
    before = (run / "config.json").read_bytes(), (run / "metrics.jsonl").read_bytes()
    code, errors = command(run, capsys)
    assert code == 2 and len(errors) == 1, errors
    assert str(run / ADAPTER) in errors[0]
    assert ((run / "config.json").read_bytes(), (run / "metrics.jsonl").read_bytes()) == before  # nothing changed
    assert not (run / "eval.json").exists()


def test_a_mis_shaped_tensor_names_the_mismatch(run, capsys):
    one_tensor_reshaped(run / ADAPTER)
    code, errors = evaluate(run, capsys)
    assert code == 2 and "size mismatch" in errors[0] and "lora_A" in errors[0]


@pytest.mark.parametrize("damage", [None, one_unrelated_tensor, "reshaped", "extra"])
def test_a_missing_or_wrong_value_head_is_refused_on_resume(run, capsys, damage):
    path = run / VALUE_HEAD
    if damage is None:
        path.unlink()
    elif damage == "reshaped":
        save_file({"weight": torch.zeros(1, 5), "bias": torch.zeros(1)}, str(path))
    elif damage == "extra":
        save_file({**load_file(str(path)), "scale": torch.ones(1)}, str(path))
    else:
        damage(path)
    code, errors = resume(run, capsys)
    assert code == 2 and len(errors) == 1 and str(path) in errors[0], errors
    assert ("is missing" in errors[0]) == (damage is None)
    assert RunDir(run).load_state()["step"] == 2 and [m["step"] for m in RunDir(run).metrics()] == [1, 2]


def test_an_intact_checkpoint_still_resumes_and_evaluates(run, capsys):
    assert resume(run, capsys) == (0, [])
    assert RunDir(run).load_state()["step"] == 3
    assert evaluate(run, capsys) == (0, [])
    assert (run / "eval.json").is_file()


@pytest.mark.parametrize("damage", [one_unrelated_tensor, one_tensor_reshaped, one_tensor_dropped])
def test_the_apps_adapter_loading_refuses_and_keeps_serving(run, damage):
    summarizer = Summarizer(RunDir(run).config())
    damage(run / ADAPTER)
    with pytest.raises(UserError) as refused:
        summarizer.load_adapter("after", run / "checkpoint")
    assert str(run / ADAPTER) in str(refused.value) and "\n" not in str(refused.value)
    assert "after" not in summarizer.adapters and "after" not in summarizer.model.peft_config
    assert len(summarizer.summarize(["#Person1#: Hi. #Person2#: Hello."])) == 1  # the model still serves


@pytest.mark.parametrize("damage", [one_unrelated_tensor, one_tensor_reshaped])
def test_a_damaged_starting_adapter_is_refused(run, damage):
    damage(run / ADAPTER)
    config = RunDir(run).config()
    model = replace(config.model, adapter=str(run / "checkpoint"))
    with pytest.raises(UserError, match="adapter_model.safetensors does not fit the model"):
        build_policy(model)
    with pytest.raises(UserError, match="adapter_model.safetensors does not fit the model"):
        Summarizer(replace(config, model=model))


def test_a_starting_adapter_loads_exactly(run):
    model = replace(RunDir(run).config().model, adapter=str(run / "checkpoint"))
    policy, _ = build_policy(model)
    saved = load_file(str(run / ADAPTER))
    from peft import get_peft_model_state_dict

    loaded = get_peft_model_state_dict(policy.model)
    assert saved.keys() == loaded.keys() and all(torch.equal(saved[k], loaded[k]) for k in saved)
    assert all(p.requires_grad for n, p in policy.model.named_parameters() if "lora_" in n)  # trainable


# ------------------------------------------------------------------ a resume cannot cut a run back


def test_resume_with_fewer_steps_than_the_checkpoint_is_refused(run, capsys):
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    code, errors = resume(run, capsys, steps=1)
    assert code == 2 and len(errors) == 1
    assert "already at step 2" in errors[0] and "--steps 2 or more" in errors[0]
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()} == before  # config still says steps=2
    assert RunDir(run).config().steps == 2


def test_resume_at_the_checkpoints_step_says_there_is_nothing_to_train(run, capsys):
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    capsys.readouterr()
    assert cli.main(["train", "--resume", "--run-dir", str(run), "--steps", "2", "--no-progress"]) == 0
    assert "already at step 2 of 2: nothing to train" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in run.iterdir() if p.is_file() and p.name != "README.md"} == {
        k: v for k, v in before.items() if k != "README.md"}
