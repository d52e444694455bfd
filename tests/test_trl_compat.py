"""TRL 0.11 compatibility: whiten_rewards, early stopping, and the step stats' names and meanings.

Expected numbers are worked out by hand in each test; benchmarks/check_trl011_math.py runs the
same inputs through TRL 0.11.4's own code.
"""

import math
import re
from pathlib import Path

import pytest
import torch

from rlhf_core.algorithms.ppo import compute_advantages, compute_rewards
from rlhf_core.algorithms.step_stats import STAT_DEFINITIONS, average_minibatch_stats, rollout_stats

ROOT = Path(__file__).resolve().parent.parent


def t(x):
    return torch.tensor(x, dtype=torch.float64)


def test_whiten_rewards_whitens_the_padding_too_and_it_flows_into_the_advantages_as_in_trl():
    rewards, values, mask = t([[1.0, 3.0, 7.0]]), t([[0.0, 0.0, 0.0]]), t([[1, 1, 0]])
    # TRL: rewards * mask = [1, 3, 0]; masked mean 2, unbiased var 2; shift_mean=False keeps the
    # mean, and the padding is whitened with the same statistics: r' = (r - 2) / s + 2.
    s = math.sqrt(2.0 + 1e-8)
    r0, r1, r_pad = 2 - 1 / s, 2 + 1 / s, 2 - 2 / s
    advantages, returns = compute_advantages(values, rewards, mask, gamma=1.0, lam=0.5,
                                             whiten_advantages=False, whiten_rewards=True)
    a_pad = r_pad
    a1 = r1 + 0.5 * a_pad
    a0 = r0 + 0.5 * a1
    torch.testing.assert_close(advantages, t([[a0, a1, a_pad]]), rtol=0, atol=1e-12)
    torch.testing.assert_close(returns, t([[a0, a1, a_pad]]), rtol=0, atol=1e-12)


def test_without_whiten_rewards_the_padding_adds_nothing():
    rewards, values, mask = t([[1.0, 3.0, 7.0]]), t([[0.0, 0.0, 0.0]]), t([[1, 1, 0]])
    advantages, _ = compute_advantages(values, rewards, mask, gamma=1.0, lam=0.5, whiten_advantages=False)
    torch.testing.assert_close(advantages, t([[1 + 0.5 * 3, 3.0, 0.0]]), rtol=0, atol=1e-12)


def test_rollout_stats_have_trl_meanings():
    scores = torch.tensor([1.0, 2.0, 4.0])
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1]])
    logprobs = torch.tensor([[-1.0, -2.0, -9.0], [-1.0, -9.0, -9.0], [-0.5, -0.5, -1.0]])
    ref = logprobs - torch.tensor([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.5]])
    _, non_score, kls = compute_rewards(scores, logprobs, ref, mask, kl_coef=0.1)
    stats = rollout_stats(scores, logprobs, ref, non_score, kls, mask, [10, 20, 30], kl_coef=0.1)
    # per-response KL sums: 1.0, 1.0, 0.5; 6 real tokens hold KL 2.5 in all
    assert stats["objective/kl"] == pytest.approx(2.5 / 3)
    assert stats["ppo/mean_non_score_reward"] == pytest.approx(-0.1 * 2.5 / 6)  # per token (TRL 0.11)
    assert stats["objective/non_score_reward"] == pytest.approx(-0.1 * 2.5 / 3)  # per response (PPOv2)
    # scores 1, 2, 4: mean 7/3, unbiased variance ((4/3)^2 + (1/3)^2 + (5/3)^2) / 2 = 7/3
    assert stats["env/reward_std"] == pytest.approx(math.sqrt(7 / 3))
    assert stats["ppo/std_scores"] == stats["env/reward_std"]
    assert stats["ppo/mean_scores"] == stats["env/reward_mean"] == pytest.approx(7 / 3)
    assert stats["tokens/queries_len_mean"] == 20 and stats["tokens/queries_len_std"] == pytest.approx(10.0)
    # response lengths 2, 1, 3: mean 2, unbiased std 1
    assert stats["tokens/responses_len_mean"] == 2 and stats["tokens/responses_len_std"] == pytest.approx(1.0)
    assert stats["objective/entropy"] == pytest.approx((3 + 1 + 2) / 3)


def test_one_response_has_std_zero_not_nan():
    mask = torch.tensor([[1, 1]])
    lp = torch.tensor([[-1.0, -1.0]])
    _, non_score, kls = compute_rewards(torch.tensor([1.0]), lp, lp, mask, kl_coef=0.2)
    stats = rollout_stats(torch.tensor([1.0]), lp, lp, non_score, kls, mask, [5], 0.2)
    assert stats["env/reward_std"] == 0.0 and stats["tokens/queries_len_std"] == 0.0


def test_var_explained_comes_from_the_averaged_error_and_return_variance():
    minibatches = [{"ppo/val/error": 1.0, "ppo/returns/var": 2.0, "ppo/val/var_explained": 0.5},
                   {"ppo/val/error": 3.0, "ppo/returns/var": 10.0, "ppo/val/var_explained": 0.7}]
    out = average_minibatch_stats(minibatches)
    # TRL: 1 - mean(error) / mean(var) = 1 - 2 / 6, not mean(0.5, 0.7) = 0.6
    assert out["ppo/val/var_explained"] == pytest.approx(1 - 2 / 6)
    assert out["ppo/val/error"] == 2.0 and out["ppo/returns/var"] == 6.0


def _trainer_with_fixed_policykl(policykls, **overrides):
    from test_trainer import make_trainer

    trainer, data = make_trainer(**{"optim.mini_batch_size": 2, "ppo.ppo_epochs": 2, **overrides})
    sequence = iter(policykls)
    real = trainer._minibatch_gradients

    def minibatch(rollout, idx, batch):
        stats = real(rollout, idx, batch)
        stats["ppo/policy/policykl"] = torch.tensor(next(sequence))
        return stats

    trainer._minibatch_gradients = minibatch
    steps = []
    real_step = trainer.optimizer.step
    trainer.optimizer.step = lambda *a, **k: (steps.append(1), real_step(*a, **k))
    return trainer, data, steps


@pytest.mark.parametrize("early_stopping, expected_updates, stopped", [(True, 2, 1.0), (False, 4, 0.0)])
def test_early_stopping_ends_every_epoch_after_the_minibatch_whose_policy_kl_passes_1_5_target(
        early_stopping, expected_updates, stopped):
    # target 1.0: 1.4 is below 1.5 * target, 1.6 above it; TRL applies that mini-batch's update, then stops.
    trainer, data, steps = _trainer_with_fixed_policykl(
        [1.4, 1.6, 0.0, 0.0], **{"ppo.early_stopping": early_stopping, "ppo.early_stopping_kl": 1.0})
    torch.manual_seed(3)
    stats = trainer.step(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8))
    assert len(steps) == expected_updates
    assert stats["ppo/early_stopped"] == stopped


def test_whiten_rewards_is_used_by_the_trainer():
    from test_trainer import make_trainer

    runs = {}
    for whiten in (False, True):
        trainer, data = make_trainer(**{"ppo.whiten_rewards": whiten})
        torch.manual_seed(4)
        runs[whiten] = trainer.step(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8))
    assert runs[True]["env/reward_mean"] == runs[False]["env/reward_mean"]  # same samples
    assert runs[True]["ppo/returns/mean"] != pytest.approx(runs[False]["ppo/returns/mean"])


def test_every_logged_stat_has_a_definition_and_a_row_in_the_stats_doc():
    from test_trainer import make_trainer

    trainer, data = make_trainer()
    stats = trainer.step(trainer.rollout(data["input_ids"], data["prompt"], max_new_tokens=8))
    stats["env/toxicity_mean"] = 0.0  # logged when a reward model scores (this trainer uses a callable)
    stats = {re.sub(r"^env/reward/\w+_mean$", "env/reward/<term>_mean", name) for name in stats}
    assert stats == set(STAT_DEFINITIONS)
    doc = (ROOT / "docs" / "stats.md").read_text()
    table = set(re.findall(r"^\| `([^`]+)` \|", doc, flags=re.M))
    assert set(STAT_DEFINITIONS) <= table
