"""The offline demo: a small T5 summarizer, a RoBERTa-style reward model and an independent
RoBERTa-style judge, trained from scratch on the synthetic corpus, shipped in `checkpoints/demo/`
and rebuilt by one command:

    python -m rlhf_core build-demo --out checkpoints/demo

Steps: generate the corpus (`prep.synthetic`), train byte-level BPE tokenizers on it, stage-1
SFT of a randomly initialised T5 (full fine-tuning), training of the two randomly initialised
classifiers on disjoint labelled texts, checks on texts none of them saw (including the
hand-written `tests/data/` probes and dialogues), and a README with the metrics. The policy's
training dialogues and the dialogues shipped for PPO and evaluation come from different seeds.

This module is the build's orchestration and training; the parts it runs: `demo_spec` (the
settings), `demo_init` (tokenizers, initial models), `demo_corpus` (the data), `demo_checks` (the
checks on unseen texts) and `demo_readme` (the README).
"""

from __future__ import annotations

import json
import multiprocessing
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path

import torch

from ..config.json_files import read_json_file
from ..errors import UserError
from ..evaluation.classifier_agreement import probe_agreement
from .copy_pretrain import pretrain_copying
from .demo_checks import HANDWRITTEN_FILE, PROBES_FILE, classifier_checks, read_jsonl, summarizer_checks
from .demo_corpus import copy_rows, demo_dialogues, policy_corpus
from .demo_init import SPECIAL_TOKENS, init_classifier, init_summarizer, word_vocabulary, wrap_tokenizer
from .demo_readme import readme
from .demo_spec import DemoSpec
from .judge_sentences import judge_texts
from .reward_model import RewardTrainConfig, format_metrics, run_reward_training
from .sft import run_sft
from .synthetic import write_jsonl

MARKER_FILE = "demo_metrics.json"


def _check_out(out: Path) -> None:
    if out.exists() and any(out.iterdir()) and not (out / MARKER_FILE).is_file():
        raise UserError(f"{out} exists and is not a demo folder (no {MARKER_FILE}); choose a new --out")



def _shape(spec: DemoSpec, name: str) -> tuple[int, int]:
    """(hidden size, layers) of the classifier `name`: the judge has its own."""
    return (spec.judge_hidden, spec.judge_layers) if name == "judge" else (spec.reward_hidden, spec.reward_layers)


def _train_classifier(vocabulary, spec: DemoSpec, settings: RewardTrainConfig, texts: list[dict], data: Path,
                      scratch: Path, out: Path, name: str, status) -> dict:
    """Trains a randomly initialised RoBERTa classifier on labelled texts into `out`."""
    tokenizer = wrap_tokenizer(vocabulary, classifier=True)
    init = scratch / f"{name}-init"
    init_classifier(tokenizer, spec, settings.seed, _shape(spec, name)).save_pretrained(str(init))
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
        judge_vocabulary = word_vocabulary([r["text"] for r in judge_data], spec.judge_vocab_size)
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
                                                              base.model.max_prompt_tokens,
                                                              spec.sft.eval_max_new_tokens)}
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
            "classifier_agreement": classifier_agreement(staging / "reward", staging / "judge"),
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


def rebuild_classifier(out_dir: str | Path, name: str, spec: DemoSpec | None = None,
                       on_status: Callable[[str], None] | None = None) -> dict:
    """Retrains only the reward model or the judge (`name`) of an existing demo folder (minutes
    instead of a full build) and updates its metrics and README. Each one's data and seeds do not
    depend on the other models, so this gives the same classifier as a full build with the same
    `spec`; the reward model shares the summarizer's tokenizer, so it is refused when this spec's
    vocabulary is not the one the folder's summarizer was trained with."""
    spec = spec or DemoSpec()
    status = on_status or (lambda message: None)
    out = Path(out_dir)
    if not (out / MARKER_FILE).is_file():
        raise UserError(f"{out} is not a built demo folder (no {MARKER_FILE}); run a full build-demo first")
    metrics = read_json_file(out / MARKER_FILE, "the demo build record")
    settings = spec.judge if name == "judge" else spec.reward
    with tempfile.TemporaryDirectory(prefix=f"build-{name}-") as scratch:
        scratch = Path(scratch)
        t0 = time.perf_counter()
        texts, vocabulary = _classifier_data(name, spec, out)
        status(f"training the {name} from scratch on {len(texts)} labelled texts")
        trained = _train_classifier(vocabulary, spec, settings, texts, scratch / "data", scratch, scratch / name, name,
                                    status)
        seconds = time.perf_counter() - t0
        # Both classifiers' checks: the rebuilt one's templates may have changed, and the other is
        # also checked on sentences in the rebuilt one's style.
        status("checking both classifiers on texts they never saw")
        folders = {"reward": out / "reward", "judge": out / "judge", name: scratch / name}
        dialogues = demo_dialogues(spec)
        metrics["classifier_checks"] = {n: classifier_checks(folders[n], s, spec, dialogues)
                                        for n, s in (("reward", spec.reward), ("judge", spec.judge))}
        metrics["classifier_agreement"] = classifier_agreement(folders["reward"], folders["judge"])
        _file_names_only(scratch / name / "reward_metrics.json")
        metrics["spec"] = asdict(spec)
        metrics[name] = {k: v for k, v in trained.items() if k not in ("model", "data", "config")}
        metrics["seconds"][name] = round(seconds, 1)
        metrics["seconds"]["total"] = _total_seconds(metrics["seconds"])
        shutil.rmtree(out / name)
        shutil.copytree(scratch / name, out / name)
    (out / MARKER_FILE).write_text(json.dumps(metrics, indent=2))
    (out / "README.md").write_text(readme(metrics))
    return metrics


def _classifier_data(name: str, spec: DemoSpec, out: Path) -> tuple[list[dict], object]:
    """(labelled texts, tokenizer vocabulary) of the judge or of the reward model, as a full build
    makes them."""
    from transformers import AutoTokenizer

    if name == "judge":
        texts = judge_texts(spec)
        return texts, word_vocabulary([r["text"] for r in texts], spec.judge_vocab_size)
    if name != "reward":
        raise UserError(f"unknown classifier '{name}' (reward or judge)")
    _, texts, vocabulary = policy_corpus(spec)
    if wrap_tokenizer(vocabulary).get_vocab() != AutoTokenizer.from_pretrained(str(out / "policy")).get_vocab():
        raise UserError(f"the reward model shares the summarizer's tokenizer, and this build's vocabulary is not "
                        f"the one of {out / 'policy'}: run a full build-demo")
    return texts, vocabulary


def classifier_agreement(reward_dir: Path, judge_dir: Path) -> dict:
    """The reward model's and the judge's agreement (kappa) and shared errors on the project's
    probes: a judge that makes the reward model's mistakes cannot catch PPO exploiting them."""
    if not PROBES_FILE.is_file():
        return {}
    return {"handwritten_probes": probe_agreement(reward_dir, judge_dir, read_jsonl(PROBES_FILE))}


def _total_seconds(seconds: dict) -> float:
    """A full build's wall time from its stages': the classifiers train beside the summarizer."""
    parts = [seconds.get("corpus_and_tokenizers", 0), max(seconds.get("sft", 0), seconds["reward"] + seconds["judge"]),
             seconds.get("checks", 0)]
    return round(sum(parts), 1)


def _file_names_only(path: Path) -> None:
    """Rewrites a stage's metrics file with file names where it had this machine's temp paths."""
    saved = json.loads(path.read_text())
    for record in (saved, saved.get("config", {})):
        for key in ("policy", "dataset", "model", "data"):
            if isinstance(record.get(key), str):
                record[key] = Path(record[key]).name
    path.write_text(json.dumps(saved, indent=2))
