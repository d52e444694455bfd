"""Hand-computed checks of rlhf_core.algorithms.ppo: every expected number is worked out in the test."""

import math

import pytest
import torch

from rlhf_core.algorithms.kl_control import AdaptiveKLController, FixedKLController
from rlhf_core.algorithms.ppo import (
    compute_advantages,
    compute_rewards,
    entropy_from_logits,
    kl_penalty,
    logprobs_from_logits,
    masked_mean,
    masked_var,
    masked_whiten,
    ppo_losses,
    token_logprobs,
)


def t(x):
    return torch.tensor(x, dtype=torch.float64)


def close(actual, expected, tol=1e-9):
    expected = expected if isinstance(expected, torch.Tensor) else t(expected)
    torch.testing.assert_close(actual.to(torch.float64), expected.to(torch.float64), rtol=0, atol=tol)


# ---------------------------------------------------------------- masked statistics


def test_masked_mean_over_all_masked_elements():
    values = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = t([[1, 1, 0], [1, 0, 0]])
    # (1 + 2 + 4) / 3
    close(masked_mean(values, mask), 7.0 / 3.0)


def test_masked_mean_per_row_with_dim():
    values = t([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    mask = t([[1, 1, 0], [1, 0, 0]])
    # row 0: (1 + 2) / 2 = 1.5; row 1: 4 / 1 = 4
    close(masked_mean(values, mask, dim=1), [1.5, 4.0])


def test_masked_mean_accepts_bool_mask_and_ignores_nan_in_padding():
    values = t([[1.0, 3.0, float("nan")]])
    mask = torch.tensor([[True, True, False]])
    # (1 + 3) / 2
    close(masked_mean(values, mask), 2.0)


def test_masked_var_unbiased_and_biased():
    values = t([[1.0, 2.0, 3.0, 100.0]])
    mask = t([[1, 1, 1, 0]])
    # mean = 2; squared deviations 1, 0, 1 -> biased 2/3; unbiased (2/3) * 3/2 = 1
    close(masked_var(values, mask, unbiased=False), 2.0 / 3.0)
    close(masked_var(values, mask, unbiased=True), 1.0)


def test_masked_var_empty_mask_raises():
    with pytest.raises(ValueError, match="no elements"):
        masked_var(t([[1.0, 2.0]]), t([[0, 0]]), unbiased=False)


def test_masked_var_single_element_unbiased_raises_but_biased_is_zero():
    values, mask = t([[5.0, 7.0]]), t([[1, 0]])
    with pytest.raises(ValueError, match="at least 2"):
        masked_var(values, mask, unbiased=True)
    close(masked_var(values, mask, unbiased=False), 0.0)


def test_masked_whiten_uses_masked_stats_and_zeroes_padding():
    values = t([[1.0, 2.0, 3.0, 100.0]])
    mask = t([[1, 1, 1, 0]])
    # mean = 2, unbiased var = 1 -> (v - 2) / sqrt(1 + 1e-8); padding -> 0
    s = 1.0 / math.sqrt(1.0 + 1e-8)
    close(masked_whiten(values, mask), [[-1.0 * s, 0.0, 1.0 * s, 0.0]])


def test_masked_whiten_without_shift_mean_adds_mean_back():
    values = t([[1.0, 2.0, 3.0, 100.0]])
    mask = t([[1, 1, 1, 0]])
    s = 1.0 / math.sqrt(1.0 + 1e-8)
    # (v - 2) * s + 2 at real tokens, 0 at padding
    close(masked_whiten(values, mask, shift_mean=False), [[2 - s, 2.0, 2 + s, 0.0]])


def test_masked_whiten_scales_by_std():
    values = t([[0.0, 4.0]])
    mask = t([[1, 1]])
    # mean 2, unbiased var = (4 + 4) / 1 = 8 -> (v - 2) / sqrt(8)
    close(masked_whiten(values, mask), [[-2 / math.sqrt(8 + 1e-8), 2 / math.sqrt(8 + 1e-8)]])


# ---------------------------------------------------------------- log-probs and entropy


def test_logprobs_from_logits_hand_computed():
    logits = t([[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])  # (1, 2, 3)
    labels = torch.tensor([[2, 0]])
    z = math.exp(1) + math.exp(2) + math.exp(3)
    # token 0: 3 - log(e^1 + e^2 + e^3); token 1: uniform over 3 -> -log 3
    close(logprobs_from_logits(logits, labels), [[3 - math.log(z), -math.log(3)]])


def test_logprobs_from_logits_temperature_divides_logits():
    logits = t([[[1.0, 2.0, 3.0]]])
    labels = torch.tensor([[2]])
    # logits / 2 = [0.5, 1, 1.5] -> 1.5 - log(e^0.5 + e^1 + e^1.5)
    expected = 1.5 - math.log(math.exp(0.5) + math.exp(1.0) + math.exp(1.5))
    close(logprobs_from_logits(logits, labels, temperature=2.0), [[expected]])


def test_logprobs_from_logits_matches_manual_log_softmax():
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(2, 3, 5, generator=g)
    labels = torch.randint(0, 5, (2, 3), generator=g)
    manual = logits - logits.exp().sum(-1, keepdim=True).log()  # (2, 3, 5)
    expected = torch.stack([torch.stack([manual[b, i, labels[b, i]] for i in range(3)]) for b in range(2)])
    torch.testing.assert_close(logprobs_from_logits(logits, labels), expected)


def test_logprobs_from_logits_bf16_computed_in_float32():
    logits = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.bfloat16)  # exactly representable
    out = logprobs_from_logits(logits, torch.tensor([[2]]))
    assert out.dtype == torch.float32
    expected = 3 - math.log(math.exp(1) + math.exp(2) + math.exp(3))
    assert abs(out.item() - expected) < 1e-6  # bf16 arithmetic would be off by ~1e-3


def test_logprobs_from_logits_rejects_nonpositive_temperature():
    with pytest.raises(ValueError, match="temperature"):
        logprobs_from_logits(t([[[1.0, 2.0]]]), torch.tensor([[0]]), temperature=0.0)


def test_entropy_from_logits_uniform_and_two_point():
    # uniform over 4 -> log 4; p = [1/4, 3/4] (logits [0, log 3]) -> -(1/4 log 1/4 + 3/4 log 3/4)
    logits = t([[[0.0, 0.0, 0.0, 0.0], [0.0, math.log(3), -math.inf, -math.inf]]])
    expected = [[math.log(4), -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))]]
    close(entropy_from_logits(logits), expected)


def test_entropy_from_logits_deterministic_is_zero_not_nan():
    logits = t([[[5.0, -math.inf, -math.inf]]])
    close(entropy_from_logits(logits), [[0.0]])


# ---------------------------------------------------------------- the update's chunked log-probs


def test_token_logprobs_hand_computed_with_entropy_and_gradient():
    logits = t([[[1.0, 2.0, 3.0], [0.0, math.log(3), -math.inf]]]).requires_grad_(True)  # (1, 2, 3)
    labels = torch.tensor([[2, 1]])
    lp, entropy = token_logprobs(logits, labels, with_entropy=True)
    z = math.exp(1) + math.exp(2) + math.exp(3)
    # token 0: 3 - log z; token 1: p = [1/4, 3/4, 0] -> log 3/4, entropy without nan from the -inf logit
    close(lp, [[3 - math.log(z), math.log(0.75)]])
    close(entropy, [[-sum(e / z * math.log(e / z) for e in (math.e, math.e**2, math.e**3)),
                     -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))]])
    assert not entropy.requires_grad
    lp.sum().backward()
    # d log p(label) / d logit_v = [v == label] - p(v)
    close(logits.grad, [[[-math.e / z, -math.e**2 / z, 1 - math.e**3 / z], [-0.25, 0.25, 0.0]]])


@pytest.mark.parametrize("dtype,temperature", [(torch.float32, 1.0), (torch.float32, 0.7), (torch.bfloat16, 1.0),
                                               (torch.bfloat16, 1.3)])
def test_token_logprobs_equals_log_softmax_path_in_chunks(monkeypatch, dtype, temperature):
    """Values and gradient of logprobs_from_logits / entropy_from_logits (the TRL formulas), also
    when the positions are split into chunks of 3 that do not divide them."""
    import rlhf_core.algorithms.ppo as ppo_module

    monkeypatch.setattr(ppo_module, "_chunk_rows", lambda logits: 3)
    g = torch.Generator().manual_seed(0)
    base = (3 * torch.randn(2, 5, 40, generator=g)).to(dtype)
    labels = torch.randint(0, 40, (2, 5), generator=g)
    weights = torch.randn(2, 5, generator=g)
    a, b = base.clone().requires_grad_(True), base.clone().requires_grad_(True)
    expected = logprobs_from_logits(a, labels, temperature)
    (expected * weights).sum().backward()
    lp, entropy = token_logprobs(b, labels, temperature, with_entropy=True)
    (lp * weights).sum().backward()
    assert lp.dtype == torch.float32 and b.grad.dtype == dtype
    torch.testing.assert_close(lp, expected, rtol=0, atol=2e-6)
    torch.testing.assert_close(entropy, entropy_from_logits(base), rtol=0, atol=2e-5)
    grad_tol = 1e-6 if dtype == torch.float32 else 8e-3  # bf16 gradients: one rounding apart at most
    torch.testing.assert_close(b.grad.float(), a.grad.float(), rtol=0, atol=grad_tol)


def test_token_logprobs_gradient_passes_gradcheck():
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(2, 3, 6, dtype=torch.float64, generator=g, requires_grad=True)
    labels = torch.randint(0, 6, (2, 3), generator=g)
    assert torch.autograd.gradcheck(lambda x: token_logprobs(x, labels, 0.8)[0], (logits,))


def test_token_logprobs_rejects_bad_shapes_and_temperature():
    with pytest.raises(ValueError, match="temperature"):
        token_logprobs(t([[[1.0, 2.0]]]), torch.tensor([[0]]), temperature=0.0)
    with pytest.raises(ValueError, match="labels"):
        token_logprobs(t([[[1.0, 2.0]]]), torch.tensor([0]))


# ---------------------------------------------------------------- KL penalty


LOGP = t([[-1.0, -2.0]])
REF = t([[-1.5, -1.0]])  # d = logp - ref = [0.5, -1.0]


def test_kl_penalty_kl_is_difference():
    close(kl_penalty(LOGP, REF, "kl"), [[0.5, -1.0]])


def test_kl_penalty_abs():
    close(kl_penalty(LOGP, REF, "abs"), [[0.5, 1.0]])


def test_kl_penalty_mse_is_half_squared():
    # 0.5 * 0.5^2 = 0.125; 0.5 * 1^2 = 0.5
    close(kl_penalty(LOGP, REF, "mse"), [[0.125, 0.5]])


def test_kl_penalty_full_from_logits():
    logits = t([[[0.0, 0.0]]])  # p = [1/2, 1/2]
    ref_logits = t([[[0.0, math.log(3)]]])  # q = [1/4, 3/4]
    # KL = 1/2 log(1/2 / 1/4) + 1/2 log(1/2 / 3/4) = 1/2 log 2 + 1/2 log(2/3)
    expected = 0.5 * math.log(2) + 0.5 * math.log(2 / 3)
    out = kl_penalty(t([[0.0]]), t([[0.0]]), "full", logits=logits, ref_logits=ref_logits)
    close(out, [[expected]])


def test_kl_penalty_unknown_kind_raises():
    with pytest.raises(ValueError, match="unknown"):
        kl_penalty(LOGP, REF, "reverse")


def test_kl_penalty_full_without_logits_raises():
    with pytest.raises(ValueError, match="full"):
        kl_penalty(LOGP, REF, "full", logits=t([[[0.0, 0.0]]] * 2))


# ---------------------------------------------------------------- rewards


def _rewards_example():
    scores = t([2.0, -1.0])
    logprobs = t([[-1.0, -1.0, -1.0, -1.0], [-2.0, -2.0, -2.0, -2.0]])
    ref = t([[-1.5, -0.5, -1.0, -3.0], [-1.0, -2.0, -3.0, -4.0]])
    # d row 0 = [0.5, -0.5, 0, 2]; row 1 = [-1, 0, 1, 2]
    mask = t([[1, 1, 1, 0], [1, 0, 0, 0]])  # trailing zeros; row 1 only a leading 1
    return compute_rewards(scores, logprobs, ref, mask, kl_coef=0.1)


def test_compute_rewards_kls_are_masked():
    _, _, kls = _rewards_example()
    close(kls, [[0.5, -0.5, 0.0, 0.0], [-1.0, 0.0, 0.0, 0.0]])


def test_compute_rewards_non_score_is_minus_coef_times_kl():
    _, non_score, _ = _rewards_example()
    # -0.1 * kls
    close(non_score, [[-0.05, 0.05, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0]])


def test_compute_rewards_score_on_last_real_token():
    rewards, _, _ = _rewards_example()
    # row 0: last real token t=2 -> 0 + 2.0; row 1: only t=0 -> 0.1 - 1.0
    close(rewards, [[-0.05, 0.05, 2.0, 0.0], [-0.9, 0.0, 0.0, 0.0]])


def test_compute_rewards_last_token_found_from_mask_not_position():
    # a leading 0 and trailing 0: the only real tokens are t=1,2 -> score at t=2
    z = t([[0.0, 0.0, 0.0, 0.0]])
    rewards, _, _ = compute_rewards(t([3.0]), z, z, t([[0, 1, 1, 0]]), kl_coef=0.1)
    close(rewards, [[0.0, 0.0, 3.0, 0.0]])


def test_compute_rewards_all_zero_mask_row_raises():
    z = t([[0.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match=r"all zeros.*\[1\]"):
        compute_rewards(t([1.0, 1.0]), z, z, t([[1, 0], [0, 0]]), kl_coef=0.1)


def test_compute_rewards_does_not_modify_non_score_in_place():
    rewards, non_score, _ = _rewards_example()
    assert rewards[0, 2].item() != non_score[0, 2].item()
    assert non_score[0, 2].item() == 0.0


# ---------------------------------------------------------------- GAE


def test_gae_1x3_gamma1_lam095():
    values = t([[0.5, 1.0, 1.5]])
    rewards = t([[0.0, 0.0, 1.0]])
    mask = t([[1, 1, 1]])
    # t=2: delta = 1 + 1*0   - 1.5 = -0.5;  A2 = -0.5
    # t=1: delta = 0 + 1*1.5 - 1.0 =  0.5;  A1 = 0.5 + 0.95 * (-0.5)  = 0.025
    # t=0: delta = 0 + 1*1.0 - 0.5 =  0.5;  A0 = 0.5 + 0.95 * 0.025   = 0.52375
    adv, ret = compute_advantages(values, rewards, mask, gamma=1.0, lam=0.95, whiten_advantages=False)
    close(adv, [[0.52375, 0.025, -0.5]])
    # returns = A + V
    close(ret, [[0.52375 + 0.5, 0.025 + 1.0, -0.5 + 1.5]])


def test_gae_discounting_with_gamma_and_lam():
    values = t([[1.0, 2.0]])
    rewards = t([[1.0, 3.0]])
    # gamma = 0.9, lam = 0.5, gamma*lam = 0.45
    # t=1: delta = 3 + 0.9*0 - 2 = 1;      A1 = 1
    # t=0: delta = 1 + 0.9*2 - 1 = 1.8;    A0 = 1.8 + 0.45 * 1 = 2.25
    adv, ret = compute_advantages(values, rewards, t([[1, 1]]), gamma=0.9, lam=0.5, whiten_advantages=False)
    close(adv, [[2.25, 1.0]])
    close(ret, [[3.25, 3.0]])


def test_gae_right_padding_is_zeroed_before_the_loop():
    # same as the 1x3 case plus a padded 4th token holding garbage value 99 and reward 7
    values = t([[0.5, 1.0, 1.5, 99.0]])
    rewards = t([[0.0, 0.0, 1.0, 7.0]])
    adv, ret = compute_advantages(values, rewards, t([[1, 1, 1, 0]]), whiten_advantages=False)
    close(adv, [[0.52375, 0.025, -0.5, 0.0]])
    close(ret, [[1.02375, 1.025, 1.0, 0.0]])


def test_gae_whitened_advantages():
    values = t([[0.5, 1.0, 1.5, 99.0]])
    rewards = t([[0.0, 0.0, 1.0, 7.0]])
    raw = [0.52375, 0.025, -0.5]
    mean = sum(raw) / 3  # 0.01625
    var = sum((a - mean) ** 2 for a in raw) / 2  # unbiased
    expected = [(a - mean) / math.sqrt(var + 1e-8) for a in raw] + [0.0]
    adv, ret = compute_advantages(values, rewards, t([[1, 1, 1, 0]]), gamma=1.0, lam=0.95)
    close(adv, [expected])
    close(ret, [[1.02375, 1.025, 1.0, 0.0]])  # returns use the raw advantages


def test_gae_outputs_are_detached():
    values = t([[0.5, 1.0, 1.5]]).requires_grad_()
    adv, ret = compute_advantages(values, t([[0.0, 0.0, 1.0]]), t([[1, 1, 1]]))
    assert not adv.requires_grad and not ret.requires_grad


# ---------------------------------------------------------------- PPO losses

# three real tokens and one padded token full of garbage
OLD_LP = t([[0.0, 0.0, 0.0, 0.0]])
NEW_LP = t([[math.log(1.5), math.log(0.5), math.log(0.5), 50.0]])  # ratio = [1.5, 0.5, 0.5, e^50]
ADV = t([[1.0, 1.0, -1.0, 1e6]])
OLD_V = t([[0.0, 0.0, 0.0, 0.0]])
VPRED = t([[0.5, 0.1, -0.3, 9.0]])
RET = t([[1.0, 0.0, 0.0, -9.0]])
MASK = t([[1, 1, 1, 0]])


def _losses(**kw):
    args = dict(old_logprobs=OLD_LP, old_values=OLD_V, logprobs=NEW_LP, vpreds=VPRED,
                advantages=ADV, returns=RET, mask=MASK)
    args.update(kw)
    return ppo_losses(**args)


def test_policy_loss_takes_pessimistic_branch():
    _, stats = _losses()
    # pg1 = -A * ratio         = [-1.5, -0.5,  0.5]
    # pg2 = -A * clip(r,.8,1.2) = [-1.2, -0.8,  0.8]
    # max                       = [-1.2, -0.5,  0.8] -> mean = -0.9 / 3 = -0.3
    close(stats["ppo/loss/policy"], -0.3)


def test_policy_clipfrac_counts_tokens_where_clipped_branch_wins():
    _, stats = _losses()
    # pg2 > pg1 at tokens 0 (ratio 1.5, A>0) and 2 (ratio 0.5, A<0), not at token 1
    close(stats["ppo/policy/clipfrac"], 2.0 / 3.0)


def test_policy_gradient_is_zero_where_clipped():
    new_lp = NEW_LP.clone().requires_grad_()
    loss, _ = _losses(logprobs=new_lp, vf_coef=0.0)
    loss.backward()
    # tokens 0 and 2 are clipped -> no gradient; token 1: d/dlp (-A * e^lp) / 3 = -1 * 0.5 / 3
    close(new_lp.grad, [[0.0, -0.5 / 3.0, 0.0, 0.0]])


def test_value_loss_takes_larger_clipped_error():
    _, stats = _losses()
    # vpredclipped = clamp(vpred, -0.2, 0.2) = [0.2, 0.1, -0.2]
    # vf1 = (vpred - R)^2     = [0.25, 0.01, 0.09]
    # vf2 = (vclipped - R)^2  = [0.64, 0.01, 0.04]
    # 0.5 * mean(max) = 0.5 * (0.64 + 0.01 + 0.09) / 3 = 0.37 / 3
    close(stats["ppo/loss/value"], 0.37 / 3.0)
    # vf2 > vf1 only at token 0
    close(stats["ppo/val/clipfrac"], 1.0 / 3.0)


def test_total_loss_is_policy_plus_vf_coef_times_value():
    loss, stats = _losses(vf_coef=0.1)
    close(loss, -0.3 + 0.1 * 0.37 / 3.0)
    close(stats["ppo/loss/total"], -0.3 + 0.1 * 0.37 / 3.0)


def test_ppo_policy_stats():
    _, s = _losses()
    lr = [math.log(1.5), math.log(0.5), math.log(0.5)]
    close(s["ppo/policy/approxkl"], 0.5 * sum(x * x for x in lr) / 3)
    close(s["ppo/policy/policykl"], -sum(lr) / 3)
    close(s["ppo/policy/ratio_mean"], (1.5 + 0.5 + 0.5) / 3)
    close(s["ppo/policy/advantages_mean"], (1.0 + 1.0 - 1.0) / 3)


def test_ppo_value_and_return_stats():
    _, s = _losses()
    # returns [1, 0, 0]: mean 1/3; squared deviations 4/9 + 1/9 + 1/9 = 6/9, unbiased / 2 = 1/3
    close(s["ppo/returns/mean"], 1.0 / 3.0)
    close(s["ppo/returns/var"], 1.0 / 3.0)
    close(s["ppo/val/vpred"], (0.5 + 0.1 - 0.3) / 3)
    # val error = mean((vpred - R)^2) = (0.25 + 0.01 + 0.09) / 3 = 0.35 / 3
    close(s["ppo/val/error"], 0.35 / 3.0)
    # 1 - (0.35/3) / (1/3) = 0.65
    close(s["ppo/val/var_explained"], 0.65)
    close(s["ppo/val/mean"], 0.0)
    close(s["ppo/val/var"], 0.0)


def test_ppo_stats_are_detached_scalars_with_trl_keys():
    new_lp = NEW_LP.clone().requires_grad_()
    loss, s = _losses(logprobs=new_lp)
    assert loss.requires_grad
    assert set(s) == {
        "ppo/loss/policy", "ppo/loss/value", "ppo/loss/total", "ppo/policy/approxkl",
        "ppo/policy/policykl", "ppo/policy/clipfrac", "ppo/policy/advantages_mean",
        "ppo/policy/ratio_mean", "ppo/returns/mean", "ppo/returns/var", "ppo/val/vpred",
        "ppo/val/error", "ppo/val/clipfrac", "ppo/val/mean", "ppo/val/var", "ppo/val/var_explained",
    }
    for k, v in s.items():
        assert isinstance(v, torch.Tensor) and v.dim() == 0 and not v.requires_grad, k


def test_ppo_single_token_mask_does_not_raise():
    mask = t([[1, 0, 0, 0]])
    _, s = _losses(mask=mask)
    # one token: biased variances are 0; policy loss = max(-1.5, -1.2) = -1.2
    close(s["ppo/returns/var"], 0.0)
    close(s["ppo/loss/policy"], -1.2)


# ---------------------------------------------------------------- KL controllers


def test_adaptive_kl_increases_when_kl_above_target():
    ctl = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    # error = 6.6/6 - 1 = 0.1; mult = 1 + 0.1 * 256 / 10000 = 1.00256
    ctl.update(6.6, n_steps=256)
    assert ctl.value == pytest.approx(0.2 * 1.00256, rel=1e-12)


def test_adaptive_kl_decreases_when_kl_below_target():
    ctl = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    # error = 5.4/6 - 1 = -0.1; mult = 1 - 0.1 * 256 / 10000 = 0.99744
    ctl.update(5.4, n_steps=256)
    assert ctl.value == pytest.approx(0.2 * 0.99744, rel=1e-12)


def test_adaptive_kl_error_clipped_at_plus_0_2():
    ctl = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    # error = 60/6 - 1 = 9 -> clipped to 0.2; mult = 1 + 0.2 * 256 / 10000 = 1.00512
    ctl.update(60.0, n_steps=256)
    assert ctl.value == pytest.approx(0.2 * 1.00512, rel=1e-12)


def test_adaptive_kl_error_clipped_at_minus_0_2():
    ctl = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    # error = 0/6 - 1 = -1 -> clipped to -0.2; mult = 1 - 0.2 * 256 / 10000 = 0.99488
    ctl.update(0.0, n_steps=256)
    assert ctl.value == pytest.approx(0.2 * 0.99488, rel=1e-12)


def test_adaptive_kl_accepts_tensor_kl_and_compounds():
    ctl = AdaptiveKLController(init_kl_coef=0.1, target=1.0, horizon=100)
    # error = 1.5 - 1 = 0.5 -> 0.2; mult = 1 + 0.2 * 10 / 100 = 1.02, applied twice
    ctl.update(torch.tensor(1.5), n_steps=10)
    ctl.update(torch.tensor(1.5), n_steps=10)
    assert ctl.value == pytest.approx(0.1 * 1.02 * 1.02, rel=1e-12)


def test_adaptive_kl_state_dict_roundtrip_restores_value():
    ctl = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    ctl.update(60.0, n_steps=256)
    fresh = AdaptiveKLController(init_kl_coef=0.2, target=6.0, horizon=10000)
    fresh.load_state_dict(ctl.state_dict())
    assert fresh.value == ctl.value == pytest.approx(0.201024, rel=1e-12)
    assert ctl.state_dict() == {"value": ctl.value}


def test_fixed_kl_update_is_noop_and_state_roundtrips():
    ctl = FixedKLController(0.05)
    ctl.update(100.0, n_steps=256)
    assert ctl.value == 0.05
    other = FixedKLController(0.3)
    other.load_state_dict(ctl.state_dict())
    assert other.value == 0.05
