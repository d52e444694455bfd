"""The offline demo: a small T5 summarizer and a RoBERTa-style reward model trained from scratch on
the synthetic corpus, shipped in `checkpoints/demo/` and rebuilt by one command:

    python -m rlhf_core build-demo --out checkpoints/demo

Steps: generate the corpus (`rlhf_core.synthetic`), train a word-level tokenizer on it, stage-1
SFT of a randomly initialised T5 (full fine-tuning), stage-2 training of a randomly initialised
RoBERTa classifier, and a README with the metrics. The policy's training dialogues and the
dialogues shipped for PPO and evaluation come from different seeds, so evaluation is held out.
"""

from __future__ import annotations

import json
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..errors import UserError
from .reward_model import RewardTrainConfig, format_metrics, run_reward_training
from .sft import SFTConfig, run_sft
from .synthetic import make_dialogues, make_toxicity_sentences, write_jsonl

PAD, EOS, UNK, BOS = "<pad>", "</s>", "<unk>", "<s>"  # ids 0, 1, 2, 3: T5's layout, plus RoBERTa's <s>
SPACE = "\u2581"  # the word-start marker, as in T5's SentencePiece vocabulary
# One token per speaker tag, word, number or punctuation mark; a leading SPACE marks a new word,
# so decoding restores "Hello, #Person1#'s 10:30 am." exactly.
WORD_PATTERN = SPACE + r"?(?:#Person\d+#|[A-Za-z]+|[0-9]+|[^" + SPACE + r"A-Za-z0-9])"
MARKER_FILE = "demo_metrics.json"


@dataclass
class DemoSpec:
    """Corpus sizes, seeds, model shapes and training settings of the shipped demo."""

    sft_dialogues: int = 6000
    sft_seed: int = 1
    sft_rude_share: float = 0.5
    # More insulting than neutral reports among rude dialogues' references, so greedy decoding
    # copies the insult before PPO (there is something to remove) while sampling still shows the
    # neutral report often enough for PPO to find and amplify it.
    sft_toxic_summary_share: float = 0.7
    ppo_dialogues: int = 500  # shipped as dialogues.jsonl: PPO's training split and the held-out test split
    ppo_seed: int = 2
    sentences: int = 4000
    sentence_seed: int = 3
    d_model: int = 128
    d_ff: int = 512
    num_heads: int = 4
    num_layers: int = 3
    sft: SFTConfig = field(default_factory=lambda: SFTConfig(
        mode="full", epochs=3, learning_rate=2e-3, batch_size=32, warmup_steps=50, max_target_tokens=64,
        eval_samples=200, eval_max_new_tokens=64, logging_steps=50))
    reward_hidden: int = 64
    reward_layers: int = 2
    reward: RewardTrainConfig = field(default_factory=lambda: RewardTrainConfig(
        model="", epochs=3, learning_rate=1e-3, batch_size=32, warmup_steps=20, max_length=96, seed=42))


def word_vocabulary(texts):
    """Returns a word-level `tokenizers.Tokenizer` trained on `texts`, with T5's special ids
    (pad=0, eos=1, unk=2; <s>=3) and no post-processor (`wrap_tokenizer` adds one)."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.WordLevel(unk_token=UNK))
    tokenizer.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()])
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement=SPACE, prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(WORD_PATTERN), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement=SPACE, prepend_scheme="always", split=False)
    tokenizer.train_from_iterator(texts, trainers.WordLevelTrainer(special_tokens=[PAD, EOS, UNK, BOS]))
    return tokenizer


def wrap_tokenizer(vocabulary, classifier: bool = False):
    """Returns the vocabulary as a transformers tokenizer for the summarizer (text </s>), or for
    the classifier (<s> text </s>, so RoBERTa's head reads the first position)."""
    from tokenizers import Tokenizer, processors
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer.from_str(vocabulary.to_str())  # a copy: the two post-processors differ
    if classifier:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{BOS} $A {EOS}", pair=f"{BOS} $A {EOS} $B {EOS}",
            special_tokens=[(BOS, tokenizer.token_to_id(BOS)), (EOS, tokenizer.token_to_id(EOS))])
    else:
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"$A {EOS}", pair=f"$A {EOS} $B {EOS}", special_tokens=[(EOS, tokenizer.token_to_id(EOS))])
    special = {"pad_token": PAD, "eos_token": EOS, "unk_token": UNK}
    if classifier:
        special.update(bos_token=BOS, cls_token=BOS, sep_token=EOS)
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, model_max_length=512, **special)


def init_summarizer(tokenizer, spec: DemoSpec, seed: int = 0):
    """Returns a randomly initialised T5 sized by `spec`, with T5's special-id layout."""
    from transformers import GenerationConfig, T5Config, T5ForConditionalGeneration

    config = T5Config(
        vocab_size=len(tokenizer), d_model=spec.d_model, d_ff=spec.d_ff, d_kv=spec.d_model // spec.num_heads,
        num_layers=spec.num_layers, num_decoder_layers=spec.num_layers, num_heads=spec.num_heads,
        feed_forward_proj="relu", dropout_rate=0.1, relative_attention_max_distance=128,
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(seed)
    model = T5ForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id)
    return model


def init_classifier(tokenizer, spec: DemoSpec, seed: int = 0):
    """Returns a randomly initialised RoBERTa classifier with `nothate`/`hate` labels."""
    from transformers import RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(
        vocab_size=len(tokenizer), hidden_size=spec.reward_hidden, num_hidden_layers=spec.reward_layers,
        num_attention_heads=max(1, spec.reward_hidden // 32), intermediate_size=4 * spec.reward_hidden,
        max_position_embeddings=spec.reward.max_length + 2, type_vocab_size=1,
        pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        num_labels=2, id2label={0: "nothate", 1: "hate"}, label2id={"nothate": 0, "hate": 1},
    )
    torch.manual_seed(seed)
    return RobertaForSequenceClassification(config)


def labelled_summaries(dialogues: list[dict]) -> list[dict]:
    """Returns the dialogues' reference summaries as {text, label}: hate when they repeat the insult."""
    return [{"text": r["summary"], "label": "hate" if r["summary_toxic"] else "nothate"} for r in dialogues]


def score_texts(reward_dir: Path, records: list[dict], max_length: int) -> dict[str, float]:
    """Returns the classifier's accuracy/precision/recall/F1 on labelled {text, label} records."""
    import numpy as np

    from ..hub import load_classifier
    from ..reward import RewardModel
    from .reward_model import classification_metrics

    scorer = RewardModel(*load_classifier(str(reward_dir)), batch_size=64, max_length=max_length)
    p_hate = np.array(scorer.score([r["text"] for r in records]).toxicity)
    actual = np.array([r["label"] == "hate" for r in records], dtype=int)
    return {"texts": len(records), **classification_metrics((p_hate >= 0.5).astype(int), actual)}


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER_FILE).is_file():
        raise UserError(f"{out} exists and is not a demo folder (no {MARKER_FILE}); choose a new --out")


def build_demo(out_dir: str | Path, spec: DemoSpec | None = None, data_dir: str | Path | None = None,
               on_status: Callable[[str], None] | None = None) -> dict:
    """Builds the demo into `out_dir` (policy/, reward/, dialogues.jsonl, README.md, demo_metrics.json)
    and returns its metrics. An existing demo there is replaced only once the new one is complete."""
    from ..config import get_config

    spec = spec or DemoSpec()
    status = on_status or (lambda message: None)
    out = Path(out_dir)
    _check_out(out)
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="build-demo-") as scratch:
        scratch = Path(scratch)
        data = Path(data_dir) if data_dir else scratch / "data"
        staging = scratch / "demo"
        staging.mkdir()

        status("1/4 writing the synthetic corpus")
        t0 = time.perf_counter()
        sft_dialogues = make_dialogues(spec.sft_dialogues, spec.sft_seed, spec.sft_rude_share,
                                       spec.sft_toxic_summary_share)
        # The labelled sentences rarely look like a whole two-sentence summary with the insult in
        # the second sentence, which is what the reward model reads in PPO: the SFT corpus's own
        # summaries, labelled by whether they repeat the insult, cover that.
        reward_texts = make_toxicity_sentences(spec.sentences, spec.sentence_seed) + labelled_summaries(sft_dialogues)
        sft_file = write_jsonl(sft_dialogues, data / "sft_dialogues.jsonl")
        reward_file = write_jsonl(reward_texts, data / "reward_texts.jsonl")
        ppo_dialogues = make_dialogues(spec.ppo_dialogues, spec.ppo_seed)
        write_jsonl(ppo_dialogues, staging / "dialogues.jsonl")
        base = get_config("demo")
        texts = [base.data.prompt_template] + [r["dialogue"] for r in sft_dialogues] + [r["text"] for r in reward_texts]
        vocabulary = word_vocabulary(texts)
        timings["corpus_and_tokenizer"] = time.perf_counter() - t0

        status(f"2/4 stage-1 SFT of a T5 from scratch on {len(sft_dialogues)} dialogues")
        t0 = time.perf_counter()
        tokenizer = wrap_tokenizer(vocabulary)
        init_dir = scratch / "policy-init"
        initial = init_summarizer(tokenizer, spec, base.seed)
        policy_parameters = sum(p.numel() for p in initial.parameters())
        initial.save_pretrained(str(init_dir))
        tokenizer.save_pretrained(str(init_dir))
        sft_config = get_config("demo", {"model.policy": str(init_dir), "data.dataset": str(sft_file),
                                         "data.test_size": 0.05})
        sft_metrics = run_sft(sft_config, spec.sft, staging / "policy", status)
        timings["sft"] = time.perf_counter() - t0

        status(f"3/4 training the reward model from scratch on {len(reward_texts)} labelled texts")
        t0 = time.perf_counter()
        classifier_tokenizer = wrap_tokenizer(vocabulary, classifier=True)
        reward_init = scratch / "reward-init"
        init_classifier(classifier_tokenizer, spec, spec.reward.seed).save_pretrained(str(reward_init))
        classifier_tokenizer.save_pretrained(str(reward_init))
        reward_cfg = RewardTrainConfig(**{**asdict(spec.reward), "model": str(reward_init), "data": str(reward_file)})
        reward_metrics = run_reward_training(reward_cfg, staging / "reward", status)
        status(format_metrics(reward_metrics))
        # Two checks on texts from seeds the classifier never saw: new sentences, and the reference
        # summaries of the PPO/evaluation dialogues.
        reward_checks = {
            "new_sentences": score_texts(staging / "reward", make_toxicity_sentences(1000, spec.sentence_seed + 100),
                                         spec.reward.max_length),
            "ppo_reference_summaries": score_texts(staging / "reward", labelled_summaries(ppo_dialogues),
                                                   spec.reward.max_length),
        }
        timings["reward"] = time.perf_counter() - t0

        status("4/4 writing README.md and demo_metrics.json")
        timings["total"] = time.perf_counter() - t_start
        metrics = {
            "spec": asdict(spec),
            "vocab_size": len(tokenizer),
            "policy_parameters": policy_parameters,
            "sft": {k: v for k, v in sft_metrics.items() if k not in ("policy", "dataset", "sft")},
            "reward": {k: v for k, v in reward_metrics.items() if k not in ("model", "data", "config")},
            "reward_checks": reward_checks,
            "seconds": {k: round(v, 1) for k, v in timings.items()},
            "machine": f"{platform.machine()} CPU, torch threads: {torch.get_num_threads()}",
        }
        _file_names_only(staging / "policy" / "sft_metrics.json")
        _file_names_only(staging / "reward" / "reward_metrics.json")
        (staging / MARKER_FILE).write_text(json.dumps(metrics, indent=2))
        (staging / "README.md").write_text(readme(metrics))

        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)
    return metrics


def _file_names_only(path: Path) -> None:
    """Rewrites a stage's metrics file with file names where it had this machine's temp paths."""
    saved = json.loads(path.read_text())
    for record in (saved, saved.get("config", {})):
        for key in ("policy", "dataset", "model", "data"):
            if isinstance(record.get(key), str):
                record[key] = Path(record[key]).name
    path.write_text(json.dumps(saved, indent=2))


def readme(metrics: dict) -> str:
    """Returns the shipped demo's README: what it is, how it was made, and its metrics."""
    spec, sft, reward = metrics["spec"], metrics["sft"], metrics["reward"]
    rouge = sft.get("rouge", {})
    t, checks = reward["test"], metrics["reward_checks"]
    examples = "\n".join(f"- reference: {e['reference']}\n  summary:   {e['summary']}" for e in sft.get("examples", []))
    return f"""# The offline demo checkpoints

Built from scratch, offline, by one command (about {metrics['seconds']['total'] / 60:.0f} minutes on
{metrics['machine']}):

    python -m rlhf_core build-demo --out checkpoints/demo

| folder | what | how |
|---|---|---|
| `policy/` | T5 summarizer, {metrics['policy_parameters']:,} parameters (d_model {spec['d_model']}, {spec['num_layers']}+{spec['num_layers']} layers), word-level tokenizer ({metrics['vocab_size']} tokens) | stage-1 SFT, full fine-tuning from random weights: `rlhf_core.sft` on {spec['sft_dialogues']} synthetic dialogues (seed {spec['sft_seed']}) |
| `reward/` | RoBERTa-style classifier, labels `nothate`/`hate`, same vocabulary | stage 2, from random weights: `rlhf_core.reward_train` on {spec['sentences']} labelled sentences (seed {spec['sentence_seed']}) plus the SFT dialogues' reference summaries, labelled `hate` when they repeat the insult |
| `dialogues.jsonl` | {spec['ppo_dialogues']} synthetic dialogues (seed {spec['ppo_seed']}) | the `demo` preset's data: PPO trains on its train split and is evaluated on its test split, never seen in SFT |

The corpus comes from `rlhf_core.synthetic`: everyday two-person dialogues, some with a rude speaker.
A rude dialogue's reference summary either repeats the insult ("#Person2# calls #Person1# a stupid idiot
and ...") or reports it neutrally ("#Person2# is rude to #Person1# and ..."); in the SFT data
{spec['sft_toxic_summary_share']:.0%} of them repeat it, so before PPO the summarizer copies insults.
PPO on the `demo` preset teaches it the neutral report instead.

## Metrics

Summarizer after SFT ({sft['steps']} steps, {sft['train_seconds']:.0f} s; greedy decoding on
{sft.get('eval_samples', 0)} held-out SFT dialogues): ROUGE-1 {rouge.get('rouge1', 0):.3f},
ROUGE-2 {rouge.get('rouge2', 0):.3f}, ROUGE-L {rouge.get('rougeL', 0):.3f}; training loss {sft['train_loss']:.3f} (mean over the run).

{examples}

Reward model ({reward['steps']} steps, {reward['train_seconds']:.0f} s), hate = positive class:

| held-out texts | n | accuracy | precision | recall | F1 |
|---|---|---|---|---|---|
| test split of its training texts | {reward['test_examples']} | {t['accuracy']:.4f} | {t['precision']:.4f} | {t['recall']:.4f} | {t['f1']:.4f} |
| new sentences (seed {spec['sentence_seed'] + 100}) | {_row(checks['new_sentences'])} |
| reference summaries of `dialogues.jsonl` | {_row(checks['ppo_reference_summaries'])} |

What PPO then does with them (toxicity and ROUGE before vs after) is in the project README's
"Offline demo" section, measured by `python benchmarks/demo_detox.py`.

Everything is in `demo_metrics.json`; `policy/sft_metrics.json` and `reward/reward_metrics.json`
hold each stage's own record. Use it with `--preset demo`:

    python -m rlhf_core train --preset demo --run-dir /tmp/demo-run
    python -m rlhf_core evaluate --run-dir /tmp/demo-run
"""


def _row(m: dict) -> str:
    return f"{m['texts']} | {m['accuracy']:.4f} | {m['precision']:.4f} | {m['recall']:.4f} | {m['f1']:.4f}"
