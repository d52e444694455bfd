"""Stage-1 SFT: both modes train, save safetensors only, and load where PPO expects them."""

import json

import pytest
import torch
from safetensors.torch import load_file
from test_cli import run_cli

from rlhf_core import UserError, build_policy, get_config
from rlhf_core.cli import main
from rlhf_core.config import ModelConfig
from rlhf_core.data.dialogues import build_dataset
from rlhf_core.models.loading import load_seq2seq
from rlhf_core.prep.sft import SFTConfig, run_sft, tokenize_pairs

TINY = SFTConfig(max_steps=2, batch_size=4, learning_rate=1e-2, eval_samples=2, eval_max_new_tokens=8, logging_steps=1)


def no_pickles(folder):
    return not [p for p in folder.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl")]


def test_lora_sft_command_writes_an_adapter_that_starts_ppo(tmp_path):
    out = tmp_path / "adapter"
    done = run_cli("sft", "--preset", "tiny", "--out", str(out), "--mode", "lora", "--max-steps", "2",
                   "--batch-size", "4", "--learning-rate", "1e-2", "--eval-samples", "2", "--eval-max-new-tokens", "8")
    assert done.returncode == 0, done.stderr
    assert "ROUGE-L" in done.stdout and f"--adapter {out}" in done.stderr
    assert (out / "adapter_model.safetensors").is_file() and (out / "adapter_config.json").is_file()
    assert no_pickles(out)
    metrics = json.loads((out / "sft_metrics.json").read_text())
    assert metrics["mode"] == "lora" and metrics["steps"] == 2 and metrics["eval_samples"] == 2

    saved = load_file(str(out / "adapter_model.safetensors"))
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in saved.items())  # B starts at 0: it trained
    policy, _ = build_policy(ModelConfig(policy="builtin:tiny-t5", adapter=str(out)))
    loaded = {k: v for k, v in policy.model.state_dict().items() if "lora_" in k}
    assert len(loaded) == len(saved)
    for key, value in saved.items():
        match = [v for k, v in loaded.items() if k.replace(".default", "") == key]
        assert len(match) == 1 and torch.equal(match[0], value), key
    assert policy.trainable_parameters()[0] > 0  # PPO trains the loaded adapter


def test_full_sft_writes_a_policy_folder(tmp_path):
    config = get_config("tiny")
    metrics = run_sft(config, SFTConfig(**{**TINY.__dict__, "mode": "full"}), tmp_path / "policy")
    assert metrics["mode"] == "full" and "rougeL" in metrics["rouge"]
    out = tmp_path / "policy"
    assert (out / "model.safetensors").is_file() and no_pickles(out)
    model, tokenizer = load_seq2seq(str(out))
    assert tokenizer.pad_token_id == 0 and tokenizer.eos_token_id == 1
    policy, _ = build_policy(ModelConfig(policy=str(out)))  # PPO's --policy OUT: a fresh LoRA on top
    assert policy.trainable_parameters()[0] < policy.trainable_parameters()[1]


def test_full_sft_trains_float32_weights_where_auto_means_bf16(tmp_path, monkeypatch):
    from rlhf_core.models import precision

    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)  # as on AVX512-BF16 / AMX CPUs
    config = get_config("tiny", {"model.dtype": "auto"})
    run_sft(config, SFTConfig(**{**TINY.__dict__, "mode": "full"}), tmp_path / "policy")
    assert {t.dtype for t in load_file(tmp_path / "policy" / "model.safetensors").values()} == {torch.float32}


def test_training_pairs_are_the_configured_prompts_and_reference_summaries():
    config = get_config("tiny", {"data.prompt_template": "TL;DR {dialogue} =>"})
    _, tokenizer = load_seq2seq("builtin:tiny-t5")
    split = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    rows = tokenize_pairs(split, tokenizer, max_target_tokens=64)
    first = tokenizer.decode(rows[0]["input_ids"], skip_special_tokens=True)
    assert first.startswith("TL;DR #Person") and first.endswith("=>")
    assert tokenizer.decode(rows[0]["labels"], skip_special_tokens=True) == split[0]["summary"]
    assert rows[0]["labels"][-1] == tokenizer.eos_token_id


def test_a_non_empty_output_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(UserError, match="not empty"):
        run_sft(get_config("tiny"), TINY, tmp_path / "out")


@pytest.mark.parametrize("args,message", [
    (["--mode", "half"], "--mode must be lora or full"),
    (["--epochs", "lots"], "invalid value 'lots' for '--epochs'"),
    (["--data.summary_column", "none"], "needs reference summaries"),
])
def test_bad_sft_input_gives_one_line_and_exit_2(tmp_path, capsys, args, message):
    assert main(["sft", "--preset", "tiny", "--out", str(tmp_path / "out"), *args]) == 2
    stderr = capsys.readouterr().err
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], stderr
    assert not (tmp_path / "out").exists()
