"""What every RLHF trainer here shares: sampling and scoring a rollout, and the passes over it.

`RolloutTrainer` owns the accelerator and the optimizer over the trainable parameters, the
sampling settings, `generate` / `rollout` (sample, then score with the reward), the teacher-forced
forward pass, the reference pass (the same network with its adapter disabled), length-bucketed
mini- and micro-batches, and the checkpoint state hooks. Its subclasses, `PPOTrainer`
(`ppo_trainer.py`) and `CriticFreeTrainer` (`critic_free_trainer.py`), are siblings: each adds its
own `step` (advantages and update); the math of both lives in pure functions (`ppo.py`,
`critic_free.py`, `kl_control.py`).

Rows are prompt-major: with k = `samples_per_prompt` responses per prompt (1 for PPO, k for
RLOO/GRPO), rows p*k .. p*k+k-1 answer prompt p; each prompt is encoded once for its k rows.
In float32, sampling records the sampling policy's log-probs (and values, with a value head)
while decoding (`sampling.py`), which saves a no-grad pass. In bf16 (or under mixed-precision
autocast) one token at a time against the KV cache rounds differently from a whole-sequence
pass, so the old log-probs come from a teacher-forced pass instead, and the old, reference and
update passes run over the very same row groups (`_pass_groups`): each row meets the same rows,
padding and shapes in all three, so the step-1 KL is exactly 0 and the first ratio exactly 1 in
every precision. Every no-grad pass runs in eval mode under `torch.inference_mode`.

A stop request (`stop_requested`, set by the run loop) is checked between the step's parts: sampling
groups, scoring, the no-grad passes and each mini-batch update. When it holds, `check_stop` raises
`StepStopped` and the run loop drops the unfinished step.
"""

from __future__ import annotations

import contextlib
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from ..config import Config
from ..models.batching import length_buckets, pad_right, response_lengths
from ..models.memory import trim_heap
from ..models.policy import PolicyWithValueHead, response_decoder_inputs
from ..models.reward import Reward
from ..models.sampling import Samples, SamplingSettings, merge_samples, sample
from . import ppo


@dataclass
class Rollout:
    """What one step sampled: prompts (prompt-major rows), responses and their scores."""

    query_ids: list[list[int]]
    prompts: list[str]
    response_ids: torch.Tensor  # (B, T) right-padded with pad id
    response_mask: torch.Tensor  # (B, T) 1 for real tokens (EOS included)
    summaries: list[str]
    scores: torch.Tensor  # (B,)
    toxicity: list[float] | None = None  # P(hate) of each summary alone, when a reward model scores
    logprobs: torch.Tensor | None = None  # (B, T) the sampling policy's log-probs; None: a no-grad pass gives them
    values: torch.Tensor | None = None  # (B, T) its values (PPO), recorded with the log-probs
    timing: dict[str, float] = field(default_factory=dict)
    terms: dict[str, list[float]] = field(default_factory=dict)  # each reward term's raw values (reward.py)


def reward_term_stats(rollout: Rollout) -> dict[str, float]:
    """Returns env/reward/<term>_mean for each reward term of the rollout (unweighted values)."""
    return {f"env/reward/{name}_mean": float(np.mean(values)) for name, values in rollout.terms.items() if values}


@dataclass
class TeacherForced:
    """One no-grad teacher-forced pass over a rollout: (B, T) log-probs; (B, T) values when the
    policy has a value head; (B, T, V) logits when asked for (zero past each bucket's longest response)."""

    logprobs: torch.Tensor
    values: torch.Tensor | None = None
    logits: torch.Tensor | None = None


class StepStopped(Exception):
    """A stop request ended a step before it finished: nothing of it may be written. `updated` says
    whether the optimizer had already changed the weights (then they are not the last step's)."""

    def __init__(self, updated: bool):
        super().__init__("stopped during the step" + (" (weights partly updated)" if updated else ""))
        self.updated = updated


class RolloutTrainer(ABC):
    """Samples and scores rollouts and runs the passes over them; subclasses add `step`."""

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        from accelerate import Accelerator

        self.config = config
        self.tokenizer = tokenizer
        self.reward = reward
        self.accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        trainable = [param for param in policy.parameters() if param.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=config.optim.learning_rate)
        self.policy, self.optimizer = self.accelerator.prepare(policy, optimizer)
        if reward.model is not None:
            reward.model.to(self.accelerator.device)
        base_config = self.unwrapped.config
        self.pad_id = base_config.pad_token_id
        self.eos_id = base_config.eos_token_id
        self.start_id = base_config.decoder_start_token_id
        self._anchors: dict[tuple[int, ...], str] = {}  # prompt ids -> the reference model's greedy summary
        self._generators: tuple[torch.Generator, torch.Generator] | None = None  # (CPU, device): `seed`
        # `stop_requested(updated)`: whether to end the step now, `updated` saying whether the
        # optimizer has already stepped in it (the run loop's policy); None: steps always finish.
        self.stop_requested: Callable[[bool], bool] | None = None

    @property
    def unwrapped(self) -> PolicyWithValueHead:
        return self.accelerator.unwrap_model(self.policy)

    @property
    def device(self):
        return self.accelerator.device

    def seed(self, seed: int) -> None:
        """From now on, draws from generators of this trainer's own, seeded with `seed`: a CPU one
        for the mini-batch order and one on the device for sampling (on a CPU both are one, as
        torch's global generator was). They give the numbers that `torch.manual_seed(seed)` gave,
        and nothing another thread does with torch's global random state (the app evaluating,
        loading models) reaches them. `run_loop` seeds every step; unseeded, the trainer draws
        from torch's global generator."""
        cpu = torch.Generator().manual_seed(seed)
        device = cpu if self.device.type == "cpu" else torch.Generator(device=self.device).manual_seed(seed)
        self._generators = (cpu, device)

    def check_stop(self, updated: bool = False) -> None:
        """Raises StepStopped if a stop was requested (`updated`: the optimizer stepped in this step)."""
        if self.stop_requested is not None and self.stop_requested(updated):
            raise StepStopped(updated)

    @property
    def samples_per_prompt(self) -> int:
        """Responses sampled per prompt: 1 here (PPO); k for RLOO/GRPO."""
        return 1

    @property
    def records_while_sampling(self) -> bool:
        """True when sampling records the old log-probs (and values): float32 weights, no autocast,
        and no TF32 matmuls. Then one token at a time against the KV cache agrees with a
        teacher-forced pass to float32 rounding, and recording saves that whole no-grad pass.
        In bf16 (or fp16) they round differently (-0.16 nats of step-1 KL per sequence on flan-t5
        shapes), so the step runs the teacher-forced pass, grouped like the reference's
        (`_pass_groups`)."""
        if self.unwrapped.model.get_base_model().dtype != torch.float32:
            return False
        if self.accelerator.mixed_precision != "no":
            return False
        return self.device.type != "cuda" or not torch.backends.cuda.matmul.allow_tf32

    # ---------------------------------------------------------------- the step

    @abstractmethod
    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one update on a scored rollout and returns its stats."""

    def step_from_prompts(self, query_ids, prompts, max_new_tokens, dialogues=None,
                          references=None) -> tuple[Rollout, dict[str, float]]:
        """Generate, score and update in one call; returns the rollout and its stats."""
        rollout = self.rollout(query_ids, prompts, max_new_tokens, dialogues, references)
        self.check_stop()
        stats = self.step(rollout)
        return rollout, stats

    # ---------------------------------------------------------------- checkpoint state

    def state_dict(self) -> dict:
        """What a resumed run needs besides the weights and the optimizer: nothing here (the
        settings come from the run's config); a trainer that carries state across steps adds it."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        """Restores `state_dict()` output. Nothing here: keys this trainer does not carry (the
        `kl_ctl` of a checkpoint written before RLOO/GRPO stopped saving one) are ignored."""

    # ---------------------------------------------------------------- rollout

    def sampling_settings(self, max_new_tokens: int) -> SamplingSettings:
        g = self.config.generation
        return SamplingSettings(
            max_new_tokens=max_new_tokens, pad_id=self.pad_id, eos_id=self.eos_id, start_id=self.start_id,
            top_k=g.top_k, top_p=g.top_p, temperature=g.temperature, min_length=g.min_length,
            min_new_tokens=g.min_new_tokens, encoder_batch_size=g.encoder_batch_size,
        )

    def _buckets(self, query_ids: Sequence[Sequence[int]], size: int) -> list[list[int]]:
        """Returns row buckets of about `size` rows made of whole groups (the k rows of one prompt),
        prompts of similar length together."""
        k = self.samples_per_prompt
        prompts = length_buckets([len(q) for q in query_ids[::k]], max(size // k, 1))
        return [[p * k + j for p in bucket for j in range(k)] for bucket in prompts]

    def generate(self, query_ids: Sequence[Sequence[int]], max_new_tokens: int) -> Samples:
        """Samples the prompt-major rows of `query_ids` with dropout off, with their log-probs (and
        values) where `records_while_sampling` (else those are None: a no-grad pass gives them),
        encoding each prompt once for its k rows.

        With `generation.batch_size` set, rows are sampled in groups of about that many (similar
        prompt lengths together); otherwise the whole batch decodes at once.
        """
        k = self.samples_per_prompt
        settings = self.sampling_settings(max_new_tokens)
        record = self.records_while_sampling
        generator = self._generators[1] if self._generators else None
        trim_heap()  # the last update's freed activations: back to the OS before sampling
        chunk = self.config.generation.batch_size
        if not chunk or chunk >= len(query_ids):
            samples = sample(self.unwrapped, query_ids[::k], settings, self.device, self.accelerator.autocast,
                             repeats=k, record=record, generator=generator)
        else:
            buckets = self._buckets(query_ids, chunk)
            parts = []
            for bucket in buckets:
                self.check_stop()
                parts.append(sample(self.unwrapped, [query_ids[i] for i in bucket[::k]], settings, self.device,
                                    self.accelerator.autocast, repeats=k, record=record, generator=generator))
            samples = merge_samples(parts, buckets, self.pad_id)
        return samples if record else replace(samples, logprobs=None, values=None)

    def rollout(self, query_ids: Sequence[Sequence[int]], prompts: Sequence[str], max_new_tokens: int,
                dialogues: Sequence[str] | None = None, references: Sequence[str] | None = None) -> Rollout:
        """Samples k responses per prompt (prompt-major rows) and scores them with the reward
        (fidelity terms read the dialogues and reference summaries when given)."""
        k = self.samples_per_prompt

        def repeat(items):
            return None if items is None else [item for item in items for _ in range(k)]

        query_ids, prompts, dialogues, references = map(repeat, (query_ids, prompts, dialogues, references))
        t0 = time.perf_counter()
        samples = self.generate(query_ids, max_new_tokens)
        response_ids, mask = samples.response_ids, samples.mask
        t1 = time.perf_counter()
        summaries = self.tokenizer.batch_decode(response_ids, skip_special_tokens=True)
        summaries = [s.strip() for s in summaries]
        self.check_stop()
        anchors = self.anchor_summaries(query_ids) if self.reward.needs_anchors else None
        scored = self.reward.score(prompts, summaries, dialogues, references, anchors)  # one classifier pass
        t2 = time.perf_counter()
        return Rollout(
            list(map(list, query_ids)), list(prompts), response_ids, mask, summaries,
            torch.tensor(scored.rewards, dtype=torch.float32, device=self.device), scored.toxicity,
            samples.logprobs, samples.values,
            {"time/ppo/generate": t1 - t0, "time/ppo/reward": t2 - t1}, scored.terms,
        )

    @torch.inference_mode()
    def anchor_summaries(self, query_ids: Sequence[Sequence[int]]) -> list[str]:
        """Returns the reference model's (adapter off) greedy summary of each prompt, for the anchor term.

        The reference is frozen, so each prompt's summary is generated once and remembered; greedy
        decoding draws no random numbers, so the policy's sampling stream is unchanged.
        """
        keys = [tuple(q) for q in query_ids]
        new = list(dict.fromkeys(k for k in keys if k not in self._anchors))
        if new:
            policy = self.unwrapped
            was_training = policy.training
            policy.eval()
            size = self.config.generation.batch_size or len(new)
            try:
                for start in range(0, len(new), size):
                    chunk = new[start : start + size]
                    input_ids, attention_mask = pad_right(chunk, self.pad_id, self.device)
                    with policy.reference(), self.accelerator.autocast():
                        ids = policy.model.generate(input_ids=input_ids, attention_mask=attention_mask, do_sample=False,
                                                    max_new_tokens=self.config.eval.max_new_tokens)
                    texts = self.tokenizer.batch_decode(ids, skip_special_tokens=True)
                    self._anchors.update((k, t.strip()) for k, t in zip(chunk, texts))
            finally:
                policy.train(was_training)
        return [self._anchors[k] for k in keys]

    # ---------------------------------------------------------------- forward passes

    def _forward(self, model, query_ids, response_ids, entropy: bool = False):
        """Returns (logprobs (b, T), values (b, T) or None, logits (b, W, V), entropy (b, T) or None)
        for one group of samples; values only with a value head, the entropy (of the logits, no
        gradient) only when asked for.

        The decoder runs only as far as the group's longest response, W <= T positions (the batch
        is padded to its longest response, often twice a typical one): decoding is causal, so the
        positions cut are ones no kept position sees. Log-probs, values and entropy are zero there.
        """
        width = int(response_lengths(response_ids, self.eos_id).max())
        full = response_ids.shape[1]
        response_ids = response_ids[:, :width]
        input_ids, attention_mask = pad_right(query_ids, self.pad_id, self.device)
        decoder_input_ids = response_decoder_inputs(response_ids, self.start_id)
        with self.accelerator.autocast():
            logits, values = model(input_ids, attention_mask, decoder_input_ids)
        logprobs, token_entropy = ppo.token_logprobs(logits, response_ids, self.config.generation.temperature, entropy)
        if width < full:
            def widen(t):
                return None if t is None else torch.nn.functional.pad(t, (0, full - width))
            logprobs, values, token_entropy = widen(logprobs), widen(values), widen(token_entropy)
        return logprobs, values, logits, token_entropy

    @torch.inference_mode()
    def teacher_forced(self, rollout: Rollout, reference: bool = False, keep_logits: bool = False) -> TeacherForced:
        """Returns the policy's log-probs (and values) of the rollout's responses from a no-grad pass;
        with `reference`, the reference's: the same network with its adapter disabled.

        Runs in eval mode over `_pass_groups`: each prompt is encoded once for its rows in a group.
        """
        policy = self.unwrapped
        policy.eval()
        B, T = rollout.response_ids.shape
        logprobs = torch.zeros((B, T), device=self.device)
        values = torch.zeros((B, T), device=self.device) if policy.value_head is not None else None
        all_logits = None
        with policy.reference() if reference else contextlib.nullcontext():
            for bucket in self._pass_groups(rollout):
                lp, v, logits, _ = self._forward(policy, [rollout.query_ids[i] for i in bucket],
                                                 rollout.response_ids[bucket])
                logprobs[bucket] = lp
                if values is not None:
                    values[bucket] = v
                if keep_logits:
                    if all_logits is None:
                        all_logits = torch.zeros((B, T, logits.shape[-1]), dtype=logits.dtype, device=self.device)
                    all_logits[bucket, : logits.shape[1]] = logits  # zero past the bucket's longest response
        return TeacherForced(logprobs, values, all_logits)

    def reference_logprobs(self, rollout: Rollout) -> torch.Tensor:
        """Returns the reference (adapter off) log-probs (B, T) of the rollout's responses."""
        return self.teacher_forced(rollout, reference=True).logprobs

    def old_logprobs(self, rollout: Rollout) -> torch.Tensor:
        """Returns the sampling policy's log-probs (B, T): recorded while sampling, else from a
        teacher-forced pass grouped like the reference's and the update's."""
        return rollout.logprobs if rollout.logprobs is not None else self.teacher_forced(rollout).logprobs

    def _pass_groups(self, rollout: Rollout) -> list[list[int]]:
        """Returns the row groups of the no-grad passes.

        Without recorded log-probs (bf16), the update's micro-batches (`_minibatch_rows`, then
        `_micro_batches`): the old, the reference and the update pass then see every row with the
        same rows, the same prompt and response padding and the same shapes, so the network
        rounds them alike, whatever the precision (bf16 matmuls of other shapes round
        differently). `optim.forward_batch_size` does not apply then. With recorded log-probs
        (float32), buckets of whole groups of `optim.forward_batch_size` rows (else
        `optim.mini_batch_size`), similar prompt lengths together.
        """
        if rollout.logprobs is None or not self.records_while_sampling:
            return [rows for idx in self._minibatch_rows(rollout) for rows in self._micro_batches(idx)]
        size = self.config.optim.forward_batch_size or self.config.optim.mini_batch_size
        return self._buckets(rollout.query_ids, size)

    # ---------------------------------------------------------------- update batching

    def _minibatch_rows(self, rollout: Rollout) -> list[list[int]]:
        """The mini-batches of `optim.mini_batch_size` rows, similar prompt lengths together, in a
        fixed order (every pass over a rollout holds the same ones)."""
        return length_buckets([len(q) for q in rollout.query_ids], self.config.optim.mini_batch_size)

    def _minibatches(self, rollout: Rollout) -> list[list[int]]:
        """One pass's mini-batches (`_minibatch_rows`) in random order (one `torch.randperm` draw)."""
        buckets = self._minibatch_rows(rollout)
        generator = self._generators[0] if self._generators else None
        return [buckets[b] for b in torch.randperm(len(buckets), generator=generator).tolist()]

    def _micro_batches(self, idx: list[int]) -> list[list[int]]:
        """Splits a mini-batch into micro-batches of `optim.micro_batch_size` rows (activation memory
        scales with it; by default 2 on CPU, where that costs no speed, and all rows on a GPU)."""
        micro = self.config.optim.micro_batch_size or (2 if self.device.type == "cpu" else len(idx))
        return [idx[start : start + micro] for start in range(0, len(idx), micro)]

    # ---------------------------------------------------------------- processes

    def _sum_over_processes(self, *values) -> list[float]:
        """Returns each scalar summed over processes, all in one collective: every rank gets the
        same numbers, so a branch decided on them is taken by every rank or by none (a flag
        summed is "on any rank"; a sum over `num_processes` is the mean)."""
        if self.accelerator.num_processes == 1:
            return [float(v) for v in values]
        tensor = torch.tensor([float(v) for v in values], dtype=torch.float64, device=self.device)
        return self.accelerator.reduce(tensor, reduction="sum").tolist()

    def _gather(self, stats: dict[str, float]) -> dict[str, float]:
        """Averages stats over processes, so every rank logs (and adapts KL) on the same numbers."""
        if self.accelerator.num_processes == 1:
            return stats
        keys = sorted(stats)
        values = torch.tensor([stats[k] for k in keys], dtype=torch.float64, device=self.device)
        values = self.accelerator.reduce(values, reduction="mean")
        return dict(zip(keys, values.tolist()))
