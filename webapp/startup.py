"""Which models the server runs on: the configured preset (env `RLHF_PRESET`) or, when its models
cannot be loaded (no Hub, not cached), the first offline preset of `FALLBACK_PRESETS`, and why.

`startup_plan()` decides in seconds without loading a model (the page's banner); `start_loading()`
loads the plan's models in the background, once for the whole server (`startup()`). The plan also
warns when an NVIDIA GPU is present but torch cannot use it (`gpu_problem`): a CUDA 13 build of torch
on a driver older than 580 would otherwise train on the CPU without a word.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path

from rlhf_core.config import get_config, list_presets
from rlhf_core.errors import UserError
from rlhf_core.models.hub import (
    check_allowed,
    go_offline,
    hub_offline,
    hub_reachable,
    is_cached,
    limit_hub_timeouts,
    looks_local,
    probe_model,
)

from .shared_models import Models, models_for

log = logging.getLogger(__name__)

DEFAULT_PRESET = "flan-t5-base"
# Offline presets to fall back on, best first; names missing from list_presets() are skipped.
FALLBACK_PRESETS = ["demo", "tiny"]

NVIDIA_DRIVER_FILE = Path("/proc/driver/nvidia/version")  # there when an NVIDIA driver is loaded
# The newest PyTorch whose Linux wheel on PyPI is built for CUDA 12 (12.8); from 2.11 on they are CUDA 13.
CUDA12_TORCH = "2.10.0"
# The oldest NVIDIA driver each CUDA major version runs on (NVIDIA's minor version compatibility).
DRIVER_FOR_CUDA = {11: 450, 12: 525, 13: 580}


def model_problem(name: str) -> str | None:
    """Returns why a model cannot be loaded without waiting on the network, or None if it can
    (built in, a local folder, allowed and downloadable online, or in the Hub cache offline)."""
    if name.startswith("builtin:"):
        return None
    if looks_local(name):
        return None if Path(name).is_dir() else f"{name} is missing"
    try:
        check_allowed(name, "model")
    except UserError as error:
        return str(error)
    if is_cached(name):
        return None
    reason = probe_model(name)  # the CLI's probe too: seconds, and it tells offline, no network, no repository apart
    return f"{name} is not in the local cache and {reason}" if reason else None


def preset_problems(preset: str) -> list[str]:
    """Returns why the preset's policy, reward model or local data cannot be loaded now (empty if they can)."""
    cfg = get_config(preset)
    problems = [p for p in (model_problem(cfg.model.policy), model_problem(cfg.reward.model)) if p]
    data = cfg.data.dataset
    if looks_local(data) and not data.startswith("builtin:") and not Path(data).exists():
        problems.append(f"{data} is missing")
    return problems


def preset_available(preset: str) -> bool:
    """True if the preset's models and local data can be loaded without waiting on the network."""
    return not preset_problems(preset)


def available_presets() -> list[str]:
    """The presets whose models can be loaded on this server now, in list_presets() order."""
    return [p for p in list_presets() if preset_available(p)]


def nvidia_driver() -> str | None:
    """Returns the loaded NVIDIA driver's version ('535.104.05'; '' if unreadable), or None without one."""
    try:
        found = re.search(r"Kernel Module(?: for \S+)?\s+(\d+(?:\.\d+)+)", NVIDIA_DRIVER_FILE.read_text())
        return found.group(1) if found else ""
    except OSError:
        pass
    try:
        done = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                              capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return (done.stdout.split() or [""])[0] if done.returncode == 0 else None


def cuda_fix(torch_version: str, torch_cuda: str | None, driver: str) -> str:
    """One line: why torch cannot use the NVIDIA GPU that is present (driver `driver`), and the fix."""
    gpu = f"An NVIDIA GPU is present (driver {driver})" if driver else "An NVIDIA GPU is present"
    cuda12 = f"`pip install torch=={CUDA12_TORCH}` (the CUDA 12.8 build, for NVIDIA drivers 525 and newer)"
    if not torch_cuda:
        return f"{gpu} but PyTorch {torch_version} is a CPU-only build, so everything runs on the CPU: run {cuda12}"
    cuda_major = int(torch_cuda.split(".")[0])
    needed = DRIVER_FOR_CUDA.get(cuda_major, 0)
    driver_major = int(driver.split(".")[0]) if driver[:1].isdigit() else 0
    why = (f"{gpu} but PyTorch {torch_version} (built for CUDA {torch_cuda}) cannot start CUDA, so everything runs "
           "on the CPU")
    if driver_major >= needed:
        return (f"{why}: check that this process may use the GPU (CUDA_VISIBLE_DEVICES, the container's GPU access); "
                "`python -c 'import torch; torch.cuda.init()'` says why")
    if cuda_major >= 13:
        return f"{why}: CUDA {torch_cuda} needs NVIDIA driver {needed} or newer. Run {cuda12}, or update the driver"
    return f"{why}: CUDA {torch_cuda} needs NVIDIA driver {needed} or newer; update the driver"


def gpu_problem() -> str | None:
    """Returns one line saying why an NVIDIA GPU that is present goes unused, and the fix; None when torch
    uses it, when there is none, or when CUDA_VISIBLE_DEVICES hides it on purpose."""
    if os.environ.get("CUDA_VISIBLE_DEVICES", "unset").strip() in ("", "-1"):
        return None
    driver = nvidia_driver()
    if driver is None:
        return None
    import torch  # only on a machine with an NVIDIA driver, where the models need it next anyway

    if torch.cuda.is_available():
        return None
    return cuda_fix(torch.__version__, torch.version.cuda, driver)


@dataclass
class Startup:
    """Which models the app runs on, and why (the banner)."""

    requested: str
    preset: str
    models: Models
    problems: list[str] = field(default_factory=list)
    offline: bool = False
    warnings: list[str] = field(default_factory=list)  # shown whatever the preset (a GPU left unused)

    @property
    def fell_back(self) -> bool:
        return self.preset != self.requested


@dataclass
class StartupPlan:
    """The preset the app will load, and why, decided in seconds without loading a model."""

    requested: str
    preset: str | None
    problems: list[str] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)  # `preset` and the fallbacks after it
    warnings: list[str] = field(default_factory=list)  # shown whatever the preset (a GPU left unused)

    @property
    def fell_back(self) -> bool:
        return self.preset != self.requested


def plan_startup(preferred: str | None = None) -> StartupPlan:
    """Picks the preferred preset (env `RLHF_PRESET`), or the first fallback whose files are there."""
    limit_hub_timeouts()
    requested = preferred or os.environ.get("RLHF_PRESET", "").strip() or DEFAULT_PRESET
    presets = list_presets()
    problems: list[str] = []
    if requested not in presets:
        problems.append(f"unknown preset {requested!r} (RLHF_PRESET); presets: {', '.join(presets)}")
    if not hub_offline() and not hub_reachable():
        go_offline()
        problems.append("the Hugging Face Hub is not reachable, so only cached and shipped models can be used")
    candidates = [requested] if requested in presets else []
    candidates += [p for p in FALLBACK_PRESETS if p in presets and p not in candidates]
    warnings = [w for w in [gpu_problem()] if w]
    for index, preset in enumerate(candidates):
        missing = preset_problems(preset)
        if missing:
            problems.append(f"preset {preset!r} is not available: {'; '.join(missing)}")
            continue
        return StartupPlan(requested, preset, problems, candidates[index:], warnings)
    return StartupPlan(requested, None, problems, [], warnings)


def load_startup(preferred: str | None = None, plan: StartupPlan | None = None) -> Startup:
    """Loads the planned preset's models, or the next loadable fallback; raises UserError if none loads."""
    plan = plan or plan_startup(preferred)
    requested, problems = plan.requested, list(plan.problems)
    for preset in plan.candidates:
        config = get_config(preset)
        try:
            models = models_for(config)
        except UserError as error:
            problems.append(f"preset {preset!r} could not be loaded: {error}")
            continue
        except Exception as error:  # a broken download or folder must not take the demo down
            log.exception("loading preset %s failed", preset)
            problems.append(f"preset {preset!r} could not be loaded: {type(error).__name__}: {error}")
            continue
        return Startup(requested, preset, models, problems, hub_offline(), plan.warnings)
    raise UserError("no preset could be loaded: " + "; ".join(problems))


def share_cpu() -> None:
    """Without a GPU, gives torch half the cores (at least one), leaving the rest to the web server.

    Two torch threads on a busy two-core machine wait on each other and stall every request;
    OMP_NUM_THREADS, when set, wins.
    """
    import torch

    if not torch.cuda.is_available() and "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(max(1, (os.cpu_count() or 2) // 2))


_STARTUP: Startup | None = None
_STARTUP_LOCK = threading.Lock()
_PLAN: StartupPlan | None = None
_PLAN_LOCK = threading.Lock()
_STARTUP_ERROR: str | None = None


def startup_plan() -> StartupPlan:
    """The server's start-up plan (which preset, and why), decided once without loading models."""
    global _PLAN
    with _PLAN_LOCK:
        if _PLAN is None:
            _PLAN = plan_startup()
        return _PLAN


def startup() -> Startup:
    """Returns the server's models, loading them on the first call only."""
    global _STARTUP, _STARTUP_ERROR
    with _STARTUP_LOCK:
        if _STARTUP is None:
            share_cpu()
            try:
                _STARTUP = load_startup(plan=startup_plan())
            except UserError as error:
                _STARTUP_ERROR = str(error)
                raise
        return _STARTUP


def start_loading() -> threading.Thread:
    """Loads the server's models in a background thread (the page is up meanwhile); returns the thread."""

    def load():
        try:
            startup()
        except Exception:  # the banner shows the error; requests that need models raise it again
            log.exception("loading the models failed")
        from .run_list import runs

        try:
            runs()  # fills the run index: the first visitor's list does not parse every saved run
        except Exception:  # the first listing will try again and say what is wrong
            log.exception("listing the saved runs failed")

    thread = threading.Thread(target=load, name="rlhf-startup", daemon=True)
    thread.start()
    return thread


def loaded_startup() -> Startup | None:
    """The server's models if they are loaded, else None (without waiting or loading)."""
    return _STARTUP


def startup_error() -> str | None:
    """Why the models could not be loaded, or None (not tried yet, loading, or loaded)."""
    return _STARTUP_ERROR
