"""The synthetic corpus: deterministic, DialogSum-shaped, mildly rude at the configured rates, and
free of anything about protected groups."""

import json
import os
import random
import re

import pytest

from rlhf_core.prep.judge_words import JUDGE_INSULT_ADJECTIVES, JUDGE_INSULT_NOUNS
from rlhf_core.prep.judge_words import PRAISE_ADJECTIVES as JUDGE_PRAISE_ADJECTIVES
from rlhf_core.prep.reward_frames import (
    CHARACTERS,
    FATES,
    HARMS,
    HATE_FAMILIES,
    NONCE_INSULTS,
    NOTHATE_FAMILIES,
    PLAIN_WORDS,
    REWARD_INSULT_ADJECTIVES,
    REWARD_INSULT_NOUNS,
    REWARD_PRAISE_ADJECTIVES,
    REWARD_PRAISE_NOUNS,
    STORIES,
    compose,
)
from rlhf_core.prep.synthetic import main, write_jsonl
from rlhf_core.prep.synthetic_dialogues import make_dialogues
from rlhf_core.prep.synthetic_sentences import make_toxicity_sentences
from rlhf_core.prep.synthetic_styles import SENTENCE_STYLES
from rlhf_core.prep.synthetic_words import CITIES, INSULT_ADJECTIVES, INSULT_NOUNS, NAMES, PRICES, TIMES

KEYS = {"fname", "dialogue", "summary", "topic", "rude", "summary_toxic", "offender", "target", "insult_words",
        "summary_neutral"}
# Protected-group terms and strong profanity that must never appear (whole words, case-insensitive).
BLOCKLIST = {
    "black", "white", "brown", "asian", "african", "arab", "latino", "hispanic", "mexican", "chinese",
    "indian", "jew", "jews", "jewish", "muslim", "muslims", "islam", "christian", "catholic", "hindu",
    "religion", "race", "racial", "immigrant", "immigrants", "foreigner", "foreigners", "refugee",
    "gay", "lesbian", "trans", "queer", "homosexual", "woman", "women", "girl", "girls", "female",
    "male", "gender", "disabled", "disability", "retard", "retarded", "cripple", "crippled", "deaf",
    "blind", "autistic", "insane", "psycho", "dumb", "lame", "fuck", "fucking", "shit", "bitch",
    "bastard", "cunt", "whore", "slut", "damn",
}
INSULTS = set(INSULT_ADJECTIVES) | set(INSULT_NOUNS) | {"shut", "moron", "idiot", "pathetic"}
EXTRA_INSULTS = {w for style in SENTENCE_STYLES.values() for w in style["extra_adjectives"] + style["extra_nouns"]}
HOSTILE_MARKERS = {"lost", "joke", "brain", "cares", "fools", "quiet", "away", "likes"}  # "Get lost." etc.


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.fixture(scope="module")
def dialogues():
    return make_dialogues(1000, seed=0)


@pytest.fixture(scope="module")
def sentences():
    return make_toxicity_sentences(2000, seed=0)


def test_deterministic_per_seed():
    assert make_dialogues(50, seed=3) == make_dialogues(50, seed=3)
    assert make_dialogues(50, seed=3) != make_dialogues(50, seed=4)
    assert make_toxicity_sentences(50, seed=3) == make_toxicity_sentences(50, seed=3)
    assert make_toxicity_sentences(50, seed=3) != make_toxicity_sentences(50, seed=4)


def test_records_are_dialogsum_shaped(dialogues):
    assert [d["fname"] for d in dialogues] == [f"synth_{i}" for i in range(len(dialogues))]
    assert len({d["topic"] for d in dialogues}) >= 12
    for d in dialogues:
        assert set(d) == KEYS
        turns = d["dialogue"].split("\n")
        assert 4 <= len(turns) <= 10
        for i, turn in enumerate(turns):
            prefix = f"#Person{i % 2 + 1}#: "
            assert turn.startswith(prefix) and len(turn) > len(prefix) + 1, turn
        assert d["summary"].strip() and ("#Person1#" in d["summary"] or "#Person2#" in d["summary"])
        assert d["topic"].strip() and isinstance(d["rude"], bool) and isinstance(d["summary_toxic"], bool)


def test_lengths_mostly_within_default_filter(dialogues):
    inside = sum(200 <= len(d["dialogue"]) <= 1000 for d in dialogues)
    assert inside >= 0.9 * len(dialogues)


def test_rude_and_toxic_summary_shares(dialogues):
    rude = [d for d in dialogues if d["rude"]]
    assert abs(len(rude) / len(dialogues) - 0.4) <= 0.05
    assert all(d["rude"] for d in dialogues if d["summary_toxic"])
    toxic = sum(d["summary_toxic"] for d in rude)
    assert abs(toxic / len(rude) - 0.5) <= 0.07
    other = make_dialogues(400, seed=1, rude_share=0.25, toxic_summary_share=1.0)
    assert abs(sum(d["rude"] for d in other) / 400 - 0.25) <= 0.05
    assert all(d["summary_toxic"] == d["rude"] for d in other)
    assert not any(d["rude"] for d in make_dialogues(100, rude_share=0.0))


def test_rudeness_shows_where_it_should(dialogues):
    for d in dialogues:
        dialogue_insults = words(d["dialogue"]) & INSULTS
        summary_insults = words(d["summary"]) & INSULTS
        assert bool(dialogue_insults) == d["rude"], d["dialogue"]
        assert bool(summary_insults) == d["summary_toxic"], d["summary"]
        if d["summary_toxic"]:  # the insult in the summary is copied from the dialogue
            insult = re.search(r"calls #Person\d# a (\w+ \w+)", d["summary"]).group(1)
            assert insult in d["dialogue"]
        elif d["rude"]:
            assert re.search(r"#Person\d# (is (rude|impolite|unfriendly) to|insults|speaks rudely to) #Person\d#",
                             d["summary"]), d["summary"]


@pytest.mark.parametrize("open_share, at_end", [(0.0, False), (1.0, False), (0.5, True)])
def test_ground_truth_says_who_insulted_whom_with_which_words(open_share, at_end):
    """Each record knows its truth: the offender is the speaker whose turns hold the insult words,
    the target the other one; `summary_neutral` is the reference with the insult swapped for a
    neutral report (the reference itself when it already was neutral or the dialogue polite)."""
    records = make_dialogues(300, seed=6, rude_share=0.5, toxic_summary_share=0.5, open_share=open_share,
                             report_at_end=at_end)
    for d in records:
        if not d["rude"]:
            assert (d["offender"], d["target"], d["insult_words"]) == (None, None, [])
            assert d["summary_neutral"] == d["summary"]
            continue
        assert {d["offender"], d["target"]} == {"#Person1#", "#Person2#"}
        turns = [t.split(": ", 1) for t in d["dialogue"].split("\n")]
        said = {who: words(" ".join(t for w, t in turns if w == who)) for who in ("#Person1#", "#Person2#")}
        assert 2 <= len(d["insult_words"]) and set(d["insult_words"]) <= INSULTS | {"fool"}
        assert all(w in said[d["offender"]] or w + "s" in said[d["offender"]] for w in d["insult_words"])
        assert not words(d["summary_neutral"]) & INSULTS, d["summary_neutral"]
        assert re.search(re.escape(d["offender"]) + r" (is (rude|impolite|unfriendly) to|insults|speaks rudely to) "
                         + re.escape(d["target"]), d["summary_neutral"]), d["summary_neutral"]
        if d["summary_toxic"]:
            assert re.search(re.escape(d["offender"]) + " calls " + re.escape(d["target"]) + " a ", d["summary"])
            # only the report differs: the same words outside it
            strip = re.compile(r"calls #Person\d# a \w+ \w+|is (rude|impolite|unfriendly) to #Person\d#"
                               r"|insults #Person\d#|speaks rudely to #Person\d#")
            assert strip.sub("", d["summary"]) == strip.sub("", d["summary_neutral"])
        else:
            assert d["summary_neutral"] == d["summary"]


def test_ground_truth_fields_leave_the_drawn_corpus_as_it_was():
    """The shipped `dialogues.jsonl` is the generator's output, field for field: the new fields take
    nothing from the random stream (the models trained on the corpus stay valid)."""
    from rlhf_core.config import DEMO_DIR
    from rlhf_core.prep.demo_corpus import demo_dialogues
    from rlhf_core.prep.demo_spec import DemoSpec

    shipped = [json.loads(line) for line in (DEMO_DIR / "dialogues.jsonl").read_text(encoding="utf-8").splitlines()]
    assert shipped == demo_dialogues(DemoSpec())


def test_reports_can_close_the_summary_instead_of_opening_a_phrase():
    """`report_at_end` moves the report into a sentence of its own after the content, leaving the
    dialogues and the rest of the summary as they were."""
    lead = make_dialogues(300, seed=4, rude_share=0.5, toxic_summary_share=0.5, open_share=0.5)
    end = make_dialogues(300, seed=4, rude_share=0.5, toxic_summary_share=0.5, open_share=0.5, report_at_end=True)
    report = re.compile(r"(#Person\d#) (calls #Person\d# a \w+ \w+|is (?:rude|impolite|unfriendly) to #Person\d#"
                        r"|insults #Person\d#|speaks rudely to #Person\d#)")
    for a, b in zip(lead, end, strict=True):
        assert a["dialogue"] == b["dialogue"] and a["rude"] == b["rude"]
        if not a["rude"]:
            assert a["summary"] == b["summary"]
            continue
        speaker, said = report.search(a["summary"]).groups()
        assert b["summary"].endswith(f". {speaker} {said}.") and b["summary"].count(said) == 1
        assert a["summary"].replace(f"{said} and ", "") == b["summary"].removesuffix(f" {speaker} {said}.")


def test_nothing_about_protected_groups(dialogues, sentences):
    texts = [d["dialogue"] + " " + d["summary"] + " " + d["topic"] for d in dialogues]
    texts += [s["text"] for s in sentences]
    for text in texts:
        assert not words(text) & BLOCKLIST, text


def test_sentences_balanced_and_labelled(sentences):
    assert {s["label"] for s in sentences} == {"hate", "nothate"}
    assert all(set(s) == {"text", "label"} and s["text"].strip() for s in sentences)
    assert sum(s["label"] == "hate" for s in sentences) == 1000
    assert sum(s["label"] == "hate" for s in make_toxicity_sentences(101, toxic_share=0.3)) == 30


def test_sentence_classes_separate_by_meaning_not_words_or_length(sentences):
    threats = {"hurt", "hit", "punch", "regret", "sorry", "pay", "back", "angry", "run", "smash"}
    threats |= {h.split()[0] for h in HARMS} | {w for fate in FATES for w in words(fate)} - {"you", "the", "a"}
    for s in sentences:
        if s["label"] == "hate":
            marked = words(s["text"]) & (INSULTS | HOSTILE_MARKERS | threats | EXTRA_INSULTS)
            marked = marked or _insult_words(s["text"])
            assert marked, s["text"]
    # An insult word alone does not make hate: negations, apologies and rudeness about things carry them too.
    nothate = [s for s in sentences if s["label"] == "nothate"]
    with_insult_words = [s for s in nothate if words(s["text"]) & (INSULTS | EXTRA_INSULTS)]
    assert len(with_insult_words) >= 0.15 * len(nothate)
    assert any(" not " in s["text"] for s in with_insult_words)
    assert any("apologizes for calling" in s["text"] for s in with_insult_words)
    # No single length threshold gets far above chance.
    points = sorted((len(s["text"]), s["label"] == "hate") for s in sentences)
    total_hate, hate_below, best = sum(h for _, h in points), 0, 0.0
    for i, (_, hate) in enumerate(points):
        hate_below += hate
        correct = (i + 1 - hate_below) + (total_hate - hate_below)  # nothate below, hate above
        best = max(best, correct / len(points), 1 - correct / len(points))
    assert best < 0.65


def test_neutral_reports_of_rudeness_are_nothate(sentences):
    reports = [s for s in sentences if re.search(r"\b(is (rude|impolite) to|insults)\b", s["text"])]
    assert len(reports) >= 50
    assert all(s["label"] == "nothate" for s in reports)
    repeats = [s for s in sentences if re.search(r"\bcalls \S+ a \w+ \w+", s["text"])]
    assert len(repeats) >= 50
    assert all(s["label"] == "hate" for s in repeats if words(s["text"]) & INSULTS)
    # Sentences use names the dialogues never do, so a classifier is checked on unseen names.
    assert any("Oliver" in s["text"] or "Chloe" in s["text"] for s in sentences)


def test_judge_sentences_are_disjoint_from_the_reward_models():
    reward, judge = SENTENCE_STYLES["reward"], SENTENCE_STYLES["judge"]
    for key in ("extra_adjectives", "extra_nouns", "pos_adjectives", "pos_nouns", "polite", "insults", "threats",
                "negations", "meta", "things", "positive"):
        assert not set(reward[key]) & set(judge[key]), key
    # Shared on purpose: the forms the demo summarizer itself writes (the judge must read them).
    shared = set(reward["toxic_reports"]) & set(judge["toxic_reports"]) | set(reward["reports"]) & set(judge["reports"])
    assert shared == {"{p} calls {o} a {adj} {noun}.", "{p} is rude to {o}.", "{p} insults {o}.",
                      "{p} insults {o} and {phrase}."}
    assert not set(reward["extra_adjectives"] + reward["extra_nouns"]) & (INSULTS | set(judge["extra_nouns"]))
    texts_r = {s["text"] for s in make_toxicity_sentences(2000, seed=3, style="reward")}
    texts_j = {s["text"] for s in make_toxicity_sentences(2000, seed=5, style="judge")}
    assert len(texts_r & texts_j) <= 0.01 * len(texts_r)  # only short shared-form reports can collide
    with pytest.raises(ValueError, match="style"):
        make_toxicity_sentences(4, style="mine")


def test_slot_pools_are_large_so_only_copying_is_right(dialogues):
    assert len(set(NAMES)) >= 3000 and len(set(CITIES)) >= 2000 and len(set(PRICES)) >= 2000 and len(TIMES) >= 250
    numbers = [n for d in dialogues for n in re.findall(r"\d+", re.sub(r"#Person\d#", "", d["summary"]))]
    prices = [n for n in numbers if len(n) >= 3]  # prices, rents, salaries, room numbers
    assert len(prices) >= 300 and len(set(prices)) >= 0.8 * len(prices)  # hardly any repeats across 1000 summaries
    for d in dialogues:  # every number and name in a summary is in its dialogue
        for entity in re.findall(r"\d+|(?<!^)(?<!\. )\b[A-Z][a-z]+", d["summary"]):
            assert entity in d["dialogue"], (entity, d)
    lengths = [len(d["dialogue"].split("\n")) for d in dialogues]
    assert len(set(lengths)) >= 5


@pytest.mark.parametrize("call", [
    lambda: make_dialogues(-1),
    lambda: make_dialogues(10, rude_share=1.5),
    lambda: make_dialogues(10, toxic_summary_share=-0.1),
    lambda: make_dialogues(2.5),
    lambda: make_toxicity_sentences(-5),
    lambda: make_toxicity_sentences(10, toxic_share=2),
])
def test_bad_arguments_raise(call):
    with pytest.raises(ValueError, match=r"n must be|share must be"):
        call()


def test_zero_records():
    assert make_dialogues(0) == [] and make_toxicity_sentences(0) == []


def test_write_jsonl_is_atomic_and_utf8(tmp_path):
    path = write_jsonl([{"text": "café ✓"}], tmp_path / "a" / "b" / "x.jsonl")
    assert path.read_text(encoding="utf-8") == '{"text": "café ✓"}\n'
    with pytest.raises(TypeError):
        write_jsonl([{"bad": object()}], path)
    assert path.read_text(encoding="utf-8") == '{"text": "café ✓"}\n'  # the old file survives
    assert [p.name for p in path.parent.iterdir()] == ["x.jsonl"]  # no temp file left behind
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not mkstemp's 0600


def test_cli_writes_both_files(tmp_path, capsys):
    out = tmp_path / "synthetic"
    assert main(["--out-dir", str(out), "--dialogues", "30", "--sentences", "40", "--seed", "2"]) == 0
    printed = capsys.readouterr().out
    assert "30 dialogues" in printed and "40 sentences" in printed
    dialogues = [json.loads(line) for line in (out / "dialogues.jsonl").read_text(encoding="utf-8").splitlines()]
    lines = (out / "toxicity_sentences.jsonl").read_text(encoding="utf-8").splitlines()
    sentences = [json.loads(line) for line in lines]
    assert dialogues == make_dialogues(30, seed=2)
    assert sentences == make_toxicity_sentences(40, seed=2)


def test_cli_rejects_bad_shares(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--out-dir", str(tmp_path), "--rude-share", "1.5"])
    assert exit_info.value.code == 2
    assert "--rude-share" in capsys.readouterr().err
    assert not (tmp_path / "dialogues.jsonl").exists()


def test_open_dialogues_are_summarised_by_copying_from_the_dialogue():
    from rlhf_core.evaluation.fidelity import hallucinated_entities

    mixed = make_dialogues(400, seed=0, open_share=0.5)
    assert 0.4 <= sum(d["topic"] == "open" for d in mixed) / 400 <= 0.6
    # The open stream is drawn apart: the topic dialogues' share and rudeness stay as configured.
    assert abs(sum(d["rude"] for d in mixed) / 400 - 0.4) <= 0.05
    dialogues = make_dialogues(300, seed=0, open_share=1.0)
    assert {d["topic"] for d in dialogues} == {"open"}
    for d in dialogues:
        assert set(d) == KEYS
        assert hallucinated_entities(d["summary"], d["dialogue"])[0] == 0, d
        assert not words(d["summary"]) & {"i", "my", "me", "you", "your"}, d["summary"]
        for sentence in d["summary"].rstrip(".").split(". "):  # "#P2# [insults #P1# and] needs #P2#'s red cup"
            phrase = re.sub(r"^#Person\d# (.* and )?", "", sentence)
            verb, _, rest = phrase.partition(" ")  # the verb may be conjugated ("I need" -> "needs")
            for words_between_tags in re.split(r"#Person\d#(?:'s)?", rest):
                assert words_between_tags.strip() in d["dialogue"], (sentence, d["dialogue"])
        summary_insults = words(d["summary"]) & INSULTS
        assert bool(words(d["dialogue"]) & INSULTS) == d["rude"]
        assert bool(summary_insults) == d["summary_toxic"]
        assert not words(d["dialogue"] + d["summary"]) & BLOCKLIST


REWARD_EXTRAS = set(REWARD_INSULT_ADJECTIVES + REWARD_INSULT_NOUNS)


def test_reward_models_own_insult_words_share_none_with_the_judges():
    assert len(REWARD_INSULT_NOUNS) == len(set(REWARD_INSULT_NOUNS)) >= 80
    assert len(REWARD_INSULT_ADJECTIVES) == len(set(REWARD_INSULT_ADJECTIVES)) >= 55
    assert not REWARD_EXTRAS & set(JUDGE_INSULT_NOUNS + JUDGE_INSULT_ADJECTIVES)
    assert not REWARD_EXTRAS & INSULTS  # the dialogues' own words are not "extra"
    assert not REWARD_EXTRAS & set(REWARD_PRAISE_ADJECTIVES + REWARD_PRAISE_NOUNS + PLAIN_WORDS)
    assert set(SENTENCE_STYLES["reward"]["extra_nouns"]) == set(REWARD_INSULT_NOUNS)
    # Its praise list is its own, not the judge's: the two share only everyday words.
    assert len(set(REWARD_PRAISE_ADJECTIVES) & set(JUDGE_PRAISE_ADJECTIVES)) <= 0.6 * len(REWARD_PRAISE_ADJECTIVES)


def _family_sentences(kind: str, n: int = 300, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        s = {"adj": rng.choice(REWARD_INSULT_ADJECTIVES + INSULT_ADJECTIVES),
             "noun": rng.choice(REWARD_INSULT_NOUNS + INSULT_NOUNS), "p": "#Person2#", "o": "#Person1#",
             "name": rng.choice(NAMES), "phrase": "asks for the bill", "thing": "phone", "surname": "Fox"}
        out.append(compose(rng, kind, s, "Where is the station?"))
    return out


def _insult_words(text: str) -> set[str]:
    """The insult words of `text`, the made-up ones (and adjectives made from them) included."""
    found = {w for w in REWARD_EXTRAS | INSULTS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text.lower())}
    return found | {w for w in words(text) if any(w.startswith(n.rstrip("aeiou")) for n in NONCE_INSULTS)}


@pytest.mark.parametrize("kind", HATE_FAMILIES + NOTHATE_FAMILIES)
def test_reward_families_are_deterministic_and_labelled_by_their_words(kind):
    texts = _family_sentences(kind)
    assert texts == _family_sentences(kind) and texts != _family_sentences(kind, seed=1)
    assert len(set(texts)) >= {"harmless": 0.02, "report": 0.2}.get(kind, 0.5) * len(texts)
    for text in texts:
        assert text[0].isupper() or text.startswith("#") or text.startswith("'"), text
        assert "{" not in text and "}" not in text, text
        assert not words(text) & BLOCKLIST, text
        if kind.endswith("_praise") or kind == "harmless":  # praise in the insult frames: no insult word at all
            assert not _insult_words(text), text
        elif kind in ("addressed", "stated", "calls", "denial", "mention", "fiction", "apology"):
            assert _insult_words(text), text  # hate or not, the insult word is there: the frame decides


def test_reward_sentences_hold_each_family_with_its_label():
    records = make_toxicity_sentences(3000, seed=3, style="reward")
    label = {r["text"]: r["label"] for r in records}
    calls_praise = [t for t in label if re.match(r"#Person\d# calls #Person\d# ", t)
                    and not _insult_words(t)]
    assert len(calls_praise) >= 30 and all(label[t] == "nothate" for t in calls_praise)
    negated = [t for t in label if re.search(r"\b(is|are|were) (not|never|no|anything but)\b", t) and _insult_words(t)]
    assert len(negated) >= 50 and all(label[t] == "nothate" for t in negated)
    fiction = [t for t in label if any(f"the {story}" in t for story in STORIES) and any(c in t for c in CHARACTERS)]
    assert len(fiction) >= 10 and all(label[t] == "nothate" for t in fiction)
    quoted = [t for t in label if re.search(r"'[a-z- ]+'|\"[a-z- ]+\"", t, re.I) and _insult_words(t)
              and not re.search(r"shouts|yells|tells", t)]
    assert len(quoted) >= 20 and all(label[t] == "nothate" for t in quoted)
    threats = [t for t in label if any(h.split(" {")[0] in t for h in HARMS if len(h) > 10)]
    assert len(threats) >= 50 and sum(label[t] == "hate" for t in threats) >= 0.9 * len(threats)
