import json

import pytest

from rlhf_core import Config, UserError, get_config, list_presets, validate
from rlhf_core.config import apply_overrides


def test_presets_default_first_and_reference_setup():
    assert list_presets()[0] == "flan-t5-base"
    cfg = get_config()
    assert cfg.model.policy == "google/flan-t5-base"
    assert cfg.reward.model == "facebook/roberta-hate-speech-dynabench-r4-target"
    assert cfg.data.dataset == "knkarthick/dialogsum"
    assert (cfg.model.lora_r, cfg.model.lora_alpha, cfg.model.lora_target_modules) == (32, 32, ["q", "v"])
    assert (cfg.optim.batch_size, cfg.optim.mini_batch_size, cfg.optim.learning_rate) == (16, 4, 1.41e-5)
    assert (cfg.ppo.init_kl_coef, cfg.ppo.target_kl, cfg.ppo.horizon) == (0.2, 6.0, 10000)
    assert get_config("flan-t5-small").model.policy == "google/flan-t5-small"


def test_unknown_preset_lists_the_choices():
    with pytest.raises(UserError, match="tiny"):
        get_config("gpt-5")


def test_overrides_convert_strings_to_field_types():
    cfg = get_config("tiny", {"optim.learning_rate": "1e-4", "ppo.adaptive_kl": "false", "steps": "7",
                              "model.lora_target_modules": "q,k,v", "data.summary_column": "none"})
    assert cfg.optim.learning_rate == 1e-4 and cfg.ppo.adaptive_kl is False and cfg.steps == 7
    assert cfg.model.lora_target_modules == ["q", "k", "v"] and cfg.data.summary_column is None


@pytest.mark.parametrize("key,value", [("ppo.nope", 1), ("nope", 1), ("ppo", 1), ("optim.batch_size", "x")])
def test_bad_overrides_are_user_errors(key, value):
    with pytest.raises(UserError):
        apply_overrides(Config(), {key: value})


def test_json_round_trip_is_exact():
    cfg = get_config("tiny", {"seed": 3, "reward.text": "summary"})
    again = Config.from_dict(json.loads(cfg.to_json()))
    assert again == cfg


@pytest.mark.parametrize("overrides,match", [
    ({"steps": -1}, "steps"),
    ({"steps": 0}, "steps"),
    ({"steps": 10**9}, "at most"),
    ({"optim.mini_batch_size": 3}, "multiple"),
    ({"optim.mini_batch_size": 9}, "mini_batch_size"),
    ({"ppo.kl_penalty": "l2"}, "kl_penalty"),
    ({"data.prompt_template": "no slot"}, "dialogue"),
    ({"reward.text": "dialogue"}, "reward.text"),
])
def test_validate_rejects_impossible_settings(overrides, match):
    with pytest.raises(UserError, match=match):
        validate(get_config("tiny", overrides))


def test_auto_dtype_is_bf16_only_where_bf16_is_native(monkeypatch):
    import torch

    from rlhf_core.models import precision

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: True)
    assert precision.resolve_dtype("auto") == torch.bfloat16
    assert precision.resolve_dtype("float32") == torch.float32
    monkeypatch.setattr(precision, "cpu_has_native_bf16", lambda: False)
    assert precision.resolve_dtype("auto") == torch.float32
    assert precision.resolve_dtype("bfloat16") == torch.bfloat16


def test_toy_presets_stay_float32_whatever_the_hardware():
    for name in ("tiny", "demo"):
        config = get_config(name)
        assert config.model.dtype == config.reward.dtype == "float32", name


def test_every_config_field_is_documented_once_where_it_is_declared():
    from rlhf_core.config import field_paths
    from rlhf_core.config.describe import field_docs

    docs = field_docs()
    assert set(docs) == set(field_paths())
    assert [key for key, text in docs.items() if not text] == []
