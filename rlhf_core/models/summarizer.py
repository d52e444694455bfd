"""Summaries from the starting policy ("before") and trained adapters ("after"), with scores.

One `Summarizer` holds one base model in memory and any number of named LoRA adapters, so the
app and the evaluation switch between policies without reloading weights. Calls are serialised
by a lock because switching adapters changes the shared model.

Nothing here touches torch's global random state: sampling draws from a `torch.Generator` of its
own and adapters load without a random initialisation, so a training run in another thread (the
app's: it seeds the global generator to build its policy) repeats exactly whether or not anyone
summarizes or evaluates meanwhile.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import PeftConfig, get_peft_model
from safetensors import SafetensorError

from ..config import Config
from ..data.dialogues import fit_prompts
from ..errors import UserError
from . import base_fingerprint
from .loading import check_adapter_folder, load_seq2seq
from .policy import choose_attention, fuse_gelu, lora_config
from .reward import Reward, RewardModel
from .sampling import SamplingSettings, decode
from .strict_load import load_adapter_weights, open_adapter
from .threads import use_cpu_threads

BEFORE = "before"


@dataclass
class Summary:
    """A generated summary with its reward (as trained) and toxicity (of the summary alone)."""

    text: str
    reward: float | None = None
    toxicity: float | None = None


class Summarizer:
    """Generates summaries with the starting policy or any loaded adapter."""

    def __init__(self, config: Config, reward_model: RewardModel | None = None):
        self.config = config
        self.reward_model = reward_model
        use_cpu_threads(config.cpu_threads)
        base, self.tokenizer = load_seq2seq(config.model.policy, config.model.dtype)
        start = config.model.adapter
        if start:
            check_adapter_folder(start)
            base_fingerprint.check(start, config.model.policy)
            try:
                self.model = open_adapter(base, start, BEFORE)
            except (OSError, ValueError) as error:
                raise UserError(f"could not load starting adapter '{start}': {str(error).splitlines()[0]}") from None
        else:
            self.model = get_peft_model(base, lora_config(config.model), adapter_name=BEFORE)
        self.has_start_adapter = bool(start)
        self.model.eval()
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        fuse_gelu(self.model)  # the training policy's kernels, so "after" reads as it was trained
        choose_attention(self.model.get_base_model(), self.device.type == "cuda")
        self.model.to(self.device)
        if reward_model is not None:
            reward_model.to(self.device)
        self.adapters: dict[str, str] = {}
        self.lock = threading.Lock()

    def load_adapter(self, name: str, folder: str | Path) -> None:
        """Loads a saved adapter (e.g. a run's checkpoint) under `name`, replacing one of that name."""
        folder = Path(folder)
        if not (folder / "adapter_model.safetensors").is_file():
            raise UserError(f"no trained adapter in {folder}")
        base_fingerprint.check(folder, self.config.model.policy)
        with self.lock:
            if name in self.adapters:
                self.model.delete_adapter(name)
            try:
                self._add_loaded_adapter(name, folder)
            except (UserError, SafetensorError, OSError, RuntimeError, ValueError, KeyError) as error:
                self.model.set_adapter(BEFORE)
                if name in self.model.peft_config:
                    self.model.delete_adapter(name)
                self.adapters.pop(name, None)
                if isinstance(error, UserError):  # names the file and what does not fit
                    raise
                raise UserError(f"the adapter in {folder} is damaged ({type(error).__name__}: "
                                f"{str(error).splitlines()[0] if str(error) else 'unreadable'})") from None
            self.model.set_adapter(BEFORE)
            self.adapters[name] = str(folder)

    def _add_loaded_adapter(self, name: str, folder: Path) -> None:
        """Adds the adapter saved in `folder` under `name` without drawing random numbers.

        PEFT's `load_adapter` first initialises the new LoRA layers at random (from torch's global
        generator, which a training run in another thread may be drawing from), then overwrites
        them. Here the layers are
        made on the meta device (`torch.device` as a context is this thread's alone; PEFT's own
        `low_cpu_mem_usage` patches `nn.Module` for every thread), given memory of the dtype PEFT
        would give them (float32) and filled from the file; a weight the file lacks is an error.
        The weights, and so the summaries, are those `load_adapter` gives.
        """
        config = PeftConfig.from_pretrained(str(folder))
        config.inference_mode = True
        with torch.device("meta"):
            self.model.add_adapter(name, config)
        for module in self.model.modules():
            if any(p.is_meta for p in module.parameters(recurse=False)):
                module.to_empty(device=self.device, recurse=False)
        load_adapter_weights(self.model, folder, name)  # every weight, nothing else, every shape: else one line
        self.model.eval()  # the new layers' LoRA dropout starts in training mode

    def unload_adapter(self, name: str) -> None:
        """Frees a loaded adapter (e.g. of a deleted run); unknown names are ignored."""
        with self.lock:
            if name in self.adapters:
                self.model.delete_adapter(name)
                self.adapters.pop(name)

    def prompts(self, dialogues: list[str]) -> list[str]:
        """Returns the prompts, each dialogue cut at its end to fit the window (as in training)."""
        return fit_prompts(self.config.data.prompt_template, dialogues, self.tokenizer,
                           self.config.model.max_prompt_tokens)[0]

    def is_truncated(self, dialogue: str) -> bool:
        """True if the prompt for `dialogue` is longer than the model window, so the dialogue's end is cut."""
        return fit_prompts(self.config.data.prompt_template, [dialogue], self.tokenizer,
                           self.config.model.max_prompt_tokens)[1] > 0

    @torch.inference_mode()
    def summarize(self, dialogues: list[str], adapter: str = BEFORE, seed: int | None = None,
                  max_new_tokens: int | None = None, do_sample: bool | None = None, batch_size: int | None = None,
                  num_return_sequences: int = 1, on_batch: Callable[[int], None] | None = None) -> list[str]:
        """Returns `num_return_sequences` summaries per dialogue (dialogue-major) from the named policy
        (`before` = the starting policy), decoding about `batch_size` rows (default `eval.batch_size`) at once;
        `on_batch(dialogues)` hears each decoded batch (progress)."""
        ev, g = self.config.eval, self.config.generation
        batch_size = max(1, (batch_size or ev.batch_size) // num_return_sequences)  # dialogues per decoding call
        max_new_tokens = max_new_tokens or ev.max_new_tokens
        do_sample = ev.do_sample if do_sample is None else do_sample
        if adapter != BEFORE and adapter not in self.adapters:
            raise UserError(f"no adapter named {adapter!r} is loaded")
        kwargs = dict(max_new_tokens=max_new_tokens, min_length=g.min_length, do_sample=do_sample,
                      num_return_sequences=num_return_sequences, on_batch=on_batch)
        if do_sample:
            kwargs.update(top_k=g.top_k, top_p=g.top_p, temperature=g.temperature)
        args = (self.model, self.tokenizer, self.prompts(dialogues), self.config.model.max_prompt_tokens,
                self.device, batch_size, seed)
        with self.lock:
            if adapter == BEFORE and not self.has_start_adapter:
                with self.model.disable_adapter():
                    return generate_summaries(*args, **kwargs)
            self.model.set_adapter(adapter)
            try:
                return generate_summaries(*args, **kwargs)
            finally:
                self.model.set_adapter(BEFORE)

    def score(self, dialogues: list[str], summaries: list[str]) -> list[Summary]:
        """Returns summaries with reward (on the configured text) and toxicity (on the summary)."""
        if self.reward_model is None:
            return [Summary(s) for s in summaries]
        reward = Reward(self.reward_model, self.config.reward.text, self.config.data.prompt_template)
        scored = reward.score(self.prompts(dialogues), summaries)
        return [Summary(s, r, t) for s, r, t in zip(summaries, scored.rewards, scored.toxicity)]


@torch.inference_mode()
def greedy_summaries(model, tokenizer, prompts: list[str], max_prompt_tokens: int, max_new_tokens: int,
                     batch_size: int = 32) -> list[str]:
    """Returns greedy summaries of the prompts from a plain seq2seq model (SFT's held-out ROUGE)."""
    model.eval()
    device = next(model.parameters()).device
    return generate_summaries(model, tokenizer, prompts, max_prompt_tokens, device, batch_size,
                              max_new_tokens=max_new_tokens, do_sample=False)


def generate_summaries(model, tokenizer, prompts: list[str], max_prompt_tokens: int, device, batch_size: int,
                       seed: int | None = None, *, max_new_tokens: int, do_sample: bool, min_length: int = 0,
                       top_k: int = 0, top_p: float = 1.0, temperature: float = 1.0,
                       num_return_sequences: int = 1, on_batch: Callable[[int], None] | None = None) -> list[str]:
    """Returns `num_return_sequences` decoded summaries per prompt (prompt-major), `batch_size`
    prompts at a time, with the training's sampling engine (`sampling.decode`).

    The settings mean what they mean to `generate`, whose summaries greedy decoding reproduces;
    sampling draws from the same distribution by a cheaper method. Sampling draws from a
    generator of its own, never from torch's global one (a training thread may be drawing from
    that). With `seed`, each batch's generator starts at seed + the batch's offset (the numbers
    that reseeding torch with it gave), so sampled summaries repeat and two policies sampled with
    one seed are paired; without, it starts from fresh entropy.
    """
    seq2seq = model.get_base_model() if hasattr(model, "get_base_model") else model
    cfg = seq2seq.config
    settings = SamplingSettings(max_new_tokens=max_new_tokens, pad_id=cfg.pad_token_id, eos_id=cfg.eos_token_id,
                                start_id=cfg.decoder_start_token_id, top_k=top_k, top_p=top_p,
                                temperature=temperature, min_length=min_length)
    out: list[str] = []
    for start in range(0, len(prompts), batch_size):
        query_ids = tokenizer(prompts[start : start + batch_size], truncation=True,
                              max_length=max_prompt_tokens)["input_ids"]
        generator = torch.Generator(device=device)
        if seed is not None:
            generator.manual_seed(seed + start)
        else:
            generator.seed()
        with torch.inference_mode():
            ids = decode(seq2seq, query_ids, settings, device, repeats=num_return_sequences,
                         greedy=not do_sample, record=False, generator=generator).response_ids
        out.extend(s.strip() for s in tokenizer.batch_decode(ids, skip_special_tokens=True))
        if on_batch is not None:
            on_batch(len(query_ids))
    return out
