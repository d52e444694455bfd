#!/usr/bin/env python
"""Speed and memory of one PPO step of rlhf_core, on the workload of benchmarks/trl011_bench.py.

Same shapes as the TRL 0.11.4 anchor (`trl011_bench.py`): a random-weight FLAN-T5-small
(or -base) shaped policy with LoRA r=32/alpha=32 on q,v and a value head; batch 16, mini-batch 4,
1 PPO epoch, lr 1.41e-5; sampling with top_k=0, top_p=1.0 and exactly --max-new-tokens new tokens;
prompts of random token ids, 200-400 tokens, each ending in </s>; a roberta-base shaped reward
model scoring the response ids mapped into RoBERTa's vocabulary exactly as the anchor maps them.

Precision and device default to the CLI's (`model.dtype` auto: bf16 where native; CUDA when
present); `--device cuda` adds the peak GPU memory. Per step it times generation, reward scoring
and the PPO update (old/reference passes,
advantages, optimisation) separately, and after --warmup steps reports medians over --steps.
The last stdout line is JSON with the same top-level fields as the anchor's
(`median_s`, `samples_per_s`, `peak_rss_mb`, ...), plus the update phase's FLOP/s and generation's
time per decoding step against its matmul-bound floor (`generation_matmul_floor`).

    python benchmarks/ppo_step.py --size small
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T5_SHAPES = {
    "tiny": dict(d_model=64, d_ff=128, num_layers=2, num_decoder_layers=2, num_heads=2, d_kv=32),
    "small": dict(d_model=512, d_ff=1024, num_layers=8, num_decoder_layers=8, num_heads=6, d_kv=64),
    "base": dict(d_model=768, d_ff=2048, num_layers=12, num_decoder_layers=12, num_heads=12, d_kv=64),
}
ROBERTA_SHAPES = {
    "tiny": dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2, intermediate_size=128),
    "base": dict(hidden_size=768, num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072),
}
T5_VOCAB, T5_PAD, T5_EOS, T5_UNK, T5_FIRST_SENTINEL = 32128, 0, 1, 2, 32000
RM_VOCAB, RM_BOS, RM_PAD, RM_EOS, RM_NUM_SPECIAL, RM_MAX_POSITIONS = 50265, 0, 1, 2, 4, 514


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(T5_SHAPES), default="small")
    p.add_argument("--rm-size", choices=sorted(ROBERTA_SHAPES), default=None)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--mini-batch-size", type=int, default=4)
    p.add_argument("--ppo-epochs", type=int, default=1)
    p.add_argument("--algo", choices=["ppo", "rloo", "grpo"], default="ppo",
                   help="rloo/grpo: no value head, --k samples per prompt (batch-size / k prompts a step)")
    p.add_argument("--k", type=int, default=4, help="samples per prompt for rloo/grpo")
    p.add_argument("--max-new-tokens", type=int, default=64)
    p.add_argument("--prompt-len-min", type=int, default=200)
    p.add_argument("--prompt-len-max", type=int, default=400)
    p.add_argument("--gen-batch-size", type=int, default=None, help="generation sub-batch (default: whole batch)")
    p.add_argument("--mixed-precision", choices=["no", "bf16"], default="no",
                   help="bf16 autocast for every pass (the engine's default on CPU is no)")
    p.add_argument("--dtype", choices=["auto", "float32", "bfloat16"], default="auto",
                   help="weights of the frozen base policy and the reward model (LoRA stays fp32); auto: the "
                        "CLI's model.dtype default (bf16 where native: a recent GPU, or a CPU with AVX512-BF16/AMX)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="where the models run (auto: cuda when available, as the CLI)")
    p.add_argument("--forward-batch-size", type=int, default=None,
                   help="rows per no-grad pass (reference, old log-probs); default: the mini-batch size")
    p.add_argument("--micro-batch-size", type=int, default=None,
                   help="rows per forward/backward within a mini-batch (exact gradient accumulation); default: all")
    p.add_argument("--skip-floor", action="store_true",
                   help="do not measure generation's matmul floor (saves a sampling pass)")
    p.add_argument("--matmul-n", type=int, default=None,
                   help="side of the square matmul that measures the peak (default 2048 on a CPU, 8192 on a GPU)")
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)
    args.rm_size = args.rm_size or ("tiny" if args.size == "tiny" else "base")
    return args


def resolve_device_and_dtype(args) -> None:
    """Turns `auto` into what the CLI would pick, so the report names the precision that ran."""
    import torch

    from rlhf_core.models.precision import resolve_dtype

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("error: --device cuda, but torch sees no CUDA GPU")
    args.dtype_requested = args.dtype
    if args.dtype == "auto" and args.device == "cpu" and torch.cuda.is_available():
        from rlhf_core.models.precision import cpu_has_native_bf16

        args.dtype = "bfloat16" if cpu_has_native_bf16() else "float32"  # the CPU's choice, not the GPU's
    else:
        args.dtype = str(resolve_dtype(args.dtype)).removeprefix("torch.")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def proc_status_mb(field: str) -> float | None:
    """VmRSS / VmHWM of this process from /proc (Linux), in MB; None elsewhere."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def reset_rss_peak() -> bool:
    """Resets VmHWM to the current RSS (Linux `clear_refs` 5), so a phase's own peak can be read."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def build(args):
    import torch
    from peft import get_peft_model
    from transformers import RobertaConfig, RobertaForSequenceClassification, T5Config, T5ForConditionalGeneration

    from rlhf_core import get_config
    from rlhf_core.models.policy import PolicyWithValueHead, lora_config

    config = get_config("flan-t5-small", {
        "optim.batch_size": args.batch_size, "optim.mini_batch_size": args.mini_batch_size,
        "ppo.ppo_epochs": args.ppo_epochs, "generation.min_new_tokens": args.max_new_tokens,
        "generation.batch_size": args.gen_batch_size, "mixed_precision": args.mixed_precision,
        "seed": args.seed, "optim.forward_batch_size": args.forward_batch_size,
        "optim.micro_batch_size": args.micro_batch_size, "algo": args.algo, "critic_free.num_generations": args.k,
    })
    t5 = T5Config(vocab_size=T5_VOCAB, **T5_SHAPES[args.size], feed_forward_proj="gated-gelu", dropout_rate=0.1,
                  pad_token_id=T5_PAD, eos_token_id=T5_EOS, decoder_start_token_id=T5_PAD)
    t5.tie_word_embeddings = False  # as in FLAN-T5
    torch.manual_seed(args.seed)
    base = T5ForConditionalGeneration(t5).eval()
    # FLAN-T5 shares one embedding between encoder and decoder (transformers 5 unties all three
    # when tie_word_embeddings is False); keep the real model's 77M parameters.
    base.encoder.embed_tokens = base.decoder.embed_tokens = base.shared
    if args.dtype == "bfloat16":
        base = base.to(torch.bfloat16)  # frozen base weights in bf16; LoRA and value head stay fp32
    policy = PolicyWithValueHead(get_peft_model(base, lora_config(config.model)), value_head=args.algo == "ppo")

    rm_cfg = RobertaConfig(vocab_size=RM_VOCAB, **ROBERTA_SHAPES[args.rm_size],
                           max_position_embeddings=RM_MAX_POSITIONS,
                           type_vocab_size=1, layer_norm_eps=1e-5, pad_token_id=RM_PAD, bos_token_id=RM_BOS,
                           eos_token_id=RM_EOS, num_labels=2, id2label={0: "nothate", 1: "hate"},
                           label2id={"nothate": 0, "hate": 1})
    torch.manual_seed(args.seed + 1)
    reward_model = RobertaForSequenceClassification(rm_cfg).eval().requires_grad_(False)
    if args.dtype == "bfloat16":
        reward_model = reward_model.to(torch.bfloat16)
    return config, policy, reward_model


def build_prompts(args, n):
    import numpy as np

    rng = np.random.default_rng(args.seed)
    lengths = rng.integers(args.prompt_len_min, args.prompt_len_max + 1, size=n)
    return [np.append(rng.integers(T5_UNK + 1, T5_FIRST_SENTINEL, size=int(L) - 1), T5_EOS).tolist() for L in lengths]


def score(reward_model, response_ids, mask, batch_size=16):
    """The anchor's scoring on response ids (mapped into RoBERTa's ids), batched by length."""
    import torch

    from rlhf_core.models.batching import length_buckets, pad_right
    from rlhf_core.models.reward import label_index

    not_hate = label_index(reward_model.config.id2label, "nothate")
    seqs = []
    for ids, m in zip(response_ids, mask):
        body = (RM_NUM_SPECIAL + ids[m.bool()] % (RM_VOCAB - RM_NUM_SPECIAL))[: RM_MAX_POSITIONS - 4]
        seqs.append([RM_BOS, *body.tolist(), RM_EOS])
    scores = torch.zeros(len(seqs))
    device = next(reward_model.parameters()).device
    with torch.inference_mode():
        for bucket in length_buckets([len(s) for s in seqs], batch_size):
            input_ids, attention_mask = pad_right([seqs[i] for i in bucket], RM_PAD, device)
            logits = reward_model(input_ids=input_ids, attention_mask=attention_mask).logits
            scores[bucket] = logits[:, not_hate].float().cpu()
    return scores


def update_flops(args, trainer, rollout) -> float:
    """Counted FLOPs of the update phase: the reference pass, then a train pass per mini-batch."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as passes:
        trainer.old_and_reference(rollout)
    idx = list(range(args.mini_batch_size))  # mini-batches are alike in shape on this workload
    with FlopCounterMode(display=False) as train_pass:
        logprobs, values, _, _ = trainer._forward(trainer.policy, [rollout.query_ids[i] for i in idx],
                                               rollout.response_ids[idx])
        (logprobs.sum() + values.sum()).backward()
    trainer.optimizer.zero_grad()
    minibatches = args.ppo_epochs * (args.batch_size // args.mini_batch_size)
    return float(passes.get_total_flops() + train_pass.get_total_flops() * minibatches)


def reward_flops(reward_model, response_ids, mask) -> float:
    """Counted FLOPs of scoring one batch of responses with the reward model."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        score(reward_model, response_ids, mask)
    return float(counter.get_total_flops())


def step_floor(floor: dict | None, flops: float | None, scoring_flops: float, peak: float, max_new_tokens: int,
               batch_size: int) -> dict | None:
    """The fastest a step could be on this machine with the same work: generation at its matmul
    floor, scoring and the update (reference pass + train passes) at the matmul peak.

    A ratio target above `batch_size / total_s` over a baseline cannot be met by engineering,
    only by doing fewer FLOPs (another algorithm or model), or on other hardware.
    """
    if floor is None or flops is None:
        return None
    parts = {"generation_s": floor["floor_s_per_token"] * max_new_tokens, "reward_s": scoring_flops / peak,
             "update_s": flops / peak}
    total = sum(parts.values())
    return {**parts, "total_s": total, "samples_per_s": batch_size / total}


def synchronize(device: str) -> None:
    """Waits for queued GPU work, so a phase's clock stops when its work is done."""
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def matmul_peak_flops(dtype: str, device: str = "cpu", n: int | None = None) -> float:
    """Measured matmul FLOP/s of `device` in `dtype` (n x n, default 2048 on a CPU, 8192 on a GPU; best of 5)."""
    import torch

    n = n or (8192 if device == "cuda" else 2048)
    a, b = (torch.randn(n, n, dtype=getattr(torch, dtype), device=device) for _ in range(2))
    torch.mm(a, b)
    synchronize(device)
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        torch.mm(a, b)
        synchronize(device)
        best = min(best, time.perf_counter() - t)
    return 2 * n**3 / best


MATMUL_OPS = ("aten.linear.default", "aten.matmul.default", "aten.mm.default", "aten.addmm.default",
              "aten.bmm.default", "aten.baddbmm.default")


def record_matmuls(fn):
    """Runs `fn()` and returns (its result, every matrix product it ran as (op, argument layouts))."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode

    calls = []

    def layout(x):
        return (tuple(x.shape), tuple(x.stride()), x.dtype) if isinstance(x, torch.Tensor) else x

    class RecordMatmuls(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if str(func) in MATMUL_OPS:
                calls.append((func, [layout(a) for a in args], {k: layout(v) for k, v in kwargs.items()}))
            return func(*args, **kwargs)

    with RecordMatmuls():
        result = fn()
    return result, calls


def replay_matmuls(calls, device: str, repeats: int = 3) -> float:
    """Returns the best of `repeats` times to run just these products, back to back, on fresh tensors.

    Arguments of the same storage size and dtype share one random buffer (viewed with each call's
    own shape and strides): an update at the flan-t5-base shape records thousands of products
    whose inputs, all allocated at once, did not fit in 24 GB."""
    import torch

    buffers = {}

    def fresh(x):
        if isinstance(x, tuple) and len(x) == 3 and isinstance(x[2], torch.dtype):
            # random storage viewed with the recorded strides (0-strides too: backward expands grads)
            size = 1 + sum((n - 1) * st for n, st in zip(x[0], x[1])) if all(x[0]) else 0
            if (size, x[2]) not in buffers:
                buffers[size, x[2]] = torch.randn(size, dtype=x[2], device=device)
            return buffers[size, x[2]].as_strided(x[0], x[1])
        return x

    replay = [(func, [fresh(a) for a in args], {k: fresh(v) for k, v in kw.items()}) for func, args, kw in calls]
    best = float("inf")
    with torch.inference_mode():
        for _ in range(repeats):
            synchronize(device)
            t = time.perf_counter()
            for func, args, kw in replay:
                func(*args, **kw)
            synchronize(device)
            best = min(best, time.perf_counter() - t)
    return best


def generation_matmul_floor(trainer, queries, max_new_tokens: int, device: str, repeats: int = 3) -> dict:
    """The matmul-bound floor of generation: its matrix products alone, back to back.

    Samples `queries` once while recording every matrix product (shapes, strides, dtypes: the
    encoder's, each decoding step's projections, LoRA, attention over the cache, the LM head),
    then replays just those products on fresh tensors of the same layout, best of `repeats`.
    Everything else a step does (Python, norms, softmax, sampling, cache bookkeeping) is what
    the measured time has above this floor.
    """
    samples, calls = record_matmuls(lambda: trainer.generate(queries, max_new_tokens))
    steps = samples.response_ids.shape[1]
    best = replay_matmuls(calls, device, repeats)
    return {"matmuls": len(calls), "steps": steps, "floor_s": best, "floor_s_per_token": best / steps}


def update_matmul_floor(trainer, rollout, device: str, repeats: int = 3) -> dict:
    """The update's matrix products (reference pass, forward and backward passes) replayed alone.

    Unlike FLOPs at the square-matmul peak, this floor pays for the real shapes: thin LoRA
    products, attention per head, the LM head's backward. Runs one more update on `rollout`.
    """
    _, calls = record_matmuls(lambda: trainer.step(rollout))
    return {"matmuls": len(calls), "floor_s": replay_matmuls(calls, device, repeats)}


def main(argv=None):
    args = parse_args(argv)
    import torch

    resolve_device_and_dtype(args)
    cores = len(os.sched_getaffinity(0))
    torch.set_num_threads(args.threads or cores)
    import peft
    import transformers

    from rlhf_core.algorithms.ppo_trainer import Rollout
    from rlhf_core.models.reward import Reward
    from rlhf_core.training.run_loop import make_trainer

    versions = {"python": platform.python_version(), "torch": torch.__version__,
                "transformers": transformers.__version__, "peft": peft.__version__}
    print("versions:", " ".join(f"{k}={v}" for k, v in versions.items()))
    print("args:", json.dumps(vars(args)))
    t_setup = time.perf_counter()
    config, policy, reward_model = build(args)
    n_total = sum(p.numel() for p in policy.parameters())
    n_train = sum(p.numel() for p in policy.parameters() if p.requires_grad)
    from accelerate import Accelerator

    accelerator = Accelerator(cpu=args.device == "cpu", mixed_precision=args.mixed_precision)
    trainer = make_trainer(config, policy, None, Reward(lambda p, s: [0.0] * len(s)), accelerator)
    reward_model.to(trainer.device)
    k = 1 if args.algo == "ppo" else args.k  # rows per prompt, prompt-major (as the trainers sample them)
    prompts = [q for q in build_prompts(args, (args.warmup + args.steps) * args.batch_size // k) for _ in range(k)]
    setup_s = time.perf_counter() - t_setup
    print(f"policy params: total={n_total:,} trainable={n_train:,}; setup {setup_s:.1f}s, "
          f"peak RSS {peak_rss_mb():.0f} MB")

    records, stats = [], {}
    for step in range(args.warmup + args.steps):
        queries = prompts[step * args.batch_size:(step + 1) * args.batch_size]
        t0 = time.perf_counter()
        samples = trainer.generate(queries, args.max_new_tokens)
        response_ids, mask = samples.response_ids, samples.mask
        synchronize(args.device)
        t1 = time.perf_counter()
        scores = score(reward_model, response_ids, mask).to(trainer.device)
        t2 = time.perf_counter()
        rollout = Rollout(queries, [""] * len(queries), response_ids, mask, [""] * len(queries), scores,
                          logprobs=samples.logprobs, values=samples.values)
        rss_before_update = proc_status_mb("VmRSS") if reset_rss_peak() else None
        stats = trainer.step(rollout)
        synchronize(args.device)
        t3 = time.perf_counter()
        update_rise = proc_status_mb("VmHWM") - rss_before_update if rss_before_update is not None else None
        if mask.sum(1).min() != args.max_new_tokens:
            raise RuntimeError("responses are not all --max-new-tokens long")
        rec = {"step": step, "warmup": step < args.warmup, "gen_s": t1 - t0, "reward_s": t2 - t1,
               "ppo_step_s": t3 - t2, "total_s": t3 - t0, "update_rss_rise_mb": update_rise,
               "engine_timing": {k: v for k, v in stats.items() if k.startswith("time/")}}
        records.append(rec)
        print(f"step {step}{' (warm-up)' if rec['warmup'] else ''}: gen {rec['gen_s']:.2f}s  "
              f"reward {rec['reward_s']:.2f}s  "
              f"ppo.step {rec['ppo_step_s']:.2f}s (reference pass {stats['time/ppo/forward_pass']:.2f}s, "
              f"optimize {stats['time/ppo/optimize_step']:.2f}s)  total {rec['total_s']:.2f}s | "
              f"objective/kl={stats['objective/kl']:.4g} "
              f"peak RSS {peak_rss_mb():.0f} MB", flush=True)

    measured = [r for r in records if not r["warmup"]]

    def med(key):
        return statistics.median(r[key] for r in measured)

    peak_rss = peak_rss_mb()  # before the FLOP-counting pass below, which is not part of a step
    flops = update_flops(args, trainer, rollout) if args.algo == "ppo" else None  # PPO's passes only
    scoring_flops = reward_flops(reward_model, response_ids, mask)
    peak_gpu_mb = torch.cuda.max_memory_allocated() / 2**20 if args.device == "cuda" else None
    peak = matmul_peak_flops(args.dtype, args.device, args.matmul_n)
    floor = None if args.skip_floor else generation_matmul_floor(trainer, queries, args.max_new_tokens, args.device)
    update_floor = None if args.skip_floor or args.algo != "ppo" else update_matmul_floor(trainer, rollout, args.device)
    gen_s_per_token = med("gen_s") / args.max_new_tokens
    ceiling = step_floor(floor, flops, scoring_flops, peak, args.max_new_tokens, args.batch_size)
    update_s = statistics.median(r["engine_timing"]["time/ppo/forward_pass"]
                                 + r["engine_timing"]["time/ppo/optimize_step"]
                                 for r in measured)
    summary = {
        "bench": "rlhf_core_ppo",
        "versions": versions,
        "threads": torch.get_num_threads(),
        "config": {k: v for k, v in vars(args).items()},
        "params": {"policy_total": n_total, "policy_trainable": n_train},
        "setup_s": setup_s,
        "median_s": {"generation": med("gen_s"), "reward": med("reward_s"), "ppo_step": med("ppo_step_s"),
                     "total": med("total_s")},
        "samples_per_s": args.batch_size / med("total_s"),
        "ppo_step_samples_per_s": args.batch_size / med("ppo_step_s"),
        "peak_rss_mb": peak_rss,
        "update_rss_rise_mb": (statistics.median(r["update_rss_rise_mb"] for r in measured)
                               if measured[0]["update_rss_rise_mb"] is not None else None),
        "peak_gpu_mb": peak_gpu_mb,
        "generation_tokens_per_s": args.batch_size * args.max_new_tokens / med("gen_s"),
        "generation_s_per_token": gen_s_per_token,
        "generation_matmul_floor": floor,
        "generation_over_floor": gen_s_per_token / floor["floor_s_per_token"] if floor else None,
        "update_flops": flops,
        "update_flop_per_s": flops / update_s if flops else None,
        "matmul_peak_flop_per_s": peak,
        "update_share_of_peak": flops / update_s / peak if flops else None,
        "reward_flops": scoring_flops,
        "step_floor": ceiling,
        "update_matmul_floor": update_floor,
        "update_over_matmul_floor": update_s / update_floor["floor_s"] if update_floor else None,
        "last_step_stats": {key: stats[key] for key in ("objective/kl", "ppo/returns/mean",
                                                        "ppo/policy/advantages_mean") if key in stats},
        "per_step": records,
    }
    print(f"\nmedian over {len(measured)} steps: generation {med('gen_s'):.2f}s  reward {med('reward_s'):.2f}s  "
          f"ppo.step {med('ppo_step_s'):.2f}s  total {med('total_s'):.2f}s -> "
          f"{summary['samples_per_s']:.3f} samples/s; "
          f"peak RSS {summary['peak_rss_mb']:.0f} MB"
          + (f" (the update's own peak: +{summary['update_rss_rise_mb']:.0f} MB over the RSS it starts from); "
             if summary["update_rss_rise_mb"] is not None else "; ")
          + (f"peak GPU memory {peak_gpu_mb:.0f} MB; " if peak_gpu_mb is not None else "")
          + f"generation {summary['generation_tokens_per_s']:.0f} tokens/s, "
          f"{1000 * gen_s_per_token:.1f} ms a decoding step"
          + (f" = {summary['generation_over_floor']:.2f}x its matmul floor of "
             f"{1000 * floor['floor_s_per_token']:.1f} ms ({floor['matmuls']} products replayed)" if floor else "")
          + (f"; update {summary['update_flop_per_s'] / 1e9:.1f} GFLOP/s = "
             f"{100 * summary['update_share_of_peak']:.0f}% of the measured {args.dtype} matmul peak "
             f"{peak / 1e9:.0f} GFLOP/s" if flops else f" ({args.algo}, k={k}: update FLOPs not counted)")
          + (f", {summary['update_over_matmul_floor']:.2f}x its own matrix products replayed alone "
             f"({update_floor['floor_s']:.2f}s, {update_floor['matmuls']} products)" if update_floor else "")
          + (f"; FLOP-bound floor of a step: generation {ceiling['generation_s']:.2f}s + reward "
             f"{ceiling['reward_s']:.2f}s + update {ceiling['update_s']:.2f}s = {ceiling['total_s']:.2f}s, at most "
             f"{ceiling['samples_per_s']:.3f} samples/s" if ceiling else ""))
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
