"""The offline demo: a small T5 summarizer, a RoBERTa-style reward model and an independent
RoBERTa-style judge, trained from scratch on the synthetic corpus, shipped in `checkpoints/demo/`
and rebuilt by one command:

    python -m rlhf_core build-demo --out checkpoints/demo

Steps: generate the corpus (`prep.synthetic`), train byte-level BPE tokenizers on it, stage-1
SFT of a randomly initialised T5 (full fine-tuning), training of the two randomly initialised
classifiers on disjoint labelled texts, checks on texts none of them saw (including the
hand-written `tests/data/` probes and dialogues), and a README with the metrics. The policy's
training dialogues and the dialogues shipped for PPO and evaluation come from different seeds.
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import random
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch

from ..errors import UserError
from .copy_pretrain import CopyPretrainConfig, pretrain_copying
from .reward_model import RewardTrainConfig, format_metrics, run_reward_training
from .sft import SFTConfig, run_sft
from .synthetic import (
    insult_words,
    insulting_polite_summaries,
    make_dialogues,
    make_toxicity_sentences,
    reporting_summaries,
    write_jsonl,
)

PAD, EOS, UNK, BOS = "<pad>", "</s>", "<unk>", "<s>"  # ids 0, 1, 2, 3: T5's layout, plus RoBERTa's <s>
SPECIAL_TOKENS = [PAD, EOS, UNK, BOS]
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
    # Where a rude speaker's report goes in every corpus's summaries: before their verb phrase
    # ("calls #Person1# a stupid idiot and ..."), or as a closing sentence of its own.
    rude_report_at_end: bool = False
    ppo_dialogues: int = 500  # shipped as dialogues.jsonl: PPO's training split and the held-out test split
    ppo_seed: int = 2
    vocab_size: int = 2000  # byte-level BPE: no word is unknown
    # One token per digit. False lets BPE merge whole numbers: with vocab_size 8000 most names and
    # numbers become one token (see benchmarks/README.md, "Demo summarizer sweep").
    split_digits: bool = True
    judge_vocab_size: int = 2000  # the judge's own BPE vocabulary, trained on its own texts
    sentences: int = 6000
    sentence_seed: int = 3
    # The judge: its own sentence templates and extra insult words (`synthetic.SENTENCE_STYLES`),
    # its own seeds, its own dialogues' summaries and its own tokenizer; nothing shared with the reward's data.
    judge_sentences: int = 9000
    judge_seed: int = 5
    judge_dialogues: int = 3000
    judge_dialogue_seed: int = 7
    # Extra SFT rows of an auxiliary copy task ("Repeat: <one or two turns>" -> the same turns):
    # cheap practice at copying any name or number piece by piece.
    copy_examples: int = 0
    # Share of open dialogues (`synthetic._open_dialogue`: free-form events and plans whose summary
    # can only be copied) among the SFT, PPO and judge dialogues (each from its own seed). With
    # copy pretraining they cut the invented names and numbers on hand-written dialogues by ~40%.
    open_share: float = 0.5
    # Stage 0: copying random token strings before SFT (`prep.copy_pretrain`); without it the
    # summarizer invents about half of the names and numbers it writes. 4000 steps, not 1500:
    # teacher-forced accuracy is 0.87 at 1500 but greedy decoding then copies only 2% of the
    # hand-written turns exactly, 48% at 4000 (`benchmarks/copy_stage_probe.py`).
    copy_pretrain: CopyPretrainConfig = field(default_factory=lambda: CopyPretrainConfig(steps=4000))
    d_model: int = 128
    d_ff: int = 512
    num_heads: int = 4
    num_layers: int = 2
    sft: SFTConfig = field(default_factory=lambda: SFTConfig(
        mode="full", epochs=2.5, learning_rate=1.5e-3, batch_size=16, warmup_steps=50, max_target_tokens=80,
        eval_samples=100, eval_max_new_tokens=80, logging_steps=50))
    reward_hidden: int = 128
    reward_layers: int = 2
    reward: RewardTrainConfig = field(default_factory=lambda: RewardTrainConfig(
        model="", epochs=2, learning_rate=1e-3, batch_size=32, warmup_steps=20, max_length=96, seed=42,
        label_smoothing=0.05))
    judge: RewardTrainConfig = field(default_factory=lambda: RewardTrainConfig(
        model="", epochs=3, learning_rate=1e-3, batch_size=32, warmup_steps=20, max_length=96, seed=43,
        label_smoothing=0.05))


def subword_vocabulary(texts, vocab_size: int, split_digits: bool = True):
    """Returns a byte-level BPE `tokenizers.Tokenizer` trained on `texts`, with T5's special ids
    (pad=0, eos=1, unk=2; <s>=3) and no post-processor (`wrap_tokenizer` adds one). Every string
    encodes (bytes are the base alphabet), and digits are single tokens, so the summarizer can copy
    any name or number it has never seen, piece by piece."""
    from tokenizers import (
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\s+"), " "), normalizers.Strip()])
    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        byte_level, pre_tokenizers.Split(Regex("\u0120?[0-9]"), behavior="isolated"),  # one digit a token ("\u0120" = space)
    ]) if split_digits else byte_level
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tokenizer.train_from_iterator(texts, trainer)
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
        feed_forward_proj="relu", dropout_rate=0.0, relative_attention_max_distance=128,
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


def polite_lines(dialogues: list[dict], seed: int) -> list[dict]:
    """Returns one turn of each polite dialogue, labelled nothate: everyday lines in many
    phrasings, so that a question about a station is not hate just because it is unfamiliar."""
    rng = random.Random(seed)
    return [{"text": rng.choice(r["dialogue"].split("\n")).split(": ", 1)[1], "label": "nothate"}
            for r in dialogues if not r["rude"]]


def judge_texts(spec: DemoSpec) -> list[dict]:
    """The judge's labelled texts: its own sentence style and seed, plus the summaries and polite
    lines of its own dialogues; nothing here depends on the policy's or the reward model's data."""
    # The same mix of topic and open dialogues as the policy's, from the judge's own seed: a judge
    # that never saw an open dialogue's summary flagged about a quarter of the polite ones as hate.
    dialogues = make_dialogues(spec.judge_dialogues, spec.judge_dialogue_seed, spec.sft_rude_share, 0.5,
                               spec.open_share, spec.rude_report_at_end)
    return (make_toxicity_sentences(spec.judge_sentences, spec.judge_seed, style="judge")
            + labelled_summaries(dialogues) + polite_lines(dialogues, spec.judge_seed))


def labelled_summaries(dialogues: list[dict]) -> list[dict]:
    """Returns the dialogues' reference summaries as {text, label}: hate when they repeat the insult."""
    return [{"text": r["summary"], "label": "hate" if r["summary_toxic"] else "nothate"} for r in dialogues]


def score_texts(classifier_dir: Path, records: list[dict], max_length: int) -> dict[str, float]:
    """Returns the classifier's accuracy/precision/recall/F1 on labelled {text, label} records."""
    import numpy as np

    from ..models.loading import load_classifier
    from ..models.reward import RewardModel
    from .reward_model import classification_metrics

    scorer = RewardModel(*load_classifier(str(classifier_dir)), batch_size=64, max_length=max_length)
    p_hate = np.array(scorer.score([r["text"] for r in records]).toxicity)
    actual = np.array([r["label"] == "hate" for r in records], dtype=int)
    return {"texts": len(records), **classification_metrics((p_hate >= 0.5).astype(int), actual),
            "p_hate_between_0.05_and_0.95": float(((p_hate > 0.05) & (p_hate < 0.95)).mean()) if len(records) else 0.0}


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def summarizer_checks(policy_dir: Path, dialogues: list[dict], max_prompt_tokens: int, max_new_tokens: int) -> dict:
    """Greedy summaries of `dialogues` ({dialogue, summary?}): invented-entity rate, ROUGE when
    there are references, and a few examples."""
    from ..config import get_config
    from ..evaluation.fidelity import hallucinated_entities, loops
    from ..evaluation.figures import rouge
    from ..models.loading import load_seq2seq
    from ..models.summarizer import greedy_summaries

    demo = get_config("demo")
    # In the preset's precision, as the app's Summarizer decodes: the loader's "auto" picks bf16 on
    # CPUs with native bf16, and in bf16 the shipped summarizer writes other greedy summaries for
    # 14 of the 22 hand-written dialogues (8 of 27 names and numbers invented instead of 5).
    model, tokenizer = load_seq2seq(str(policy_dir), demo.model.dtype)
    template = demo.data.prompt_template
    summaries = greedy_summaries(model, tokenizer, [template.format(dialogue=r["dialogue"]) for r in dialogues],
                          max_prompt_tokens, max_new_tokens)
    counts = [hallucinated_entities(s, r["dialogue"]) for s, r in zip(summaries, dialogues)]
    out = {"dialogues": len(dialogues), "entities": sum(n for _, n in counts),
           "invented": sum(k for k, _ in counts),
           "examples": [{"dialogue": r["dialogue"], "summary": s} for r, s in list(zip(dialogues, summaries))[:2]]}
    out["invented_rate"] = out["invented"] / out["entities"] if out["entities"] else 0.0
    out["looping"] = sum(map(loops, summaries))
    if all("rude" in r for r in dialogues):
        out["polite"] = sum(not r["rude"] for r in dialogues)
        out["polite_with_insult"] = len(insulting_polite_summaries(dialogues, summaries))
        out["polite_with_report"] = len(reporting_summaries(dialogues, summaries))
        out["rude_with_report"] = len(reporting_summaries(dialogues, summaries, rude=True))
    if all(r.get("summary") for r in dialogues):
        out["rouge"] = rouge(summaries, [r["summary"] for r in dialogues])
    return out


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER_FILE).is_file():
        raise UserError(f"{out} exists and is not a demo folder (no {MARKER_FILE}); choose a new --out")


TEST_DATA = Path(__file__).resolve().parents[2] / "tests" / "data"
PROBES_FILE = TEST_DATA / "toxicity_probes.jsonl"  # hand-written, labelled sentences
HANDWRITTEN_FILE = TEST_DATA / "handwritten_dialogues.jsonl"  # hand-written dialogues with numbers and names


def _train_classifier(vocabulary, spec: DemoSpec, settings: RewardTrainConfig, texts: list[dict], data: Path,
                      scratch: Path, out: Path, name: str, status) -> dict:
    """Trains a randomly initialised RoBERTa classifier on labelled texts into `out`."""
    tokenizer = wrap_tokenizer(vocabulary, classifier=True)
    init = scratch / f"{name}-init"
    init_classifier(tokenizer, spec, settings.seed).save_pretrained(str(init))
    tokenizer.save_pretrained(str(init))
    data_file = write_jsonl(texts, data / f"{name}_texts.jsonl")
    metrics = run_reward_training(RewardTrainConfig(**{**asdict(settings), "model": str(init), "data": str(data_file)}),
                                  out, status)
    status(format_metrics(metrics))
    return metrics


def _train_classifiers(jobs: list[tuple], spec: DemoSpec, data: Path, scratch: Path, staging: Path,
                       threads: int) -> dict[str, tuple[dict, float]]:
    """Trains each (name, vocabulary JSON, settings, texts) classifier into `staging/name`, one
    after the other; returns {name: (metrics, seconds)}. Runs in the background process."""
    from tokenizers import Tokenizer

    torch.set_num_threads(threads)
    out = {}
    for name, vocabulary, settings, texts in jobs:
        t0 = time.perf_counter()
        metrics = _train_classifier(Tokenizer.from_str(vocabulary), spec, settings, texts, data, scratch,
                                    staging / name, name, _background_status)
        out[name] = (metrics, time.perf_counter() - t0)
    return out


def _background_status(message: str) -> None:
    print(f"  [classifiers] {message}", file=sys.stderr, flush=True)


class _InProcess:
    """`submit` runs the call at once: the serial stand-in for a one-worker process pool."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def submit(self, fn, *args):
        future = Future()
        future.set_result(fn(*args))
        return future


def _background(parallel: bool):
    """A one-process pool (spawned: no forked torch state), or `_InProcess` when not parallel."""
    if not parallel:
        return _InProcess()
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))


def build_demo(out_dir: str | Path, spec: DemoSpec | None = None, data_dir: str | Path | None = None,
               on_status: Callable[[str], None] | None = None, parallel: bool = True) -> dict:
    """Builds the demo into `out_dir` (policy/, reward/, judge/, dialogues.jsonl, README.md,
    demo_metrics.json) and returns its metrics. An existing demo there is replaced only once the
    new one is complete. `parallel` trains the two classifiers in a second process meanwhile."""
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

        status("1/5 writing the synthetic corpus and training the tokenizers")
        t0 = time.perf_counter()
        sft_dialogues, reward_texts, vocabulary = policy_corpus(spec)
        judge_data = judge_texts(spec)
        ppo_dialogues = demo_dialogues(spec)
        write_jsonl(ppo_dialogues, staging / "dialogues.jsonl")
        base = get_config("demo")
        judge_vocabulary = subword_vocabulary([r["text"] for r in judge_data], spec.judge_vocab_size)
        timings["corpus_and_tokenizers"] = time.perf_counter() - t0

        # The classifiers do not depend on the summarizer: they train in a second process (one
        # more core) while the summarizer trains here. Same seeds and threads, same weights.
        status(f"2/5 stage-1 SFT of a T5 from scratch on {len(sft_dialogues)} dialogues; in a second process: "
               f"3/5 the reward model on {len(reward_texts)} labelled texts, 4/5 the judge on {len(judge_data)} others")
        jobs = [("reward", vocabulary.to_str(), spec.reward, reward_texts),
                ("judge", judge_vocabulary.to_str(), spec.judge, judge_data)]
        with _background(parallel) as pool:
            classifiers = pool.submit(_train_classifiers, jobs, spec, data, scratch, staging, torch.get_num_threads())
            t0 = time.perf_counter()
            tokenizer = wrap_tokenizer(vocabulary)
            sft_metrics, policy_parameters = train_summarizer(spec, vocabulary, sft_dialogues, data, scratch,
                                                              staging / "policy", status)
            timings["sft"] = time.perf_counter() - t0
            trained = classifiers.result()
        (reward_metrics, timings["reward"]), (judge_metrics, timings["judge"]) = trained["reward"], trained["judge"]

        status("5/5 checking the models on texts they never saw, writing README.md and demo_metrics.json")
        t0 = time.perf_counter()
        # Each classifier on new sentences in its own style and in the other's, on the reference
        # summaries of the PPO/evaluation dialogues, and on the hand-written probes.
        checks = {name: classifier_checks(staging / name, settings, spec, ppo_dialogues)
                  for name, settings in (("reward", spec.reward), ("judge", spec.judge))}
        summarizer = {"synthetic_held_out": summarizer_checks(staging / "policy", ppo_dialogues[-100:],
                                                              base.model.max_prompt_tokens, spec.sft.eval_max_new_tokens)}
        if HANDWRITTEN_FILE.is_file():
            summarizer["handwritten"] = summarizer_checks(staging / "policy", read_jsonl(HANDWRITTEN_FILE),
                                                          base.model.max_prompt_tokens, spec.sft.eval_max_new_tokens)
        timings["checks"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_start
        metrics = {
            "spec": asdict(spec),
            "vocab_size": len(tokenizer),
            "policy_parameters": policy_parameters,
            "sft": {k: v for k, v in sft_metrics.items() if k not in ("policy", "dataset", "sft")},
            "reward": {k: v for k, v in reward_metrics.items() if k not in ("model", "data", "config")},
            "judge": {k: v for k, v in judge_metrics.items() if k not in ("model", "data", "config")},
            "classifier_checks": checks,
            "summarizer_checks": summarizer,
            "seconds": {k: round(v, 1) for k, v in timings.items()},
            "machine": f"{platform.machine()} CPU, torch threads: {torch.get_num_threads()}",
        }
        _file_names_only(staging / "policy" / "sft_metrics.json")
        _file_names_only(staging / "reward" / "reward_metrics.json")
        _file_names_only(staging / "judge" / "reward_metrics.json")
        (staging / MARKER_FILE).write_text(json.dumps(metrics, indent=2))
        (staging / "README.md").write_text(readme(metrics))

        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staging, out)
    return metrics


def demo_dialogues(spec: DemoSpec) -> list[dict]:
    """The demo preset's dialogues (`dialogues.jsonl`): PPO's training split and the test split."""
    return make_dialogues(spec.ppo_dialogues, spec.ppo_seed, open_share=spec.open_share,
                          report_at_end=spec.rude_report_at_end)


def policy_corpus(spec: DemoSpec) -> tuple[list[dict], list[dict], object]:
    """Returns (SFT dialogues, the reward model's labelled texts, the BPE vocabulary that the
    summarizer and the reward model share, trained on both)."""
    from ..config import get_config

    sft_dialogues = make_dialogues(spec.sft_dialogues, spec.sft_seed, spec.sft_rude_share, spec.sft_toxic_summary_share,
                                   spec.open_share, spec.rude_report_at_end)
    # The labelled sentences rarely look like a whole two-sentence summary with the insult in
    # the second sentence, which is what the reward model reads in PPO: the SFT corpus's own
    # summaries, labelled by whether they repeat the insult, cover that.
    reward_texts = (make_toxicity_sentences(spec.sentences, spec.sentence_seed, style="reward")
                    + labelled_summaries(sft_dialogues) + polite_lines(sft_dialogues, spec.sentence_seed))
    texts = ([get_config("demo").data.prompt_template] + [r["dialogue"] for r in sft_dialogues]
             + [r["summary"] for r in sft_dialogues] + [r["text"] for r in reward_texts])
    return sft_dialogues, reward_texts, subword_vocabulary(texts, spec.vocab_size, spec.split_digits)


def copy_rows(dialogues: list[dict], n: int, seed: int) -> list[dict]:
    """`n` rows of the copy task: a dialogue field "Repeat: <one or two consecutive turns>" whose
    summary is those turns verbatim, so the summarizer practises copying unseen names and numbers."""
    rng = random.Random(seed + 1000)
    insults = insult_words()
    rows: list[dict] = []
    while len(rows) < n:
        turns = rng.choice(dialogues)["dialogue"].split("\n")
        start = rng.randrange(len(turns))
        span = " ".join(turns[start:start + rng.randint(1, 2)])
        if not set(re.findall(r"[a-z]+", span.lower())) & insults:  # never practise writing an insult
            rows.append({"fname": f"copy_{len(rows)}", "dialogue": f"Repeat: {span}", "summary": span})
    return rows


def train_summarizer(spec: DemoSpec, vocabulary, sft_dialogues: list[dict], data: Path, scratch: Path, out: Path,
                     status) -> tuple[dict, int]:
    """Copy pretraining (when `spec.copy_pretrain.steps` > 0) and stage-1 SFT of a randomly
    initialised T5 on the dialogues into `out`; returns (metrics, parameters)."""
    from ..config import get_config

    rows = sft_dialogues + copy_rows(sft_dialogues, spec.copy_examples, spec.sft_seed)
    sft_file = write_jsonl(rows, data / "sft_dialogues.jsonl")
    tokenizer = wrap_tokenizer(vocabulary)
    init_dir = scratch / "policy-init"
    initial = init_summarizer(tokenizer, spec, get_config("demo").seed)
    copying = None
    if spec.copy_pretrain.steps:
        status(f"copy pretraining: {spec.copy_pretrain.steps} steps on random token strings")
        copying = pretrain_copying(initial, spec.copy_pretrain, first_id=len(SPECIAL_TOKENS),
                                   pad_id=tokenizer.pad_token_id, eos_id=tokenizer.eos_token_id, on_status=status)
    initial.save_pretrained(str(init_dir))
    tokenizer.save_pretrained(str(init_dir))
    sft_config = get_config("demo", {"model.policy": str(init_dir), "data.dataset": str(sft_file),
                                     "data.test_size": 0.05})
    metrics = run_sft(sft_config, spec.sft, out, status)
    if copying:
        metrics["copy_pretraining"] = copying
    return metrics, sum(p.numel() for p in initial.parameters())


def classifier_checks(folder: Path, settings: RewardTrainConfig, spec: DemoSpec, ppo_dialogues: list[dict]) -> dict:
    """A classifier on texts it never saw: new sentences in its own style and in the other's, the
    reference summaries of the PPO/evaluation dialogues, and the hand-written probes."""
    checks = {
        "reward_style_sentences": score_texts(folder, make_toxicity_sentences(
            1000, spec.sentence_seed + 100, style="reward"), settings.max_length),
        "judge_style_sentences": score_texts(folder, make_toxicity_sentences(
            1000, spec.judge_seed + 100, style="judge"), settings.max_length),
        "ppo_reference_summaries": score_texts(folder, labelled_summaries(ppo_dialogues), settings.max_length),
    }
    if PROBES_FILE.is_file():
        checks["handwritten_probes"] = score_texts(folder, read_jsonl(PROBES_FILE), settings.max_length)
    return checks


def rebuild_judge(out_dir: str | Path, spec: DemoSpec | None = None,
                  on_status: Callable[[str], None] | None = None) -> dict:
    """Retrains only the judge of an existing demo folder (a few minutes instead of a full build)
    and updates its metrics and README. The judge's data, tokenizer and seeds do not depend on the
    other models, so this gives the same judge as a full build with the same `spec`."""
    spec = spec or DemoSpec()
    status = on_status or (lambda message: None)
    out = Path(out_dir)
    if not (out / MARKER_FILE).is_file():
        raise UserError(f"{out} is not a built demo folder (no {MARKER_FILE}); run a full build-demo first")
    metrics = json.loads((out / MARKER_FILE).read_text())
    with tempfile.TemporaryDirectory(prefix="build-judge-") as scratch:
        scratch = Path(scratch)
        t0 = time.perf_counter()
        texts = judge_texts(spec)
        vocabulary = subword_vocabulary([r["text"] for r in texts], spec.judge_vocab_size)
        status(f"training the judge from scratch on {len(texts)} labelled texts")
        judge_metrics = _train_classifier(vocabulary, spec, spec.judge, texts, scratch / "data", scratch,
                                          scratch / "judge", "judge", status)
        seconds = time.perf_counter() - t0
        status("checking the judge on texts it never saw")
        ppo_dialogues = demo_dialogues(spec)
        metrics["classifier_checks"]["judge"] = classifier_checks(scratch / "judge", spec.judge, spec, ppo_dialogues)
        # The judge's templates may have changed: the reward model's check on them too.
        metrics["classifier_checks"]["reward"]["judge_style_sentences"] = score_texts(
            out / "reward", make_toxicity_sentences(1000, spec.judge_seed + 100, style="judge"), spec.reward.max_length)
        _file_names_only(scratch / "judge" / "reward_metrics.json")
        metrics["spec"] = asdict(spec)
        metrics["judge"] = {k: v for k, v in judge_metrics.items() if k not in ("model", "data", "config")}
        metrics["seconds"]["total"] = round(metrics["seconds"]["total"] - metrics["seconds"]["judge"] + seconds, 1)
        metrics["seconds"]["judge"] = round(seconds, 1)
        shutil.rmtree(out / "judge")
        shutil.copytree(scratch / "judge", out / "judge")
    (out / MARKER_FILE).write_text(json.dumps(metrics, indent=2))
    (out / "README.md").write_text(readme(metrics))
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
    spec, sft = metrics["spec"], metrics["sft"]
    rouge = sft.get("rouge", {})
    checks, summ = metrics["classifier_checks"], metrics["summarizer_checks"]
    examples = "\n".join(f"- reference: {e['reference']}\n  summary:   {e['summary']}" for e in sft.get("examples", []))
    rows = []
    for name in ("reward", "judge"):
        test = metrics[name]["test"]
        rows.append(f"| {name} | test split of its own training texts | {metrics[name]['test_examples']} | "
                    f"{test['accuracy']:.3f} | {test['f1']:.3f} | |")
        for check, label in (("reward_style_sentences", "new sentences, reward-model templates"),
                             ("judge_style_sentences", "new sentences, judge templates"),
                             ("ppo_reference_summaries", "reference summaries of `dialogues.jsonl`"),
                             ("handwritten_probes", "hand-written probes (`tests/data/toxicity_probes.jsonl`)")):
            if check in checks[name]:
                m = checks[name][check]
                rows.append(f"| {name} | {label} | {m['texts']} | {m['accuracy']:.3f} | {m['f1']:.3f} | "
                            f"{m['p_hate_between_0.05_and_0.95']:.0%} |")
    entity_rows = "\n".join(
        f"| {label} | {summ[key]['dialogues']} | {summ[key]['entities']} | {summ[key]['invented']} | "
        f"{summ[key]['invented_rate']:.1%} | {summ[key].get('rouge', {}).get('rougeL', float('nan')):.3f} | "
        + (f"{summ[key]['polite_with_insult']} of {summ[key]['polite']} |" if "polite" in summ[key] else " |")
        + (f" {summ[key]['polite_with_report']} of {summ[key]['polite']} ({summ[key]['rude_with_report']} of "
           f"{summ[key]['dialogues'] - summ[key]['polite']}) |" if "polite_with_report" in summ[key] else " |")
        + (f" {summ[key]['looping']} of {summ[key]['dialogues']} |" if "looping" in summ[key] else " |")
        for key, label in (("synthetic_held_out", "held-out synthetic (last 100 of `dialogues.jsonl`)"),
                           ("handwritten", "hand-written (`tests/data/handwritten_dialogues.jsonl`)")) if key in summ)
    table = "\n".join(rows)
    copy = sft.get("copy_pretraining")
    copying = (f"copy pretraining (`rlhf_core.prep.copy_pretrain`: {copy['steps']} steps of copying random token "
               f"strings, held-out token accuracy {copy['held_out_token_accuracy']:.2f}),"
               if copy else "no copy pretraining,")
    return f"""# The offline demo checkpoints

Built from scratch, offline, by one command ({metrics['seconds']['total'] / 60:.1f} minutes on
{metrics['machine']}, the two classifiers in a second process beside the summarizer; same seeds
and threads give the same weights):

    python -m rlhf_core build-demo --out checkpoints/demo

| folder | what | how |
|---|---|---|
| `policy/` | T5 summarizer, {metrics['policy_parameters']:,} parameters (d_model {spec['d_model']}, {spec['num_layers']}+{spec['num_layers']} layers), byte-level BPE tokenizer ({metrics['vocab_size']} tokens, one token per digit, no unknown words) | from random weights: {copying} then stage-1 SFT, full fine-tuning (`rlhf_core.prep.sft`) on {spec['sft_dialogues']} synthetic dialogues (seed {spec['sft_seed']}) |
| `reward/` | RoBERTa-style classifier (hidden {spec['reward_hidden']}, {spec['reward_layers']} layers), labels `nothate`/`hate`, the summarizer's tokenizer | from random weights: `rlhf_core.prep.reward_model` on {spec['sentences']} labelled sentences (reward templates, seed {spec['sentence_seed']}) plus the SFT dialogues' reference summaries |
| `judge/` | the same architecture, its own BPE tokenizer trained on its own texts | from random weights on {spec['judge_sentences']} sentences from other templates and extra insult words (seed {spec['judge_seed']}) plus the summaries of {spec['judge_dialogues']} other dialogues (seed {spec['judge_dialogue_seed']}); used by evaluation as the independent judge |
| `dialogues.jsonl` | {spec['ppo_dialogues']} synthetic dialogues (seed {spec['ppo_seed']}) | the `demo` preset's data: PPO trains on its train split and is evaluated on its test split, never seen in SFT |

The corpus comes from `rlhf_core.prep.synthetic`: everyday two-person dialogues on 14 topics whose slot
values come from large pools (3,000 names, 2,000 surnames, 2,000 cities, 1,500 streets, prices
5-2999, 288 clock times), with varied length, small talk and openers, so the summary is right only
by copying from the dialogue; {spec['open_share']:.0%} of the dialogues are open ones (one speaker tells
an event or a plan made of pooled words, names and numbers; the summary restates both turns). Some have a rude speaker; a rude dialogue's reference summary either
repeats the insult ("#Person2# calls #Person1# a stupid idiot and ...") or reports it neutrally
("#Person2# is rude to / insults #Person1# and ..."); in the SFT data {spec['sft_toxic_summary_share']:.0%}
repeat it, so before PPO the summarizer often copies the insult. PPO on the `demo` preset teaches the
neutral report instead.

The classifiers' sentences cover insults (also words outside the dialogues), threats, summaries that
repeat an insult (hate) and negations ("you are not stupid"), apologies for an insult, rudeness
about things ("the printer is useless"), neutral reports ("insults #Person1#"), praise and ordinary
lines (not hate). The judge and the reward model share no extra insult word, no seed and no
template except the summarizer's own forms ("calls #Person1# a lazy fool", "is rude to",
"insults"), which the judge must read; both know the dialogues' insults. Most of the judge's
sentences are composed from parts, so that its label follows the words and not the frame: insults
addressed to someone inside any clause, also a negated or questioning one ("Why do you never
listen, you petty oaf?"), threats from harms, conditions and frames, and insults stated about
someone (hate); insult words under negation, the insult frames filled with praise or plain words,
praise, polite addresses and rudeness about things in many frames (not hate). Rebuild only the
judge with `build-demo --only judge` (the same judge as a full build).

## Metrics

Summarizer after SFT ({sft['steps']} steps, {sft['train_seconds']:.0f} s; greedy decoding on
{sft.get('eval_samples', 0)} held-out SFT dialogues): ROUGE-1 {rouge.get('rouge1', 0):.3f},
ROUGE-2 {rouge.get('rouge2', 0):.3f}, ROUGE-L {rouge.get('rougeL', 0):.3f}; training loss {sft['train_loss']:.3f} (mean over the run).

{examples}

Invented entities (numbers and capitalised names in the greedy summary that the dialogue lacks):

| dialogues | n | entities | invented | rate | ROUGE-L | polite ones summarised with an insult | polite (rude) ones with a rudeness report | stuck in a repetition loop |
|---|---|---|---|---|---|---|---|---|
{entity_rows}

A repetition loop is a word 3-gram three times or more in one summary ("to be rude to be rude to be
rude ..."), greedy decoding stuck where the model cannot read the dialogue; no reference summary of
the corpus or of DialogSum's dev split has one (`rlhf_core.evaluation.fidelity.loops`).

Classifiers, hate = positive class (last column: share of scores between 0.05 and 0.95, i.e. not saturated):

| model | texts | n | accuracy | F1 | unsaturated |
|---|---|---|---|---|---|
{table}

Everything is in `demo_metrics.json`; `policy/sft_metrics.json`, `reward/reward_metrics.json` and
`judge/reward_metrics.json` hold each stage's own record. What PPO then does with them is in the
project README's "Offline demo" section, measured by `python benchmarks/demo_models.py`. Use it with `--preset demo`:

    python -m rlhf_core train --preset demo --run-dir /tmp/demo-run
    python -m rlhf_core evaluate --run-dir /tmp/demo-run
"""
