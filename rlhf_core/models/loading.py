"""Loading models by name, safe by construction: never `trust_remote_code`, weights only from
safetensors, a pickle-only adapter refused; an unreachable model fails in seconds with one line
(`hub.probe_model`). Names are Hub ids, local folders or `builtin:tiny-*` (tests)."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..errors import UserError
from .hub import HUB_TIMEOUT_SECONDS, check_allowed, ensure_downloadable, hub_hint, looks_local, probe_model
from .precision import resolve_dtype

# Known harmless, printed on every LoRA wrap of a loaded model: peft 0.21 asks the model for
# `is_gradient_checkpointing`, which transformers 5 renamed `is_activation_checkpointing` and still
# answers under the old name (same value) until v6. Nothing for this project to change.
warnings.filterwarnings("ignore", message="`is_gradient_checkpointing` is deprecated", category=FutureWarning)


def _explain(name: str, role: str, error: Exception) -> UserError:
    """One line for a failed load of `name` as `role` ("policy model", "reward model", "judge")."""
    first = str(error).splitlines()[0] if str(error) else type(error).__name__
    if Path(name).is_dir() and not (Path(name) / "config.json").is_file():
        return UserError(f"could not load {role} from local folder '{name}': it has no config.json, so it holds "
                         "no saved model")
    if Path(name).exists():
        return UserError(f"could not load {role} from local folder '{name}': {first}")
    if looks_local(name):
        return UserError(f"{role} '{name}' not found: no such local folder")
    reason = probe_model(name, timeout=HUB_TIMEOUT_SECONDS)
    if reason:
        return UserError(f"cannot load {role} '{name}': {reason}; {hub_hint(reason)}")
    if "does not appear to have a file named" in first and "safetensors" in first:  # pickle weights only
        return UserError(f"could not load {role} '{name}': the repository has no model.safetensors, and weights "
                         "are only read from safetensors (a pickle can run code when loaded)")
    return UserError(f"could not load {role} '{name}': {first}")


def load_seq2seq(name: str, dtype: str = "auto"):
    """Returns (model, tokenizer) for a seq2seq LM, in eval mode."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    if name == "builtin:tiny-t5":
        from .tiny import tiny_policy_model, tiny_tokenizer

        return tiny_policy_model().to(resolve_dtype(dtype)), tiny_tokenizer()
    if name.startswith("builtin:"):
        raise UserError(f"unknown built-in model '{name}'; the built-in policy is builtin:tiny-t5")
    check_allowed(name, "model")
    ensure_downloadable(name, "policy model")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForSeq2SeqLM.from_pretrained(
            name, dtype=resolve_dtype(dtype), use_safetensors=True, trust_remote_code=False
        )
    except (OSError, ValueError, EnvironmentError) as error:
        raise _explain(name, "policy model", error) from None
    return model.eval(), tokenizer


def load_classifier(name: str, dtype: str = "auto", role: str = "reward model"):
    """Returns (model, tokenizer) for a sequence classifier, in eval mode and frozen; errors name it as `role`."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if name in ("builtin:tiny-roberta", "builtin:tiny-judge"):
        from .tiny import JUDGE_SEED, tiny_reward_model, tiny_tokenizer

        model = tiny_reward_model() if name == "builtin:tiny-roberta" else tiny_reward_model(JUDGE_SEED)
        tokenizer = tiny_tokenizer()
    elif name.startswith("builtin:"):
        raise UserError(f"unknown built-in model '{name}'; the built-in classifiers are builtin:tiny-roberta "
                        "(reward) and builtin:tiny-judge")
    else:
        check_allowed(name, "model")
        ensure_downloadable(name, role)
        try:
            tokenizer = AutoTokenizer.from_pretrained(name)
            model = AutoModelForSequenceClassification.from_pretrained(
                name, dtype=resolve_dtype(dtype), use_safetensors=True, trust_remote_code=False
            )
        except (OSError, ValueError, EnvironmentError) as error:
            raise _explain(name, role, error) from None
    if resolve_dtype(dtype) != torch.float32:
        model = model.to(resolve_dtype(dtype))
    model.eval().requires_grad_(False)
    return model, tokenizer


def check_adapter_folder(adapter: str) -> None:
    """Refuses a local adapter folder without `adapter_model.safetensors`: a pickle-only adapter
    (`adapter_model.bin`) can run code when loaded, so it is never read."""
    path = Path(adapter)
    if path.is_dir() and not (path / "adapter_model.safetensors").is_file():
        found = "only a pickle adapter_model.bin, which is refused (pickles can run code)" if (
            path / "adapter_model.bin").is_file() else "no adapter_model.safetensors"
        raise UserError(f"adapter folder {adapter} holds {found}; convert it to safetensors "
                        "(save_pretrained(..., safe_serialization=True)) or leave --adapter empty")
