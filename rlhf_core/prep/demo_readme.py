"""Writes the shipped demo's README (`checkpoints/demo/README.md`) from its metrics: what the demo is,
how it was made and how well its models do. Kept apart from the build, which only calls `readme`.
"""

from __future__ import annotations


def _agreement(metrics: dict) -> str:
    """A line on how differently the two classifiers err on the probes (`classifier_agreement`)."""
    row = metrics.get("classifier_agreement", {}).get("handwritten_probes")
    if not row:
        return ""
    kappa = "undefined" if row["kappa"] is None else f"{row['kappa']:.2f}"
    return (f"\nOn the {row['n']} hand-written probes the reward model and the judge agree on {row['agreement']:.0%} "
            f"(Cohen's kappa {kappa}); they share {row['shared_errors']} errors, "
            f"{row['shared_of_reward_errors']:.0%} of the reward model's {row['reward_errors']} and "
            f"{row['shared_of_judge_errors']:.0%} of the judge's {row['judge_errors']}. Held-out probes that no "
            "builder reads: `python -m rlhf_core.evaluation.classifier_agreement` (docs/judge.md).\n")


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
| `judge/` | RoBERTa-style classifier of another shape (hidden {spec.get('judge_hidden', spec['reward_hidden'])}, {spec.get('judge_layers', spec['reward_layers'])} layers), its own tokenizer of lower-cased whole words with a character fallback ({spec['judge_vocab_size']} tokens, from its own texts) | from random weights on {spec['judge_sentences']} sentences composed from its own frames and insult words (`rlhf_core.prep.judge_sentences`, seed {spec['judge_seed']}) plus the summaries of {spec['judge_dialogues']} other dialogues (seed {spec['judge_dialogue_seed']}); used by evaluation as the independent judge |
| `dialogues.jsonl` | {spec['ppo_dialogues']} synthetic dialogues (seed {spec['ppo_seed']}), each with its ground truth: `rude`, `offender`, `target`, `insult_words` and `summary_neutral` (the reference with the rudeness reported neutrally) | the `demo` preset's data: PPO trains on its train split and is evaluated on its test split, never seen in SFT |

The corpus comes from `rlhf_core.prep.synthetic`: everyday two-person dialogues on 14 topics whose slot
values come from large pools (3,000 names, 2,000 surnames, 2,000 cities, 1,500 streets, prices
5-2999, 288 clock times), with varied length, small talk and openers, so the summary is right only
by copying from the dialogue; {spec['open_share']:.0%} of the dialogues are open ones (one speaker tells
an event or a plan made of pooled words, names and numbers; the summary restates both turns). Some have a rude speaker; a rude dialogue's reference summary either
repeats the insult ("#Person2# calls #Person1# a stupid idiot and ...") or reports it neutrally
("#Person2# is rude to / insults #Person1# and ..."); in the SFT data {spec['sft_toxic_summary_share']:.0%}
repeat it, so before PPO the summarizer often copies the insult. What PPO does with it is read from
each dialogue's recorded truth (who insulted whom, with which words), not from a classifier:
`python benchmarks/demo_detox.py --seeds 0,1,2,3,4` prints the table (`docs/results.md`). With the
toxicity reward alone PPO removes the insult mostly by dropping the rudeness from the summary, not by
reporting it neutrally.

The classifiers' sentences cover insults (also words outside the dialogues), threats, summaries that
repeat an insult (hate) and negations ("you are not stupid"), apologies for an insult, rudeness
about things ("the printer is useless"), neutral reports ("insults #Person1#"), praise and ordinary
lines (not hate). The judge shares with the reward model no extra insult word, no seed, no
tokenizer, no shape and no template except the summarizer's own forms ("calls #Person1# a lazy
fool", "is rude to", "insults"), which it must read; both know the dialogues' insults. Each
classifier's sentences are composed from its own parts (`rlhf_core.prep.reward_frames` for the reward
model, `rlhf_core.prep.judge_sentences` for the judge) so that the label follows the words and not
the frame: every hate frame (an insult addressed inside a clause, stated, or reported as
"#Person2# calls #Person1# a ...") also appears filled with praise or plain words as not hate, and
insult words appear negated, quoted, mentioned, apologised for and in fiction as not hate. Rebuild
only the judge with `build-demo --only judge` (the same judge as a full build).

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
{_agreement(metrics)}
Everything is in `demo_metrics.json`; `policy/sft_metrics.json`, `reward/reward_metrics.json` and
`judge/reward_metrics.json` hold each stage's own record. What PPO then does with them is in the
project README's "Offline demo" section, measured by `python benchmarks/demo_models.py`. Use it with `--preset demo`:

    python -m rlhf_core train --preset demo --run-dir /tmp/demo-run
    python -m rlhf_core evaluate --run-dir /tmp/demo-run
"""
