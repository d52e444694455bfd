"""What the app serves, without any UI: shared models, runs, before/after, your dialogue, limits.

Every Gradio handler in `app.py` is a thin call into this module, and tests call it directly
(tests/test_serving.py). Its neighbours: `jobs.py` (the training thread), `hub.py` (Hub probes,
offline mode), `diagnostics.py` (KL and finiteness checks).

- `startup()` loads the configured preset's models once (env `RLHF_PRESET`), or, when they cannot
  be loaded (no Hub, not cached), the first offline preset of `FALLBACK_PRESETS`, and says why.
- `models_for(config)` returns the one `Models` (summarizer + reward model) per base model; every
  visitor shares it, and trained runs' adapters are loaded into it by name, so no click reloads
  weights.
- `JOBS` is the server's single training job (`jobs.JobManager`); `start_training(settings)`
  checks the settings against the limits and starts it.
- Limits for a public host come from env vars (`RLHF_MAX_STEPS`, `RLHF_MAX_BATCH_SIZE`,
  `RLHF_MAX_EVAL_SAMPLES`) and are enforced here, with messages that name the variable.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from rlhf_core.config import Config, EvalConfig, get_config, list_presets
from rlhf_core.data.text_input import clean_dialogue
from rlhf_core.errors import UserError
from rlhf_core.evaluation.pareto import evaluation_point  # noqa: F401  (re-exported for the app's Pareto view)
from rlhf_core.evaluation.text_diff import word_diff
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
from rlhf_core.training.diagnostics import clean_stats, kl_warning  # noqa: F401  (re-exported for the app)
from rlhf_core.training.runs import RunDir, delete_run, holder_pid, list_runs, read_json, run_path, runs_root

from .examples import unknown_share
from .jobs import (  # noqa: F401  (the job states, re-exported for the app)
    ACTIVE_STATES,
    DONE,
    FAILED,
    IDLE,
    LOADING,
    RUNNING,
    STOPPING,
    JobManager,
    JobSnapshot,
    new_run_name,
)
from .limits import (  # noqa: F401  (re-exported for the app)
    Limits,
    TrainSettings,
    default_settings,
    limits,
    training_config,
    whole_number,
)

if TYPE_CHECKING:
    from rlhf_core.evaluation.judge import Judge
    from rlhf_core.models.summarizer import Summary

# torch, transformers and peft load with the models (`startup()`, in the background for the app),
# never on import: `python app.py` answers in seconds and shows a loading state meanwhile.

log = logging.getLogger(__name__)

DEFAULT_PRESET = "flan-t5-base"
# Offline presets to fall back on, best first; names missing from list_presets() are skipped.
FALLBACK_PRESETS = ["demo", "tiny"]


# --------------------------------------------------------------------------------------------
# Models: loaded once, shared by every visitor
# --------------------------------------------------------------------------------------------


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


class Models:
    """A Summarizer (policy + reward model) shared by all visitors, plus trained runs' adapters.

    `lock` serialises whole operations (a comparison, an evaluation): the Summarizer's own lock
    covers single calls, but evaluation swaps the shared `after` adapter between two of them.
    """

    def __init__(self, config: Config):
        from rlhf_core.models.reward import RewardModel
        from rlhf_core.models.summarizer import Summarizer

        self.config = config
        self.summarizer = Summarizer(config, RewardModel.from_config(config.reward))
        self.lock = threading.RLock()
        self._adapters: dict[Path, tuple[str, float]] = {}  # run folder -> (adapter name, checkpoint mtime)
        self._counter = 0
        self._judges: dict[tuple, Judge | str] = {}  # (judge, label, max_length) -> loaded Judge or why it failed

    def judge(self, cfg: EvalConfig) -> tuple[Judge | None, str | None]:
        """Returns (the run's independent judge, loaded once and shared, or None; why it is missing).

        A judge that cannot be loaded (no Hub, not cached) does not block the evaluation: it runs
        on the reward model alone and the report says why there is no judge.
        """
        from rlhf_core.evaluation.judge import Judge

        if not cfg.judge:
            return None, None
        key = (cfg.judge, cfg.judge_label, cfg.judge_max_length)
        with self.lock:
            if key not in self._judges:
                try:
                    self._judges[key] = Judge.from_config(cfg, self.config.reward.dtype).to(self.summarizer.device)
                except UserError as error:
                    self._judges[key] = str(error)
            found = self._judges[key]
        return (found, None) if isinstance(found, Judge) else (None, found)

    def adapter_for(self, run: RunDir) -> str:
        """Returns the adapter name of `run`'s latest checkpoint, loading it the first time."""
        folder = run.checkpoint_dir()
        if folder is None:
            raise UserError(f"run {run.path.name} has no checkpoint yet; train at least one step first")
        version = (folder / "trainer_state.json").stat().st_mtime
        key = run.path.resolve()
        with self.lock:
            known = self._adapters.get(key)
            if known and known[1] == version:
                return known[0]
            if known:
                name = known[0]
            else:
                name, self._counter = f"run{self._counter}", self._counter + 1
            self.summarizer.load_adapter(name, folder)
            self._adapters[key] = (name, version)
            return name

    def forget(self, run: Path) -> None:
        """Drops a run's adapter from memory (after the run is deleted)."""
        with self.lock:
            known = self._adapters.pop(Path(run).resolve(), None)
            if known:
                self.summarizer.unload_adapter(known[0])


_MODELS: dict[tuple, Models] = {}
_MODELS_LOCK = threading.Lock()


def _models_key(config: Config) -> tuple:
    m, r = config.model, config.reward
    return (m.policy, m.adapter, m.max_prompt_tokens, m.dtype, r.model, r.text, r.dtype, config.data.prompt_template)


def models_for(config: Config, load: bool = True) -> Models | None:
    """Returns the shared Models for `config`'s base model, loading them on first use (or None if `load` is False)."""
    key = _models_key(config)
    with _MODELS_LOCK:
        if key not in _MODELS:
            if not load:
                return None
            _MODELS[key] = Models(config)
        return _MODELS[key]


@dataclass
class Startup:
    """Which models the app runs on, and why (the banner)."""

    requested: str
    preset: str
    models: Models
    problems: list[str] = field(default_factory=list)
    offline: bool = False

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
    for index, preset in enumerate(candidates):
        missing = preset_problems(preset)
        if missing:
            problems.append(f"preset {preset!r} is not available: {'; '.join(missing)}")
            continue
        return StartupPlan(requested, preset, problems, candidates[index:])
    return StartupPlan(requested, None, problems, [])


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
        return Startup(requested, preset, models, problems, hub_offline())
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

    thread = threading.Thread(target=load, name="rlhf-startup", daemon=True)
    thread.start()
    return thread


def loaded_startup() -> Startup | None:
    """The server's models if they are loaded, else None (without waiting or loading)."""
    return _STARTUP


def startup_error() -> str | None:
    """Why the models could not be loaded, or None (not tried yet, loading, or loaded)."""
    return _STARTUP_ERROR


# --------------------------------------------------------------------------------------------
# The training job: one at a time for the whole server (jobs.py)
# --------------------------------------------------------------------------------------------


def _ready_for_your_dialogue(config: Config, run: RunDir) -> None:
    """After a run: loads its adapter into the shared models (if loaded), so "Your dialogue" has it at once."""
    models = models_for(config, load=False)
    if models is not None:
        models.adapter_for(run)


JOBS = JobManager(on_done=_ready_for_your_dialogue)


def start_training(settings: TrainSettings, owner: str | None = None,
                   label: str | None = None) -> tuple[bool, JobSnapshot]:
    """Starts a run with `settings` (within this server's limits), named after its preset and the
    visitor's `label`; (False, snapshot) if one is running.

    Raises UserError for settings outside the limits, before anything starts.
    """
    return JOBS.start(training_config(settings), owner, label)


def stop_training(viewer: str | None = None) -> JobSnapshot:
    """Stops the running job after its current step; on a public server (RLHF_PUBLIC=1) only for
    the visitor session that started it (UserError for anyone else)."""
    return JOBS.stop(viewer, owner_only=limits().public)


# --------------------------------------------------------------------------------------------
# Runs on disk
# --------------------------------------------------------------------------------------------


@dataclass
class RunInfo:
    """A saved run as the app lists it."""

    name: str
    path: Path
    config: Config
    metrics: list[dict]
    steps_done: int
    has_checkpoint: bool
    evaluation: dict | None
    created: float
    training: bool


def runs() -> list[RunInfo]:
    """Returns the saved runs under runs_root(), newest first; unreadable folders are skipped."""
    active = JOBS.snapshot()
    infos = []
    for run in list_runs(runs_root()):
        try:
            config = run.config()
            eval_file = run.path / "eval.json"
            evaluation = read_json(eval_file) if eval_file.is_file() else None
            if not isinstance(evaluation, dict) or not isinstance(evaluation.get("toxicity", {}), dict):
                evaluation = None
            state = run.load_state()
            metrics = clean_stats(run.metrics())
        except (UserError, ValueError, OSError) as error:  # one malformed folder never breaks the list
            log.warning("skipping unreadable run %s: %s", run.path, error)
            continue
        infos.append(RunInfo(
            name=run.path.name, path=run.path, config=config, metrics=metrics,
            steps_done=int(state["step"]) if state else 0, has_checkpoint=state is not None,
            evaluation=evaluation, created=(run.path / "config.json").stat().st_mtime,
            training=(active.active and active.run_name == run.path.name) or holder_pid(run.path) is not None,
        ))
    return infos


def finished_run_names() -> list[str]:
    """Names of the runs that can serve as "after": a checkpoint, and not training now."""
    return [r.name for r in runs() if r.has_checkpoint and not r.training]


# Runs shorter than this barely moved the policy: "after" reads like "before" (the picker says so).
MIN_USEFUL_STEPS = 10


@dataclass
class RunChoice:
    """A finished run as an "after" picker offers it."""

    name: str
    steps_done: int
    total_steps: int
    algorithm: str
    toxicity_change: float | None  # relative change of the share flagged toxic (headline figure), if evaluated
    evaluated: bool

    @property
    def too_short(self) -> bool:
        return self.steps_done < MIN_USEFUL_STEPS

    @property
    def label(self) -> str:
        """`NAME · 50/50 steps · PPO · evaluated, toxicity -62%` (or `not evaluated`, `too short`)."""
        parts = [self.name, f"{self.steps_done}/{self.total_steps} steps", self.algorithm]
        if self.evaluated:
            parts.append("evaluated" + (f", flagged toxic {100 * self.toxicity_change:+.0f}%"
                                        if self.toxicity_change is not None else ""))
        else:
            parts.append("not evaluated")
        if self.too_short:
            parts.append("too short to mean much")
        return " · ".join(parts)


def _algorithm(config: Config) -> str:
    return str(getattr(config, "algorithm", None) or "ppo").upper()


def after_run_choices() -> list[RunChoice]:
    """The runs that can serve as "after" (a checkpoint, not training now), newest first."""
    choices = []
    for info in runs():
        if not info.has_checkpoint or info.training:
            continue
        change = None
        if info.evaluation:
            from rlhf_core.evaluation.report import headline_toxicity

            try:
                headline = headline_toxicity(info.evaluation)
            except (AttributeError, TypeError):  # an evaluation.json from an older format
                headline = None
            change = headline[1].get("flagged_relative_change") if headline else None
        choices.append(RunChoice(info.name, info.steps_done, info.config.steps, _algorithm(info.config),
                                 change, info.evaluation is not None))
    return choices


def best_after_run(choices: list[RunChoice]) -> str | None:
    """The default "after": the evaluated run that cut toxicity most, among runs long enough to mean
    something; else the newest such run; else the newest run."""
    useful = [c for c in choices if not c.too_short]
    evaluated = [c for c in useful if c.toxicity_change is not None]
    if evaluated:
        return min(evaluated, key=lambda c: c.toxicity_change).name
    pool = useful or choices
    return pool[0].name if pool else None


def evaluation_csv(name: str | None) -> Path | None:
    """The per-dialogue CSV of the run's last evaluation, or None."""
    if not name:
        return None
    path = run_path(name) / "eval_samples.csv"
    return path if path.is_file() else None


def _finished_run(name: str) -> RunDir:
    if not name:
        raise UserError("pick a trained run first (train one in the Train tab)")
    run = RunDir(run_path(name))
    if not run.exists():
        raise UserError(f"no run named {name!r} (it may have been deleted); refresh the list")
    snap = JOBS.snapshot()
    if (snap.active and snap.run_name == name) or holder_pid(run.path) is not None:
        raise UserError(f"run {name} is still training; pick it when it has finished")
    if run.checkpoint_dir() is None:
        raise UserError(f"run {name} has no checkpoint; it stopped before its first step")
    return run


def delete(name: str) -> None:
    """Deletes a saved run (not the one training now) and drops its adapter from memory.
    Turned off on a public server (RLHF_PUBLIC=1): any visitor could delete anyone's work."""
    if limits().public:
        raise UserError("deleting runs is turned off on this public server (RLHF_PUBLIC=1)")
    snap = JOBS.snapshot()
    if snap.active and snap.run_name == name:
        raise UserError(f"run {name} is training now; stop it first, then delete it")
    path = run_path(name)
    delete_run(name, runs_root())
    with _MODELS_LOCK:
        loaded = list(_MODELS.values())
    for models in loaded:
        models.forget(path)


# --------------------------------------------------------------------------------------------
# Before vs after
# --------------------------------------------------------------------------------------------


@dataclass
class Evaluation:
    """A run's evaluation report (evaluation.compare's dict) and per-dialogue table."""

    run_name: str
    report: dict
    table: pd.DataFrame


def evaluate(name: str, samples: int) -> Evaluation:
    """Evaluates a finished run on its test split with the shared models (writes eval.json)."""
    run = _finished_run(name)
    lim = limits()
    samples = whole_number(samples, "samples")
    if not 1 <= samples <= lim.max_eval_samples:
        raise UserError(f"samples must be between 1 and {lim.max_eval_samples} on this server "
                        f"(got {samples}; limit set by RLHF_MAX_EVAL_SAMPLES)")
    from rlhf_core.evaluation.evaluate import evaluate_run

    models = models_for(run.config())
    with models.lock:
        judge, problem = models.judge(run.config().eval)
        report, table = evaluate_run(run.path, samples, summarizer=models.summarizer, judge=judge or False,
                                     judge_problem=problem)
    return Evaluation(name, report, table)


def saved_evaluation(name: str) -> Evaluation | None:
    """Returns the run's last saved evaluation, or None if it was never evaluated."""
    run = RunDir(run_path(name))
    report_file, table_file = run.path / "eval.json", run.path / "eval_samples.json"
    if not (report_file.is_file() and table_file.is_file()):
        return None
    try:
        report, table = read_json(report_file), pd.DataFrame(read_json(table_file))
    except (UserError, ValueError) as error:
        log.warning("ignoring the damaged evaluation of run %s: %s", name, error)
        return None
    return Evaluation(name, report, table) if isinstance(report, dict) else None


# --------------------------------------------------------------------------------------------
# Your dialogue
# --------------------------------------------------------------------------------------------


@dataclass
class DialogueComparison:
    """Summaries of one dialogue before and (if a run is picked) after RLHF, with scores."""

    before: Summary
    after: Summary | None
    after_run: str | None
    truncated: bool
    max_prompt_tokens: int
    unknown_share: float = 0.0  # share of the dialogue's words the policy's tokenizer does not know
    toxic_words: set[str] = field(default_factory=set)  # words of either summary the reward model flags

    def diff(self) -> tuple[list[tuple[str, str | None]], list[tuple[str, str | None]]]:
        """Word-level before/after diff with toxic words marked (text_diff.word_diff)."""
        return word_diff(self.before.text, self.after.text if self.after else None, self.toxic_words)


def compare_dialogue(text: str, run_name: str | None = None) -> DialogueComparison:
    """Summarises `text` with the starting policy and with `run_name`'s adapter (if given)."""
    from rlhf_core.models.summarizer import BEFORE

    dialogue = clean_dialogue(text)
    if run_name:
        run = _finished_run(run_name)
        models = models_for(run.config())
        adapter = models.adapter_for(run)
    else:
        models, adapter = startup().models, None
    with models.lock:
        summarizer = models.summarizer
        truncated = summarizer.is_truncated(dialogue)
        texts = summarizer.summarize([dialogue], BEFORE)
        if adapter:
            texts += summarizer.summarize([dialogue], adapter)
        scored = summarizer.score([dialogue] * len(texts), texts)
        flagged = (summarizer.reward_model.toxic_words(texts)
                   if summarizer.reward_model is not None else set())
        unknown = unknown_share(summarizer.tokenizer, dialogue)
    return DialogueComparison(
        before=scored[0], after=scored[1] if adapter else None, after_run=run_name or None,
        truncated=truncated, max_prompt_tokens=models.config.model.max_prompt_tokens,
        unknown_share=unknown, toxic_words=flagged,
    )
