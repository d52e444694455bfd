"""Training runs: a generator of PPO steps (`iter_train`) and a thin `train` loop over it.

The generator is the one interface every consumer shares: the CLI's progress bar, the app's
live charts (from a background thread), and tests. It can be stopped with a `threading.Event`:
between steps, or inside one (`stop_check`), whose unfinished work is then dropped. It writes each
step to the run directory as it goes, and resumes from the last checkpoint so that a resumed run
repeats an uninterrupted one step for step.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..algorithms.ppo_trainer import PPOTrainer
from ..algorithms.rollout import RolloutTrainer, StepStopped
from ..config import Config, prompts_per_step, validate
from ..data.dialogues import build_dataset, fidelity_references
from ..errors import UserError
from ..models.loading import check_adapter_folder
from ..models.policy import build_policy
from ..models.precision import gpu_has_native_bf16
from ..models.reward import Reward, RewardFn, RewardModel, term_weights
from ..models.threads import use_cpu_threads
from .diagnostics import check_finite, check_finite_weights
from .runs import RunDir
from .tracking import make_trackers, tracker_config

SAMPLES_PER_STEP = 3


@dataclass
class StepResult:
    """One finished PPO step: its number, the run length, TRL-named stats, and a few samples."""

    step: int
    total_steps: int
    stats: dict[str, float]
    samples: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def batch_indices(n: int, batch_size: int, step: int, seed: int, rank: int = 0, world: int = 1) -> list[int]:
    """Returns the dataset rows of `step` (1-based): a seeded reshuffle every epoch, a slice per rank."""
    start = (step - 1) * batch_size * world + rank * batch_size
    rows = []
    for position in range(start, start + batch_size):
        epoch, offset = divmod(position, n)
        rows.append(int(np.random.default_rng([seed, epoch]).permutation(n)[offset]))
    return rows


def max_new_tokens_for(step: int, seed: int, low: int, high: int) -> int:
    """The lab's length sampler: each step draws max_new_tokens uniformly from [low, high]."""
    return int(np.random.default_rng([seed, step, 7]).integers(low, high + 1))


def make_trainer(config: Config, policy, tokenizer, reward: Reward, accelerator=None) -> RolloutTrainer:
    """Returns the trainer of `config.algo`: PPOTrainer, or CriticFreeTrainer for rloo/grpo."""
    if config.algo == "ppo":
        return PPOTrainer(config, policy, tokenizer, reward, accelerator)
    from ..algorithms.critic_free_trainer import CriticFreeTrainer

    return CriticFreeTrainer(config, policy, tokenizer, reward, accelerator)


def make_accelerator(config: Config):
    """Returns the run's Accelerator; `_train_steps` adds the `report_to` trackers once it holds the run folder."""
    from accelerate import Accelerator

    cuda = torch.cuda.is_available()
    precision = config.mixed_precision
    if precision == "auto":
        precision = "bf16" if gpu_has_native_bf16() else "no"
    return Accelerator(cpu=not cuda, mixed_precision=precision)


def stop_check(cancel: threading.Event | None, on_disk: bool, world: int) -> Callable[[bool], bool] | None:
    """The trainer's `stop_requested` for one step: ends the step as soon as `cancel` is set, while the
    weights are still the last finished step's, or even once the update has begun if that step is
    on disk (`on_disk`: its checkpoint is the one kept; the half-updated weights are never saved).
    Never with several processes: one leaving a step alone would hang the others' collectives."""
    if cancel is None or world > 1:
        return None
    return lambda updated: cancel.is_set() and (on_disk or not updated)


# Settings a resumed run may change: they do not alter what the run learns from or how.
RESUMABLE = {"steps", "save_every", "eval.samples", "eval.max_new_tokens", "eval.do_sample", "eval.seed",
             "eval.bootstrap", "eval.batch_size", "optim.forward_batch_size", "optim.micro_batch_size",
             "generation.batch_size", "generation.encoder_batch_size", "report_to", "tracker_project", "cpu_threads"}


def _resumable(saved: Config, requested: Config, status: Callable[[str], None]) -> Config:
    """Returns the config to resume with: `requested` if it only changes RESUMABLE settings of the
    saved run (each one reported), else raises UserError listing the refused changes."""
    from ..config.describe import changed_settings

    changes = changed_settings(saved, requested)
    refused = {k: v for k, v in changes.items() if k not in RESUMABLE}
    if refused:
        listed = ", ".join(f"{k}={new!r} (the run has {old!r})" for k, (old, new) in refused.items())
        raise UserError(f"cannot resume with changed settings: {listed}; they would change what the run learns; "
                        "drop those flags, or start a new --run-dir")
    if changes:
        status("resuming with " + ", ".join(f"{k}={new!r} (was {old!r})" for k, (old, new) in changes.items()))
    return requested


def iter_train(
    config: Config,
    run_dir: str | Path | None = None,
    reward_fn: RewardFn | None = None,
    resume: bool = False,
    cancel: threading.Event | None = None,
    on_status: Callable[[str], None] | None = None,
) -> Iterator[StepResult]:
    """Yields a StepResult after every PPO step until `config.steps` or until `cancel` is set.

    With `run_dir`, writes config.json, metrics.jsonl, samples.jsonl and checkpoints there.
    `reward_fn(prompts, summaries) -> list[float]` replaces the reward model (custom rewards).
    """
    status = on_status or (lambda message: None)
    if run_dir is not None and not str(run_dir).strip():
        raise UserError("the run directory is empty: pass a folder (--run-dir DIR), or None to keep nothing")
    run = RunDir(run_dir) if run_dir is not None else None
    if run and resume:
        config = _resumable(run.config(), config, status)
    validate(config)
    if config.model.adapter:
        check_adapter_folder(config.model.adapter)
    if run and not resume:
        run.check_new()
    accelerator = make_accelerator(config)
    is_main = accelerator.is_main_process
    # The lock (and the folder) before any model loads: an unwritable folder or a second process on
    # the same run fails in a second; the lock is held until this generator ends, however it ends.
    created = run is not None and not run.path.exists()
    lock = run.lock() if run and is_main else None
    try:
        yield from _train_steps(config, run, reward_fn, resume, cancel, status, accelerator)
    finally:
        for tracker in accelerator.trackers:  # flush and close: a stopped or failed run keeps its curves
            tracker.finish()
        if lock is not None:
            lock.release()
            if created and not any(run.path.iterdir()):  # a run that failed to start leaves nothing behind
                run.path.rmdir()


def _train_steps(config, run, reward_fn, resume, cancel, status, accelerator) -> Iterator[StepResult]:
    is_main = accelerator.is_main_process
    if run and is_main and not resume:  # again, now that we hold the lock (two starts raced to the folder)
        run.check_new()
    if run and resume:
        # A damaged or incomplete checkpoint state fails now, before the models load; so does a step count
        # below the checkpoint's (the run cannot be cut back, and its config must not claim fewer steps).
        saved_step = (run.load_state() or {}).get("step", 0)
        if saved_step > config.steps:
            raise UserError(f"cannot resume {run.path} with steps={config.steps}: its checkpoint is already at step "
                            f"{saved_step}; pass --steps {saved_step} or more, or start a new --run-dir")
        if saved_step == config.steps:
            status(f"the run is already at step {saved_step} of {config.steps}: nothing to train "
                   "(pass a higher --steps to train on)")

    use_cpu_threads(config.cpu_threads)
    status(f"loading policy {config.model.policy}")
    torch.manual_seed(config.seed)
    policy, tokenizer = build_policy(config.model, value_head=config.algo == "ppo")
    reward_source = reward_fn
    if reward_source is None:
        status(f"loading reward model {config.reward.model}")
        reward_source = RewardModel.from_config(config.reward)
    reward = Reward(reward_source, config.reward.text, config.data.prompt_template, term_weights(config.reward),
                    config.reward.toxicity_form)
    status(f"loading data {config.data.dataset}")
    data = build_dataset(config.data, tokenizer, config.model.max_prompt_tokens)["train"]
    world = accelerator.num_processes
    n_prompts = prompts_per_step(config)
    if n_prompts * world > len(data):
        raise UserError(
            f"optim.batch_size={config.optim.batch_size} ({n_prompts} dialogues per step, x{world} processes) is "
            f"larger than the training split ({len(data)} dialogues); lower --batch-size or use more data"
        )
    trainer = make_trainer(config, policy, tokenizer, reward, accelerator)
    references = config.data.summary_column is not None

    start_step = 0
    if run and resume:
        state = run.load_checkpoint(trainer.unwrapped, trainer.optimizer)
        if state:
            try:
                trainer.load_state_dict(state)  # what the trainer carries across steps (PPO: its KL controller)
            except (KeyError, TypeError, ValueError) as error:
                raise UserError(f"the checkpoint state of {run.path} is damaged ({type(trainer).__name__} state: "
                                f"{error!r}); restore it, or start a new --run-dir") from None
            start_step = int(state["step"])
    if run and is_main:  # only now, once everything loaded: a run that fails to start changes nothing on disk
        run.create(config, resume=resume)
    # Trackers only after the folder exists: TensorBoard's writer makes a folder that would look like an old run.
    accelerator.log_with = make_trackers(config, run.path if run else None)
    if accelerator.log_with:
        accelerator.init_trackers(config.tracker_project, config=tracker_config(config))
    if run and resume:
        if is_main:
            missing = run.truncate_to(start_step)
            if missing:
                status(f"warning: metrics.jsonl has no record of step(s) {', '.join(map(str, missing))} "
                       "(a damaged line was skipped); training goes on, their stats are lost")
        status(f"resuming after step {start_step}")

    trainable, total = trainer.unwrapped.trainable_parameters()
    status(f"training {trainable:,} of {total:,} parameters ({100 * trainable / total:.2f}%) "
           f"on {world} process{'es' if world > 1 else ''} ({accelerator.device})")
    g = config.generation
    last_saved = done = start_step
    for step in range(start_step + 1, config.steps + 1):
        if cancel is not None and cancel.is_set():
            status(f"stopped after step {step - 1}")
            break
        t0 = time.perf_counter()
        # The step's draws (sampling, mini-batch order) come from the trainer's own generators, seeded
        # per step (a resumed run repeats the uninterrupted one): nothing another thread does with
        # torch's global random state (the app evaluating meanwhile) changes them.
        trainer.seed(config.seed * 1_000_003 + step * 1_009 + accelerator.process_index)
        rows = data.select(batch_indices(len(data), n_prompts, step, config.seed, accelerator.process_index, world))
        max_new = max_new_tokens_for(step, config.seed, g.max_new_tokens_min, g.max_new_tokens_max)
        trainer.stop_requested = stop_check(cancel, last_saved == done, world)
        try:
            rollout, stats = trainer.step_from_prompts(rows["input_ids"], rows["prompt"], max_new, rows["dialogue"],
                                                       fidelity_references(rows) if references else None)
            check_finite(stats)
            check_finite_weights(trainer.unwrapped)  # before anything of this step is written
        except FloatingPointError as error:
            kept = (f"the last good checkpoint (step {last_saved}) is kept" if last_saved
                    else "no checkpoint was saved")
            raise UserError(
                f"training stopped at step {step}: {error}; {kept}; "
                "try a lower optim.learning_rate or a higher ppo.init_kl_coef"
            ) from None
        except StepStopped as stopped:
            # Nothing of this step is written; weights the optimizer already changed are not saved
            # (`stop_check` lets the update stop only when the last finished step is on disk).
            kept = f"step {done} is kept" if done and run else "nothing was saved"
            status(f"stopped during step {step}{' (mid-update)' if stopped.updated else ''}: it is dropped, {kept}")
            break
        except torch.OutOfMemoryError:
            raise UserError(
                f"out of memory at step {step} (optim.batch_size={config.optim.batch_size}, "
                f"optim.mini_batch_size={config.optim.mini_batch_size}, max_new_tokens={max_new}); lower "
                "--batch-size, optim.mini_batch_size, generation.batch_size or generation.max_new_tokens_max"
            ) from None
        stats = {"step": step, **stats}
        k = trainer.samples_per_prompt  # rows i*k .. i*k+k-1 answer dialogue i
        samples = [
            {"dialogue": rows["dialogue"][i // k], "summary": rollout.summaries[i], "reward": float(rollout.scores[i])}
            for i in range(min(SAMPLES_PER_STEP, len(rollout.summaries)))
        ]
        accelerator.log({k: v for k, v in stats.items() if k != "step"}, step=step)
        if run and is_main:
            # Metrics first: a kill before the checkpoint lands makes resume redo (and rewrite) this step.
            run.append_metrics(stats)
            run.append_samples(step, samples)
            if step % config.save_every == 0 or step == config.steps:
                run.save_checkpoint(trainer.unwrapped, trainer.optimizer, {"step": step, **trainer.state_dict()})
                last_saved = step
        done = step
        yield StepResult(step, config.steps, stats, samples, time.perf_counter() - t0)
    if run and is_main and last_saved < done:  # stopped between two checkpoints: keep the work
        run.save_checkpoint(trainer.unwrapped, trainer.optimizer, {"step": done, **trainer.state_dict()})


def train(
    config: Config,
    run_dir: str | Path | None = None,
    reward_fn: RewardFn | None = None,
    resume: bool = False,
    cancel: threading.Event | None = None,
    on_status: Callable[[str], None] | None = None,
) -> list[StepResult]:
    """Runs `iter_train` to the end and returns every StepResult (iterate `iter_train` for live updates)."""
    return list(iter_train(config, run_dir, reward_fn, resume, cancel, on_status))

