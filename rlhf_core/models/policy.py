"""The policy: a seq2seq model with a LoRA adapter (PEFT) and a scalar value head.

The reference model for the KL penalty is the same network with its adapter disabled, so it
costs no memory. Adapter and value head are saved as safetensors and load back exactly.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, TaskType, get_peft_model
from safetensors.torch import save_file
from torch import nn
from transformers.activations import GELUTanh, NewGELUActivation
from transformers.modeling_outputs import BaseModelOutput

from ..config import ModelConfig
from ..errors import UserError
from . import base_fingerprint
from .hub import check_allowed
from .loading import check_adapter_folder, load_seq2seq
from .strict_load import VALUE_HEAD_FILE, load_adapter_weights, load_value_head, open_adapter

ADAPTER_NAME = "default"


class PolicyWithValueHead(nn.Module):
    """Seq2seq LM + LoRA; `forward` returns per-token logits and values for a given response.

    With `value_head=False` (RLOO/GRPO) there is no value head: `forward` returns values None
    and sampling records no values.
    """

    def __init__(self, model: PeftModel, value_head: bool = True, base: str | None = None):
        super().__init__()
        self.model = model
        self.base = base  # the base model's name or folder, whose weights a checkpoint records (`base_fingerprint`)
        fuse_gelu(model)
        choose_attention(model.get_base_model(), torch.cuda.is_available())
        hidden = model.get_base_model().config.d_model
        self.value_head = nn.Linear(hidden, 1) if value_head else None
        if self.value_head is not None:
            # A zero value head predicts 0 everywhere at first, so early advantages are the returns.
            nn.init.zeros_(self.value_head.weight)
            nn.init.zeros_(self.value_head.bias)

    @property
    def config(self):
        return self.model.get_base_model().config

    def forward(self, input_ids, attention_mask, decoder_input_ids, encoder_outputs=None):
        """Returns (logits (B, T, V) in the model's dtype, values (B, T) float32 or None without a
        value head). The logits stay bf16 under bf16 weights: `ppo.token_logprobs` reads them a
        chunk at a time in float32, where a float32 copy of all of them would cost a pass through
        memory each way (and, on a GPU, 4 bytes per vocabulary entry per token).

        Rows with the same prompt (RLOO/GRPO's k samples) share one encoder pass: its states are
        repeated for them, so gradients from every row flow back through the one pass. The result
        is the same as encoding each row; the encoder's compute and activation memory shrink by
        the number of rows per prompt (the encoder reads 200-400 prompt tokens a row, the decoder
        only the summary's 40-80).
        """
        if encoder_outputs is None:
            encoder_outputs = self._shared_encoder_outputs(input_ids, attention_mask)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            decoder_input_ids=decoder_input_ids,
            encoder_outputs=encoder_outputs,
            output_hidden_states=self.value_head is not None,
            use_cache=False,
            return_dict=True,
        )
        if self.value_head is None:
            return out.logits, None
        hidden = out.decoder_hidden_states[-1]  # (B, T, H), after the final layer norm
        values = self.value_head(hidden.to(self.value_head.weight.dtype)).squeeze(-1)
        return out.logits, values.float()

    def _shared_encoder_outputs(self, input_ids, attention_mask):
        """Encoder outputs computed once per distinct prompt row, or None when every row differs."""
        unique, inverse = torch.unique(torch.cat([input_ids, attention_mask], dim=1), dim=0, return_inverse=True)
        if len(unique) == len(input_ids):
            return None
        first = torch.full((len(unique),), len(input_ids), dtype=torch.long, device=input_ids.device)
        first.scatter_reduce_(0, inverse, torch.arange(len(input_ids), device=input_ids.device), "amin")
        encoder = self.model.get_base_model().get_encoder()
        states = encoder(input_ids=input_ids[first], attention_mask=attention_mask[first],
                         return_dict=True).last_hidden_state
        return BaseModelOutput(last_hidden_state=states[inverse])

    @contextlib.contextmanager
    def reference(self):
        """Within this block the network is the frozen reference: the adapter is switched off."""
        with self.model.disable_adapter():
            yield

    def trainable_parameters(self) -> tuple[int, int]:
        """Returns (trainable, total) parameter counts, LoRA + value head vs everything."""
        trainable = sum(p.numel() for p in self.parameters() if p.requires_grad)
        total = sum(p.numel() for p in self.parameters())
        return trainable, total

    def save(self, folder: str | Path) -> None:
        """Writes the LoRA adapter (PEFT format, safetensors), the value head and the base's
        fingerprint into `folder`."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder), safe_serialization=True)
        if self.base:
            base_fingerprint.record(folder, self.base)
        if self.value_head is None:
            return
        save_file({k: v.detach().cpu().contiguous() for k, v in self.value_head.state_dict().items()},
                  str(folder / VALUE_HEAD_FILE))

    def load(self, folder: str | Path) -> None:
        """Loads adapter weights and value head written by `save` into this policy, strictly: a file
        with missing, extra or mis-shaped tensors, or a PPO checkpoint without its value head, is a
        UserError naming the file (`strict_load`), and so is a checkpoint of other base weights."""
        if self.base:
            base_fingerprint.check(folder, self.base)
        load_adapter_weights(self.model, folder, ADAPTER_NAME)
        if self.value_head is not None:
            load_value_head(self.value_head, folder)


def fuse_gelu(model: nn.Module) -> int:
    """Swaps T5's Python tanh-GELU for `transformers`' fused one; returns how many were swapped.

    FLAN-T5's gated-GELU uses `NewGELUActivation`, the tanh formula as 8 elementwise tensor ops
    that keep 5 intermediate tensors for backward. `GELUTanh` computes the same formula in one
    kernel (`F.gelu(approximate="tanh")`) and keeps only its input: faster, and less activation
    memory in the update. Outputs agree to float rounding.
    """
    swapped = 0
    for module in model.modules():
        if isinstance(getattr(module, "act", None), NewGELUActivation):
            module.act = GELUTanh()
            swapped += 1
    return swapped


def choose_attention(model, on_gpu: bool) -> str:
    """Sets and returns the attention implementation: SDPA on a GPU, eager on a CPU.

    T5 adds a relative-position bias to its attention scores, which sends PyTorch's CPU SDPA to
    its masked path; there the plain matmul-softmax-matmul is faster in every pass we time
    (sampling 25% faster in bf16, the update 15%: see benchmarks/README.md).
    """
    implementation = "sdpa" if on_gpu else "eager"
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation(implementation)
    return implementation


def lora_config(cfg: ModelConfig) -> LoraConfig:
    return LoraConfig(
        r=cfg.lora_r,
        lora_alpha=cfg.lora_alpha,
        lora_dropout=cfg.lora_dropout,
        target_modules=list(cfg.lora_target_modules),
        bias="none",
        task_type=TaskType.SEQ_2_SEQ_LM,
    )


def add_lora(base, cfg: ModelConfig) -> PeftModel:
    """Returns `base` wrapped with a fresh LoRA adapter of `cfg`'s shape, or a one-line UserError."""
    try:
        return get_peft_model(base, lora_config(cfg))
    except ValueError as error:
        raise UserError(f"cannot add LoRA to '{cfg.policy}': {str(error).splitlines()[0]}") from None


def build_policy(cfg: ModelConfig, value_head: bool = True):
    """Returns (policy, tokenizer): base model + fresh or loaded-trainable LoRA (+ value head for PPO)."""
    base, tokenizer = load_seq2seq(cfg.policy, cfg.dtype)
    if cfg.adapter:
        base_fingerprint.check(cfg.adapter, cfg.policy)
        model = load_adapter(base, cfg.adapter)
    else:
        model = add_lora(base, cfg)
    policy = PolicyWithValueHead(model, value_head, base=cfg.policy)
    return policy, tokenizer


def load_adapter(base, adapter: str) -> PeftModel:
    """Returns `base` wrapped with a trainable LoRA adapter read from a folder or Hub id."""
    path = Path(adapter)
    check_adapter_folder(adapter)
    if not path.exists():
        check_allowed(adapter, "model")
    try:
        return open_adapter(base, adapter, ADAPTER_NAME, is_trainable=True)
    except (OSError, ValueError) as error:
        if path.exists():
            raise UserError(f"could not load adapter from '{adapter}': {str(error).splitlines()[0]}") from None
        raise UserError(
            f"cannot load adapter '{adapter}': not a local folder, and the Hub is not reachable or has no such "
            "repository; pass a local adapter folder or leave --adapter empty for a fresh LoRA"
        ) from None


def response_decoder_inputs(response_ids: torch.Tensor, decoder_start_token_id: int) -> torch.Tensor:
    """Returns the decoder input for teacher-forcing `response_ids`: start token + response shifted right.

    Position t of the output then predicts response token t, so every response token is scored
    (TRL 0.11 fed the response unshifted and silently dropped tokens from the loss).
    """
    start = torch.full_like(response_ids[:, :1], decoder_start_token_id)  # (B, 1)
    return torch.cat([start, response_ids[:, :-1]], dim=1)  # (B, T)
