"""Blind human ratings: the store (one fsynced line per vote, no loss under concurrent raters, cut
back on resume, refused while training), the figures on a hand-computed example, the rating desk
(shuffled sides, hidden until the vote, public-mode limits), the export and its command line."""

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from rated_runs import write_rated_run

from rlhf_core.cli import main
from rlhf_core.errors import UserError
from rlhf_core.evaluation.ratings import (
    append_rating,
    human_figures,
    make_rating,
    rating_pairs,
    read_ratings,
    wilson_interval,
)
from rlhf_core.training.runs import RunDir, RunLock

ROOT = Path(__file__).resolve().parent.parent
SECRET = b"a fixed secret for the tests"


@pytest.fixture
def runs(tmp_path, monkeypatch):
    root = tmp_path / "runs"
    monkeypatch.setenv("RLHF_RUNS_DIR", str(root))
    monkeypatch.delenv("RLHF_PUBLIC", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    write_rated_run(root / "rated")
    return root


def _vote(run: Path, pair, less_toxic="after", more_faithful="after", rater="r1", step=3, side="A"):
    append_rating(run, make_rating(pair, side, less_toxic, more_faithful, rater, step))


def test_pairs_come_from_the_evaluation_and_identical_summaries_are_left_out(runs):
    pairs = rating_pairs(runs / "rated")
    assert len(pairs) == 12  # the 13th dialogue's summaries are the same text
    assert pairs[0].dialogue_id == "test_0" and "idiot" in pairs[0].before and "idiot" not in pairs[0].after
    assert pairs[0].toxicity == {"reward_model": (0.8, 0.1), "judge": (0.3, 0.6)}
    assert pairs[0].preferred_by("judge") == "before" and pairs[1].preferred_by("judge") == "after"
    assert len({p.pair_id for p in pairs}) == 12


def test_a_rating_is_one_line_with_the_pair_the_sides_and_both_answers(runs):
    run = runs / "rated"
    pair = rating_pairs(run)[0]
    _vote(run, pair, "after", "same", side="B")
    lines = (run / "ratings.jsonl").read_text().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["summary_b"] == pair.after and record["summary_a"] == pair.before and record["after_side"] == "B"
    assert (record["less_toxic"], record["more_faithful"], record["decoding"], record["step"]) == \
        ("after", "same", "greedy", 3)
    assert record["dialogue_id"] == "test_0" and record["time"].endswith("Z")
    with pytest.raises(UserError, match="less_toxic must be one of"):
        make_rating(pair, "A", "A", "same", "r1", 3)


def test_ten_concurrent_raters_with_ten_votes_each_write_a_hundred_whole_lines(runs):
    run = runs / "rated"
    pairs = rating_pairs(run)
    start = threading.Barrier(10)
    errors = []

    def rater(number: int) -> None:
        start.wait()
        try:
            for i in range(10):
                _vote(run, pairs[i], rater=f"rater{number}", side="AB"[i % 2])
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=rater, args=(n,)) for n in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    lines = (run / "ratings.jsonl").read_text().splitlines()
    assert len(lines) == 100 and all(json.loads(line) for line in lines)
    votes = {(r["rater"], r["pair_id"]) for r in read_ratings(run)}
    assert len(votes) == 100  # none lost, none doubled
    assert human_figures(run)["ratings"] == 100 and human_figures(run)["raters"] == 10


def test_win_rate_and_wilson_interval_on_a_hand_computed_example(runs):
    run = runs / "rated"
    pairs = rating_pairs(run)
    answers = ["after"] * 6 + ["same"] * 2 + ["before"] * 2  # dialogues 0-9, rater r1
    for pair, answer in zip(pairs, answers):
        _vote(run, pair, answer, "before")
    _vote(run, pairs[0], "before", "before", rater="r2")  # a second rater disagrees on dialogue 0
    figures = human_figures(run)
    assert (figures["ratings"], figures["raters"], figures["dialogues"], figures["pairs"]) == (11, 2, 10, 12)
    toxic = figures["questions"]["less_toxic"]
    assert toxic["win_rate"] == pytest.approx(7 / 11)  # (6 + 2 x 0.5) of 11 ratings
    assert (toxic["after"], toxic["same"], toxic["before"]) == (6, 2, 3)
    # Wilson over 10 dialogues, dialogue 0 counting (1 + 0) / 2: p = 6.5 / 10, z = 1.96:
    # centre = (0.65 + 1.96^2/20) / (1 + 1.96^2/10) = 0.6084, half = 1.96 sqrt(0.65 x 0.35/10 + 1.96^2/400) / 1.3841
    assert toxic["ci95"] == pytest.approx([0.3537, 0.8631], abs=2e-4)
    faithful = figures["questions"]["more_faithful"]
    assert faithful["win_rate"] == 0  # 0 of 10 dialogues: Wilson's upper end is z^2/10 / (1 + z^2/10) = 0.2775
    assert faithful["ci95"] == pytest.approx([0, 0.2775], abs=2e-4)
    # The judge prefers "before" on dialogues 0, 4 and 8: of the 9 ratings that prefer a side it matches 6.
    judge = figures["classifiers"]["judge"]
    assert (judge["agreeing"], judge["compared"]) == (6, 9) and judge["win_rate"] == pytest.approx(0.7)
    reward = figures["classifiers"]["reward_model"]
    assert (reward["agreeing"], reward["compared"], reward["win_rate"]) == (6, 9, 1.0)
    assert wilson_interval(0, 0) is None
    assert wilson_interval(5, 5)[0] == pytest.approx(0.5655, abs=2e-4)  # 5 of 5: never [100%, 100%]


def test_ratings_of_summaries_the_evaluation_no_longer_holds_do_not_count(runs):
    run = runs / "rated"
    for pair in rating_pairs(run)[:3]:
        _vote(run, pair)
    write_rated_run(run, pairs=12)  # evaluated again: the same summaries, the ratings still count
    assert human_figures(run)["ratings"] == 3
    import pandas as pd

    table = pd.read_csv(run / "eval_samples.csv")
    table.loc[0, "summary_after"] = "Somebody mentions a printer."  # a new evaluation changed dialogue 0's summary
    table.to_csv(run / "eval_samples.csv", index=False)
    figures = human_figures(run)
    assert (figures["ratings"], figures["stale"]) == (2, 1)
    assert len(read_ratings(run)) == 3  # nothing is deleted


def test_a_resume_from_an_earlier_checkpoint_cuts_ratings_back_with_the_logs(runs):
    run = runs / "rated"
    pairs = rating_pairs(run)
    _vote(run, pairs[0], step=2)
    _vote(run, pairs[1], step=3)
    with (run / "ratings.jsonl").open("a") as f:
        f.write('{"cut short by a cr')  # a line a crash cut short is skipped, not an error
    RunDir(run).truncate_to(2)
    kept = read_ratings(run)
    assert [r["step"] for r in kept] == [2] and kept[0]["pair_id"] == pairs[0].pair_id


def test_ratings_are_refused_while_the_run_trains(runs):
    run = runs / "rated"
    lock = RunLock(run).acquire()
    try:
        with pytest.raises(UserError, match="training now"):
            _vote(run, rating_pairs(run)[0])
    finally:
        lock.release()
    _vote(run, rating_pairs(run)[0])
    assert len(read_ratings(run)) == 1


# ------------------------------------------------------------------ the rating desk (webapp/ratings.py)


def test_sides_are_shuffled_about_half_each_way_and_fixed_per_browser(runs):
    from webapp.ratings import RatingDesk, after_side, new_rater

    sides = [after_side("rater", f"pair{i}", SECRET) for i in range(2000)]
    assert 0.45 < sides.count("A") / len(sides) < 0.55
    assert sides == [after_side("rater", f"pair{i}", SECRET) for i in range(2000)]  # seeded
    assert sides != [after_side("rater", f"pair{i}", b"another secret") for i in range(2000)]
    desk, pairs = RatingDesk(SECRET), {p.pair_id: p for p in rating_pairs(runs / "rated")}
    shown_after_first = 0
    for _ in range(200):  # 200 browsers, each shown its first pair
        token = new_rater()
        shown = desk.next_pair("rated", token)
        pair = next(p for p in pairs.values() if p.dialogue == shown.dialogue)
        shown_after_first += shown.summary_a == pair.after
        assert {shown.summary_a, shown.summary_b} == {pair.before, pair.after}
    assert 70 < shown_after_first < 130


def test_the_desk_hides_the_sides_until_the_vote_and_reveals_them_after(runs):
    from webapp.ratings import RatingDesk, new_rater
    from webapp.ratings_tab import next_pair_api, pair_html, rate_pair_api

    token = new_rater()
    api = next_pair_api("rated", token)
    assert set(api) == {"ticket", "run", "dialogue_id", "dialogue", "summary_a", "summary_b", "left", "pairs"}
    assert api["left"] == api["pairs"] == 12
    revealed = rate_pair_api(api["ticket"], "A", "the same", token)
    pair = next(p for p in rating_pairs(runs / "rated") if p.dialogue_id == api["dialogue_id"])
    assert revealed["after_side"] == ("A" if api["summary_a"] == pair.after else "B")
    assert revealed["less_toxic"] == ("after" if revealed["after_side"] == "A" else "before")
    assert revealed["more_faithful"] == "same" and revealed["figures"]["ratings"] == 1
    with pytest.raises(Exception, match="no longer open"):  # a ticket takes one vote
        rate_pair_api(api["ticket"], "A", "A", token)
    desk = RatingDesk(SECRET)
    shown = desk.next_pair("rated", token)
    text = "".join(pair_html(shown))
    assert "after" not in text.lower() and "before" not in text.lower()
    with pytest.raises(UserError, match="another browser"):
        desk.vote(shown.ticket, "A", "B", new_rater())


def test_a_restart_keeps_the_ratings_and_never_shows_a_rated_pair_again(runs):
    from webapp.ratings import RatingDesk, new_rater

    token = new_rater()
    desk = RatingDesk(SECRET)
    seen = []
    for _ in range(3):
        shown = desk.next_pair("rated", token)
        seen.append(shown.dialogue_id)
        desk.vote(shown.ticket, "A", "B", token)
    restarted = RatingDesk()  # a new process: new memory, a new secret
    left = []
    while (shown := restarted.next_pair("rated", token)) is not None:
        left.append(shown.dialogue_id)
        restarted.vote(shown.ticket, "same", "same", token)
    assert len(left) == 9 and not set(left) & set(seen)
    assert human_figures(runs / "rated")["ratings"] == 12


def test_skip_puts_a_pair_behind_the_others(runs):
    from webapp.ratings import RatingDesk, new_rater

    desk, token = RatingDesk(SECRET), new_rater()
    first = desk.next_pair("rated", token)
    desk.skip(first.ticket, token)
    second = desk.next_pair("rated", token)
    assert second.dialogue_id != first.dialogue_id and second.left == 12


def test_public_mode_one_vote_per_pair_per_browser_and_a_rate_limit_named_in_the_refusal(runs, monkeypatch):
    from webapp.ratings import RatingDesk, new_rater

    monkeypatch.setenv("RLHF_PUBLIC", "1")
    monkeypatch.setenv("RLHF_MAX_RATINGS_PER_MINUTE", "2")
    now = [1000.0]
    desk, token = RatingDesk(SECRET, clock=lambda: now[0]), new_rater()
    twice = [desk.next_pair("rated", token), desk.next_pair("rated", token)]  # the same pair, shown twice
    assert twice[0].dialogue_id == twice[1].dialogue_id
    desk.vote(twice[0].ticket, "A", "A", token)
    with pytest.raises(UserError, match="already rated this pair"):
        desk.vote(twice[1].ticket, "B", "B", token)
    third = desk.next_pair("rated", token)
    with pytest.raises(UserError, match="at most 2 a minute.*RLHF_MAX_RATINGS_PER_MINUTE"):
        desk.vote(third.ticket, "A", "A", token)
    now[0] += 61
    desk.vote(third.ticket, "A", "A", token)  # the refused ticket stays open: the vote goes in a minute later
    assert len(read_ratings(runs / "rated")) == 2
    monkeypatch.setenv("RLHF_MAX_RATINGS_PER_MINUTE", "many")
    with pytest.raises(UserError, match="RLHF_MAX_RATINGS_PER_MINUTE must be"):
        desk.vote(desk.next_pair("rated", token).ticket, "A", "A", token)
    with pytest.raises(UserError, match="rater token"):
        desk.next_pair("rated", "short")


def test_a_run_without_an_evaluation_has_no_pairs_to_rate(runs):
    from webapp.ratings import RatingDesk, new_rater

    (runs / "rated" / "eval_samples.csv").unlink()
    with pytest.raises(UserError, match="evaluate it in Before vs after first"):
        RatingDesk(SECRET).next_pair("rated", new_rater())
    with pytest.raises(UserError, match="no run named"):
        RatingDesk(SECRET).next_pair("missing", new_rater())


# ------------------------------------------------------------------ export and the command line


def test_the_export_writes_jsonl_and_csv_and_preference_pairs_that_datasets_loads(runs, tmp_path):
    import datasets

    from rlhf_core import get_config

    run = runs / "rated"
    pairs = rating_pairs(run)
    _vote(run, pairs[0], "after", "after", side="A")
    _vote(run, pairs[1], "before", "same", side="B")
    _vote(run, pairs[2], "after", "before", side="A")  # one question each way: no preference pair
    _vote(run, pairs[3], "same", "same", side="B")
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-m", "rlhf_core", "ratings", "--run-dir", str(run), "--format", "csv",
                           "--out", str(tmp_path / "r.csv")], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "human ratings: 4 ratings of 4 of 12 pairs by 1 rater" in done.stdout
    assert "wrote" in done.stderr and "(2 preference pairs" in done.stderr
    table = datasets.load_dataset("csv", data_files=str(tmp_path / "r.csv"), split="train")
    assert table.num_rows == 4 and table[0]["summary_after"] == pairs[0].after
    assert table[1]["summary_b"] == pairs[1].after and table[1]["summary_before"] == pairs[1].before
    preference = datasets.load_dataset("json", data_files=str(tmp_path / "preference_pairs.jsonl"), split="train")
    assert preference.column_names == ["prompt", "chosen", "rejected"] and preference.num_rows == 2
    template = get_config("tiny").data.prompt_template
    assert preference[0] == {"prompt": template.format(dialogue=pairs[0].dialogue), "chosen": pairs[0].after,
                             "rejected": pairs[0].before}
    assert preference[1]["chosen"] == pairs[1].before
    assert main(["ratings", "--run-dir", str(run), "--prefer", "less_toxic"]) == 0
    rows = [json.loads(line) for line in (run / "ratings_export.jsonl").read_text().splitlines()]
    assert len(rows) == 4 and all(r["current"] for r in rows)
    assert len((run / "preference_pairs.jsonl").read_text().splitlines()) == 3
    assert len(read_ratings(run)) == 4  # the store itself is untouched


@pytest.mark.parametrize("args, message", [
    (["--run-dir", "{missing}"], "is not a run directory"),
    (["--run-dir", "{run}"], "has no ratings yet"),
    (["--run-dir", "{run}", "--format", "xml"], "--format must be jsonl or csv"),
    (["--run-dir", "{run}", "--prefer", "shorter"], "--prefer must be one of"),
    (["--run-dir", "{run}", "--out", "{run}/ratings.jsonl"], "would overwrite the ratings"),
])
def test_bad_input_to_ratings_is_one_error_line_and_exit_2(runs, tmp_path, capsys, args, message):
    run = runs / "rated"
    if "ratings.jsonl" in " ".join(args):
        _vote(run, rating_pairs(run)[0])
    args = [a.format(run=run, missing=tmp_path / "nowhere") for a in args]
    assert main(["ratings", *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_the_model_card_and_evaluate_show_the_people_beside_the_classifiers(runs):
    from rlhf_core.evaluation.model_card import model_card_text
    from rlhf_core.evaluation.ratings import ratings_report

    run = runs / "rated"
    assert ratings_report(run) == "" and "Human ratings" not in model_card_text(RunDir(run), figure=False)
    for pair in rating_pairs(run)[:2]:
        _vote(run, pair, "after", "same")
    card = model_card_text(RunDir(run), figure=False)
    assert "### Human ratings" in card and "2 blind side-by-side ratings of 2 test dialogues by 1" in card
    assert "| Which summary is less toxic? | 100% | 34%-100% | 2 / 0 / 0 |" in card
    text = ratings_report(run)
    assert text.startswith("human ratings: 2 ratings of 2 of 12 pairs by 1 rater")
    assert "judge: finds after less toxic on 50% of the rated pairs; agrees with the people on 50% of 2" in text


def test_ten_raters_through_the_api_at_once_give_a_hundred_lines(app_url, app_runs):
    from gradio_client import Client

    from webapp.ratings import new_rater

    run = write_rated_run(app_runs / "api-rated")
    start, errors = threading.Barrier(10), []

    def rater() -> None:
        client, token = Client(app_url, verbose=False), new_rater()
        start.wait()
        try:
            for _ in range(10):
                shown = client.predict("api-rated", token, api_name="/next_pair")
                assert "after_side" not in shown
                revealed = client.predict(shown["ticket"], "A", "the same", token, api_name="/rate_pair")
                assert revealed["after_side"] in ("A", "B")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=rater) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:3]
    lines = (run / "ratings.jsonl").read_text().splitlines()
    assert len(lines) == 100
    assert len({(r["rater"], r["pair_id"]) for r in read_ratings(run)}) == 100
    assert human_figures(run)["raters"] == 10


def test_the_tab_is_topped_by_the_toy_notice_and_keeps_the_sides_out_of_the_api_docs(app_module):
    from webapp import views

    demo = app_module.build_app()
    config = demo.config
    components = {c["id"]: c for c in config["components"]}

    def find(node, elem_id):
        if components.get(node["id"], {}).get("props", {}).get("elem_id") == elem_id:
            return node
        return next((n for c in node.get("children") or [] if (n := find(c, elem_id))), None)

    tab = find(config["layout"], "tab-judge")
    first = components[tab["children"][0]["id"]]["props"]
    assert first["elem_id"] == "toy-notice-judge" and first["value"] == views.toy_notice_html("tiny")
    endpoints = demo.get_api_info()["named_endpoints"]
    assert [p["parameter_name"] for p in endpoints["/next_pair"]["parameters"]] == ["run_name", "rater"]
    assert [p["parameter_name"] for p in endpoints["/rate_pair"]["parameters"]] == \
        ["ticket", "less_toxic", "more_faithful", "rater"]
    assert not any("cast_vote" in name or "show_next" in name for name in endpoints)  # the page's own: private


def test_a_symlinked_ratings_file_is_neither_read_nor_written(runs, tmp_path):
    run = runs / "rated"
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched\n")
    (run / "ratings.jsonl").symlink_to(victim)
    with pytest.raises(UserError, match="could not write"):
        _vote(run, rating_pairs(run)[0])
    with pytest.raises(UserError, match="is a symbolic link"):
        read_ratings(run)
    with pytest.raises(UserError, match="is a symbolic link"):
        RunDir(run).check_links()  # and a resume refuses the run before cutting anything back
    assert victim.read_text() == "untouched\n"
