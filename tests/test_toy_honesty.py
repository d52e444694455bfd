"""The demo tells the truth: on the toy presets, Your dialogue says when a dialogue lies outside the
demo's world before any score, flags a collapsed summary instead of showing it as a win, names the
classifier behind each score, and every tab carries the toy notice."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from rlhf_core.models.summarizer import Summary
from rlhf_core.prep import synthetic_words
from webapp import compare, tab_views, views
from webapp.compare import DialogueComparison, collapse_reason
from webapp.examples import DEMO_EXAMPLES, FOREIGN_THRESHOLD, OUTSIDE_THRESHOLD, _strings, text_words, world_check

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "checkpoints" / "demo" / "dialogues.jsonl"
needs_demo = pytest.mark.skipif(not (ROOT / "checkpoints" / "demo" / "policy").is_dir(),
                                reason="the demo checkpoints are not built")

ENGLISH = (
    "#Person1#: Did you watch the match between the two rival teams last night?\n"
    "#Person2#: I missed it. My sister dragged me to a gallery opening downtown.\n"
    "#Person1#: Seriously? The striker scored twice in the final ten minutes.\n"
    "#Person2#: Unbelievable. Was the referee fair this time?\n"
    "#Person1#: Mostly, although the crowd booed a penalty decision.\n"
    "#Person2#: I should record the highlights before the weekend.\n"
    "#Person1#: Let's watch the replay together on Sunday afternoon.\n"
    "#Person2#: Deal. I'll bring snacks and some lemonade.")
ENGLISH_2 = (
    "#Person1#: Our landlord finally answered about the leaking ceiling in the kitchen.\n"
    "#Person2#: What did he say? The stain has grown enormous since March.\n"
    "#Person1#: He promised a plumber would inspect the pipes on Wednesday morning.\n"
    "#Person2#: Good. Meanwhile we should move the cupboard away from the wall.\n"
    "#Person1#: Agreed. Could you also photograph the damage for the insurance claim?\n"
    "#Person2#: Sure, I'll upload the pictures tonight.")
GERMAN = (
    "#Person1#: Guten Abend! Hast du heute schon etwas gegessen?\n"
    "#Person2#: Nein, noch nicht. Ich war den ganzen Tag im Büro und bin sehr müde.\n"
    "#Person1#: Wollen wir zusammen in das kleine Restaurant an der Ecke gehen?\n"
    "#Person2#: Gerne. Die Suppe dort schmeckt wirklich gut.\n"
    "#Person1#: Dann treffen wir uns um acht Uhr vor dem Bahnhof.\n"
    "#Person2#: Perfekt, bis später!")
GERMAN_2 = (
    "#Person1#: Entschuldigung, wo finde ich den Zug nach München?\n"
    "#Person2#: Gleis drei, aber der Zug hat leider zwanzig Minuten Verspätung.\n"
    "#Person1#: Schade. Gibt es hier ein Café, wo ich warten kann?\n"
    "#Person2#: Ja, gleich neben dem Eingang gibt es eins.")
LOOP = "#Person1# calls #Person2# a calls #Person1# a calls #Person1# a calls #Person1# a calls #Person1#"


def corpus_rows() -> list[dict]:
    return [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- the thresholds, measured ------------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_file(), reason="the demo corpus is not built")
def test_the_thresholds_part_held_out_corpus_dialogues_from_english_and_german_ones():
    rows = corpus_rows()
    lists = _strings([v for k, v in vars(synthetic_words).items() if k.isupper()])
    vocabulary = frozenset(w for t in lists + [t for r in rows[:400] for t in (r["dialogue"], r["summary"])]
                           for w in text_words(t))
    held_out = [world_check(r["dialogue"], vocabulary) for r in rows[400:]]
    assert max(c.outside_share for c in held_out) < 0.05 and not any(c.outside for c in held_out)
    assert max(c.foreign_share for c in held_out) < 0.05
    for dialogue in (ENGLISH, ENGLISH_2):  # ordinary English: outside the world, but English
        check = world_check(dialogue, vocabulary)
        assert 0.35 < check.outside_share < 0.5 and check.outside_share > 2 * OUTSIDE_THRESHOLD
        assert check.outside and not check.foreign and check.foreign_share < FOREIGN_THRESHOLD - 0.15
    for dialogue in (GERMAN, GERMAN_2):
        check = world_check(dialogue, vocabulary)
        assert check.outside and check.foreign and check.foreign_share > 0.9
    assert not any(world_check(e.dialogue).outside for e in DEMO_EXAMPLES)


@pytest.mark.skipif(not CORPUS.is_file(), reason="the demo corpus is not built")
def test_no_reference_summary_of_the_corpus_counts_as_collapsed():
    assert [r["fname"] for r in corpus_rows() if collapse_reason(r["summary"], r["dialogue"])] == []


def test_a_looping_short_or_contentless_summary_is_collapsed():
    dialogue = DEMO_EXAMPLES[0].dialogue
    before = "#Person1# has a reservation for a double room for two nights. #Person2# gives room 204 and the key."
    assert collapse_reason(before, dialogue) is None and collapse_reason(before, dialogue, before) is None
    assert "loop" in collapse_reason(LOOP, dialogue, before)
    assert "under half" in collapse_reason("#Person1# wants to buy a modern room key.", dialogue, before)
    assert "only 4 word" in collapse_reason("#Person1# wants to buy.", dialogue)
    assert "content words" in collapse_reason("#Person1# orders pasta and salad with lemonade at noon.", dialogue)


# --- Your dialogue's view ------------------------------------------------------------------------


def comparison(dialogue: str, after: Summary | None, after_collapse: str | None = None) -> DialogueComparison:
    return DialogueComparison(before=Summary("#Person1# calls #Person2# a clueless moron.", -1.8, 0.976),
                              after=after, after_run="r" if after else None, truncated=False, max_prompt_tokens=512,
                              world=world_check(dialogue), after_collapse=after_collapse)


@pytest.mark.parametrize("dialogue", [ENGLISH, GERMAN])
def test_a_dialogue_outside_the_world_gets_the_notice_first_and_no_green_chip(dialogue):
    notes, _, before_card, _, after_card = tab_views.dialogue_view(
        comparison(dialogue, Summary("#Person1# wants to buy a modern", 1.8, 0.023)))
    assert notes.startswith('<div class="warn outside-world">') and "Outside the demo" in notes
    assert ("not look like English" in notes) == (dialogue is GERMAN)
    for card in (before_card, after_card):
        assert "tox-low" not in card and "tox-high" not in card and "tox-void" in card
        assert views.NOT_MEANINGFUL in card


def test_a_looping_after_summary_is_flagged_collapsed_not_green():
    _, _, _, _, card = tab_views.dialogue_view(
        comparison(DEMO_EXAMPLES[0].dialogue, Summary(LOOP, 1.8, 0.02), collapse_reason(LOOP, "")))
    assert 'class="collapsed-badge"' in card and "loop" in card and "tox-low" not in card
    assert views.NOT_MEANINGFUL not in card  # an example of the demo's world: its scores count


def test_each_score_names_its_classifier():
    card = views.score_html(Summary("#Person1# books a room.", 2.0, 0.05), "Before RLHF")
    assert card.count("· reward model</span>") == 2 and "PPO optimised" in card and "judge" in card
    assert "tox-low" in card  # a plain win on a dialogue of the demo's world stays green


@needs_demo
def test_on_the_demo_preset_english_and_german_get_the_notice_and_a_corpus_dialogue_does_not(monkeypatch):
    from rlhf_core import get_config
    from webapp.shared_models import models_for

    models = models_for(get_config("demo"))
    monkeypatch.setattr(compare, "startup", lambda: SimpleNamespace(models=models))
    for dialogue in (ENGLISH, GERMAN):
        result = compare.compare_dialogue(dialogue)
        assert result.outside
        notes, _, before_card, _, _ = tab_views.dialogue_page(dialogue, None)
        assert "Outside the demo" in notes and "tox-low" not in before_card and views.NOT_MEANINGFUL in before_card
    inside = corpus_rows()[-1]["dialogue"]
    result = compare.compare_dialogue(inside)
    assert result.world is not None and not result.outside
    notes, _, before_card, _, _ = tab_views.dialogue_page(inside, None)
    assert "Outside the demo" not in notes and views.NOT_MEANINGFUL not in before_card


# --- the toy notice on every tab ----------------------------------------------------------------------


@pytest.mark.parametrize("preset", ["demo", "tiny"])
def test_every_tab_carries_the_toy_notice_at_its_top(app_module, monkeypatch, preset):
    from webapp import startup as server_startup

    monkeypatch.setattr(server_startup, "startup_plan", lambda: server_startup.StartupPlan(preset, preset))
    config = app_module.build_app().config
    components = {c["id"]: c for c in config["components"]}

    def first_leaf(node):
        children = node.get("children") or []
        return node["id"] if not children else first_leaf(children[0])

    def find(node, elem_id):
        if components.get(node["id"], {}).get("props", {}).get("elem_id") == elem_id:
            return node
        return next((n for c in node.get("children") or [] if (n := find(c, elem_id))), None)

    line = views.TOY_LINES[preset]
    for tab in ("train", "compare", "dialogue", "runs"):
        top = components[first_leaf(find(config["layout"], f"tab-{tab}"))]
        assert top["props"]["elem_id"] == f"toy-notice-{tab}", tab
        assert line.replace("'", "&#x27;") in top["props"]["value"] or line in top["props"]["value"]
    assert views.toy_notice_html("flan-t5-base") == ""
