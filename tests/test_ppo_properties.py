"""Property tests (hypothesis) for rlhf_core.algorithms.ppo: masks, whitening, clipping bounds, KL signs."""

import math

import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rlhf_core.algorithms.kl_control import AdaptiveKLController
from rlhf_core.algorithms.ppo import (
    compute_advantages,
    compute_rewards,
    kl_penalty,
    logprobs_from_logits,
    masked_mean,
    masked_var,
    masked_whiten,
    ppo_losses,
)

SETTINGS = settings(max_examples=50, deadline=None)

finite = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)
garbage = st.one_of(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    st.sampled_from([float("nan"), float("inf"), -float("inf")]),
)


@st.composite
def shapes(draw, max_b=3, max_t=6):
    return draw(st.integers(1, max_b)), draw(st.integers(1, max_t))


def tensor(draw, shape, elements=finite):
    n = math.prod(shape)
    return torch.tensor(draw(st.lists(elements, min_size=n, max_size=n)), dtype=torch.float64).reshape(shape)


@st.composite
def masked_batch(draw, min_ones=1):
    """(values, mask, garbage-filled copy of values at masked-out positions) with >= min_ones real tokens."""
    B, T = draw(shapes())
    assume(B * T >= min_ones)
    mask = torch.tensor(draw(st.lists(st.booleans(), min_size=B * T, max_size=B * T))).reshape(B, T)
    assume(int(mask.sum()) >= min_ones)
    values = tensor(draw, (B, T))
    noise = tensor(draw, (B, T), garbage)
    return values, mask.double(), torch.where(mask, values, noise)


@st.composite
def right_padded(draw, min_total=1):
    """(mask, lengths) for right-padded responses: row b is lengths[b] ones then zeros."""
    B, T = draw(shapes())
    lengths = draw(st.lists(st.integers(1, T), min_size=B, max_size=B))
    assume(sum(lengths) >= min_total)
    mask = torch.tensor([[1.0 if i < n else 0.0 for i in range(T)] for n in lengths], dtype=torch.float64)
    return mask, lengths


# ---------------------------------------------------------------- masks are respected


@SETTINGS
@given(masked_batch())
def test_masked_mean_ignores_masked_out_values(batch):
    values, mask, dirty = batch
    assert torch.equal(masked_mean(values, mask), masked_mean(dirty, mask))


@SETTINGS
@given(masked_batch(min_ones=2))
def test_masked_whiten_ignores_masked_out_values(batch):
    values, mask, dirty = batch
    clean_out, dirty_out = masked_whiten(values, mask), masked_whiten(dirty, mask)
    assert torch.equal(clean_out, dirty_out)
    assert torch.all(dirty_out[mask == 0] == 0)


@SETTINGS
@given(st.data(), right_padded(min_total=2), st.floats(0.5, 1.0), st.floats(0.0, 1.0), st.booleans())
def test_advantages_ignore_garbage_after_last_real_token(data, padded, gamma, lam, whiten):
    mask, _ = padded
    B, T = mask.shape
    values, rewards = tensor(data.draw, (B, T)), tensor(data.draw, (B, T))
    real = mask.bool()
    dirty_values = torch.where(real, values, tensor(data.draw, (B, T), garbage))
    dirty_rewards = torch.where(real, rewards, tensor(data.draw, (B, T), garbage))
    adv, ret = compute_advantages(values, rewards, mask, gamma, lam, whiten)
    adv_d, ret_d = compute_advantages(dirty_values, dirty_rewards, mask, gamma, lam, whiten)
    assert torch.equal(adv[real], adv_d[real])
    assert torch.equal(ret[real], ret_d[real])
    assert torch.isfinite(adv_d).all() and torch.isfinite(ret_d).all()


@SETTINGS
@given(st.data(), right_padded(), st.floats(0.5, 1.0))
def test_gae_with_lambda_one_returns_discounted_reward_to_go(data, padded, gamma):
    # lam = 1: A_t = sum_{k>=t} gamma^(k-t) r_k - V_t, so returns are the Monte-Carlo reward-to-go
    mask, lengths = padded
    B, T = mask.shape
    values, rewards = tensor(data.draw, (B, T)), tensor(data.draw, (B, T))
    _, ret = compute_advantages(values, rewards, mask, gamma=gamma, lam=1.0, whiten_advantages=False)
    for b, n in enumerate(lengths):
        for i in range(n):
            expected = sum(gamma ** (k - i) * rewards[b, k].item() for k in range(i, n))
            assert abs(ret[b, i].item() - expected) < 1e-9


@SETTINGS
@given(st.data(), right_padded(), st.floats(0.0, 1.0))
def test_rewards_are_kl_penalty_plus_score_at_last_real_token(data, padded, kl_coef):
    mask, lengths = padded
    B, T = mask.shape
    scores = tensor(data.draw, (B,))
    logprobs, ref = tensor(data.draw, (B, T)), tensor(data.draw, (B, T))
    rewards, non_score, kls = compute_rewards(scores, logprobs, ref, mask, kl_coef)
    expected_bonus = torch.zeros(B, T, dtype=torch.float64)
    for b, n in enumerate(lengths):
        expected_bonus[b, n - 1] = scores[b]
    torch.testing.assert_close(rewards - non_score, expected_bonus, rtol=0, atol=1e-12)
    assert torch.all(kls[mask == 0] == 0)
    torch.testing.assert_close(non_score, -kl_coef * kls, rtol=0, atol=0)


# ---------------------------------------------------------------- whitening invariants


@SETTINGS
@given(masked_batch(min_ones=2), st.booleans())
def test_masked_whiten_has_zero_mean_unit_variance(batch, shift_mean):
    values, mask, _ = batch
    var = masked_var(values, mask)
    assume(var.item() > 1e-3)  # at least two distinct values, not swamped by the 1e-8 epsilon
    out = masked_whiten(values, mask, shift_mean=shift_mean)
    expected_mean = 0.0 if shift_mean else masked_mean(values, mask).item()
    assert abs(masked_mean(out, mask).item() - expected_mean) < 1e-9
    assert abs(masked_var(out, mask).item() - 1.0) < 1e-4


# ---------------------------------------------------------------- clipped losses are pessimistic


@st.composite
def ppo_batch(draw):
    values, mask, _ = draw(masked_batch())
    B, T = mask.shape
    small = st.floats(-1.0, 1.0)
    return dict(
        old_logprobs=tensor(draw, (B, T), small) - 1.0,
        old_values=tensor(draw, (B, T)),
        logprobs=tensor(draw, (B, T), small) - 1.0,
        vpreds=tensor(draw, (B, T)),
        advantages=values,
        returns=tensor(draw, (B, T)),
        mask=mask,
        cliprange=draw(st.floats(0.01, 0.5)),
        cliprange_value=draw(st.floats(0.01, 1.0)),
    )


@SETTINGS
@given(ppo_batch())
def test_clipped_policy_loss_is_at_least_unclipped_loss(kw):
    _, stats = ppo_losses(**kw)
    ratio = torch.exp(kw["logprobs"] - kw["old_logprobs"])
    unclipped = masked_mean(-kw["advantages"] * ratio, kw["mask"])
    assert stats["ppo/loss/policy"].item() >= unclipped.item() - 1e-12
    assert 0.0 <= stats["ppo/policy/clipfrac"].item() <= 1.0


@SETTINGS
@given(ppo_batch())
def test_clipped_value_loss_is_at_least_unclipped_loss(kw):
    _, stats = ppo_losses(**kw)
    unclipped = 0.5 * masked_mean((kw["vpreds"] - kw["returns"]) ** 2, kw["mask"])
    assert stats["ppo/loss/value"].item() >= unclipped.item() - 1e-12
    assert 0.0 <= stats["ppo/val/clipfrac"].item() <= 1.0


@SETTINGS
@given(ppo_batch())
def test_first_ppo_step_has_unit_ratio_and_no_clipping(kw):
    kw = dict(kw, logprobs=kw["old_logprobs"].clone(), vpreds=kw["old_values"].clone())
    loss, stats = ppo_losses(**kw)
    assert stats["ppo/policy/ratio_mean"].item() == 1.0
    assert stats["ppo/policy/clipfrac"].item() == 0.0
    assert stats["ppo/val/clipfrac"].item() == 0.0
    assert stats["ppo/policy/approxkl"].item() == 0.0
    assert stats["ppo/policy/policykl"].item() == 0.0
    # ratio 1 -> policy loss is -mean(A)
    assert abs(stats["ppo/loss/policy"].item() + masked_mean(kw["advantages"], kw["mask"]).item()) < 1e-12


@SETTINGS
@given(ppo_batch(), garbage)
def test_ppo_loss_ignores_masked_out_positions(kw, junk):
    loss, _ = ppo_losses(**kw)
    pad = kw["mask"] == 0
    dirty = {k: (torch.where(pad, torch.full_like(v, junk), v) if k not in ("mask", "cliprange", "cliprange_value")
                 else v) for k, v in kw.items()}
    loss_d, _ = ppo_losses(**dirty)
    assert torch.equal(loss, loss_d)


# ---------------------------------------------------------------- KL estimators


@st.composite
def logit_pair(draw):
    B, T = draw(shapes(max_b=2, max_t=3))
    V = draw(st.integers(2, 6))
    return tensor(draw, (B, T, V)), tensor(draw, (B, T, V))


@SETTINGS
@given(st.data(), shapes())
def test_abs_and_mse_penalties_are_nonnegative(data, shape):
    logp, ref = tensor(data.draw, shape), tensor(data.draw, shape)
    assert torch.all(kl_penalty(logp, ref, "abs") >= 0)
    assert torch.all(kl_penalty(logp, ref, "mse") >= 0)


@SETTINGS
@given(logit_pair())
def test_full_kl_is_nonnegative_and_zero_for_identical_logits(pair):
    logits, ref_logits = pair
    B, T, _ = logits.shape
    dummy = torch.zeros(B, T, dtype=torch.float64)
    assert torch.all(kl_penalty(dummy, dummy, "full", logits=logits, ref_logits=ref_logits) >= -1e-12)
    assert torch.all(kl_penalty(dummy, dummy, "full", logits=logits, ref_logits=logits.clone()) == 0)


@SETTINGS
@given(st.data(), shapes())
def test_kl_estimator_is_zero_when_policy_equals_reference(data, shape):
    logp = tensor(data.draw, shape)
    assert torch.all(kl_penalty(logp, logp.clone(), "kl") == 0)


@SETTINGS
@given(logit_pair())
def test_kl_estimator_is_unbiased_exact_expectation_equals_full_kl(pair):
    # E_{x~p}[log p(x) - log q(x)] = KL(p || q): take the expectation exactly by enumerating the vocabulary
    logits, ref_logits = pair
    B, T, V = logits.shape
    full = kl_penalty(None, None, "full", logits=logits, ref_logits=ref_logits)  # (B, T)
    expectation = torch.zeros(B, T, dtype=torch.float64)
    p = torch.softmax(logits, dim=-1)
    for v in range(V):
        labels = torch.full((B, T), v)
        k1 = kl_penalty(logprobs_from_logits(logits, labels), logprobs_from_logits(ref_logits, labels), "kl")
        expectation += p[..., v] * k1
    torch.testing.assert_close(expectation, full, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- log-probs and KL controller


@SETTINGS
@given(logit_pair(), st.floats(0.1, 5.0))
def test_logprobs_normalise_and_temperature_divides_logits(pair, temperature):
    logits, _ = pair
    B, T, V = logits.shape
    total = sum(logprobs_from_logits(logits, torch.full((B, T), v), temperature).exp() for v in range(V))
    torch.testing.assert_close(total, torch.ones(B, T, dtype=torch.float64))
    labels = torch.zeros(B, T, dtype=torch.long)
    torch.testing.assert_close(
        logprobs_from_logits(logits, labels, temperature), logprobs_from_logits(logits / temperature, labels)
    )


@SETTINGS
@given(st.floats(0.0, 100.0), st.floats(0.1, 20.0), st.integers(1, 1000), st.floats(1e-3, 1.0))
def test_adaptive_kl_moves_toward_target_by_bounded_factor(current, target, n_steps, init):
    horizon = 10000
    ctl = AdaptiveKLController(init_kl_coef=init, target=target, horizon=horizon)
    ctl.update(current, n_steps)
    mult = ctl.value / init
    bound = 0.2 * n_steps / horizon
    assert 1 - bound - 1e-12 <= mult <= 1 + bound + 1e-12
    if current > target:
        assert ctl.value >= init
    elif current < target:
        assert ctl.value <= init
