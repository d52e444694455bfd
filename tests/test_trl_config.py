"""train --trl-config: a TRL 0.11 PPOConfig maps onto this project's settings, or is refused by name."""

import json
from pathlib import Path

import pytest
from test_cli import run_cli

from rlhf_core import UserError, get_config, validate
from rlhf_core.cli import _train_overrides, build_parser
from rlhf_core.config.trl import overrides_from_trl

# PPOConfig(exp_name="lab", model_name="google/flan-t5-base", learning_rate=1.41e-5, ppo_epochs=1,
# mini_batch_size=4, batch_size=16).to_dict(), written by TRL 0.11.4 itself.
LAB = Path(__file__).parent / "data" / "trl_0.11.4_ppo_config_lab.json"


def test_the_labs_trl_config_maps_every_counterpart():
    overrides, ignored = overrides_from_trl(json.loads(LAB.read_text()))
    assert overrides["optim.learning_rate"] == 1.41e-5
    assert overrides["optim.batch_size"] == 16 and overrides["optim.mini_batch_size"] == 4
    assert overrides["ppo.ppo_epochs"] == 1 and overrides["ppo.lam"] == 0.95
    # The names that bite: TRL's adaptive target is `target`, its `target_kl` is the early-stopping threshold.
    assert overrides["ppo.target_kl"] == 6.0 and overrides["ppo.early_stopping_kl"] == 1.0
    assert overrides["ppo.early_stopping"] is False and overrides["ppo.adaptive_kl"] is True
    assert overrides["ppo.horizon"] == 10000 and isinstance(overrides["ppo.horizon"], int)
    assert overrides["steps"] == 1250  # TRL's total_ppo_epochs = ceil(20000 samples / 16)
    assert overrides["tracker_project"] == "trl" and "report_to" not in overrides
    assert {"exp_name", "model_name", "query_dataset", "reward_model", "total_ppo_epochs"} <= set(ignored)
    config = validate(get_config("tiny", overrides))
    assert config.ppo.target_kl == 6.0 and config.ppo.early_stopping_kl == 1.0 and config.steps == 1250


def test_log_with_and_the_deprecated_forward_batch_size_map_as_in_trl():
    overrides, _ = overrides_from_trl({"log_with": "tensorboard", "mini_batch_size": 8, "forward_batch_size": 2})
    assert overrides["report_to"] == ["tensorboard"]
    assert overrides["optim.mini_batch_size"] == 2  # TRL: forward_batch_size overrides mini_batch_size


def test_settings_that_cannot_be_honoured_are_refused_by_name():
    with pytest.raises(UserError) as error:
        overrides_from_trl({"gradient_accumulation_steps": 4, "use_score_scaling": True,
                            "accelerator_kwargs/mixed_precision": "fp16", "is_encoder_decoder": False})
    message = str(error.value)
    for name in ("gradient_accumulation_steps=4", "use_score_scaling=True", "accelerator_kwargs=",
                 "is_encoder_decoder=False"):
        assert name in message
    assert "\n" not in message
    # at TRL's defaults the same fields are accepted
    assert overrides_from_trl({"gradient_accumulation_steps": 1, "use_score_scaling": False,
                               "is_encoder_decoder": True})[0] == {}


def test_fields_trl_does_not_have_are_refused():
    with pytest.raises(UserError, match="not TRL 0.11 PPOConfig field.*: mini_batchsize"):
        overrides_from_trl({"mini_batchsize": 4})


def test_flags_override_the_trl_config():
    args = build_parser().parse_args(["train", "--run-dir", "/tmp/x", "--trl-config", str(LAB), "--steps", "3",
                                      "--optim.learning_rate", "1e-3"])
    overrides = _train_overrides(args)
    assert overrides["steps"] == "3" and overrides["optim.learning_rate"] == "1e-3"
    assert overrides["ppo.target_kl"] == 6.0


def test_cli_refuses_a_bad_trl_config_in_one_line(tmp_path):
    bad = tmp_path / "ppo.json"
    bad.write_text(json.dumps({"use_score_norm": True, "use_score_scaling": True}))
    done = run_cli("train", "--preset", "tiny", "--run-dir", str(tmp_path / "run"), "--trl-config", str(bad),
                   timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert done.stderr.startswith(f"error: --trl-config {bad}: cannot honour TRL setting(s): use_score_norm=True")
    assert not (tmp_path / "run").exists()
