"""RLOO / GRPO / Dr. GRPO math: hand-computed cases and hypothesis properties (rlhf_core.algorithms.critic_free)."""

import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlhf_core.algorithms.critic_free import (
    GRPO_STD_EPS,
    clipped_surrogate,
    grpo_advantages,
    k3_kl,
    policy_loss,
    rloo_advantages,
    sequence_kl,
)

SETTINGS = settings(max_examples=50, deadline=None)
finite = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)


def t(values):
    return torch.tensor(values, dtype=torch.float64)


# ---------------------------------------------------------------- hand-computed cases


def test_rloo_advantage_is_reward_minus_mean_of_the_others():
    # group 1: [1, 2, 6] -> baselines [4, 3.5, 1.5]; group 2: [0, 0, 3] -> [1.5, 1.5, 0]
    adv = rloo_advantages(t([1.0, 2.0, 6.0, 0.0, 0.0, 3.0]), k=3)
    torch.testing.assert_close(adv, t([-3.0, -1.5, 4.5, -1.5, -1.5, 3.0]))


def test_grpo_advantage_divides_by_the_unbiased_group_std():
    # [1, 3]: mean 2, unbiased std sqrt(2); [5, 5]: no spread
    adv, zero_std = grpo_advantages(t([1.0, 3.0, 5.0, 5.0]), k=2)
    s = math.sqrt(2.0) + GRPO_STD_EPS
    torch.testing.assert_close(adv, t([-1 / s, 1 / s, 0.0, 0.0]))
    assert zero_std.tolist() == [False, True]


def test_dr_grpo_advantage_is_centred_only():
    adv, _ = grpo_advantages(t([1.0, 3.0, 10.0, 4.0]), k=2, scale=False)
    torch.testing.assert_close(adv, t([-1.0, 1.0, 3.0, -3.0]))


def test_k3_kl_by_hand():
    # ref - logp = log 2: 2 - log 2 - 1
    out = k3_kl(t([[math.log(0.25)]]), t([[math.log(0.5)]]))
    assert out.item() == pytest.approx(1.0 - math.log(2.0))


def test_sequence_kl_sums_real_tokens_only():
    mask = t([[1, 1, 0], [1, 0, 0]])
    logp = t([[-1.0, -2.0, float("nan")], [-0.5, float("inf"), 3.0]])
    ref = t([[-1.5, -1.0, 0.0], [-1.0, 0.0, 0.0]])
    torch.testing.assert_close(sequence_kl(logp, ref, mask), t([0.5 - 1.0, 0.5]))


def test_clipping_by_hand():
    # ratios e^0.5 ~ 1.65 (A > 0: clipped to 1.2) and e^-0.5 ~ 0.61 (A < 0: clipped to 0.8)
    logp, old = t([[0.5, -0.5]]), t([[0.0, 0.0]])
    loss, low, high = clipped_surrogate(logp, old, t([2.0]))
    torch.testing.assert_close(loss, t([[-2.0 * 1.2, -2.0 * math.exp(-0.5)]]))
    assert high.tolist() == [[True, False]] and low.tolist() == [[False, False]]
    loss, low, high = clipped_surrogate(logp, old, t([-1.0]))
    torch.testing.assert_close(loss, t([[math.exp(0.5), 0.8]]))
    assert low.tolist() == [[False, True]] and high.tolist() == [[False, False]]


def test_loss_aggregations_by_hand():
    # ratio 1 everywhere: per-token loss = -A. Row 0 has 2 tokens (A=1), row 1 has 1 token (A=-2).
    mask = t([[1, 1, 0], [1, 0, 0]])
    lp = torch.zeros(2, 3, dtype=torch.float64)
    adv = t([1.0, -2.0])
    grpo, stats = policy_loss(lp, lp, adv, mask, "grpo")
    assert grpo.item() == pytest.approx((-1.0 + 2.0) / 2)  # per-row means -1 and 2
    rloo, _ = policy_loss(lp, lp, adv, mask, "rloo")
    assert rloo.item() == pytest.approx((-2.0 + 2.0) / 2)  # per-row sums -2 and 2
    dr, _ = policy_loss(lp, lp, adv, mask, "dr_grpo", max_length=4)
    assert dr.item() == pytest.approx((-1 - 1 + 2) / (2 * 4))
    assert stats["clip_ratio/region_mean"].item() == 0.0 and "kl" not in stats


def test_kl_term_adds_beta_times_k3_per_token():
    mask = t([[1, 1]])
    lp, ref = t([[-1.0, -2.0]]), t([[-1.5, -1.0]])
    base, _ = policy_loss(lp, lp, t([0.0]), mask, "grpo")
    with_kl, stats = policy_loss(lp, lp, t([0.0]), mask, "grpo", ref_logprobs=ref, beta=0.1)
    expected_kl = k3_kl(lp, ref).mean()
    assert base.item() == 0.0
    assert with_kl.item() == pytest.approx(0.1 * expected_kl.item())
    assert stats["kl"].item() == pytest.approx(expected_kl.item())


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="groups of k=3"):
        rloo_advantages(t([1.0, 2.0]), k=3)
    with pytest.raises(ValueError, match="at least 2"):
        grpo_advantages(t([1.0, 2.0]), k=1)
    with pytest.raises(ValueError, match="loss_type"):
        policy_loss(t([[0.0]]), t([[0.0]]), t([1.0]), t([[1.0]]), "ppo")
    with pytest.raises(ValueError, match="ref_logprobs"):
        policy_loss(t([[0.0]]), t([[0.0]]), t([1.0]), t([[1.0]]), beta=0.1)


# ---------------------------------------------------------------- properties


@st.composite
def grouped(draw):
    k = draw(st.integers(2, 5))
    groups = draw(st.integers(1, 4))
    rewards = t(draw(st.lists(finite, min_size=k * groups, max_size=k * groups)))
    return rewards, k


@SETTINGS
@given(grouped())
def test_rloo_advantages_sum_to_zero_in_each_group(batch):
    rewards, k = batch
    adv = rloo_advantages(rewards, k).view(-1, k)
    torch.testing.assert_close(adv.sum(dim=1), torch.zeros(adv.shape[0], dtype=torch.float64), atol=1e-9, rtol=0)


@SETTINGS
@given(grouped())
def test_rloo_is_k_over_k_minus_one_times_the_centred_reward(batch):
    rewards, k = batch
    centred, _ = grpo_advantages(rewards, k, scale=False)
    torch.testing.assert_close(rloo_advantages(rewards, k), centred * k / (k - 1), atol=1e-9, rtol=1e-9)


@SETTINGS
@given(grouped(), finite)
def test_advantages_ignore_a_shift_shared_by_the_group(batch, shift):
    rewards, k = batch
    torch.testing.assert_close(rloo_advantages(rewards + shift, k), rloo_advantages(rewards, k), atol=1e-8, rtol=0)
    a, _ = grpo_advantages(rewards, k)
    b, _ = grpo_advantages(rewards + shift, k)
    torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


@SETTINGS
@given(grouped())
def test_grpo_groups_are_standardised(batch):
    rewards, k = batch
    adv, zero_std = grpo_advantages(rewards, k, eps=0.0 + 1e-12)
    groups = rewards.view(-1, k)
    spread = groups.std(dim=1) > 1e-3
    adv = adv.view(-1, k)
    for g in range(groups.shape[0]):
        if zero_std[g]:
            assert torch.all(adv[g] == 0)
        elif spread[g]:
            assert abs(adv[g].mean().item()) < 1e-9
            assert abs(adv[g].std().item() - 1.0) < 1e-6


@SETTINGS
@given(st.data(), st.integers(1, 3), st.integers(1, 5))
def test_k3_is_nonnegative_and_zero_only_at_equal_logprobs(data, b, tt):
    n = b * tt
    logp = t(data.draw(st.lists(finite, min_size=n, max_size=n))).view(b, tt)
    ref = t(data.draw(st.lists(finite, min_size=n, max_size=n))).view(b, tt)
    assert torch.all(k3_kl(logp, ref) >= 0)
    assert torch.all(k3_kl(logp, logp.clone()) == 0)


@st.composite
def loss_batch(draw):
    b, tt = draw(st.integers(1, 4)), draw(st.integers(1, 5))
    lengths = draw(st.lists(st.integers(1, tt), min_size=b, max_size=b))
    mask = t([[1.0 if i < n else 0.0 for i in range(tt)] for n in lengths])
    small = st.floats(-1.0, 1.0)
    logp = t(draw(st.lists(small, min_size=b * tt, max_size=b * tt))).view(b, tt) - 1.0
    old = t(draw(st.lists(small, min_size=b * tt, max_size=b * tt))).view(b, tt) - 1.0
    adv = t(draw(st.lists(finite, min_size=b, max_size=b)))
    return logp, old, adv, mask, draw(st.floats(0.01, 0.5)), draw(st.floats(0.01, 0.5))


@SETTINGS
@given(loss_batch(), st.sampled_from(["grpo", "dr_grpo", "rloo"]))
def test_clipped_loss_is_at_least_the_unclipped_one(batch, loss_type):
    logp, old, adv, mask, lo, hi = batch
    loss, stats = policy_loss(logp, old, adv, mask, loss_type, epsilon_low=lo, epsilon_high=hi)
    unclipped, _ = policy_loss(logp, old, adv, mask, loss_type, epsilon_low=1e9, epsilon_high=1e9)
    assert loss.item() >= unclipped.item() - 1e-9
    assert 0.0 <= stats["clip_ratio/region_mean"].item() <= 1.0


@SETTINGS
@given(loss_batch(), st.sampled_from(["grpo", "dr_grpo", "rloo"]), st.sampled_from([float("nan"), float("inf")]))
def test_loss_ignores_padding(batch, loss_type, junk):
    logp, old, adv, mask, lo, hi = batch
    pad = mask == 0
    dirty_logp, dirty_old = logp.masked_fill(pad, junk), old.masked_fill(pad, junk)
    a, _ = policy_loss(logp, old, adv, mask, loss_type, ref_logprobs=old, beta=0.1)
    b, _ = policy_loss(dirty_logp, dirty_old, adv, mask, loss_type, ref_logprobs=dirty_old, beta=0.1)
    assert torch.equal(a, b)


@SETTINGS
@given(loss_batch())
def test_first_update_gradient_is_the_reinforce_gradient(batch):
    # At ratio 1 the RLOO loss' gradient w.r.t. each real token's log-prob is -A_b / B.
    _, old, adv, mask, lo, hi = batch
    logp = old.clone().requires_grad_(True)
    loss, _ = policy_loss(logp, old, adv, mask, "rloo", epsilon_low=lo, epsilon_high=hi)
    loss.backward()
    expected = -adv.unsqueeze(-1) * mask / mask.shape[0]
    torch.testing.assert_close(logp.grad, expected, atol=1e-12, rtol=0)


@SETTINGS
@given(grouped())
def test_equal_rewards_give_zero_advantage_everywhere(batch):
    rewards, k = batch
    assume(rewards.numel() >= k)
    flat = rewards.view(-1, k)[:, :1].expand(-1, k).reshape(-1).clone()
    adv, zero_std = grpo_advantages(flat, k)
    assert torch.all(adv == 0) and torch.all(zero_std)
    assert torch.all(rloo_advantages(flat, k) == 0)
