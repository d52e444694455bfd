import pytest
import torch

from rlhf_core import build_policy, get_config
from rlhf_core.models.policy import response_decoder_inputs
from rlhf_core.models.tiny import tiny_policy_model


@pytest.fixture()
def policy():
    torch.manual_seed(0)
    return build_policy(get_config("tiny").model)


def test_lora_trains_only_adapter_and_value_head(policy):
    model, _ = policy
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert names and all("lora_" in n or n.startswith("value_head") for n in names)
    trainable, total = model.trainable_parameters()
    assert 0 < trainable < total


def test_value_head_starts_at_zero(policy):
    model, tokenizer = policy
    ids = tokenizer(["hello"], return_tensors="pt")
    decoder = torch.tensor([[0, 104, 105]])
    _, values = model(ids.input_ids, ids.attention_mask, decoder)
    assert values.shape == (1, 3) and torch.all(values == 0)


def test_decoder_input_is_start_token_then_response_shifted_right():
    response = torch.tensor([[7, 8, 1], [9, 1, 0]])
    assert response_decoder_inputs(response, 0).tolist() == [[0, 7, 8], [0, 9, 1]]


def test_reference_is_the_policy_with_adapter_off(policy):
    model, tokenizer = policy
    # Make the adapter non-trivial, so policy and reference differ.
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.normal_(0, 0.5)
    model.eval()
    ids = tokenizer(["the soup is cold"], return_tensors="pt")
    decoder = torch.tensor([[0, 110, 111, 112]])
    with torch.no_grad():
        policy_logits, _ = model(ids.input_ids, ids.attention_mask, decoder)
        with model.reference():
            ref_logits, _ = model(ids.input_ids, ids.attention_mask, decoder)
        pristine = tiny_policy_model()(  # the same random base weights, never wrapped with LoRA
            input_ids=ids.input_ids, attention_mask=ids.attention_mask, decoder_input_ids=decoder).logits
    assert not torch.allclose(policy_logits, ref_logits)
    assert torch.allclose(ref_logits, pristine, atol=1e-5)


def test_save_then_load_gives_identical_seeded_generations(policy, tmp_path):
    model, tokenizer = policy
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.normal_(0, 0.3)
    model.save(tmp_path)
    assert (tmp_path / "adapter_model.safetensors").is_file() and (tmp_path / "value_head.safetensors").is_file()

    torch.manual_seed(1)
    fresh, _ = build_policy(get_config("tiny").model)
    fresh.load(tmp_path)
    ids = tokenizer(["Summarize: hi"], return_tensors="pt")
    outputs = []
    for m in (model, fresh):
        m.eval()
        torch.manual_seed(5)
        outputs.append(m.model.generate(**ids, do_sample=True, top_k=0, max_new_tokens=12))
    assert torch.equal(outputs[0], outputs[1])
    for (n, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert torch.equal(a, b), n


def test_fused_gelu_swaps_every_t5_activation_and_keeps_the_outputs():
    from transformers.activations import GELUTanh, NewGELUActivation

    from rlhf_core.models.policy import fuse_gelu

    torch.manual_seed(0)
    model = tiny_policy_model().eval()
    ids, decoder = torch.tensor([[5, 6, 7, 8, 1]]), torch.tensor([[0, 9, 10]])
    with torch.no_grad():
        before = model(input_ids=ids, decoder_input_ids=decoder).logits
    n_layers = model.config.num_layers + model.config.num_decoder_layers
    assert fuse_gelu(model) == n_layers
    assert not any(isinstance(m, NewGELUActivation) for m in model.modules())
    assert sum(isinstance(m, GELUTanh) for m in model.modules()) == n_layers
    with torch.no_grad():
        after = model(input_ids=ids, decoder_input_ids=decoder).logits
    assert torch.allclose(before, after, atol=1e-5)


def test_attention_is_eager_on_cpu_and_gives_the_same_outputs_as_sdpa():
    from rlhf_core.models.policy import choose_attention

    torch.manual_seed(0)
    model = tiny_policy_model().eval()
    ids, mask = torch.tensor([[5, 6, 7, 8, 1], [9, 10, 1, 0, 0]]), torch.tensor([[1] * 5, [1, 1, 1, 0, 0]])
    decoder = torch.tensor([[0, 9, 10], [0, 11, 12]])
    outputs = {}
    for on_gpu in (True, False):
        implementation = choose_attention(model, on_gpu)
        assert model.decoder.config._attn_implementation == implementation
        with torch.no_grad():
            outputs[implementation] = model(input_ids=ids, attention_mask=mask, decoder_input_ids=decoder).logits
    assert set(outputs) == {"sdpa", "eager"}
    assert torch.allclose(outputs["sdpa"], outputs["eager"], atol=1e-5)


def test_rows_with_one_prompt_share_an_encoder_pass_with_the_same_outputs_and_gradients(policy):
    model, _ = policy
    model.eval()
    with torch.no_grad():  # a non-trivial adapter and value head, so every gradient path is live
        for name, p in model.named_parameters():
            if p.requires_grad:
                p.add_(0.05 * torch.randn_like(p))
    prompts = [[5, 6, 7, 8, 1], [9, 10, 1, 0, 0], [5, 6, 7, 8, 1], [5, 6, 7, 8, 1], [9, 10, 1, 0, 0], [11, 1, 0, 0, 0]]
    input_ids = torch.tensor(prompts)
    attention_mask = (input_ids != 0).long()
    decoder = torch.randint(2, 100, (6, 4))
    trainable = [p for p in model.parameters() if p.requires_grad]
    encoder_rows = []
    encoder = model.model.get_base_model().get_encoder()
    hook = encoder.register_forward_hook(lambda m, i, o: encoder_rows.append(o.last_hidden_state.shape[0]))
    try:
        logits, values = model(input_ids, attention_mask, decoder)
        shared = torch.autograd.grad((logits.logsumexp(-1).sum() + values.sum()), trainable)
        assert encoder_rows == [3]  # three distinct prompts, one pass
        encoder_rows.clear()
        alone = [model(input_ids[i : i + 1], attention_mask[i : i + 1], decoder[i : i + 1]) for i in range(6)]
        assert encoder_rows == [1] * 6
    finally:
        hook.remove()
    assert torch.allclose(logits, torch.cat([a[0] for a in alone]), atol=1e-5)
    assert torch.allclose(values, torch.cat([a[1] for a in alone]), atol=1e-5)
    separate = torch.autograd.grad(sum(a[0].logsumexp(-1).sum() + a[1].sum() for a in alone), trainable)
    for g_shared, g_separate in zip(shared, separate):
        assert torch.allclose(g_shared, g_separate, atol=1e-5, rtol=1e-4)
