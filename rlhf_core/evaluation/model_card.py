"""A run's model card: `README.md` (and `training_curves.png`) in its checkpoint folder.

Written when a run ends, again after each evaluation, and before a push, from what the run folder
holds: config.json, metrics.jsonl, eval.json and the PEFT adapter's own adapter_config.json. The
front matter is `huggingface_hub.ModelCardData`, so the Hub reads the base model, library and tags.
"""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path

from ..config import Config
from ..models.hub import looks_local
from ..training.runs import RunDir, atomic_write_text, read_json
from .ratings import ratings_report
from .report import format_markdown

CARD_FILE = "README.md"
CURVES_FILE = "training_curves.png"
# The curves a reader checks first: did the reward rise, did the policy stay near the reference?
CURVES = (("env/reward_mean", "reward (mean score)"), ("objective/kl", "KL to the reference (nats/summary)"),
          ("objective/kl_coef", "KL coefficient"), ("env/toxicity_mean", "toxicity of sampled summaries"))


def _hub_id(name: str) -> str | None:
    """`name` when it is a Hub id (the card's metadata may only name those), else None."""
    return None if name.startswith("builtin:") or looks_local(name) else name


def plot_curves(metrics: list[dict], path: Path) -> bool:
    """Draws the training curves into `path` (PNG); False when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    present = [(key, label) for key, label in CURVES if any(isinstance(m.get(key), (int, float)) for m in metrics)]
    if not present:
        return False
    fig, axes = plt.subplots(1, len(present), figsize=(3.2 * len(present), 2.6), squeeze=False)
    for ax, (key, label) in zip(axes[0], present):
        points = [(m["step"], m[key]) for m in metrics if isinstance(m.get(key), (int, float))]
        ax.plot([s for s, _ in points], [v for _, v in points], marker="." if len(points) < 30 else None)
        ax.set_title(label, fontsize=9)
        ax.set_xlabel("training step", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.ticklabel_format(axis="y", useOffset=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


ALGORITHMS = {  # the card's one-line description of each algorithm
    "ppo": "PPO with a per-token KL penalty to the reference, GAE, clipped policy and value losses, "
           "TRL 0.11's semantics and stat names.",
    "rloo": "RLOO: k summaries per dialogue, each rewarded against the mean of the other k-1 (no value "
            "head), with the sequence KL to the reference subtracted from the reward.",
    "grpo": "GRPO: k summaries per dialogue, advantages normalised within the group (no value head), "
            "with a k3 KL penalty to the reference in the loss.",
}


def _settings_table(config: Config) -> str:
    """The settings the run's algorithm actually read, as a Markdown table."""
    o, g = config.optim, config.generation
    rows = _ppo_rows(config) if config.algo == "ppo" else _group_rows(config)
    rows = [
        *rows,
        ("learning rate", f"{o.learning_rate:g} (Adam)"),
        ("sampling", f"top_k {g.top_k}, top_p {g.top_p}, temperature {g.temperature}, "
                     f"{g.max_new_tokens_min}-{g.max_new_tokens_max} new tokens"),
        ("seed", str(config.seed)),
    ]
    return "\n".join(["| setting | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def _ppo_rows(config: Config) -> list[tuple[str, str]]:
    p, o = config.ppo, config.optim
    kl = (f"adaptive: from {p.init_kl_coef} towards KL {p.target_kl} (horizon {p.horizon})" if p.adaptive_kl
          else f"fixed {p.init_kl_coef}")
    return [
        ("steps x batch", f"{config.steps} x {o.batch_size} dialogues (mini-batch {o.mini_batch_size}, "
                          f"{p.ppo_epochs} PPO epoch{'s' if p.ppo_epochs > 1 else ''})"),
        ("KL penalty", f"`{p.kl_penalty}` estimator per token; coefficient {kl}"),
        ("GAE", f"gamma {p.gamma}, lambda {p.lam}; whiten advantages {p.whiten_advantages}, "
                f"whiten rewards {p.whiten_rewards}"),
        ("clipping", f"ratio {p.cliprange}, value {p.cliprange_value}; value loss weight {p.vf_coef}"),
        ("early stopping", f"at policy KL > 1.5 x {p.early_stopping_kl}" if p.early_stopping else "off"),
    ]


def _group_rows(config: Config) -> list[tuple[str, str]]:
    c, o = config.critic_free, config.optim
    k = c.num_generations
    kl = ("subtracted from the reward as beta x sequence KL" if config.algo == "rloo"
          else "added to the loss as beta x k3 KL per token")
    baseline = ("leave-one-out mean of the other k-1 rewards" if config.algo == "rloo"
                else "group mean" + ("" if c.dr_grpo else ", divided by the group's standard deviation")
                + (" (Dr. GRPO)" if c.dr_grpo else ""))
    return [
        ("steps x batch", f"{config.steps} x {o.batch_size} summaries ({o.batch_size // k} dialogues x k={k}; "
                          f"mini-batch {o.mini_batch_size}, {c.num_iterations} "
                          f"pass{'es' if c.num_iterations > 1 else ''})"),
        ("KL penalty", f"beta {c.kl_coef}, {kl}"),
        ("advantage", f"reward minus the {baseline}"),
        ("clipping", f"ratio within [1 - {c.epsilon_low}, 1 + {c.epsilon_high}]"),
    ]


def _curve_summary(metrics: list[dict]) -> str:
    keys = [key for key, _ in CURVES if any(key in m for m in metrics)]
    if not metrics or not keys:
        return "No training steps recorded."
    first, last = metrics[0], metrics[-1]

    def cell(record, key):
        value = record.get(key)
        return f"{value:.4g}" if isinstance(value, (int, float)) else ""

    lines = [f"| stat | step {first['step']} | step {last['step']} |", "|---|---|---|"]
    lines += [f"| `{key}` | {cell(first, key)} | {cell(last, key)} |" for key in keys]
    return "\n".join(lines)


def _peft_table(folder: Path) -> str:
    path = folder / "adapter_config.json"
    if not path.is_file():
        return "No adapter in this checkpoint."
    adapter = read_json(path, "the adapter's config")
    try:
        peft_version = metadata.version("peft")
    except metadata.PackageNotFoundError:
        peft_version = "unknown"
    rows = [("PEFT type", adapter.get("peft_type")), ("task type", adapter.get("task_type")),
            ("rank r", adapter.get("r")), ("lora_alpha", adapter.get("lora_alpha")),
            ("lora_dropout", adapter.get("lora_dropout")),
            ("target modules", ", ".join(sorted(adapter.get("target_modules") or []))),
            ("base model", adapter.get("base_model_name_or_path")), ("peft version", peft_version)]
    return "\n".join(["| field | value |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)])


def model_card_text(run: RunDir, figure: bool) -> str:
    """Returns the model card (front matter and Markdown) for a run with a checkpoint."""
    from huggingface_hub import ModelCardData

    config, metrics, folder = run.config(), run.metrics(), run.checkpoint_dir()
    state = run.load_state() or {}
    eval_path = run.path / "eval.json"
    report = read_json(eval_path, f"the evaluation of run {run.path.name}") if eval_path.is_file() else None
    base, reward_model, dataset = config.model.policy, config.reward.model, config.data.dataset
    algo = config.algo.upper()
    value_head_note = ("`value_head.safetensors` holds the PPO value head (needed only to continue training).\n"
                       if config.algo == "ppo" else "")
    data = ModelCardData(
        library_name="peft", base_model=_hub_id(base), pipeline_tag="summarization",
        datasets=[d for d in [_hub_id(dataset)] if d] or None,
        tags=["peft", "lora", config.algo, "rlhf", "detoxification", "seq2seq", "detox-rlhf"],
    )
    start = f"LoRA adapter `{config.model.adapter}`" if config.model.adapter else "a fresh LoRA adapter"
    evaluation = (format_markdown(report) if report else
                  "Not evaluated yet: `python -m rlhf_core evaluate --run-dir RUN` writes the table here.")
    curves = f"![training curves]({CURVES_FILE})\n\n" if figure else ""
    judge_note = (f"The reward model's toxicity shows what {algo} optimised; the judge, a classifier it never saw, is "
                  "the independent check. Read the summaries themselves before relying on either."
                  if report and (report.get("scorers") or {}).get("judge") else
                  "Without an independent judge the toxicity above is the reward model's own, so it shows what "
                  f"{algo} optimised, not an independent judgement (`evaluate --judge MODEL` adds one).")
    if report and report.get("outcomes"):
        judge_note += ("\n\nThe ground-truth rows need no classifier: the data records which dialogues are rude, "
                       "who insulted whom and with which words. On a rude dialogue a summary repeats an insult "
                       "word, reports the rudeness neutrally (\"is rude to\", \"insults\", ...) or drops it; a polite "
                       "dialogue's summary is accused when it calls someone rude, uses an insult word or the "
                       "\"calls X a ...\" frame; degenerate = empty, looping or under half the reference's words "
                       "(`rlhf_core/evaluation/outcomes.py`).")
    return f"""---
{data.to_yaml()}
---

# {run.path.name}: a less toxic dialogue summarizer ({algo} + LoRA)

A LoRA adapter for `{base}`, trained with {algo} to make its dialogue summaries less toxic, with the
detox-rlhf project (`python -m rlhf_core train --preset {config.preset} --algo {config.algo}`).
It trained for {state.get('step', len(metrics))} of {config.steps} steps.

## Model

- **Base model**: `{base}`; {algo} started from {start}. The reference for the KL penalty is the same
  network with the adapter switched off.
- **Reward model**: `{reward_model}`; reward = the logit of its `{config.reward.not_hate_label}` label,
  read on the {config.reward.text}.
- **Algorithm**: {ALGORITHMS[config.algo]}
- **Data**: `{dataset}` (dialogues of {config.data.min_chars}-{config.data.max_chars} characters;
  {config.data.test_size:.0%} held out for evaluation).

## Training configuration

{_settings_table(config)}

The full configuration is the run's `config.json` (pushed as `rlhf_config.json`; `Config.from_dict` reloads it).

## Training curves

{curves}{_curve_summary(metrics)}

## Evaluation

{evaluation}

{judge_note}

{ratings_report(run.path, markdown=True)}

## Intended use and limits

- For research and teaching: showing how RLHF with {algo} moves a summarizer away from toxic wording.
- Not a safety filter or a moderation tool. The reward model only scores hate speech; it can be
  satisfied by dropping a mention of rudeness rather than reporting it neutrally, and it misses
  kinds of harm it was not trained on.
- English dialogues like the training data; other text is out of distribution.
- Summaries can copy details wrongly (names, numbers), before and after {algo}.

## How to use

```python
from peft import PeftModel
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

base = AutoModelForSeq2SeqLM.from_pretrained("{base}")
tokenizer = AutoTokenizer.from_pretrained("{base}")
model = PeftModel.from_pretrained(base, "REPO_ID_OR_THIS_FOLDER")
prompt = {json.dumps(config.data.prompt_template)}.format(dialogue="#Person1#: ...")
ids = model.generate(**tokenizer(prompt, return_tensors="pt"), max_new_tokens={config.eval.max_new_tokens})
print(tokenizer.decode(ids[0], skip_special_tokens=True))
```

{value_head_note}
## PEFT metadata

{_peft_table(folder)}
"""


def write_model_card(run_dir: str | Path) -> Path | None:
    """Writes README.md (and training_curves.png) into the run's checkpoint; returns the card's
    path, or None when the run has no checkpoint yet."""
    run = RunDir(run_dir)
    folder = run.checkpoint_dir()
    if folder is None:
        return None
    figure = plot_curves(run.metrics(), folder / CURVES_FILE)
    path = folder / CARD_FILE
    atomic_write_text(path, model_card_text(run, figure))
    return path
