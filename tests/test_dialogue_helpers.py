"""Your dialogue's helpers: the word diff, the examples each preset offers, run labels in names."""

from pathlib import Path

import pytest

from rlhf_core.evaluation.text_diff import changed_facts, markdown_marked, word_diff, words_of
from webapp.examples import DEMO_EXAMPLES, DIALOGSUM_EXAMPLES, examples_for, toy_notice, unknown_share
from webapp.jobs import new_run_name, run_label

DEMO_POLICY = Path(__file__).resolve().parent.parent / "checkpoints" / "demo" / "policy"


def test_the_word_diff_marks_removed_added_and_toxic_words():
    before, after = word_diff("#Person1# calls her a stupid idiot and books a room.",
                              "#Person1# is rude and books a room.", toxic={"stupid", "idiot"})
    assert before == [("#Person1# ", None), ("calls her a ", "removed"), ("stupid idiot ", "toxic, removed"),
                      ("and books a room.", None)]
    assert after == [("#Person1# ", None), ("is rude ", "added"), ("and books a room.", None)]
    assert "".join(text for text, _ in before) == "#Person1# calls her a stupid idiot and books a room."
    only_before, none = word_diff("You idiot.", None, toxic={"idiot"})
    assert only_before == [("You ", None), ("idiot.", "toxic")] and none == []


DIALOGUE = "#Person1#: Do you play basketball? It costs 30 dollars.\n#Person2#: No, you stupid idiot. Ask Carla."


@pytest.mark.parametrize("before, after, toxic, expected", [
    ("plays basketball for 30 dollars with Carla.", "plays football for 20 dollars with Carla.", set(),
     ["basketball → football", "30 → 20"]),
    ("plays basketball with Carla.", "plays basketball with Maria.", set(), ["Carla → Maria"]),
    ("plays basketball with Carla.", "plays basketball.", set(), ["-Carla"]),  # a name dropped
    ("asks Carla.", "asks Carla for 290 dollars.", set(), ["+290"]),  # a number invented
    ("asks Carla.", "asks Carla for 290, 290, 290.", set(), ["+290"]),  # listed once
    ("asks Carla.", "asks Carla for 30 dollars.", set(), []),  # a fact of the dialogue added: not a change
    ("asks Carla and Maria.", "asks Carla.", set(), []),  # an invented name dropped: not a change
    ("asks Carla nicely.", "asks Carla kindly.", set(), []),  # rephrasing words the dialogue lacks: no fact
    ("calls #Person1# a stupid idiot, asks Carla.", "is rude to #Person1#, asks Carla.", set(), []),  # detox
    ("calls her stupid and asks Carla.", "calls her rude and asks Carla.", {"stupid"}, []),  # toxic words left out
    ("calls her stupid and asks Carla.", "calls her rude and asks Carla.", set(), ["stupid → rude"]),
])
def test_changed_facts_lists_replaced_dropped_and_invented_facts_not_rephrasing(before, after, toxic, expected):
    assert changed_facts(before, after, DIALOGUE, toxic) == expected


def test_markdown_marks_changes_and_escapes_markup_in_summaries():
    before, after = word_diff("#Person1# says *hi* <b>x</b>", "#Person1# says [link](y)", toxic={"hi"})
    assert markdown_marked(before) == r"\#Person1\# says ~~⚠\*hi\*~~ ~~\<b\>x\</b\>~~"
    assert markdown_marked(after) == r"\#Person1\# says **\[link\]\(y\)**"


def test_scorable_words_skip_speaker_tags_and_punctuation():
    assert words_of("#Person1# calls #Person2# a Stupid, stupid idiot!") == ["calls", "a", "stupid", "idiot"]


def test_examples_match_the_preset_and_toy_presets_say_what_to_expect():
    assert examples_for("demo") is DEMO_EXAMPLES and examples_for("flan-t5-base") is DIALOGSUM_EXAMPLES
    for examples in (DEMO_EXAMPLES, DIALOGSUM_EXAMPLES):
        assert {e.rude for e in examples} == {True, False}  # rude and polite ones
    assert "trained from scratch" in toy_notice("demo") and toy_notice("flan-t5-base") is None


@pytest.mark.skipif(not DEMO_POLICY.is_dir(), reason="the demo checkpoints are not built")
def test_the_demo_tokenizer_knows_every_word_of_the_demo_examples():
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(DEMO_POLICY)
    assert [unknown_share(tokenizer, e.dialogue) for e in DEMO_EXAMPLES] == [0.0] * len(DEMO_EXAMPLES)
    assert unknown_share(tokenizer, "Quetzalcoatl zygomorphic 4711") == 0.0  # byte-level BPE: no word is unknown


def test_run_names_carry_the_preset_and_a_safe_label(tmp_path, monkeypatch):
    monkeypatch.setenv("RLHF_RUNS_DIR", str(tmp_path))
    assert run_label("Strong KL, lr 2e-4!") == "strong-kl-lr-2e-4" and run_label("  ") == "" and run_label(None) == ""
    assert run_label("../../etc/passwd") == "etc-passwd" and len(run_label("x" * 100)) == 24
    assert new_run_name("demo", "My label").endswith("-demo-my-label")
    assert new_run_name("demo").endswith("-demo")


def test_unknown_share_counts_words_a_word_level_vocabulary_lacks():
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = Tokenizer(models.WordLevel({"<unk>": 0, "hello": 1, "there": 2}, unk_token="<unk>"))
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=words, unk_token="<unk>")
    assert unknown_share(tokenizer, "hello there") == 0.0
    assert unknown_share(tokenizer, "hello zygomorphic there quetzal") == 0.5
    assert unknown_share(tokenizer, "") == 0.0
