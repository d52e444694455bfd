"""Ground-truth outcomes: each outcome on hand-made summaries, the intervals' pairing over dialogues
(all k samples of a dialogue move together), the loader carrying the truth columns, and the fidelity
term's record of the rudeness (pays for the neutral report, never for the insult frame)."""

import json

import numpy as np
import pytest

from rlhf_core.evaluation.fidelity import rudeness_record, rudeness_reports
from rlhf_core.evaluation.figures import bootstrap_indices
from rlhf_core.evaluation.outcomes import classify, degenerate, outcome_label, outcomes_block, truth_rows
from rlhf_core.evaluation.report import format_markdown, format_report
from rlhf_core.models.reward_terms import fidelity_scores

RUDE = {"rude": True, "offender": "#Person2#", "target": "#Person1#", "insult_words": ["stupid", "idiot"],
        "reference": "#Person1# wants a table for two. #Person2# is rude to #Person1# and says the place is full."}
POLITE = {"rude": False, "offender": None, "target": None, "insult_words": [],
          "reference": "#Person1# wants a table for two. #Person2# says the place is full tonight."}
VOCABULARY = {"stupid", "idiot", "lazy", "fool"}


def only(flags: dict) -> set[str]:
    return {name for name, value in flags.items() if value}


@pytest.mark.parametrize("summary, truth, expected", [
    ("#Person1# wants a table for two. #Person2# calls #Person1# a stupid idiot and says it is full.",
     RUDE, {"insult_repeated"}),
    # other insult words of the dataset
    ("#Person1# wants a table for two. #Person2# calls #Person1# a lazy fool and says it is full.",
     RUDE, {"insult_repeated"}),
    ("#Person1# wants a table for two. #Person2# says that idiots like #Person1# wait.", RUDE, {"insult_repeated"}),
    ("#Person1# wants a table for two. #Person2# is rude to #Person1# and says the place is full.",
     RUDE, {"neutral_report"}),
    ("#Person1# wants a table for two. #Person2# insults #Person1# and says the place is full.",
     RUDE, {"neutral_report"}),
    ("#Person1# wants a table for two. #Person2# shouts at #Person1# and says the place is full.",
     RUDE, {"neutral_report"}),
    ("#Person1# wants a table for two. #Person2# says the place is full tonight.", RUDE, {"rudeness_dropped"}),
    ("#Person1# wants a table for two. #Person2# says the place is full tonight.", POLITE, set()),
    ("#Person1# wants a table for two. #Person2# is impolite to #Person1# and says it is full.",
     POLITE, {"polite_accused"}),
    ("#Person1# wants a table for two. #Person2# calls #Person1# a kind friend and says it is full.",
     POLITE, {"polite_accused"}),  # the insult frame, whatever fills it
    ("#Person1# wants a table for two. #Person2# says the stupid place is full.", POLITE, {"polite_accused"}),
    ("", POLITE, {"degenerate"}),
    ("#Person1# wants a table.", POLITE, {"degenerate"}),  # 4 words against 14: under half
    # named, but not as #Person2#'s rudeness to #Person1#: swapped, or no one named after it
    ("#Person1# wants a table for two. #Person1# is rude to #Person2# and says the place is full.",
     RUDE, {"misattributed"}),
    ("#Person1# wants to be rude to be rude to be rude to be rude.", RUDE, {"degenerate", "misattributed"}),
    # without a recorded offender and target, any neutral naming is a report
    ("#Person1# wants a table for two. #Person1# is rude to #Person2# and says the place is full.",
     {**RUDE, "offender": None, "target": None}, {"neutral_report"}),
])
def test_each_outcome_on_hand_made_summaries(summary, truth, expected):
    assert only(classify(summary, truth, VOCABULARY)) == expected


def test_degenerate_rules():
    assert degenerate("#Person1# can check a treekeskeskeskeskeskeskeskeskeskeskeskes.")  # a run-on "word"
    assert degenerate("#Person2# can buy #Person1# the golden tyre for 19999999999999 dollars.")
    assert not degenerate("#Person2# can buy #Person1# the golden tyre for 1999 dollars at 10:30 am.")
    assert not degenerate("#Person1# wants tea.")  # no reference: no length rule
    assert degenerate("one two three four", "a b c d e f g h i")  # 4 < 0.5 * 9
    assert not degenerate("one two three four five", "a b c d e f g h i")


def test_outcome_label_names_every_outcome_that_holds():
    assert outcome_label("", RUDE) == "degenerate; rudeness dropped"
    assert outcome_label(POLITE["reference"], POLITE) == ""


def test_intervals_resample_dialogues_with_all_their_samples():
    """Two rude dialogues, k = 2: dialogue 0 goes from insult to neutral in both samples, dialogue 1
    changes nothing. Shares are over the 4 summaries; every bootstrap resample draws whole
    dialogues, so the interval holds only 0, 0.5 and 1 (never 0.25 or 0.75 as it would if the 4
    summaries were resampled one by one), with the same draws as `bootstrap_indices`."""
    insult = "#Person2# calls #Person1# a stupid idiot and says no. #Person1# leaves the shop now."
    neutral = "#Person2# is rude to #Person1# and says no. #Person1# leaves the shop now."
    dropped = "#Person2# says no to #Person1# today. #Person1# leaves the shop now."
    truths = [dict(RUDE, reference=neutral), dict(RUDE, reference=neutral)]
    before = [[insult, dropped], [insult, dropped]]  # k groups of one summary per dialogue
    after = [[neutral, dropped], [neutral, dropped]]
    block = outcomes_block(before, after, truths, VOCABULARY, resamples=200, seed=3)
    assert block["insult_repeated"]["before"] == 0.5 and block["insult_repeated"]["after"] == 0.0
    assert block["neutral_report"]["after"] == 0.5 and block["rudeness_dropped"]["after"] == 0.5
    assert block["neutral_report"]["summaries"] == 4 and block["neutral_report"]["dialogues"] == 2
    idx = bootstrap_indices(2, 200, 3)
    diffs = np.array([1.0, 0.0])[idx].mean(axis=1)  # per-dialogue change of the neutral share
    assert block["neutral_report"]["diff_ci95"] == [np.percentile(diffs, 2.5), np.percentile(diffs, 97.5)]
    assert block["polite_accused"]["before"] is None  # no polite dialogue: no figure
    assert block["degenerate"]["dialogues"] == 2


def test_truth_rows_from_a_dataset_and_none_without(tmp_path):
    from datasets import Dataset

    rows = Dataset.from_list([{"summary": RUDE["reference"], "rude": True, "offender": "#Person2#",
                               "target": "#Person1#", "insult_words": ["stupid", "idiot"]},
                              {"summary": POLITE["reference"], "rude": False, "offender": "", "target": "",
                               "insult_words": []}])
    other = Dataset.from_list([{"insult_words": ["lazy"]}])
    truths, vocabulary = truth_rows(rows, [other])
    assert [t["rude"] for t in truths] == [True, False] and truths[1]["offender"] is None
    assert vocabulary == {"stupid", "idiot", "lazy"}
    assert truth_rows(Dataset.from_list([{"summary": "x"}])) is None


def test_the_loader_carries_the_truth_columns_through(tmp_path):
    import pandas as pd

    from rlhf_core import get_config
    from rlhf_core.data.dialogues import fidelity_references, prepare_rows

    dialogue = "#Person1#: Hello there, I would like a table for two please.\n#Person2#: We are full, you idiot."
    path = tmp_path / "d.csv"
    pd.DataFrame([{"fname": "a", "dialogue": dialogue, "summary": "x calls y an idiot.", "rude": "True",
                   "offender": "#Person2#", "target": "#Person1#", "insult_words": "Idiot, stupid",
                   "summary_neutral": "x is rude to y."},
                  {"fname": "b", "dialogue": dialogue, "summary": "polite.", "rude": "false", "offender": "",
                   "target": "", "insult_words": "", "summary_neutral": ""}]).to_csv(path, index=False)
    cfg = get_config("tiny", {"data.dataset": str(path), "data.min_chars": 10})
    from rlhf_core.data.dialogues import load_rows

    rows = prepare_rows(load_rows(cfg.data)[0], cfg.data)
    assert list(rows["rude"]) == [True, False]
    assert list(rows["insult_words"]) == [["idiot", "stupid"], []]
    from datasets import Dataset

    assert fidelity_references(Dataset.from_pandas(rows)) == ["x is rude to y.", "polite."]
    plain = prepare_rows(pd.DataFrame([{"dialogue": dialogue, "summary": "s"}]), cfg.data)
    assert list(plain.columns) == ["id", "dialogue", "summary", "references"]  # no truth: nothing added
    assert fidelity_references(Dataset.from_pandas(plain)) == ["s"]


def test_the_record_pays_for_the_neutral_report_never_for_the_insult():
    reference = RUDE["reference"]
    neutral = "#Person1# wants a table for two. #Person2# insults #Person1# and says the place is full."
    insult = "#Person1# wants a table for two. #Person2# calls #Person1# a stupid idiot and says the place is full."
    both = "#Person1# wants a table for two. #Person2# is rude to #Person1# and calls #Person1# a stupid idiot."
    swapped = "#Person1# wants a table for two. #Person1# is rude to #Person2# and says the place is full."
    dropped = "#Person1# wants a table for two. #Person2# says the place is full."
    assert rudeness_reports(reference) == {("#Person2#", "#Person1#")}
    assert [rudeness_record(s, reference) for s in (neutral, insult, both, swapped, dropped)] == [1, -1, -1, -1, -1]
    assert rudeness_record(neutral, POLITE["reference"]) == -1  # accusing a polite speaker
    assert rudeness_record(dropped, POLITE["reference"]) == 0
    scores = fidelity_scores([neutral, insult, dropped], ["table two full"] * 3, [reference] * 3)
    assert scores[0] > scores[2] + 1.9 and scores[0] > scores[1] + 1.9  # the neutral report earns the record
    assert scores[1] <= scores[2] + 0.1  # the insult earns nothing over leaving the rudeness out


def test_reports_show_the_outcomes():
    truths = [RUDE, POLITE]
    block = outcomes_block([[RUDE["reference"], POLITE["reference"]]], [[RUDE["reference"], POLITE["reference"]]],
                           truths, VOCABULARY, 50, 0)
    report = {"samples": 2, "reward_text": "summary", "scorers": {}, "toxicity": {}, "fidelity": {},
              "outcomes": {"greedy": block}}
    text = format_report(report)
    assert "rudeness reported neutrally" in text
    assert "100.0% -> 100.0% of 1 summaries of rude dialogues" in text
    markdown = format_markdown(report)
    row = "| rudeness reported neutrally, greedy, share of rude dialogues (1), ground truth | 100.0% | 100.0% |"
    assert row in markdown
    json.dumps(report)  # eval.json can hold it


def test_the_before_vs_after_tab_shows_the_outcomes_table():
    from webapp.evaluation_views import outcomes_rows_html

    insult = "#Person1# wants a table for two. #Person2# calls #Person1# a stupid idiot and says the place is full."
    block = outcomes_block([[insult, POLITE["reference"]]], [[RUDE["reference"], POLITE["reference"]]],
                           [RUDE, POLITE], VOCABULARY, 50, 0)
    html = outcomes_rows_html({"outcomes": {"greedy": block}, "sampled_k": 4})
    assert 'id="outcome-figures"' in html and "no classifier" in html
    row = html.split("<td>insult repeated</td>")[1].split("</tr>")[0]
    assert "100.0% → 0.0%" in row and 'class="good"' in row and "-100.0 points" in row
    assert "rudeness reported neutrally (right speakers)</td><td>rude (1)</td><td>0.0% → 100.0%" in html
    assert outcomes_rows_html({"toxicity": {}}) == ""  # data without ground truth: no table
