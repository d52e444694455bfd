"""One PPO step for an encoder-decoder policy: generate -> score -> forward passes -> update.

The math lives in `ppo.py` as pure functions; this class only orchestrates. Semantics and stat
names follow TRL 0.11's PPOTrainer, with two deliberate differences: every response token is
scored (decoder input = start token + response shifted right), and sampling / old log-probs
run with dropout off. Work is arranged for speed: the old log-probs and values are recorded
while sampling (`sampling.py`), so the update runs one no-grad pass (the reference) instead of
two; every pass groups prompts of similar length; no-grad passes run under
`torch.inference_mode`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..config import Config
from ..models.batching import length_buckets, pad_right, response_lengths
from ..models.memory import trim_heap
from ..models.policy import PolicyWithValueHead, response_decoder_inputs
from ..models.reward import Reward
from ..models.sampling import Samples, SamplingSettings, merge_samples, sample
from . import ppo
from .kl_control import AdaptiveKLController, FixedKLController
from .step_stats import average_minibatch_stats, rollout_stats


@dataclass
class Rollout:
    """What one PPO step sampled: prompts, responses and their scores."""

    query_ids: list[list[int]]
    prompts: list[str]
    response_ids: torch.Tensor  # (B, T) right-padded with pad id
    response_mask: torch.Tensor  # (B, T) 1 for real tokens (EOS included)
    summaries: list[str]
    scores: torch.Tensor  # (B,)
    toxicity: list[float] | None = None  # P(hate) of each summary alone, when a reward model scores
    logprobs: torch.Tensor | None = None  # (B, T) the sampling policy's log-probs; None: the update computes them
    values: torch.Tensor | None = None  # (B, T) its values, recorded with the log-probs
    timing: dict[str, float] = field(default_factory=dict)
    terms: dict[str, list[float]] = field(default_factory=dict)  # each reward term's raw values (reward.py)


def reward_term_stats(rollout: Rollout) -> dict[str, float]:
    """Returns env/reward/<term>_mean for each reward term of the rollout (unweighted values)."""
    return {f"env/reward/{name}_mean": float(np.mean(values)) for name, values in rollout.terms.items() if values}


@dataclass
class OldAndReference:
    """The no-grad passes of one step: (B, T) log-probs and values; (B, T, V) logits only for `kl_penalty="full"`."""

    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    ref_logprobs: torch.Tensor
    old_logits: torch.Tensor | None = None
    ref_logits: torch.Tensor | None = None


@dataclass
class PPOBatch:
    """What the update's mini-batches read: the sampling policy's log-probs and values, the
    whitened advantages and returns, and the response mask, all (B, T)."""

    old_logprobs: torch.Tensor
    old_values: torch.Tensor
    advantages: torch.Tensor
    returns: torch.Tensor
    mask: torch.Tensor


class PPOTrainer:
    """Runs PPO steps on a policy with a value head against a reward; see `step`."""

    def __init__(self, config: Config, policy: PolicyWithValueHead, tokenizer, reward: Reward, accelerator=None):
        from accelerate import Accelerator

        self.config = config
        self.tokenizer = tokenizer
        self.reward = reward
        self.accelerator = accelerator or Accelerator(cpu=not torch.cuda.is_available())
        p = config.ppo
        self.kl_ctl = (
            AdaptiveKLController(p.init_kl_coef, p.target_kl, p.horizon)
            if p.adaptive_kl
            else FixedKLController(p.init_kl_coef)
        )
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

    @property
    def unwrapped(self) -> PolicyWithValueHead:
        return self.accelerator.unwrap_model(self.policy)

    @property
    def device(self):
        return self.accelerator.device

    # ---------------------------------------------------------------- rollout

    def sampling_settings(self, max_new_tokens: int) -> SamplingSettings:
        g = self.config.generation
        return SamplingSettings(
            max_new_tokens=max_new_tokens, pad_id=self.pad_id, eos_id=self.eos_id, start_id=self.start_id,
            top_k=g.top_k, top_p=g.top_p, temperature=g.temperature, min_length=g.min_length,
            min_new_tokens=g.min_new_tokens, encoder_batch_size=g.encoder_batch_size,
        )

    def generate(self, query_ids: Sequence[Sequence[int]], max_new_tokens: int) -> Samples:
        """Samples one response per prompt with dropout off, with its log-probs and values.

        With `generation.batch_size` set, prompts are sampled in groups of that many (similar
        lengths together); otherwise the whole batch decodes at once.
        """
        settings = self.sampling_settings(max_new_tokens)
        trim_heap()  # the last update's freed activations: back to the OS before sampling
        chunk = self.config.generation.batch_size
        if not chunk or chunk >= len(query_ids):
            return sample(self.unwrapped, query_ids, settings, self.device, self.accelerator.autocast)
        buckets = length_buckets([len(q) for q in query_ids], chunk)
        parts = [sample(self.unwrapped, [query_ids[i] for i in bucket], settings, self.device,
                        self.accelerator.autocast) for bucket in buckets]
        return merge_samples(parts, buckets, self.pad_id)

    def rollout(self, query_ids: Sequence[Sequence[int]], prompts: Sequence[str], max_new_tokens: int,
                dialogues: Sequence[str] | None = None, references: Sequence[str] | None = None) -> Rollout:
        """Samples responses for the prompts and scores them with the reward (fidelity terms read
        the dialogues and reference summaries when given)."""
        t0 = time.perf_counter()
        samples = self.generate(query_ids, max_new_tokens)
        response_ids, mask = samples.response_ids, samples.mask
        t1 = time.perf_counter()
        summaries = self.tokenizer.batch_decode(response_ids, skip_special_tokens=True)
        summaries = [s.strip() for s in summaries]
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
        """Returns (logprobs (b, T), values (b, T), logits (b, W, V), entropy (b, T) or None) for
        one group of samples; the entropy (of the logits, no gradient) only when asked for.

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
    def old_and_reference(self, rollout: Rollout) -> OldAndReference:
        """Returns the old log-probs and values and the reference log-probs from no-grad passes.

        The old log-probs and values come from sampling when the rollout recorded them
        (`sampling.sample`), so only the reference pass runs: the same network with its adapter
        disabled. Every pass runs in eval mode, in length buckets.
        """
        policy = self.unwrapped
        policy.eval()
        B, T = rollout.response_ids.shape
        full_kl = self.config.ppo.kl_penalty == "full"
        need_old_pass = full_kl or rollout.logprobs is None or rollout.values is None
        if need_old_pass:
            old_logprobs = torch.zeros((B, T), device=self.device)
            old_values = torch.zeros((B, T), device=self.device)
        else:
            old_logprobs, old_values = rollout.logprobs, rollout.values
        ref_logprobs = torch.zeros((B, T), device=self.device)
        old_logits = ref_logits = None
        size = self.config.optim.forward_batch_size or self.config.optim.mini_batch_size
        for bucket in length_buckets([len(q) for q in rollout.query_ids], size):
            queries = [rollout.query_ids[i] for i in bucket]
            responses = rollout.response_ids[bucket]
            if need_old_pass:
                lp, v, logits, _ = self._forward(policy, queries, responses)
                old_logprobs[bucket], old_values[bucket] = lp, v
            with policy.reference():
                rlp, _, rlogits, _ = self._forward(policy, queries, responses)
            ref_logprobs[bucket] = rlp
            if full_kl:
                if old_logits is None:
                    old_logits = torch.zeros((B, T, logits.shape[-1]), dtype=logits.dtype, device=self.device)
                    ref_logits = torch.zeros_like(old_logits)
                old_logits[bucket, : logits.shape[1]] = logits  # zero past the bucket's longest response
                ref_logits[bucket, : rlogits.shape[1]] = rlogits
        return OldAndReference(old_logprobs, old_values, ref_logprobs, old_logits, ref_logits)

    # ---------------------------------------------------------------- the step

    def step(self, rollout: Rollout) -> dict[str, float]:
        """Runs one PPO update on a scored rollout and returns TRL-named stats."""
        cfg = self.config.ppo
        timing = dict(rollout.timing)
        t0 = time.perf_counter()
        trim_heap()  # sampling's freed memory: back to the OS before the update's activations
        mask = rollout.response_mask
        passes = self.old_and_reference(rollout)
        # Clones: inference-mode tensors cannot enter the autograd graph of the update.
        old_logprobs, old_values = passes.old_logprobs.clone(), passes.old_values.clone()
        ref_logprobs = passes.ref_logprobs.clone()
        t1 = time.perf_counter()

        # 1. per-token reward: -kl_coef * KL, plus the score on the last response token
        kl_coef = self.kl_ctl.value
        rewards, non_score_rewards, kls = ppo.compute_rewards(
            rollout.scores, old_logprobs, ref_logprobs, mask, kl_coef, cfg.kl_penalty,
            logits=passes.old_logits, ref_logits=passes.ref_logits,
        )
        t2 = time.perf_counter()
        # 2. GAE advantages (whitened) and returns
        advantages, returns = ppo.compute_advantages(
            old_values, rewards, mask, cfg.gamma, cfg.lam, cfg.whiten_advantages, cfg.whiten_rewards
        )
        t3 = time.perf_counter()
        # 3. PPO epochs over length-bucketed mini-batches, in random order
        train_stats = self._optimize(rollout, PPOBatch(old_logprobs, old_values, advantages, returns, mask))
        t4 = time.perf_counter()

        stats = {
            **rollout_stats(rollout.scores, old_logprobs, ref_logprobs, non_score_rewards, kls, mask,
                            [len(q) for q in rollout.query_ids], kl_coef),
            **train_stats,
        }
        if rollout.toxicity is not None:
            stats["env/toxicity_mean"] = float(np.mean(rollout.toxicity))
        stats.update(reward_term_stats(rollout))
        stats = self._gather(stats)
        # 4. adapt the KL coefficient to the KL actually seen (TRL counts the global batch)
        self.kl_ctl.update(stats["objective/kl"], self.config.optim.batch_size * self.accelerator.num_processes)
        timing.update({
            "time/ppo/forward_pass": t1 - t0,
            "time/ppo/compute_rewards": t2 - t1,
            "time/ppo/compute_advantages": t3 - t2,
            "time/ppo/optimize_step": t4 - t3,
        })
        timing["time/ppo/total"] = sum(timing.values())
        stats.update(timing)
        return stats

    def _optimize(self, rollout: Rollout, batch: PPOBatch) -> dict[str, float]:
        cfg = self.config.ppo
        # Dropout stays off in the update too: the first mini-batch's ratio is then exactly 1
        # and the loss compares like with like (gradients flow in eval mode all the same).
        self.policy.eval()
        collected: list[dict[str, float]] = []
        lengths = [len(q) for q in rollout.query_ids]
        skipped, early_stop = 0, False
        for _ in range(cfg.ppo_epochs):
            if early_stop:
                break
            buckets = length_buckets(lengths, self.config.optim.mini_batch_size)
            order = torch.randperm(len(buckets)).tolist()
            for b in order:
                stats = self._minibatch_gradients(rollout, buckets[b], batch)
                if float(stats["ppo/policy/ratio_mean"]) > cfg.ratio_threshold:
                    # TRL's guard: a mini-batch whose ratio explodes would wreck the policy; skip it.
                    skipped += 1
                    self.optimizer.zero_grad()
                    continue
                if self.config.optim.max_grad_norm is not None:
                    self.accelerator.clip_grad_norm_(self.policy.parameters(), self.config.optim.max_grad_norm)
                self.optimizer.step()
                self.optimizer.zero_grad()
                collected.append({key: float(value) for key, value in stats.items()})
                # TRL's early stopping: after this mini-batch's update, stop every remaining epoch
                # once the policy KL (averaged over processes) exceeds 1.5 * its target_kl.
                if cfg.early_stopping and self._mean_over_processes(stats["ppo/policy/policykl"]) > (
                    1.5 * cfg.early_stopping_kl
                ):
                    early_stop = True
                    break
        out = average_minibatch_stats(collected)
        out["ppo/skipped_minibatches"] = float(skipped)
        out["ppo/early_stopped"] = float(early_stop)
        out["ppo/learning_rate"] = self.optimizer.param_groups[0]["lr"]
        return out

    def _minibatch_gradients(self, rollout: Rollout, idx: list[int], batch: PPOBatch) -> dict:
        """Accumulates the gradient of one mini-batch's PPO loss; returns its TRL-named stats.

        The mini-batch runs in micro-batches of `optim.micro_batch_size` rows (activation memory
        scales with it; by default 2 on CPU, where that costs no speed, and all rows on a GPU).
        Each micro-batch's loss is weighted by its share of the mini-batch's response tokens, so
        the summed gradient is exactly that of the loss over the whole mini-batch; the stats are
        computed over the whole mini-batch too.
        """
        cfg = self.config.ppo
        b, mask = batch, batch.mask
        micro = self.config.optim.micro_batch_size or (2 if self.device.type == "cpu" else len(idx))
        n_tokens = mask[idx].sum()
        logprobs, vpreds, entropy_sum = [], [], 0.0
        for start in range(0, len(idx), micro):
            rows = idx[start : start + micro]
            queries = [rollout.query_ids[i] for i in rows]
            lp, vp, logits, token_entropy = self._forward(self.policy, queries, rollout.response_ids[rows],
                                                          entropy=True)
            loss, _ = ppo.ppo_losses(
                b.old_logprobs[rows], b.old_values[rows], lp, vp, b.advantages[rows], b.returns[rows], mask[rows],
                cfg.cliprange, cfg.cliprange_value, cfg.vf_coef,
            )
            if not math.isfinite(loss.item()):
                raise FloatingPointError("PPO loss is not finite")
            entropy_sum += (token_entropy * mask[rows]).sum()
            del logits
            self.accelerator.backward(loss * (mask[rows].sum() / n_tokens))
            logprobs.append(lp.detach())
            vpreds.append(vp.detach())
        with torch.no_grad():
            _, stats = ppo.ppo_losses(
                b.old_logprobs[idx], b.old_values[idx], torch.cat(logprobs), torch.cat(vpreds), b.advantages[idx],
                b.returns[idx], mask[idx], cfg.cliprange, cfg.cliprange_value, cfg.vf_coef,
            )
        stats["ppo/policy/entropy"] = entropy_sum / n_tokens
        return stats

    def _mean_over_processes(self, value) -> float:
        """Returns a scalar averaged over processes (every rank then takes the same branch)."""
        if self.accelerator.num_processes == 1:
            return float(value)
        tensor = torch.tensor([float(value)], dtype=torch.float64, device=self.device)
        return float(self.accelerator.reduce(tensor, reduction="mean").item())

    def _gather(self, stats: dict[str, float]) -> dict[str, float]:
        """Averages stats over processes, so every rank logs and adapts KL on the same numbers."""
        if self.accelerator.num_processes == 1:
            return stats
        keys = sorted(stats)
        values = torch.tensor([stats[k] for k in keys], dtype=torch.float64, device=self.device)
        values = self.accelerator.reduce(values, reduction="mean")
        return dict(zip(keys, values.tolist()))

    samples_per_prompt = 1  # responses sampled per prompt (k for RLOO/GRPO)

    def step_from_prompts(self, query_ids, prompts, max_new_tokens, dialogues=None,
                          references=None) -> tuple[Rollout, dict[str, float]]:
        """Generate, score and update in one call; returns the rollout and its stats."""
        rollout = self.rollout(query_ids, prompts, max_new_tokens, dialogues, references)
        stats = self.step(rollout)
        return rollout, stats

