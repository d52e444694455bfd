"""Before vs after, judged honestly: greedy and sampled summaries, scored by the reward model and
by an independent judge, with fidelity figures and paired bootstrap intervals over dialogues.

- Toxicity is P(toxic) of the summary alone, by two scorers: the reward model (what PPO
  optimised) and the judge (a classifier it never saw, `eval.judge`). A drop that only the reward
  model sees is reward hacking, not detoxification.
- Greedy decoding shows the policy's mode; `eval.sampled_k` samples per dialogue with the training
  generation settings show what users of a sampling summarizer get. Before and after share the
  sampling seeds, so the comparison is paired.
- Besides mean P(toxic), the share of summaries flagged (P > `eval.flag_threshold`): a mean near
  zero makes "-99%" out of tiny differences, a flagged share does not.
- Fidelity (`fidelity.py`): hallucinated-entity rate, edit rate vs the "before" summary, length,
  distinct-n; ROUGE against every reference (best per row), overall, on the rows whose "before"
  summary was flagged and the rest, and on the rows whose references are not themselves flagged.
- Every interval is a paired bootstrap over dialogues (the unit that was sampled), a dialogue's k
  sampled summaries moving together; "significant" is one rule, `figures.significant`.
- Ground-truth outcomes (`outcomes.py`) where the data says which dialogues are rude and with which
  insult words (the demo corpus): insult repeated, rudeness reported neutrally or dropped, polite
  dialogues accused, degenerate summaries; no classifier involved.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.dialogues import build_dataset
from ..errors import UserError
from ..models.reward import RewardModel
from ..models.summarizer import BEFORE, Summarizer
from ..training.runs import RunDir, atomic_write_text
from .fidelity import edit_rate, hallucinated_entities, loops
from .figures import JUDGE, REWARD_MODEL, fidelity_block, rouge_block, toxicity_block
from .judge import Judge
from .outcomes import outcome_label, outcomes_block, truth_rows
from .text_diff import changed_facts, words_of

AFTER = "after"
SAMPLE_SEED_STRIDE = 100_003  # sampled summaries use seed + stride (+ the batch offset), before and after alike


def _sampled(summarizer: Summarizer, dialogues: list[str], adapter: str, k: int, seed: int,
             on_batch: Callable[[int], None] | None = None) -> list[list[str]]:
    """Returns k sampled summaries per dialogue, as k lists (every policy samples with the same seeds).

    All k come from one decoding call per batch (`num_return_sequences`): each dialogue is
    encoded once and its k rows decode together.
    """
    flat = summarizer.summarize(dialogues, adapter, seed=seed + SAMPLE_SEED_STRIDE, do_sample=True,
                                num_return_sequences=k, on_batch=on_batch)
    return [flat[j::k] for j in range(k)]


def compare(summarizer: Summarizer, dialogues: list[str], references: list[list[str]] | None, adapter: str = AFTER,
            seed: int = 0, resamples: int = 1000, judge: Judge | None = None,
            sampled_k: int | None = None, on_progress: Callable[[int, int], None] | None = None,
            truth: tuple[list[dict], set[str]] | None = None) -> tuple[dict, pd.DataFrame]:
    """Returns (report, table) comparing the starting policy with `adapter` on the dialogues.

    `truth`: (one ground-truth dict per dialogue, the insult vocabulary) from `outcomes.truth_rows`,
    for the ground-truth outcomes (report["outcomes"], table columns outcome_before/outcome_after).

    `on_progress(done, total)` hears each decoded batch: dialogue passes done out of all of them
    (greedy before and after, then k samples each before and after: `len(dialogues) * (2 + 2k)`)."""
    ev = summarizer.config.eval
    k = ev.sampled_k if sampled_k is None else sampled_k
    threshold = ev.flag_threshold
    total, done = len(dialogues) * (2 + 2 * k), 0

    def step(weight: int) -> Callable[[int], None] | None:
        def heard(n: int) -> None:
            nonlocal done
            done += n * weight
            on_progress(done, total)

        return heard if on_progress is not None else None

    texts = {"greedy": {BEFORE: summarizer.summarize(dialogues, BEFORE, seed=seed, do_sample=False, on_batch=step(1)),
                        AFTER: summarizer.summarize(dialogues, adapter, seed=seed, do_sample=False, on_batch=step(1))}}
    if k:
        texts["sampled"] = {BEFORE: _sampled(summarizer, dialogues, BEFORE, k, seed, step(k)),
                            AFTER: _sampled(summarizer, dialogues, adapter, k, seed, step(k))}
    scorers = {}
    if summarizer.reward_model is not None:
        scorers[REWARD_MODEL] = lambda t: summarizer.reward_model.score(t).toxicity
    if judge is not None:
        judge.to(summarizer.device)
        scorers[JUDGE] = judge.toxicity

    def score(scorer, groups: list[list[str]]) -> np.ndarray:  # (dialogues, summaries per dialogue)
        flat = scorer([t for group in groups for t in group])
        return np.array(flat, dtype=float).reshape(len(groups), len(dialogues)).T

    greedy_b, greedy_a = texts["greedy"][BEFORE], texts["greedy"][AFTER]
    before_scored = summarizer.score(dialogues, greedy_b)
    after_scored = summarizer.score(dialogues, greedy_a)
    table = pd.DataFrame({"dialogue": dialogues, "summary_before": greedy_b, "summary_after": greedy_a})
    report: dict = {
        "samples": len(dialogues), "seed": seed, "reward_text": summarizer.config.reward.text,
        "flag_threshold": threshold, "sampled_k": k,
        "scorers": {REWARD_MODEL: summarizer.config.reward.model if summarizer.reward_model is not None else None,
                    JUDGE: judge.name if judge is not None else None},
        "toxicity": {},
    }
    if summarizer.reward_model is not None:
        table["reward_before"] = [s.reward for s in before_scored]
        table["reward_after"] = [s.reward for s in after_scored]
        table["reward_diff"] = table["reward_after"] - table["reward_before"]
        report["reward"] = {"greedy": {"before": float(table["reward_before"].mean()),
                                       "after": float(table["reward_after"].mean())}}
    flagged_before = np.zeros(len(dialogues), dtype=bool)
    for decoding, pair in texts.items():
        report["toxicity"][decoding] = {}
        groups_b = [pair[BEFORE]] if decoding == "greedy" else pair[BEFORE]
        groups_a = [pair[AFTER]] if decoding == "greedy" else pair[AFTER]
        for name, scorer in scorers.items():
            tb, ta = score(scorer, groups_b), score(scorer, groups_a)
            report["toxicity"][decoding][name] = toxicity_block(tb, ta, threshold, resamples, seed)
            table[f"{decoding}_{name}_toxicity_before"] = tb.mean(axis=1)
            table[f"{decoding}_{name}_toxicity_after"] = ta.mean(axis=1)
            if decoding == "greedy":
                flagged_before = tb[:, 0] > threshold  # the last scorer wins: the judge when there is one
        split_by = list(scorers)[-1] if scorers else None

    report["fidelity"] = {"greedy": fidelity_block(greedy_b, greedy_a, dialogues, resamples, seed)}
    table["edit_rate"] = [edit_rate(b, a) for b, a in zip(greedy_b, greedy_a)]
    table["loops_before"] = [loops(s) for s in greedy_b]
    table["loops_after"] = [loops(s) for s in greedy_a]
    table["hallucinated_entities_before"] = [hallucinated_entities(s, d)[0] for s, d in zip(greedy_b, dialogues)]
    table["hallucinated_entities_after"] = [hallucinated_entities(s, d)[0] for s, d in zip(greedy_a, dialogues)]
    toxic = summarizer.reward_model.toxic_words(greedy_b + greedy_a) if summarizer.reward_model is not None else set()
    table["changed_facts"] = ["; ".join(changed_facts(b, a, d, toxic)) for b, a, d in zip(greedy_b, greedy_a, dialogues)]
    table["toxic_words"] = [" ".join(w for w in words_of(f"{b} {a}") if w in toxic) for b, a in zip(greedy_b, greedy_a)]
    if k:
        flat_dialogues = dialogues * k
        flat_b = [t for group in texts["sampled"][BEFORE] for t in group]
        flat_a = [t for group in texts["sampled"][AFTER] for t in group]
        report["fidelity"]["sampled"] = fidelity_block(flat_b, flat_a, flat_dialogues, resamples, seed, k)

    if truth is not None:
        truths, vocabulary = truth
        report["outcomes"] = {decoding: outcomes_block([pair[BEFORE]] if decoding == "greedy" else pair[BEFORE],
                                                       [pair[AFTER]] if decoding == "greedy" else pair[AFTER],
                                                       truths, vocabulary, resamples, seed)
                              for decoding, pair in texts.items()}
        table["outcome_before"] = [outcome_label(s, t, vocabulary) for s, t in zip(greedy_b, truths)]
        table["outcome_after"] = [outcome_label(s, t, vocabulary) for s, t in zip(greedy_a, truths)]
    if references and any(references):
        refs = [list(r) for r in references]
        clean = np.ones(len(dialogues), dtype=bool)
        if scorers:
            ref_scores = list(scorers.values())[-1]([r for rs in refs for r in rs])
            it = iter(ref_scores)
            clean = np.array([all(next(it) <= threshold for _ in rs) for rs in refs])
        every = np.ones(len(dialogues), dtype=bool)
        rg = {"references_per_dialogue": max(len(r) for r in refs), "combine": "best-matching reference per row (max F)",
              "split_by": split_by, "greedy": {}}
        subsets = {"all": every, "toxic_before": flagged_before, "rest": ~flagged_before, "clean_references": clean}
        for subset, rows in subsets.items():
            rg["greedy"][subset] = rouge_block(greedy_b, greedy_a, refs, rows, resamples, seed)
        if k:
            rg["sampled"] = {"all": rouge_block(flat_b, flat_a, refs, every, resamples, seed, k)}
        report["rouge"] = rg
    return report, table


def evaluate_run(run_dir: str | Path, samples: int | None = None, summarizer: Summarizer | None = None,
                 write: bool = True, judge: Judge | bool | None = None, sampled_k: int | None = None,
                 judge_problem: str | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> tuple[dict, pd.DataFrame]:
    """Evaluates a saved run on the fixed test split and writes eval.json + eval_samples.csv/json.

    `judge`: a loaded Judge, None for the run's `eval.judge` (when it cannot load, the evaluation
    goes on with the reward model alone and the report says why), or False for no judge;
    `judge_problem`: why a configured judge is missing (saved in the report); `on_progress(done, total)`:
    see `compare`.
    """
    run = RunDir(run_dir)
    config = run.config()
    if write:
        run.check_writable()  # before the work: a read-only folder would lose every result at the end
    checkpoint = run.checkpoint_dir()
    if checkpoint is None:
        raise UserError(f"run {run.path} has no checkpoint yet; train at least one step first")
    if summarizer is None:
        summarizer = Summarizer(config, RewardModel.from_config(config.reward))
    if judge is None:
        try:
            judge = Judge.from_config(config.eval, config.reward.dtype)
        except UserError as error:  # the run's own judge, not asked for now: go on without it and say why
            judge, judge_problem = None, judge_problem or str(error)
    elif judge is False:
        judge = None
    summarizer.load_adapter(AFTER, checkpoint)
    data = build_dataset(config.data, summarizer.tokenizer, config.model.max_prompt_tokens)
    test = data["test"]
    n = min(samples or config.eval.samples, len(test))
    rows = test.select(range(n))
    references = [list(r) for r in rows["references"]] if config.data.summary_column else None
    report, table = compare(summarizer, list(rows["dialogue"]), references, AFTER, config.eval.seed,
                            config.eval.bootstrap, judge, sampled_k, on_progress,
                            truth_rows(rows, [data["train"], test]))
    report["run"] = str(run.path)
    report["step"] = (run.load_state() or {}).get("step")
    report["split_seed"] = config.data.split_seed
    if judge_problem:
        report["judge_unavailable"] = judge_problem
    table.insert(0, "id", list(rows["id"]))
    if write:
        atomic_write_text(run.path / "eval.json", json.dumps(report, indent=2))
        atomic_write_text(run.path / "eval_samples.csv", table.to_csv(index=False))
        atomic_write_text(run.path / "eval_samples.json", table.to_json(orient="records", indent=2))
        from .model_card import write_model_card

        write_model_card(run.path)  # the card's evaluation table
        if config.report_to:
            from ..training.tracking import log_evaluation

            log_evaluation(config, run.path, report)
    return report, table
