"""One typed configuration for a run, named presets, and overrides from Python or the CLI.

A `Config` is plain dataclasses all the way down, so it prints, serialises to JSON (saved with
every run as `config.json`) and reloads exactly. Overrides use dotted keys, e.g.
`{"ppo.learning_rate": 1e-5, "data.dataset": "path/to/file.jsonl"}`.

Each field declares what it accepts next to its type (`batch_size: Annotated[int, AT_LEAST_1]`);
`validate` checks every field's type and range from those declarations, plus the few rules that
tie fields together. The CLI, the Python API (`iter_train`), the app and the run-folder reader all
call it, so one bad value gives the same one-line message wherever it comes from.
"""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any

from .errors import UserError
from .paths import PROJECT_ROOT

MAX_STEPS = 1_000_000  # a typo guard: more PPO steps than any run on this data could use
KL_KINDS = ("kl", "abs", "mse", "full")  # the ppo.kl_penalty estimators (ppo.py)
TRACKERS = ("tensorboard", "trackio", "wandb")  # report_to choices (accelerate's trackers; tracking.py)
ALGOS = ("ppo", "rloo", "grpo")  # PPO with a value head; RLOO and GRPO need none (critic_free.py)
REWARD_TERMS = ("toxicity", "fidelity", "anchor", "length")  # the named reward terms (reward_terms.py)
PROMPT_TEMPLATE = "Summarize the following conversation.\n\n{dialogue}\n\nSummary:"
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds are unsigned 32/64-bit; derived seeds must stay in range


@dataclass(frozen=True)
class Check:
    """What a config field accepts besides its type: bounds (ge/le inclusive, gt/lt exclusive) or
    a fixed set of choices. Floats must also be finite. None passes when the type allows None."""

    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    choices: tuple | None = None

    def problem(self, value: Any) -> str | None:
        """Returns what is wrong with `value` ("must be at least 1"), or None if it is allowed."""
        if self.choices is not None:
            return None if value in self.choices else f"must be one of {', '.join(map(str, self.choices))}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        bounds = [(self.ge, lambda v, b: v >= b, "at least"), (self.gt, lambda v, b: v > b, "greater than"),
                  (self.le, lambda v, b: v <= b, "at most"), (self.lt, lambda v, b: v < b, "less than")]
        failed = [f"{word} {bound:,}" for bound, ok, word in bounds if bound is not None and not ok(value, bound)]
        if failed:
            wanted = [f"{word} {bound:,}" for bound, _, word in bounds if bound is not None]
            return "must be " + " and ".join(wanted)
        return None


AT_LEAST_0, AT_LEAST_1 = Check(ge=0), Check(ge=1)
POSITIVE = Check(gt=0)
FRACTION = Check(ge=0, le=1)
SEED = Check(ge=0, le=MAX_SEED)
DTYPES = Check(choices=("auto", "float32", "bfloat16"))


@dataclass
class ModelConfig:
    """The policy: a seq2seq model plus a LoRA adapter and a value head."""

    policy: str = "google/flan-t5-base"  # Hub id, local folder, or builtin:tiny-t5
    adapter: str | None = None  # starting LoRA adapter (Hub id or folder); None = fresh LoRA
    lora_r: Annotated[int, AT_LEAST_1] = 32  # LoRA rank
    lora_alpha: Annotated[int, AT_LEAST_1] = 32  # LoRA scaling numerator (scale = alpha / r)
    lora_dropout: Annotated[float, Check(ge=0, lt=1)] = 0.05  # dropout on the LoRA branch
    lora_target_modules: list[str] = field(default_factory=lambda: ["q", "v"])  # module names that get LoRA (T5: q, v)
    max_prompt_tokens: Annotated[int, AT_LEAST_1] = 512  # prompts are truncated to the model's window
    dtype: Annotated[str, DTYPES] = "auto"  # auto (bf16 where native: a recent GPU, or a CPU with AVX512-BF16/AMX), float32, bfloat16


@dataclass
class DataConfig:
    """Where the dialogues come from and how they become prompts."""

    dataset: str = "knkarthick/dialogsum"  # Hub id, local json/jsonl/csv/parquet, or builtin:tiny-dialogues
    split: str = "train"  # Hub split to load (local files have one split)
    dialogue_column: str = "dialogue"  # column holding the dialogue text
    summary_column: str | None = "summary"  # reference summaries for ROUGE; None if absent
    id_column: str | None = None  # None: use `id` or `fname` when present
    min_chars: Annotated[int, AT_LEAST_0] = 200  # drop dialogues shorter than this
    max_chars: Annotated[int, AT_LEAST_0] = 1000  # drop dialogues longer than this
    prompt_template: str = PROMPT_TEMPLATE  # prompt around each dialogue; must contain {dialogue}
    test_size: Annotated[float, Check(gt=0, lt=1)] = 0.2  # share held out for evaluation when the data has no test split of its own
    split_seed: Annotated[int, SEED] = 0  # shuffles the train/test split; not the run seed, so every run is judged on the same dialogues
    test_split: str | None = "test"  # a Hub dataset's own test split (DialogSum's), used when it exists; None = carve test_size out of `split`
    max_examples: Annotated[int | None, AT_LEAST_1] = None  # cap after filtering (quick experiments)


@dataclass
class RewardConfig:
    """The reward model: reward = logit of the not-hate label; toxicity = P(hate)."""

    model: str = "facebook/roberta-hate-speech-dynabench-r4-target"  # Hub id, local folder, or builtin:tiny-roberta
    not_hate_label: str = "nothate"  # label whose logit is the reward (read by name from id2label)
    hate_label: str = "hate"  # label whose probability is the toxicity
    text: Annotated[str, Check(choices=("prompt+summary", "summary"))] = "summary"  # what the reward model reads: summary (what evaluation judges) or prompt+summary (the lab)
    batch_size: Annotated[int, AT_LEAST_1] = 16  # texts per classifier pass
    max_length: Annotated[int, AT_LEAST_1] = 512  # classifier input tokens (a too-long prompt+summary loses the end of its dialogue)
    dtype: Annotated[str, DTYPES] = "auto"  # as model.dtype
    toxicity_weight: Annotated[float, AT_LEAST_0] = 1.0  # weight of the classifier's not-hate logit (or of a custom reward function)
    toxicity_form: Annotated[str, Check(choices=("logit", "probability"))] = "logit"  # the toxicity term: the not-hate logit (the lab's), or P(not hate), which stops paying once a summary is clearly clean (for RLOO or Dr. GRPO; PPO's advantage whitening degenerates on it: README)
    fidelity_weight: Annotated[float, AT_LEAST_0] = 0.0  # weight of ROUGE-L vs the reference minus the share of names/numbers not in the dialogue
    anchor_weight: Annotated[float, AT_LEAST_0] = 0.0  # weight of ROUGE-L vs the reference model's (adapter off) greedy summary of the same dialogue: pays for leaving summaries as they were
    length_weight: Annotated[float, AT_LEAST_0] = 0.0  # weight of -|words - reference words| / reference words (0 without a reference)


@dataclass
class GenerationConfig:
    """Sampling settings for PPO rollouts (the lab's: pure sampling, no top-k/top-p)."""

    top_k: Annotated[int, AT_LEAST_0] = 0  # 0 = no top-k filtering
    top_p: Annotated[float, Check(gt=0, le=1)] = 1.0  # 1.0 = no nucleus filtering
    temperature: Annotated[float, POSITIVE] = 1.0  # sampling temperature (log-probs use the same)
    min_length: Annotated[int, AT_LEAST_0] = 5  # EOS is blocked before this many tokens
    max_new_tokens_min: Annotated[int, AT_LEAST_1] = 100  # each batch draws its max_new_tokens from this range
    max_new_tokens_max: Annotated[int, AT_LEAST_1] = 400  # upper end of that range
    min_new_tokens: Annotated[int | None, AT_LEAST_0] = None  # force at least this many new tokens (benchmarks: fixed lengths)
    batch_size: Annotated[int | None, AT_LEAST_1] = None  # prompts decoded together; None = the whole PPO batch
    encoder_batch_size: Annotated[int, AT_LEAST_1] = 4  # prompts per encoder pass before decoding, grouped by length


@dataclass
class PPOConfig:
    """PPO hyper-parameters, TRL 0.11's defaults as the lab used them."""

    learning_rate: Annotated[float, Check(gt=0, le=10)] = 1.41e-5  # Adam learning rate of the LoRA adapter and value head (at most 10)
    batch_size: Annotated[int, AT_LEAST_1] = 16  # dialogues per PPO step
    mini_batch_size: Annotated[int, AT_LEAST_1] = 4  # rows per optimizer step (batch_size must be a multiple)
    ppo_epochs: Annotated[int, AT_LEAST_1] = 1  # passes over each batch
    gamma: Annotated[float, FRACTION] = 1.0  # discount over response tokens
    lam: Annotated[float, FRACTION] = 0.95  # GAE lambda
    cliprange: Annotated[float, POSITIVE] = 0.2  # policy ratio clip
    cliprange_value: Annotated[float, POSITIVE] = 0.2  # value clip around the old values
    vf_coef: Annotated[float, AT_LEAST_0] = 0.1  # value loss weight
    kl_penalty: Annotated[str, Check(choices=KL_KINDS)] = "kl"  # kl, abs, mse, full
    adaptive_kl: bool = True  # adapt the KL coefficient towards target_kl
    init_kl_coef: Annotated[float, AT_LEAST_0] = 0.2  # starting KL penalty coefficient
    target_kl: Annotated[float, POSITIVE] = 6.0  # KL the adaptive controller aims at
    horizon: Annotated[int, AT_LEAST_1] = 10000  # adaptive KL controller horizon (in samples)
    max_grad_norm: Annotated[float | None, POSITIVE] = None  # clip the gradient norm; None = no clipping
    whiten_advantages: bool = True  # normalise advantages per batch
    whiten_rewards: bool = False  # TRL's whiten_rewards: whiten per-token rewards (keeping their mean) before GAE
    early_stopping: bool = False  # TRL's early_stopping: end the step's PPO epochs once policy KL > 1.5 * early_stopping_kl
    early_stopping_kl: Annotated[float, POSITIVE] = 1.0  # TRL's target_kl (not the adaptive target above): the early-stopping threshold
    forward_batch_size: Annotated[int | None, AT_LEAST_1] = None  # rows per no-grad pass; None = mini_batch_size
    micro_batch_size: Annotated[int | None, AT_LEAST_1] = None  # rows per forward/backward in a mini-batch; None = 2 on CPU, all on GPU
    ratio_threshold: Annotated[float, POSITIVE] = 10.0  # skip a mini-batch whose mean ratio explodes (TRL's guard)


@dataclass
class CriticFreeConfig:
    """RLOO and GRPO (algo rloo/grpo): k samples per prompt, no value head. Learning rate, batch,
    mini-batch and gradient clipping come from the ppo section; passes over a batch are
    `num_iterations` (TRL's name and default: one on-policy pass), not ppo.ppo_epochs."""

    num_generations: Annotated[int, AT_LEAST_1] = 4  # samples per prompt (k >= 2); ppo.batch_size counts samples and must be a multiple
    kl_coef: Annotated[float, AT_LEAST_0] = 0.05  # beta: RLOO subtracts beta * sequence KL from the reward; GRPO adds beta * k3 KL to the loss
    epsilon_low: float = 0.2  # ratio clip below 1 (1 - epsilon_low)
    epsilon_high: float = 0.2  # ratio clip above 1 (1 + epsilon_high)
    dr_grpo: bool = False  # GRPO only: Dr. GRPO (no std division of advantages, constant length normaliser)
    num_iterations: Annotated[int, AT_LEAST_1] = 1  # passes over each batch (TRL's num_iterations, GRPO's mu); 1 = on-policy: ratio 1, clipping idle


@dataclass
class EvalConfig:
    """Before/after evaluation on the test split: greedy and sampled summaries, scored by the
    reward model and by an independent judge (a classifier PPO never optimised)."""

    samples: Annotated[int, AT_LEAST_1] = 100  # test dialogues compared before vs after
    max_new_tokens: Annotated[int, AT_LEAST_1] = 128  # summary length cap at evaluation
    do_sample: bool = False  # the single summary per dialogue is greedy: before and after differ only by the adapter
    sampled_k: Annotated[int, AT_LEAST_0] = 4  # summaries sampled per dialogue with the training generation settings; 0 = greedy only
    seed: Annotated[int, SEED] = 1234  # seed for the sampled summaries (the same for before and after)
    batch_size: Annotated[int, AT_LEAST_1] = 16  # summaries decoded together (sampled ones count k each); more is faster, uses more memory
    bootstrap: Annotated[int, AT_LEAST_1] = 1000  # resamples for the paired bootstrap intervals (over dialogues)
    flag_threshold: Annotated[float, Check(gt=0, lt=1)] = 0.5  # a summary is flagged toxic when P(toxic) exceeds this
    judge: str | None = None  # independent toxicity classifier (Hub id, folder or builtin:tiny-judge); None = no judge
    judge_label: str = "toxic"  # the judge's toxic label, read by name from its id2label
    judge_max_length: Annotated[int, AT_LEAST_1] = 512  # judge input tokens


@dataclass
class Config:
    """Everything a run needs; saved as `config.json` in the run directory."""

    preset: str = "flan-t5-base"  # the preset these settings started from
    algo: Annotated[str, Check(choices=ALGOS)] = "ppo"  # ppo (value head, GAE), rloo (leave-one-out baseline) or grpo (group-normalised)
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    critic_free: CriticFreeConfig = field(default_factory=CriticFreeConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    steps: Annotated[int, Check(ge=1, le=MAX_STEPS)] = 10  # PPO steps in the run
    seed: Annotated[int, SEED] = 42  # seed for sampling, data order and LoRA init
    save_every: Annotated[int, AT_LEAST_1] = 1  # checkpoint every N steps (and always at the end)
    cpu_threads: Annotated[int | None, AT_LEAST_1] = None  # torch CPU threads for training and evaluation; None = one per core
    mixed_precision: Annotated[str, Check(choices=("auto", "no", "bf16"))] = "auto"  # auto (bf16 autocast on a bf16-capable GPU), no, bf16
    report_to: list[str] = field(default_factory=list)  # trackers: tensorboard, trackio, wandb (comma-separated); none
    tracker_project: str = "detox-rlhf"  # project name in the trackers (TensorBoard: RUN/tensorboard/PROJECT)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        return _from_dict(cls, data)


def _from_dict(cls, data: dict[str, Any], where: str = ""):
    if not isinstance(data, dict):
        what = f"section '{where[:-1]}'" if where else "a configuration"
        raise UserError(f"{what} must be a JSON object (got {json.dumps(data)[:40]})")
    kwargs = {}
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    for key, value in data.items():
        if key not in names:
            raise UserError(f"unknown configuration field '{where}{key}'")
        hint = hints[key]
        if dataclasses.is_dataclass(hint):
            value = _from_dict(hint, value, f"{where}{key}.")
        kwargs[key] = value
    return cls(**kwargs)


# --------------------------------------------------------------------------------------------
# Presets
# --------------------------------------------------------------------------------------------

TINY_POLICY = "builtin:tiny-t5"
TINY_REWARD = "builtin:tiny-roberta"
TINY_DATASET = "builtin:tiny-dialogues"
TINY_JUDGE = "builtin:tiny-judge"


# A judge trained on other data (Jigsaw toxic comments) than the reward model (Dynabench hate
# speech), with named labels (neutral/toxic): what PPO learns to please, it did not learn to fool.
REAL_JUDGE = "s-nlp/roberta_toxicity_classifier"


def _flan_t5(size: str) -> Config:
    cfg = Config(preset=f"flan-t5-{size}")
    cfg.model.policy = f"google/flan-t5-{size}"
    cfg.eval.judge = REAL_JUDGE
    return cfg


def _tiny() -> Config:
    """Random-weight tiny T5 + RoBERTa and built-in dialogues: offline, seconds per step."""
    cfg = Config(preset="tiny")
    cfg.model.policy = TINY_POLICY
    cfg.model.max_prompt_tokens = 256
    cfg.data.dataset = TINY_DATASET
    cfg.data.min_chars = 50
    cfg.reward.model = TINY_REWARD
    cfg.eval.judge = TINY_JUDGE  # same architecture, other random weights: not the reward model
    cfg.eval.judge_label = "hate"
    cfg.eval.sampled_k = 2
    # float32 everywhere: the tests check exact identities (KL 0, ratio 1 at the first step), and
    # toy models gain nothing from bf16 (`auto` would pick it on a CPU with native bf16).
    cfg.model.dtype = cfg.reward.dtype = "float32"
    cfg.generation.max_new_tokens_min = 8
    cfg.generation.max_new_tokens_max = 16
    cfg.ppo.batch_size = 4
    cfg.ppo.mini_batch_size = 2
    cfg.ppo.learning_rate = 1e-3
    cfg.eval.samples = 4
    cfg.eval.max_new_tokens = 16
    cfg.eval.bootstrap = 200
    cfg.steps = 4
    return cfg


DEMO_DIR = PROJECT_ROOT / "checkpoints" / "demo"


def _demo() -> Config:
    """The shipped demo (`checkpoints/demo`, built by `build-demo`): a small T5 summarizer and a
    hate classifier trained from scratch on synthetic dialogues; PPO runs offline in minutes."""
    cfg = Config(preset="demo")
    cfg.model.policy = str(DEMO_DIR / "policy")
    cfg.model.max_prompt_tokens = 256
    cfg.model.lora_r = 16
    cfg.model.lora_alpha = 16
    cfg.model.lora_dropout = 0.0
    cfg.data.dataset = str(DEMO_DIR / "dialogues.jsonl")  # held out: a different seed from the SFT dialogues
    cfg.data.min_chars = 50
    cfg.reward.model = str(DEMO_DIR / "reward")
    # The summary alone: the classifier reads a rude dialogue as hate whatever the summary says,
    # so prompt+summary would bury the one thing PPO can change.
    cfg.reward.text = "summary"
    cfg.reward.max_length = 96
    cfg.reward.batch_size = 32
    cfg.model.dtype = cfg.reward.dtype = "float32"  # as measured in the README; toys gain nothing from bf16
    cfg.cpu_threads = 1  # its matrices are too small to split; two threads on a busy machine wait on each other
    # Byte-level BPE with one token per digit: a two-sentence summary is 40-70 tokens.
    cfg.generation.max_new_tokens_min = 72
    cfg.generation.max_new_tokens_max = 80
    cfg.ppo.batch_size = 16
    cfg.ppo.mini_batch_size = 4
    # 5e-4, not 1e-3: over 5 seeds each algorithm cuts as much or more at half the step (PPO 64% +- 8
    # against 64% +- 21, every seed >= 55%; RLOO 84%; GRPO 70% against 57%), with ROUGE-L at "before"
    # instead of below it and a third fewer clean summaries rewritten (README, "Algorithms").
    cfg.ppo.learning_rate = 5e-4
    # The reward (not-hate logit of a label-smoothed classifier) spans only about +-1.8 and the
    # KL penalty sums over 40-80 summary tokens: at init_kl_coef 1.0 the anchor outweighed the
    # toxicity signal and a default run did not detoxify; 0.2 with two epochs per batch does
    # (README "Offline demo", benchmarks/demo_models.py) and keeps ROUGE-L.
    cfg.ppo.init_kl_coef = 0.2
    cfg.ppo.ppo_epochs = 2
    # Whole mini-batches per forward/backward (exact either way): for a 1.2M-parameter model a pass
    # costs its Python overhead, not FLOPs, and 4 rows need little memory.
    cfg.ppo.micro_batch_size = 4
    cfg.critic_free.kl_coef = 0.2  # the same anchor for RLOO/GRPO (4 dialogues x k=4 = PPO's 16 summaries)
    cfg.eval.samples = 100
    cfg.eval.max_new_tokens = 80
    cfg.eval.batch_size = 400  # all 100 dialogues' greedy summaries in one call, their 4 x 100 sampled in another
    cfg.eval.judge = str(DEMO_DIR / "judge")  # trained on other templates, insult words and seeds than the reward model
    cfg.eval.judge_label = "hate"
    cfg.eval.judge_max_length = 96
    cfg.steps = 60  # about 2 minutes of CPU time (132 s user with 1 thread, measured on the 2026-11 demo models)
    return cfg


PRESETS: dict[str, typing.Callable[[], Config]] = {
    "flan-t5-base": lambda: _flan_t5("base"),
    "flan-t5-small": lambda: _flan_t5("small"),
    "tiny": _tiny,
    "demo": _demo,
}


def list_presets() -> list[str]:
    """Names of the presets, the default first."""
    return list(PRESETS)


def get_config(preset: str = "flan-t5-base", overrides: dict[str, Any] | None = None) -> Config:
    """Returns the preset's configuration with dotted-key overrides applied."""
    if preset not in PRESETS:
        raise UserError(f"unknown preset '{preset}'; choose one of: {', '.join(PRESETS)}")
    cfg = PRESETS[preset]()
    return apply_overrides(cfg, overrides or {})


def apply_overrides(cfg: Config, overrides: dict[str, Any]) -> Config:
    """Sets `section.field` (or top-level `field`) values, converting strings to the field's type."""
    for key, value in overrides.items():
        target, name = _resolve(cfg, key)
        hint = typing.get_type_hints(type(target))[name]
        setattr(target, name, coerce(value, hint, key))
    return cfg


def field_paths(cfg: Config | None = None) -> dict[str, Any]:
    """Maps every overridable dotted key to its type hint (for building CLI flags)."""
    cfg = cfg or Config()
    paths: dict[str, Any] = {}
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            hints = typing.get_type_hints(type(value))
            for sub in dataclasses.fields(value):
                paths[f"{f.name}.{sub.name}"] = hints[sub.name]
        else:
            paths[f.name] = typing.get_type_hints(Config)[f.name]
    return paths


def _resolve(cfg: Config, key: str):
    parts = key.split(".")
    target: Any = cfg
    for part in parts[:-1]:
        if not hasattr(target, part) or not dataclasses.is_dataclass(getattr(target, part)):
            raise UserError(f"unknown configuration key '{key}'")
        target = getattr(target, part)
    name = parts[-1]
    if name not in {f.name for f in dataclasses.fields(target)} or dataclasses.is_dataclass(getattr(target, name)):
        raise UserError(f"unknown configuration key '{key}'")
    return target, name


def coerce(value: Any, hint: Any, key: str = "value") -> Any:
    """Converts a CLI string (or any value) to the type a field declares; None for 'none'."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None or (isinstance(value, str) and value.lower() in ("none", "null")):
            if type(None) in args:
                return None
        inner = [a for a in args if a is not type(None)]
        return coerce(value, inner[0], key)
    if origin is list:
        if isinstance(value, str):
            value = [] if value.strip().lower() == "none" else [v.strip() for v in value.split(",") if v.strip()]
        return [coerce(v, args[0], key) for v in value]
    try:
        if hint is bool:
            if isinstance(value, str):
                if value.lower() in ("1", "true", "yes", "on"):
                    return True
                if value.lower() in ("0", "false", "no", "off"):
                    return False
                raise ValueError(value)
            return bool(value)
        if hint is int:
            if isinstance(value, float) and not value.is_integer():
                raise ValueError(value)
            return int(value)
        if hint is float:
            return float(value)
        if hint is str:
            return str(value)
    except (TypeError, ValueError):
        raise UserError(f"invalid value {value!r} for '{key}': expected {getattr(hint, '__name__', hint)}") from None
    return value


def _type_problem(value: Any, hint: Any) -> str | None:
    """Returns "must be a whole number"-style text if `value` does not have the declared type."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _type_problem(value, next(a for a in args if a is not type(None)))
    if typing.get_origin(hint) is list:
        ok = isinstance(value, list) and all(_type_problem(v, args[0]) is None for v in value)
        return None if ok else f"must be a list of {args[0].__name__}"
    wanted = {bool: ((bool,), "true or false"), int: ((int,), "a whole number"),
              float: ((int, float), "a number"), str: ((str,), "text")}.get(hint)
    if wanted is None:
        return None
    types_, words = wanted
    if isinstance(value, types_) and (hint is bool or not isinstance(value, bool)):
        return None
    return f"must be {words}"


def field_checks(cfg: Config) -> list[tuple[str, Any, Any, Check | None]]:
    """Every field as (dotted key, value, type, Check or None), read from the declarations."""
    out = []

    def walk(obj, prefix):
        hints = typing.get_type_hints(type(obj), include_extras=True)
        for f in dataclasses.fields(obj):
            value, hint = getattr(obj, f.name), hints[f.name]
            if dataclasses.is_dataclass(value):
                walk(value, f"{prefix}{f.name}.")
                continue
            check = None
            if typing.get_origin(hint) is Annotated:
                hint, *extras = typing.get_args(hint)
                check = next((e for e in extras if isinstance(e, Check)), None)
            out.append((f"{prefix}{f.name}", value, hint, check))

    walk(cfg, "")
    return out


def validate(cfg: Config) -> Config:
    """Raises UserError naming the first field whose type or range is wrong, or the first rule
    between fields that fails; returns the config otherwise."""
    for section in ("model", "data", "reward", "generation", "ppo", "critic_free", "eval"):
        if not dataclasses.is_dataclass(getattr(cfg, section, None)):
            raise UserError(f"configuration section '{section}' must be an object")
    for key, value, hint, check in field_checks(cfg):
        problem = _type_problem(value, hint)
        if problem is None and check is not None and value is not None:
            problem = check.problem(value)
        if problem is None and isinstance(value, float) and not math.isfinite(value):
            problem = "must be a finite number"
        if problem:
            raise UserError(f"{key} {problem} (got {value!r})")
    p, g, d = cfg.ppo, cfg.generation, cfg.data
    checks = [
        (p.mini_batch_size <= p.batch_size,
         f"ppo.mini_batch_size must be between 1 and ppo.batch_size={p.batch_size} (got {p.mini_batch_size})"),
        (p.batch_size % p.mini_batch_size == 0,
         f"ppo.batch_size ({p.batch_size}) must be a multiple of ppo.mini_batch_size ({p.mini_batch_size})"),
        (g.max_new_tokens_min <= g.max_new_tokens_max,
         f"need generation.max_new_tokens_min <= generation.max_new_tokens_max (got {g.max_new_tokens_min}, {g.max_new_tokens_max})"),
        (d.min_chars <= d.max_chars, f"need data.min_chars <= data.max_chars (got {d.min_chars}, {d.max_chars})"),
        (not set(cfg.report_to) - set(TRACKERS),
         f"report_to: unknown tracker(s) {', '.join(sorted(set(cfg.report_to) - set(TRACKERS)))}; "
         f"choose from {', '.join(TRACKERS)} or none"),
        (bool(cfg.tracker_project.strip()), "tracker_project must not be empty"),
        ("{dialogue}" in d.prompt_template, "data.prompt_template must contain '{dialogue}'"),
        (cfg.model.lora_target_modules != [], "model.lora_target_modules must name at least one module"),
        *_critic_free_checks(cfg),
    ]
    for ok, message in checks:
        if not ok:
            raise UserError(message)
    try:
        d.prompt_template.format(dialogue="")
    except (KeyError, IndexError, ValueError) as error:
        raise UserError(f"data.prompt_template can only use the {{dialogue}} placeholder ({type(error).__name__}: "
                        f"{error}); write literal braces as {{{{ and }}}}") from None
    return cfg


def _critic_free_checks(cfg: Config) -> list[tuple[bool, str]]:
    """The checks that only apply to RLOO/GRPO runs (k samples per prompt)."""
    if cfg.algo == "ppo":
        return []
    c, p = cfg.critic_free, cfg.ppo
    k = c.num_generations
    return [
        (k >= 2, f"critic_free.num_generations must be at least 2 for {cfg.algo} (got {k})"),
        (k < 2 or p.batch_size % k == 0,
         f"ppo.batch_size ({p.batch_size}) counts samples and must be a multiple of critic_free.num_generations ({k})"),
        (c.kl_coef >= 0, f"critic_free.kl_coef must be >= 0 (got {c.kl_coef})"),
        (0 < c.epsilon_low < 1 and c.epsilon_high > 0,
         f"need 0 < critic_free.epsilon_low < 1 and critic_free.epsilon_high > 0 (got {c.epsilon_low}, {c.epsilon_high})"),
    ]


def prompts_per_step(cfg: Config) -> int:
    """Dialogues drawn per step: ppo.batch_size for PPO; batch_size / k for RLOO/GRPO (k samples each)."""
    return cfg.ppo.batch_size if cfg.algo == "ppo" else max(cfg.ppo.batch_size // cfg.critic_free.num_generations, 1)
