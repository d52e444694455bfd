"""The demo build's data, drawn from the synthetic corpus generator: the SFT dialogues and the shared
BPE vocabulary, the reward model's and the judge's labelled texts, the copy-task rows and the
dialogues shipped for PPO and evaluation. Each comes from its own seed in `DemoSpec`.
"""

from __future__ import annotations

import random
import re

from .demo_init import subword_vocabulary
from .demo_spec import DemoSpec
from .synthetic_analysis import insult_words
from .synthetic_dialogues import make_dialogues
from .synthetic_sentences import make_toxicity_sentences


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
