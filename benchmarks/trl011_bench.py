#!/usr/bin/env python
"""The reference point for rlhf_core's speed: TRL 0.11.4's classic `PPOTrainer` on a FLAN-T5 policy.

TRL 0.11.4 is the last TRL release whose PPOTrainer trains seq2seq models, and it is what the
DeepLearning.AI "Fine-tune FLAN-T5 with RL (PPO) and PEFT" lab uses. This script builds that
lab's training setup with random weights, so it runs offline and needs no download:

  policy        T5ForConditionalGeneration with the architecture of google/flan-t5-small
                (`--size small`, default) or -base (`--size base`); `--size tiny` for smoke tests.
                LoRA r=32, alpha=32, dropout 0.05 on q and v, then TRL's value-head wrapper
                (`AutoModelForSeq2SeqLMWithValueHead`) and `create_reference_model`, as in the lab.
  reward model  RobertaForSequenceClassification in roberta-base shape (the lab's
                facebook/roberta-hate-speech-dynabench-r4-target has it), 2 labels; the reward is
                the raw logit of label 0 ("nothate"), no softmax.
  prompts       random T5 token ids (no special or sentinel ids), 200-400 tokens, each ending in </s>.
  sampling      do_sample, top_k=0, top_p=1.0, and exactly --max-new-tokens (N, default 64) new
                tokens per response, so every run does the same work.
  PPO           batch 16, mini-batch 4, 1 PPO epoch, lr 1.41e-5 (PPOConfig defaults otherwise).

There is no real tokenizer offline. The T5 tokenizer is a word-level stand-in with T5's special
ids (TRL only pads with it); the reward model reads T5 ids shifted past RoBERTa's 4 special ids
(id + 4, i.e. 4 + id % (50265 - 4)), between <s> and </s>, cut to 512 positions, padded with 1.

Each PPO step is timed in three phases: generation (`PPOTrainer.generate`, one prompt per call
as in the lab with `--gen-mode lab`, or TRL's batched generation), reward scoring, and
`PPOTrainer.step`. After --warmup untimed steps, --steps timed steps give per-phase medians.
`--device cuda` puts the reward model on the GPU too (TRL's accelerator already moves the policy
there) and waits for the GPU at each phase's end. The last stdout line is JSON: `median_s`
(generation, reward, ppo_step, total), `samples_per_s`, `peak_rss_mb`, `peak_gpu_mb` (None off
CUDA), `generation_tokens_per_s`, `config`, `versions`, `per_step`, ...

What TRL 0.11.4 does that matters when comparing another implementation with it:
  * With a PEFT policy, `step()` takes the reference log-probs from the policy with its adapter
    disabled; the reference model passed in is never run, it only takes memory.
  * `step()` leaves the policy in train mode, so from the second step on generation samples with
    dropout on (each step records `gen_in_train_mode`).
  * For encoder-decoder models TRL feeds the response itself as decoder input (no shift) and masks
    its first position; with the lab's "last N generated tokens" as response, N-2 of the N tokens
    enter the loss.

Run it with the TRL 0.11.4 venv (`bash benchmarks/setup_trl011_venv.sh`):

    /tmp/trl011-venv/bin/python benchmarks/trl011_bench.py --size small --gen-mode batched --steps 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

# Architectures (from the models' config.json files); the vocabulary is the same for all sizes.
T5_SHAPES = {
    "tiny": dict(d_model=64, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=32),
    "small": dict(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64),
    "base": dict(d_model=768, d_ff=2048, num_layers=12, num_decoder_layers=12, num_heads=12, d_kv=64),
}
ROBERTA_SHAPES = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128),
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}

T5_VOCAB = 32128                    # embedding rows of flan-t5 (32000 pieces, 100 sentinels, 28 unused)
T5_PAD, T5_EOS, T5_UNK = 0, 1, 2    # <pad> is also the decoder start token
T5_SENTINELS_FROM = 32000           # prompts use ids below the sentinels
RM_VOCAB = 50265                    # roberta-base
RM_BOS, RM_PAD, RM_EOS = 0, 1, 2
RM_SPECIALS = 4                     # <s> <pad> </s> <unk>
RM_POSITIONS = 514                  # 512 usable: RoBERTa's positions start after the padding id


# --- Options ------------------------------------------------------------------------------------

def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(T5_SHAPES), default="small", help="policy shape")
    p.add_argument("--rm-size", choices=sorted(ROBERTA_SHAPES), default=None,
                   help="reward-model shape (default: base, or tiny with --size tiny)")
    p.add_argument("--dtype", choices=["float32", "bfloat16"], default="float32",
                   help="dtype of the policy's base weights (the reward model stays float32)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                   help="cuda: TRL's policy and the reward model on the GPU, phases timed to the GPU's end")
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--mini-batch-size", type=int, default=4)
    p.add_argument("--ppo-epochs", type=int, default=1)
    p.add_argument("--learning-rate", type=float, default=1.41e-5)
    p.add_argument("--max-new-tokens", type=int, default=64, help="N: every response has exactly N tokens")
    p.add_argument("--prompt-len-min", type=int, default=200)
    p.add_argument("--prompt-len-max", type=int, default=400)
    p.add_argument("--gen-mode", choices=["lab", "batched"], default="lab",
                   help="lab: one generate() call per prompt; batched: one call with the list of prompts")
    p.add_argument("--gen-batch-size", type=int, default=None, help="TRL's batch for --gen-mode batched "
                   "(default: --batch-size)")
    p.add_argument("--reward-input", choices=["response", "query_response"], default="response",
                   help="what the reward model reads: the response, or prompt and response as in the lab")
    p.add_argument("--reward-batch-size", type=int, default=16, help="reward-model batch (the lab's pipeline: 16)")
    p.add_argument("--warmup", type=int, default=1, help="untimed PPO steps first")
    p.add_argument("--steps", type=int, default=3, help="timed PPO steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the usable cores)")
    args = p.parse_args(argv)
    args.rm_size = args.rm_size or ("tiny" if args.size == "tiny" else "base")
    args.gen_batch_size = args.gen_batch_size or args.batch_size
    if not 0 < args.prompt_len_min <= args.prompt_len_max:
        p.error("need 0 < --prompt-len-min <= --prompt-len-max")
    if args.max_new_tokens < 2:
        p.error("--max-new-tokens must be at least 2")
    if args.steps < 1 or args.warmup < 0:
        p.error("need --steps >= 1 and --warmup >= 0")
    if args.batch_size % args.mini_batch_size:
        p.error("--batch-size must be a multiple of --mini-batch-size")
    return args


# --- Measuring ----------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def as_float(value) -> float | None:
    """A TRL stat (numpy scalar, one-element array or tensor) as a float; None if it holds more."""
    import numpy as np

    array = np.asarray(value, dtype="float64").reshape(-1)
    return float(array[0]) if array.size == 1 else None


class Clock:
    """Phase timer: `lap()` returns the seconds since the last lap, after waiting for the GPU if used."""

    def __init__(self, torch, device: str):
        self.sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        self.sync()
        self.last = time.perf_counter()

    def lap(self) -> float:
        self.sync()
        now = time.perf_counter()
        seconds, self.last = now - self.last, now
        return seconds


# --- Building the workload ----------------------------------------------------------------------

def padding_tokenizer():
    """A fast tokenizer with T5's ids for <pad>, </s> and <unk>: TRL uses it for padding only."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {"<pad>": T5_PAD, "</s>": T5_EOS, "<unk>": T5_UNK}
    vocab.update({f"id{i}": i for i in range(3, T5_VOCAB)})
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", eos_token="</s>",
                                   unk_token="<unk>", padding_side="right")


def lab_policy(args, torch):
    """Random FLAN-T5-shaped model + fresh LoRA adapter + value head, and TRL's reference copy."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import T5Config, T5ForConditionalGeneration
    from trl import AutoModelForSeq2SeqLMWithValueHead, create_reference_model

    config = T5Config(vocab_size=T5_VOCAB, **T5_SHAPES[args.size], feed_forward_proj="gated-gelu",
                      tie_word_embeddings=False, relative_attention_num_buckets=32,
                      relative_attention_max_distance=128, dropout_rate=0.1, layer_norm_epsilon=1e-6,
                      pad_token_id=T5_PAD, eos_token_id=T5_EOS, decoder_start_token_id=T5_PAD, use_cache=True)
    torch.manual_seed(args.seed)
    model = T5ForConditionalGeneration(config)
    if args.dtype == "bfloat16":
        model = model.to(torch.bfloat16)
    model.eval()  # as from_pretrained() hands it over: the first step samples without dropout
    # The lab loads a trained adapter; a fresh one (B = 0) starts the policy at the base model.
    lora = LoraConfig(r=32, lora_alpha=32, target_modules=["q", "v"], lora_dropout=0.05, bias="none",
                      task_type=TaskType.SEQ_2_SEQ_LM)
    policy = AutoModelForSeq2SeqLMWithValueHead.from_pretrained(get_peft_model(model, lora), is_trainable=True)
    return policy, create_reference_model(policy)


def lab_reward_model(args, torch):
    """Random roberta-base-shaped 2-label classifier, frozen, in eval mode, on args.device."""
    from transformers import RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(vocab_size=RM_VOCAB, **ROBERTA_SHAPES[args.rm_size], max_position_embeddings=RM_POSITIONS,
                           type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=RM_PAD, bos_token_id=RM_BOS,
                           eos_token_id=RM_EOS, num_labels=2, id2label={0: "nothate", 1: "hate"},
                           label2id={"nothate": 0, "hate": 1})
    torch.manual_seed(args.seed + 1)
    model = RobertaForSequenceClassification(config).eval().requires_grad_(False)
    return model.to(args.device)


def random_prompts(args, count: int) -> list[list[int]]:
    """`count` prompts of random ids, lengths uniform in [--prompt-len-min, --prompt-len-max], ending in </s>."""
    import numpy as np

    rng = np.random.default_rng(args.seed)
    lengths = rng.integers(args.prompt_len_min, args.prompt_len_max + 1, size=count)
    return [rng.integers(T5_UNK + 1, T5_SENTINELS_FROM, size=int(n) - 1).tolist() + [T5_EOS] for n in lengths]


class Scorer:
    """Rewards for a batch: the reward model's label-0 logit on each (mapped) response."""

    def __init__(self, model, args, torch):
        self.model, self.args, self.torch = model, args, torch
        self.max_body = RM_POSITIONS - 4  # 512 positions less <s> and </s>

    def reader_ids(self, query, response):
        torch = self.torch
        ids = torch.cat([query, response]) if self.args.reward_input == "query_response" else response
        ids = RM_SPECIALS + ids.cpu() % (RM_VOCAB - RM_SPECIALS)  # past <s> <pad> </s> <unk>
        return torch.cat([torch.tensor([RM_BOS]), ids[: self.max_body], torch.tensor([RM_EOS])])

    def __call__(self, queries, responses) -> list:
        torch = self.torch
        rows = [self.reader_ids(q, r) for q, r in zip(queries, responses)]
        rewards = []
        with torch.no_grad():
            for start in range(0, len(rows), self.args.reward_batch_size):
                chunk = rows[start:start + self.args.reward_batch_size]
                ids = torch.nn.utils.rnn.pad_sequence(chunk, batch_first=True, padding_value=RM_PAD)
                mask = torch.nn.utils.rnn.pad_sequence([torch.ones_like(r) for r in chunk], batch_first=True)
                logits = self.model(input_ids=ids.to(self.args.device), attention_mask=mask.to(self.args.device)).logits
                rewards.extend(logits[:, 0].float().cpu())
        return rewards  # TRL wants a list of 0-d tensors on the CPU side; it moves them itself


# --- The PPO loop -------------------------------------------------------------------------------

def versions(torch) -> dict:
    import accelerate
    import datasets
    import peft
    import transformers
    import trl

    return {"python": platform.python_version(), "torch": torch.__version__, "trl": trl.__version__,
            "transformers": transformers.__version__, "peft": peft.__version__,
            "accelerate": accelerate.__version__, "datasets": datasets.__version__}


def run(args) -> dict:
    """Builds the workload, runs warmup + timed PPO steps and returns the summary."""
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # TRL's accelerator would move the policy to a GPU
    import torch

    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda, but torch sees no CUDA GPU")
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(args.threads or usable)

    import datasets
    from trl import PPOConfig, PPOTrainer

    info = versions(torch)
    print("versions:", " ".join(f"{k}={v}" for k, v in info.items()))
    print(f"torch threads: {torch.get_num_threads()}, device: {args.device}")
    print("args:", json.dumps(vars(args)))

    started = time.perf_counter()
    policy, reference = lab_policy(args, torch)
    scorer = Scorer(lab_reward_model(args, torch), args, torch)
    n_steps = args.warmup + args.steps
    prompts = datasets.Dataset.from_dict({"input_ids": random_prompts(args, n_steps * args.batch_size)})
    prompts.set_format(type="torch")
    trainer = PPOTrainer(
        config=PPOConfig(model_name=f"random flan-t5-{args.size} shape", learning_rate=args.learning_rate,
                         batch_size=args.batch_size, mini_batch_size=args.mini_batch_size,
                         ppo_epochs=args.ppo_epochs, seed=args.seed),
        model=policy, ref_model=reference, tokenizer=padding_tokenizer(), dataset=prompts,
        data_collator=lambda rows: {key: [row[key] for row in rows] for key in rows[0]},  # the lab's: no padding
    )
    setup_s, rss_after_setup = time.perf_counter() - started, peak_rss_mb()
    params = {"policy_total": sum(p.numel() for p in policy.parameters()),
              "policy_trainable": sum(p.numel() for p in policy.parameters() if p.requires_grad),
              "reward_model": sum(p.numel() for p in scorer.model.parameters())}
    print(f"setup {setup_s:.1f}s; parameters: {params}; PEFT policy: {trainer.is_peft_model} "
          "(reference log-probs then come from the policy with its adapter off)")

    n = args.max_new_tokens
    # min_new_tokens = max_new_tokens: </s> is masked until the N-th token, so every response has N.
    # (The lab also passes min_length=5; with min_new_tokens set it does nothing, so it is left out.)
    sampling = dict(do_sample=True, top_k=0, top_p=1.0, min_new_tokens=n, max_new_tokens=n)
    body = policy.pretrained_model.get_base_model()
    records, stats = [], {}
    for index, batch in enumerate(trainer.dataloader):
        if index == n_steps:
            break
        queries = batch["input_ids"]
        in_train_mode = body.training
        clock = Clock(torch, args.device)
        if args.gen_mode == "lab":
            generated = [trainer.generate(q, **sampling).squeeze(0) for q in queries]
        else:
            generated = trainer.generate(queries, batch_size=args.gen_batch_size, return_prompt=False, **sampling)
        gen_s = clock.lap()
        if any(len(g) != n + 1 for g in generated):  # the decoder start token, then N tokens
            raise RuntimeError(f"expected outputs of {n + 1} tokens, got {sorted({len(g) for g in generated})}")
        responses = [g[-n:] for g in generated]  # the lab's slicing: the last N tokens
        rewards = scorer(queries, responses)
        reward_s = clock.lap()
        stats = trainer.step(queries, responses, rewards)
        step_s = clock.lap()
        record = {"step": index, "warmup": index < args.warmup, "gen_s": gen_s, "reward_s": reward_s,
                  "ppo_step_s": step_s, "total_s": gen_s + reward_s + step_s, "gen_in_train_mode": in_train_mode,
                  "mean_prompt_len": statistics.mean(len(q) for q in queries),
                  "mean_reward": float(torch.stack(rewards).mean()),
                  "trl_timing": {k: as_float(v) for k, v in stats.items() if k.startswith("time/")}}
        records.append(record)
        print(f"step {index}{' (warm-up)' if record['warmup'] else ''}: generation {gen_s:.2f}s  "
              f"reward {reward_s:.2f}s  ppo.step {step_s:.2f}s  total {record['total_s']:.2f}s  "
              f"| kl {as_float(stats['objective/kl']):.4g}  mean reward {record['mean_reward']:.4g}  "
              f"peak RSS {peak_rss_mb():.0f} MB", flush=True)

    timed = [r for r in records if not r["warmup"]]
    if not timed:
        raise RuntimeError(f"the prompts ran out after {len(records)} steps")
    median = {phase: statistics.median(r[key] for r in timed) for phase, key in
              (("generation", "gen_s"), ("reward", "reward_s"), ("ppo_step", "ppo_step_s"), ("total", "total_s"))}
    cfg = {k: getattr(args, k) for k in ("size", "rm_size", "dtype", "device", "batch_size", "mini_batch_size",
                                         "ppo_epochs", "learning_rate", "max_new_tokens", "gen_mode",
                                         "reward_input", "warmup", "steps", "seed")}
    cfg["prompt_len_range"] = [args.prompt_len_min, args.prompt_len_max]
    cfg["gen_batch_size"] = args.gen_batch_size if args.gen_mode == "batched" else 1
    return {
        "bench": "trl011_ppo",
        "versions": info,
        "threads": torch.get_num_threads(),
        "device": args.device,
        "config": cfg,
        "params": params,
        "setup_s": setup_s,
        "median_s": median,
        "trl_internal_timing_median_s": {k: statistics.median(r["trl_timing"][k] for r in timed)
                                         for k in sorted(timed[0]["trl_timing"])},
        "samples_per_s": args.batch_size / median["total"],
        "ppo_step_samples_per_s": args.batch_size / median["ppo_step"],
        "generation_tokens_per_s": args.batch_size * n / median["generation"],
        "peak_rss_mb": peak_rss_mb(),
        "rss_after_setup_mb": rss_after_setup,
        "peak_gpu_mb": torch.cuda.max_memory_allocated() / 2**20 if args.device == "cuda" else None,
        "last_step_stats": {k: as_float(stats[k]) for k in ("objective/kl", "ppo/returns/mean",
                                                            "ppo/policy/advantages_mean")},
        "stats_keys": sorted(stats),
        "per_step": records,
    }


def main(argv=None) -> dict:
    summary = run(parse_args(argv))
    m = summary["median_s"]
    gpu = "" if summary["peak_gpu_mb"] is None else f", peak GPU {summary['peak_gpu_mb']:.0f} MB"
    print(f"median over {summary['config']['steps']} timed steps: generation {m['generation']:.2f}s  "
          f"reward {m['reward']:.2f}s  ppo.step {m['ppo_step']:.2f}s  total {m['total']:.2f}s  -> "
          f"{summary['samples_per_s']:.3f} samples/s; peak RSS {summary['peak_rss_mb']:.0f} MB{gpu}")
    print("TRL's own timing medians:",
          ", ".join(f"{k}={v:.2f}s" for k, v in summary["trl_internal_timing_median_s"].items()))
    print(json.dumps(summary), flush=True)
    return summary


if __name__ == "__main__":
    main()
