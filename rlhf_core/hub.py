"""Loading models and tokenizers by name: a Hub id, a local folder, or a built-in tiny model.

Loading is safe by construction: never `trust_remote_code`, weights only from safetensors.
When the Hub cannot be reached and a model is not cached, the error names the offline options
instead of showing a network traceback. A public host can restrict which ids may be loaded
with `RLHF_ALLOWED_MODELS` / `RLHF_ALLOWED_DATASETS` (comma-separated; `builtin:*` and the
project's shipped checkpoints are always allowed).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

from .errors import UserError

OFFLINE_HINT = (
    "use an offline preset (--preset demo, or --preset tiny), or pass a local folder; "
    "on a machine with internet, unset HF_HUB_OFFLINE to download it"
)


def check_allowed(name: str, kind: str) -> None:
    """Raises UserError if an allowlist env var is set and `name` is not on it."""
    env = "RLHF_ALLOWED_DATASETS" if kind == "dataset" else "RLHF_ALLOWED_MODELS"
    allowed = os.environ.get(env)
    if not allowed or name.startswith("builtin:") or _is_shipped(name):
        return
    names = {n.strip() for n in allowed.split(",") if n.strip()}
    if name not in names:
        raise UserError(f"{kind} '{name}' is not allowed on this server ({env}); allowed: {', '.join(sorted(names))}")


def _is_shipped(name: str) -> bool:
    checkpoints = (Path(__file__).resolve().parent.parent / "checkpoints").resolve()
    try:
        return Path(name).resolve().is_relative_to(checkpoints)
    except (OSError, ValueError):
        return False


def gpu_has_native_bf16() -> bool:
    """True on a GPU that computes bf16 in hardware (Ampere or newer), not by emulation (a T4)."""
    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def cpu_has_native_bf16() -> bool:
    """True on a CPU with bf16 instructions (AVX512-BF16 or AMX), where oneDNN's bf16 matmuls are fast."""
    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def resolve_dtype(dtype: str) -> torch.dtype:
    """float32 unless bf16 was asked for, or `auto` where bf16 is native: a GPU, or a CPU without a GPU.

    With bf16 weights a PPO step on the flan-t5 shapes runs 1.6-1.9x faster on a CPU with
    AVX512-BF16 than in float32, and the tiny learning task learns as well over 30 seeds
    (benchmarks/README.md).
    """
    if dtype == "bfloat16":
        return torch.bfloat16
    if dtype == "auto" and (gpu_has_native_bf16() or (not torch.cuda.is_available() and cpu_has_native_bf16())):
        return torch.bfloat16
    return torch.float32


def _explain(name: str, kind: str, error: Exception) -> UserError:
    if Path(name).exists():
        return UserError(f"could not load {kind} from local folder '{name}': {str(error).splitlines()[0]}")
    if name.startswith((".", "/", "~")) or name.count("/") > 1:
        return UserError(f"{kind} '{name}' not found: no such local folder")
    offline = os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes")
    reason = "HF_HUB_OFFLINE is set" if offline else "the Hugging Face Hub is not reachable or has no such repository"
    return UserError(f"cannot load {kind} '{name}': {reason} and it is not in the local cache; {OFFLINE_HINT}")


def load_seq2seq(name: str, dtype: str = "auto"):
    """Returns (model, tokenizer) for a seq2seq LM, in eval mode."""
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    if name == "builtin:tiny-t5":
        from .tiny import tiny_policy_model, tiny_tokenizer

        return tiny_policy_model().to(resolve_dtype(dtype)), tiny_tokenizer()
    if name.startswith("builtin:"):
        raise UserError(f"unknown built-in model '{name}'; the built-in policy is builtin:tiny-t5")
    check_allowed(name, "model")
    try:
        tokenizer = AutoTokenizer.from_pretrained(name)
        model = AutoModelForSeq2SeqLM.from_pretrained(
            name, dtype=resolve_dtype(dtype), use_safetensors=True, trust_remote_code=False
        )
    except (OSError, ValueError, EnvironmentError) as error:
        raise _explain(name, "policy model", error) from None
    return model.eval(), tokenizer


def load_classifier(name: str, dtype: str = "auto"):
    """Returns (model, tokenizer) for a sequence classifier, in eval mode and frozen."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    if name == "builtin:tiny-roberta":
        from .tiny import tiny_reward_model, tiny_tokenizer

        model, tokenizer = tiny_reward_model(), tiny_tokenizer()
    elif name.startswith("builtin:"):
        raise UserError(f"unknown built-in model '{name}'; the built-in reward model is builtin:tiny-roberta")
    else:
        check_allowed(name, "model")
        try:
            tokenizer = AutoTokenizer.from_pretrained(name)
            model = AutoModelForSequenceClassification.from_pretrained(
                name, dtype=resolve_dtype(dtype), use_safetensors=True, trust_remote_code=False
            )
        except (OSError, ValueError, EnvironmentError) as error:
            raise _explain(name, "reward model", error) from None
    if resolve_dtype(dtype) != torch.float32:
        model = model.to(resolve_dtype(dtype))
    model.eval().requires_grad_(False)
    return model, tokenizer
