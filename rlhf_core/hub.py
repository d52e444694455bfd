"""Everything that touches the Hugging Face Hub: loading models by name, the reachability probe,
offline mode, timeouts and the allowlist. Shared by the CLI, the app and the prep commands.

Loading is safe by construction: never `trust_remote_code`, weights only from safetensors.
Before any `from_pretrained` of a Hub id that is not cached, one short probe (`probe_model`, a
few seconds) asks the Hub for the model's config: when it fails, the user gets one line that
names the model, says why (HF_HUB_OFFLINE set, no network, no such repository) and what to do,
instead of a minute of huggingface_hub retries. A public host can restrict which ids may be
loaded with `RLHF_ALLOWED_MODELS` / `RLHF_ALLOWED_DATASETS` (comma-separated; `builtin:*` and
the project's shipped checkpoints are always allowed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UserError
from .paths import PROJECT_ROOT

if TYPE_CHECKING:  # torch is imported where it is used: the Hub probe and errors need none of it
    import torch

# One timeout for every Hub request this project makes (probe, metadata, download start).
HUB_TIMEOUT_SECONDS = 3
OFFLINE_OPTIONS = "use --preset demo (shipped, works offline) or --preset tiny, or pass a local folder"


def looks_local(name: str) -> bool:
    """True when `name` is meant as a folder rather than a Hub id (`./x`, `/x`, `~/x`, `a/b/c`, or existing)."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or Path(name).exists()


def hub_offline() -> bool:
    """True when the Hub is not to be contacted (HF_HUB_OFFLINE, or after `go_offline`)."""
    from huggingface_hub import constants

    return bool(constants.HF_HUB_OFFLINE)


def offline_env_set() -> bool:
    """True when the user set HF_HUB_OFFLINE (not when this process went offline by itself)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def go_offline() -> None:
    """Switches this process to offline mode: cached models only, no more network waits."""
    import datasets.config
    from huggingface_hub import constants

    constants.HF_HUB_OFFLINE = True
    datasets.config.HF_HUB_OFFLINE = datasets.config.HF_DATASETS_OFFLINE = True


def limit_hub_timeouts(seconds: int = HUB_TIMEOUT_SECONDS) -> None:
    """Makes Hub requests give up after `seconds` (env defaults, and the live constants if loaded)."""
    from huggingface_hub import constants

    for name in ("HF_HUB_ETAG_TIMEOUT", "HF_HUB_DOWNLOAD_TIMEOUT"):
        os.environ.setdefault(name, str(seconds))
        try:
            setattr(constants, name, max(1, int(os.environ[name])))
        except ValueError:
            raise UserError(f"{name} must be a whole number of seconds (got {os.environ[name]!r})") from None


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT.rstrip("/")


def hub_reachable(timeout: float = HUB_TIMEOUT_SECONDS) -> bool:
    """True if the Hub endpoint answers an HTTP request within `timeout` seconds."""
    import httpx

    try:
        httpx.head(_endpoint(), timeout=timeout)
    except httpx.HTTPError:
        return False
    return True


def is_cached(name: str) -> bool:
    """True if the Hub model `name` has its config in the local Hugging Face cache."""
    from huggingface_hub import try_to_load_from_cache

    return isinstance(try_to_load_from_cache(name, "config.json"), str)


def probe_model(name: str, timeout: float = HUB_TIMEOUT_SECONDS) -> str | None:
    """Returns why the Hub model `name` cannot be downloaded now, or None if the Hub serves it.

    One HEAD request for its config.json (at most `timeout` seconds, no retries): a network
    failure means no network; a 401/404 means no such (public) repository.
    """
    import httpx

    if hub_offline():
        if offline_env_set():
            return "HF_HUB_OFFLINE is set"
        return "the Hugging Face Hub is not reachable (found at start-up)"
    url = f"{_endpoint()}/{name}/resolve/main/config.json"
    try:
        response = httpx.head(url, timeout=timeout, follow_redirects=False)
    except httpx.HTTPError as error:
        return f"the Hugging Face Hub ({_endpoint()}) is not reachable ({type(error).__name__})"
    if response.status_code in (401, 403, 404):
        return f"the Hub has no public repository '{name}' with a config.json (HTTP {response.status_code})"
    if response.status_code >= 500:
        return f"the Hugging Face Hub answered HTTP {response.status_code}"
    return None


def hub_hint(reason: str) -> str:
    """What to do about `reason`: the offline options, plus the fix that matches the situation."""
    if "HF_HUB_OFFLINE" in reason:
        return f"{OFFLINE_OPTIONS}; or unset HF_HUB_OFFLINE on a machine with Hub access to download it"
    if "no public repository" in reason:
        return f"check the model id, or {OFFLINE_OPTIONS}"
    return (f"{OFFLINE_OPTIONS}; or run where huggingface.co is reachable "
            "(the flan-t5-base preset downloads about 1.5 GB)")


def ensure_downloadable(name: str, kind: str) -> None:
    """Raises one-line UserError within seconds if the Hub id `name` is neither cached nor downloadable."""
    if looks_local(name) or name.startswith("builtin:") or is_cached(name):
        return
    reason = probe_model(name)
    if reason:
        raise UserError(f"cannot load {kind} '{name}': it is not in the local cache and {reason}; {hub_hint(reason)}")


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
    checkpoints = (PROJECT_ROOT / "checkpoints").resolve()
    try:
        return Path(name).resolve().is_relative_to(checkpoints)
    except (OSError, ValueError):
        return False


def gpu_has_native_bf16() -> bool:
    """True on a GPU that computes bf16 in hardware (Ampere or newer), not by emulation (a T4)."""
    import torch

    return torch.cuda.is_available() and torch.cuda.is_bf16_supported(including_emulation=False)


def cpu_has_native_bf16() -> bool:
    """True on a CPU with bf16 instructions (AVX512-BF16 or AMX), where oneDNN's bf16 matmuls are fast."""
    import torch

    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and check() for check in checks)


def resolve_dtype(dtype: str) -> torch.dtype:
    """float32 unless bf16 was asked for, or `auto` where bf16 is native: a GPU, or a CPU without a GPU.

    With bf16 weights a PPO step on the flan-t5 shapes runs 1.6-1.9x faster on a CPU with
    AVX512-BF16 than in float32, and the tiny learning task learns as well over 30 seeds
    (benchmarks/README.md).
    """
    import torch

    if dtype == "bfloat16":
        return torch.bfloat16
    if dtype == "auto" and (gpu_has_native_bf16() or (not torch.cuda.is_available() and cpu_has_native_bf16())):
        return torch.bfloat16
    return torch.float32


def _explain(name: str, kind: str, error: Exception) -> UserError:
    if Path(name).exists():
        return UserError(f"could not load {kind} from local folder '{name}': {str(error).splitlines()[0]}")
    if looks_local(name):
        return UserError(f"{kind} '{name}' not found: no such local folder")
    reason = probe_model(name, timeout=HUB_TIMEOUT_SECONDS) or "the download failed"
    return UserError(f"cannot load {kind} '{name}': {reason}; {hub_hint(reason)}")


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


def load_classifier(name: str, dtype: str = "auto"):
    """Returns (model, tokenizer) for a sequence classifier, in eval mode and frozen."""
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
        ensure_downloadable(name, "reward model")
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


def check_adapter_folder(adapter: str) -> None:
    """Refuses a local adapter folder without `adapter_model.safetensors`: a pickle-only adapter
    (`adapter_model.bin`) can run code when loaded, so it is never read."""
    path = Path(adapter)
    if path.is_dir() and not (path / "adapter_model.safetensors").is_file():
        found = "only a pickle adapter_model.bin, which is refused (pickles can run code)" if (
            path / "adapter_model.bin").is_file() else "no adapter_model.safetensors"
        raise UserError(f"adapter folder {adapter} holds {found}; convert it to safetensors "
                        "(save_pretrained(..., safe_serialization=True)) or leave --adapter empty")
