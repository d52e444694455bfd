"""The models every visitor shares: one summarizer + reward model per base model, trained runs'
adapters loaded into it by name (no click reloads weights), and the independent judge.

torch, transformers and peft load with the first `Models`, never on import: `python app.py`
answers in seconds and shows a loading state meanwhile.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from rlhf_core.config import Config, EvalConfig
from rlhf_core.errors import UserError
from rlhf_core.training.runs import RunDir

if TYPE_CHECKING:
    from rlhf_core.evaluation.judge import Judge


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
        # run folder -> (adapter name, checkpoint mtime), least recently used first (RLHF_MAX_ADAPTERS kept)
        self._adapters: OrderedDict[Path, tuple[str, float]] = OrderedDict()
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
        """Returns the adapter name of `run`'s latest checkpoint, loading it the first time; beyond
        RLHF_MAX_ADAPTERS loaded runs, the least recently used one is unloaded (never this one).

        Hold `lock` from this call until the adapter's last use: another visitor's call may unload it."""
        from .limits import limits

        most = limits().max_adapters
        folder = run.checkpoint_dir()
        if folder is None:
            raise UserError(f"run {run.path.name} has no checkpoint yet; train at least one step first")
        version = (folder / "trainer_state.json").stat().st_mtime
        key = run.path.resolve()
        with self.lock:
            known = self._adapters.get(key)
            if known and known[1] == version:
                self._adapters.move_to_end(key)
                return known[0]
            if known:
                name = known[0]
            else:
                name, self._counter = f"run{self._counter}", self._counter + 1
            self.summarizer.load_adapter(name, folder)
            self._adapters[key] = (name, version)
            self._adapters.move_to_end(key)
            while len(self._adapters) > most:
                _, (old, _) = self._adapters.popitem(last=False)  # `key` is the newest: never this one
                self.summarizer.unload_adapter(old)
            return name

    def loaded_runs(self) -> list[Path]:
        """The run folders whose adapters are loaded, least recently used first."""
        with self.lock:
            return list(self._adapters)

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


def forget_run(run: Path) -> None:
    """Drops a (deleted) run's adapter from every loaded model."""
    with _MODELS_LOCK:
        loaded = list(_MODELS.values())
    for models in loaded:
        models.forget(run)
