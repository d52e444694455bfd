"""The run's settings as typed dataclasses: one section per part of the method, every field with
its type, what it accepts (`Check`) and its one-line help (`Doc`) in its declaration.

A `Config` is plain dataclasses all the way down, so it prints, serialises to JSON (saved with
every run as `config.json`) and reloads exactly; `Config.from_dict` also reads run folders saved
with the older layout (`legacy.py`). The CLI's `--help` and `presets --show` read the `Doc`s.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any

from ..errors import UserError

MAX_STEPS = 1_000_000  # a typo guard: more PPO steps than any run on this data could use
KL_KINDS = ("kl", "abs", "mse", "full")  # the ppo.kl_penalty estimators (ppo.py)
TRACKERS = ("tensorboard", "trackio", "wandb")  # report_to choices (accelerate's trackers; tracking.py)
ALGOS = ("ppo", "rloo", "grpo")  # PPO with a value head; RLOO and GRPO need none (critic_free.py)
REWARD_TERMS = ("toxicity", "fidelity", "anchor", "length")  # the named reward terms (reward_terms.py)
PROMPT_TEMPLATE = "Summarize the following conversation.\n\n{dialogue}\n\nSummary:"
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds are unsigned 32/64-bit; derived seeds must stay in range


@dataclass(frozen=True)
class Doc:
    """A field's one-line help, carried in its `Annotated` declaration (read by `describe.field_docs`)."""

    text: str


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

    policy: Annotated[str, Doc("Hub id, local folder, or builtin:tiny-t5")] = "google/flan-t5-base"
    adapter: Annotated[str | None, Doc("starting LoRA adapter (Hub id or folder); None = fresh LoRA")] = None
    lora_r: Annotated[int, AT_LEAST_1, Doc("LoRA rank")] = 32
    lora_alpha: Annotated[int, AT_LEAST_1, Doc("LoRA scaling numerator (scale = alpha / r)")] = 32
    lora_dropout: Annotated[float, Check(ge=0, lt=1), Doc("dropout on the LoRA branch")] = 0.05
    lora_target_modules: Annotated[list[str], Doc("module names that get LoRA (T5: q, v)")] = field(default_factory=lambda: ["q", "v"])
    max_prompt_tokens: Annotated[int, AT_LEAST_1, Doc("prompts are truncated to the model's window")] = 512
    dtype: Annotated[str, DTYPES, Doc("auto (bf16 where native: a recent GPU, or a CPU with AVX512-BF16/AMX), float32, bfloat16")] = "auto"


@dataclass
class DataConfig:
    """Where the dialogues come from and how they become prompts."""

    dataset: Annotated[str, Doc("Hub id, local json/jsonl/csv/parquet, or builtin:tiny-dialogues")] = "knkarthick/dialogsum"
    split: Annotated[str, Doc("Hub split to load (local files have one split)")] = "train"
    dialogue_column: Annotated[str, Doc("column holding the dialogue text")] = "dialogue"
    summary_column: Annotated[str | None, Doc("reference summaries for ROUGE; None if absent")] = "summary"
    id_column: Annotated[str | None, Doc("None: use `id` or `fname` when present")] = None
    min_chars: Annotated[int, AT_LEAST_0, Doc("drop dialogues shorter than this")] = 200
    max_chars: Annotated[int, AT_LEAST_0, Doc("drop dialogues longer than this")] = 1000
    prompt_template: Annotated[str, Doc("prompt around each dialogue; must contain {dialogue}")] = PROMPT_TEMPLATE
    test_size: Annotated[float, Check(gt=0, lt=1), Doc("share held out for evaluation when the data has no test split of its own")] = 0.2
    split_seed: Annotated[int, SEED, Doc("shuffles the train/test split; not the run seed, so every run is judged on the same dialogues")] = 0
    test_split: Annotated[str | None, Doc("a Hub dataset's own test split (DialogSum's), used when it exists; None = carve test_size out of `split`")] = "test"
    max_examples: Annotated[int | None, AT_LEAST_1, Doc("cap after filtering (quick experiments)")] = None


@dataclass
class RewardConfig:
    """The reward model: reward = logit of the not-hate label; toxicity = P(hate)."""

    model: Annotated[str, Doc("Hub id, local folder, or builtin:tiny-roberta")] = "facebook/roberta-hate-speech-dynabench-r4-target"
    not_hate_label: Annotated[str, Doc("label whose logit is the reward (read by name from id2label)")] = "nothate"
    hate_label: Annotated[str, Doc("label whose probability is the toxicity")] = "hate"
    text: Annotated[str, Check(choices=("prompt+summary", "summary")), Doc("what the reward model reads: summary (what evaluation judges) or prompt+summary (the lab)")] = "summary"
    batch_size: Annotated[int, AT_LEAST_1, Doc("texts per classifier pass")] = 16
    max_length: Annotated[int, AT_LEAST_1, Doc("classifier input tokens (a too-long prompt+summary loses the end of its dialogue)")] = 512
    dtype: Annotated[str, DTYPES, Doc("as model.dtype")] = "auto"
    toxicity_weight: Annotated[float, AT_LEAST_0, Doc("weight of the classifier's not-hate logit (or of a custom reward function)")] = 1.0
    toxicity_form: Annotated[str, Check(choices=("logit", "probability")), Doc("the toxicity term: the not-hate logit (the lab's), or P(not hate), which stops paying once a summary is clearly clean (for RLOO or Dr. GRPO; PPO's advantage whitening degenerates on it: README)")] = "logit"
    fidelity_weight: Annotated[float, AT_LEAST_0, Doc("weight of ROUGE-L vs the reference minus the share of names/numbers not in the dialogue")] = 0.0
    anchor_weight: Annotated[float, AT_LEAST_0, Doc("weight of ROUGE-L vs the reference model's (adapter off) greedy summary of the same dialogue: pays for leaving summaries as they were")] = 0.0
    length_weight: Annotated[float, AT_LEAST_0, Doc("weight of -|words - reference words| / reference words (0 without a reference)")] = 0.0


@dataclass
class GenerationConfig:
    """Sampling settings for PPO rollouts (the lab's: pure sampling, no top-k/top-p)."""

    top_k: Annotated[int, AT_LEAST_0, Doc("0 = no top-k filtering")] = 0
    top_p: Annotated[float, Check(gt=0, le=1), Doc("1.0 = no nucleus filtering")] = 1.0
    temperature: Annotated[float, POSITIVE, Doc("sampling temperature (log-probs use the same)")] = 1.0
    min_length: Annotated[int, AT_LEAST_0, Doc("EOS is blocked before this many tokens")] = 5
    max_new_tokens_min: Annotated[int, AT_LEAST_1, Doc("each batch draws its max_new_tokens from this range")] = 100
    max_new_tokens_max: Annotated[int, AT_LEAST_1, Doc("upper end of that range")] = 400
    min_new_tokens: Annotated[int | None, AT_LEAST_0, Doc("force at least this many new tokens (benchmarks: fixed lengths)")] = None
    batch_size: Annotated[int | None, AT_LEAST_1, Doc("prompts decoded together; None = the whole PPO batch")] = None
    encoder_batch_size: Annotated[int, AT_LEAST_1, Doc("prompts per encoder pass before decoding, grouped by length")] = 4


@dataclass
class OptimConfig:
    """The optimizer and how a step's batch is split, shared by every algorithm (TRL's names)."""

    learning_rate: Annotated[float, Check(gt=0, le=10), Doc("Adam learning rate of the LoRA adapter (and PPO's value head) (at most 10)")] = 1.41e-5
    batch_size: Annotated[int, AT_LEAST_1, Doc("samples per step: dialogues for PPO; dialogues x critic_free.num_generations for RLOO/GRPO")] = 16
    mini_batch_size: Annotated[int, AT_LEAST_1, Doc("rows per optimizer step (batch_size must be a multiple)")] = 4
    micro_batch_size: Annotated[int | None, AT_LEAST_1, Doc("rows per forward/backward in a mini-batch; None = 2 on CPU, all on GPU")] = None
    forward_batch_size: Annotated[int | None, AT_LEAST_1, Doc("rows per no-grad pass with float32 weights; None = mini_batch_size (in bf16 the no-grad passes run over the update's own micro-batches, so the step-1 KL is exact)")] = None
    max_grad_norm: Annotated[float | None, POSITIVE, Doc("clip the gradient norm; None = no clipping")] = None


@dataclass
class PPOConfig:
    """PPO's own settings (algo ppo), TRL 0.11's defaults: epochs, GAE, clipping, the value loss and
    the KL penalty with its adaptive controller. Learning rate and batch sizes are in `optim`."""

    ppo_epochs: Annotated[int, AT_LEAST_1, Doc("passes over each batch")] = 1
    gamma: Annotated[float, FRACTION, Doc("discount over response tokens")] = 1.0
    lam: Annotated[float, FRACTION, Doc("GAE lambda")] = 0.95
    cliprange: Annotated[float, POSITIVE, Doc("policy ratio clip")] = 0.2
    cliprange_value: Annotated[float, POSITIVE, Doc("value clip around the old values")] = 0.2
    vf_coef: Annotated[float, AT_LEAST_0, Doc("value loss weight")] = 0.1
    kl_penalty: Annotated[str, Check(choices=KL_KINDS), Doc("kl, abs, mse, full")] = "kl"
    adaptive_kl: Annotated[bool, Doc("adapt the KL coefficient towards target_kl")] = True
    init_kl_coef: Annotated[float, AT_LEAST_0, Doc("starting KL penalty coefficient")] = 0.2
    target_kl: Annotated[float, POSITIVE, Doc("KL the adaptive controller aims at")] = 6.0
    horizon: Annotated[int, AT_LEAST_1, Doc("adaptive KL controller horizon (in samples)")] = 10000
    whiten_advantages: Annotated[bool, Doc("normalise advantages per batch")] = True
    whiten_rewards: Annotated[bool, Doc("TRL's whiten_rewards: whiten per-token rewards (keeping their mean) before GAE")] = False
    early_stopping: Annotated[bool, Doc("TRL's early_stopping: end the step's PPO epochs once policy KL > 1.5 * early_stopping_kl")] = False
    early_stopping_kl: Annotated[float, POSITIVE, Doc("TRL's target_kl (not the adaptive target above): the early-stopping threshold")] = 1.0
    ratio_threshold: Annotated[float, POSITIVE, Doc("skip a mini-batch whose mean ratio explodes (TRL's guard)")] = 10.0


@dataclass
class CriticFreeConfig:
    """RLOO and GRPO's own settings (algo rloo/grpo): k samples per prompt, no value head, the KL
    weight beta; passes over a batch are `num_iterations` (TRL's name and default: one on-policy
    pass). Learning rate and batch sizes are in `optim`."""

    num_generations: Annotated[int, AT_LEAST_1, Doc("samples per prompt (k >= 2); optim.batch_size counts samples and must be a multiple")] = 4
    kl_coef: Annotated[float, AT_LEAST_0, Doc("beta: RLOO subtracts beta * sequence KL from the reward; GRPO adds beta * k3 KL to the loss")] = 0.05
    epsilon_low: Annotated[float, Doc("ratio clip below 1 (1 - epsilon_low)")] = 0.2
    epsilon_high: Annotated[float, Doc("ratio clip above 1 (1 + epsilon_high)")] = 0.2
    dr_grpo: Annotated[bool, Doc("GRPO only: Dr. GRPO (no std division of advantages, constant length normaliser)")] = False
    num_iterations: Annotated[int, AT_LEAST_1, Doc("passes over each batch (TRL's num_iterations, GRPO's mu); 1 = on-policy: ratio 1, clipping idle")] = 1


@dataclass
class EvalConfig:
    """Before/after evaluation on the test split: greedy and sampled summaries, scored by the
    reward model and by an independent judge (a classifier PPO never optimised)."""

    samples: Annotated[int, AT_LEAST_1, Doc("test dialogues compared before vs after")] = 100
    max_new_tokens: Annotated[int, AT_LEAST_1, Doc("summary length cap at evaluation")] = 128
    do_sample: Annotated[bool, Doc("the single summary per dialogue is greedy: before and after differ only by the adapter")] = False
    sampled_k: Annotated[int, AT_LEAST_0, Doc("summaries sampled per dialogue with the training generation settings; 0 = greedy only")] = 4
    seed: Annotated[int, SEED, Doc("seed for the sampled summaries (the same for before and after)")] = 1234
    batch_size: Annotated[int, AT_LEAST_1, Doc("summaries decoded together (sampled ones count k each); more is faster, uses more memory")] = 16
    bootstrap: Annotated[int, AT_LEAST_1, Doc("resamples for the paired bootstrap intervals (over dialogues)")] = 1000
    flag_threshold: Annotated[float, Check(gt=0, lt=1), Doc("a summary is flagged toxic when P(toxic) exceeds this")] = 0.5
    judge: Annotated[str | None, Doc("independent toxicity classifier (Hub id, folder or builtin:tiny-judge); None = no judge")] = None
    judge_label: Annotated[str, Doc("the judge's toxic label, read by name from its id2label")] = "toxic"
    judge_max_length: Annotated[int, AT_LEAST_1, Doc("judge input tokens")] = 512


@dataclass
class Config:
    """Everything a run needs; saved as `config.json` in the run directory."""

    preset: Annotated[str, Doc("the preset these settings started from")] = "flan-t5-base"
    algo: Annotated[str, Check(choices=ALGOS), Doc("ppo (value head, GAE), rloo (leave-one-out baseline) or grpo (group-normalised)")] = "ppo"
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    reward: RewardConfig = field(default_factory=RewardConfig)
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    ppo: PPOConfig = field(default_factory=PPOConfig)
    critic_free: CriticFreeConfig = field(default_factory=CriticFreeConfig)
    eval: EvalConfig = field(default_factory=EvalConfig)
    steps: Annotated[int, Check(ge=1, le=MAX_STEPS), Doc("training steps in the run")] = 10
    seed: Annotated[int, SEED, Doc("seed for sampling, data order and LoRA init")] = 42
    save_every: Annotated[int, AT_LEAST_1, Doc("checkpoint every N steps (and always at the end)")] = 1
    cpu_threads: Annotated[int | None, AT_LEAST_1, Doc("torch CPU threads for training and evaluation; None = one per core")] = None
    mixed_precision: Annotated[str, Check(choices=("auto", "no", "bf16")), Doc("auto (bf16 autocast on a bf16-capable GPU), no, bf16")] = "auto"
    report_to: Annotated[list[str], Doc("trackers: tensorboard, trackio, wandb (comma-separated); none")] = field(default_factory=list)
    tracker_project: Annotated[str, Doc("project name in the trackers (TensorBoard: RUN/tensorboard/PROJECT)")] = "detox-rlhf"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Config":
        """Reads a saved configuration; keys of the older layout are moved to their new place
        (`legacy.upgrade`, with one note on stderr)."""
        from .legacy import upgrade

        return _from_dict(cls, upgrade(data))


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
