"""Hugging Face Hub access: the reachability probe, offline mode, timeouts and the allowlist.
Shared by the CLI, the app and the prep commands; models themselves load in `loading.py`.

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

from ..errors import UserError
from ..paths import PROJECT_ROOT

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
