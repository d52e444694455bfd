"""Safety of a public host: allowlists, run names that cannot escape, safetensors only."""

import pytest

from rlhf_core import UserError, delete_run, get_config, list_runs, run_path, train
from rlhf_core.models.hub import check_allowed
from rlhf_core.models.loading import load_seq2seq


@pytest.mark.parametrize("name", ["../etc", "a/b", "..", ".hidden", "", "x" * 101, "run name", "C:\\x", "ok/../.."])
def test_run_names_that_could_escape_the_runs_folder_are_refused(tmp_path, name):
    with pytest.raises(UserError, match="invalid run name"):
        run_path(name, tmp_path)


def test_plain_run_names_stay_inside_the_runs_folder(tmp_path):
    assert run_path("tiny-2026.11.24_a", tmp_path) == (tmp_path / "tiny-2026.11.24_a").resolve()


def test_list_and_delete_runs(tmp_path):
    train(get_config("tiny", {"steps": 1}), run_path("first", tmp_path))
    assert [r.path.name for r in list_runs(tmp_path)] == ["first"]
    with pytest.raises(UserError, match="invalid run name"):
        delete_run("../first", tmp_path)
    delete_run("first", tmp_path)
    assert list_runs(tmp_path) == []


def test_allowlist_refuses_other_models_and_datasets(monkeypatch):
    monkeypatch.setenv("RLHF_ALLOWED_MODELS", "google/flan-t5-small")
    monkeypatch.setenv("RLHF_ALLOWED_DATASETS", "knkarthick/dialogsum")
    check_allowed("google/flan-t5-small", "model")
    check_allowed("builtin:tiny-t5", "model")  # built-ins are always fine
    with pytest.raises(UserError, match="not allowed on this server"):
        check_allowed("someone/evil-model", "model")
    with pytest.raises(UserError, match="RLHF_ALLOWED_DATASETS"):
        check_allowed("someone/data", "dataset")
    with pytest.raises(UserError, match="not allowed"):
        load_seq2seq("someone/evil-model")


def test_no_remote_code_and_only_safetensors_are_requested():
    import inspect

    from rlhf_core.models import loading, policy, strict_load

    source = inspect.getsource(loading) + inspect.getsource(policy) + inspect.getsource(strict_load)
    assert "trust_remote_code=True" not in source
    assert "torch.load" not in source  # adapters and value heads are read with safetensors' load_file
    assert source.count("use_safetensors=True") >= 3


def test_a_pickle_only_checkpoint_is_refused(tmp_path):
    import torch

    from rlhf_core.models.tiny import tiny_policy_model, tiny_tokenizer

    model = tiny_policy_model()
    model.config.save_pretrained(tmp_path)
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")  # a pickle: may run code when loaded
    tiny_tokenizer().save_pretrained(tmp_path)
    with pytest.raises(UserError, match="could not load policy model from local folder"):
        load_seq2seq(str(tmp_path))
