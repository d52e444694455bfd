"""Runs the same inputs through TRL 0.11.4's own PPOTrainer code and through rlhf_core, and prints
the largest difference for each quantity (whiten_rewards, the step stats, early stopping).

Needs the TRL 0.11.4 venv (`bash benchmarks/setup_trl011_venv.sh /tmp/trl011-venv`), run
from the project root:
    PYTHONPATH=. /tmp/trl011-venv/bin/python benchmarks/check_trl011_math.py
TRL's methods are called unbound on a stand-in `self` that carries only a PPOConfig, so no model
is built. Prints one line per check and a final JSON line; exits 1 if a difference exceeds 1e-6.
"""

from __future__ import annotations

import json
import sys
import types
import warnings

import torch

warnings.filterwarnings("ignore")
from trl import PPOConfig  # noqa: E402
from trl.core import stack_dicts, stats_to_np  # noqa: E402
from trl.trainer.ppo_trainer import PPOTrainer as TRLPPOTrainer  # noqa: E402

from rlhf_core.algorithms import ppo  # noqa: E402
from rlhf_core.algorithms.step_stats import average_minibatch_stats, rollout_stats  # noqa: E402

TOLERANCE = 1e-6


def batch(seed: int, B: int = 6, T: int = 9):
    """Right-padded responses of different lengths (>= 2 tokens), random log-probs, values and scores."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, T + 1, (B,), generator=g)
    lengths[0] = T  # one full row
    mask = (torch.arange(T).expand(B, T) < lengths[:, None]).long()
    logprobs = -torch.rand(B, T, generator=g) * 3
    ref_logprobs = logprobs - torch.randn(B, T, generator=g) * 0.3
    values = torch.randn(B, T, generator=g)
    scores = torch.randn(B, generator=g) * 2
    query_lengths = torch.randint(5, 40, (B,), generator=g).tolist()
    return mask, logprobs, ref_logprobs, values, scores, query_lengths


def trl_self(**config):
    cfg = PPOConfig(**config)
    return types.SimpleNamespace(config=cfg, kl_ctl=types.SimpleNamespace(value=0.2),
                                 _kl_penalty=lambda lp, ref: TRLPPOTrainer._kl_penalty(
                                     types.SimpleNamespace(config=cfg), lp, ref),
                                 is_distributed=False, optimizer=types.SimpleNamespace(zero_grad=lambda: None))


def max_diff(a, b) -> float:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return float((a - b).abs().max())


def main() -> int:
    results: dict[str, float] = {}
    for seed in range(5):
        mask, logprobs, ref_logprobs, values, scores, query_lengths = batch(seed)
        for whiten_rewards in (False, True):
            me = trl_self(whiten_rewards=whiten_rewards, gamma=0.99, lam=0.9)
            t_rewards, t_non_score, t_kls = TRLPPOTrainer.compute_rewards(me, scores, logprobs, ref_logprobs, mask)
            _, t_adv, t_ret = TRLPPOTrainer.compute_advantages(me, values, t_rewards, mask)
            rewards, non_score, kls = ppo.compute_rewards(scores, logprobs, ref_logprobs, mask, 0.2)
            adv, ret = ppo.compute_advantages(values, rewards, mask, 0.99, 0.9, True, whiten_rewards)
            m = mask.bool()
            tag = "whiten_rewards" if whiten_rewards else "plain"
            # Every position of the returns (padding included) and the real positions of the advantages
            # (ours zeroes whitened advantages at padding; TRL leaves them, and the loss masks them out).
            results[f"{tag}/returns"] = max(results.get(f"{tag}/returns", 0), max_diff(ret, t_ret))
            results[f"{tag}/advantages"] = max(results.get(f"{tag}/advantages", 0), max_diff(adv[m], t_adv[m]))

        # Step stats: TRL's record_step_stats (+ log_stats' env/reward_*) against rollout_stats.
        minibatches = []
        for _ in range(3):
            error, var = torch.rand(1) + 0.1, torch.rand(1) + 0.5
            minibatches.append({"val/error": error, "returns/var": var})
        queries = [torch.zeros(n) for n in query_lengths]
        responses = [torch.zeros(int(n)) for n in mask.sum(-1)]
        t_stats = stats_to_np(TRLPPOTrainer.record_step_stats(
            me, kl_coef=0.2, scores=scores, logprobs=logprobs, ref_logprobs=ref_logprobs, non_score_reward=t_non_score,
            train_stats=stack_dicts(minibatches), masks=mask, queries=queries, responses=responses, kls=t_kls))
        t_stats["env/reward_mean"], t_stats["env/reward_std"] = scores.mean().item(), scores.std().item()
        ours = rollout_stats(scores, logprobs, ref_logprobs, non_score, kls, mask, query_lengths, 0.2)
        ours.update(average_minibatch_stats([{"ppo/val/error": float(s["val/error"]),
                                              "ppo/returns/var": float(s["returns/var"])} for s in minibatches]))
        for key in ("objective/kl", "objective/entropy", "objective/kl_coef", "ppo/mean_non_score_reward",
                    "ppo/mean_scores", "ppo/std_scores", "env/reward_mean", "env/reward_std",
                    "tokens/queries_len_mean", "tokens/queries_len_std", "tokens/responses_len_mean",
                    "tokens/responses_len_std", "ppo/val/var_explained"):
            results[key] = max(results.get(key, 0), max_diff(ours[key], t_stats[key]))
        for key in ("objective/logprobs", "objective/ref_logprobs"):  # TRL logs the (B, T) array; we its masked mean
            trl_mean = ppo.masked_mean(torch.as_tensor(t_stats[key]), mask)
            results[key] = max(results.get(key, 0), max_diff(ours[key], trl_mean))

    # Early stopping: TRL's _early_stop decision against ours (policy KL > 1.5 * target_kl).
    disagreements = 0
    for policykl in (0.0, 1.0, 1.49, 1.5, 1.51, 3.0):
        me = trl_self(early_stopping=True, target_kl=1.0)
        trl_stops = TRLPPOTrainer._early_stop(me, torch.tensor(policykl))
        disagreements += trl_stops != (policykl > 1.5 * 1.0)
    results["early_stopping/disagreements"] = float(disagreements)

    worst = 0.0
    for key, value in results.items():
        print(f"{key:34s} max |ours - TRL 0.11.4| = {value:.2e}")
        worst = max(worst, value)
    print(json.dumps({"max_abs_diff": worst, "checks": results}))
    return 0 if worst <= TOLERANCE else 1


if __name__ == "__main__":
    sys.exit(main())
