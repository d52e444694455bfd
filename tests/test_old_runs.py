"""Run folders saved before the `optim` section (optimizer settings under `ppo`) still list in the
app, resume and evaluate, with one note that names the keys read in their new place."""

import json
import logging
import shutil

import pytest

from rlhf_core import RunDir, evaluate_run, get_config, train
from rlhf_core.config.legacy import MOVED_TO_OPTIM, upgrade

TINY = {"steps": 2, "optim.learning_rate": 2e-3, "optim.batch_size": 4, "optim.mini_batch_size": 2}


def _as_old_layout(run_path):
    """Rewrites a run's config.json as the older layout saved it: optimizer settings under `ppo`."""
    saved = json.loads((run_path / "config.json").read_text())
    saved["ppo"].update(saved.pop("optim"))
    (run_path / "config.json").write_text(json.dumps(saved, indent=2))
    return saved


def test_upgrade_moves_the_optimizer_keys_and_leaves_the_rest(caplog):
    old = {"ppo": {"learning_rate": 0.5, "batch_size": 8, "lam": 0.9}, "steps": 3}
    with caplog.at_level(logging.WARNING):
        new = upgrade(old)
    assert new == {"ppo": {"lam": 0.9}, "optim": {"learning_rate": 0.5, "batch_size": 8}, "steps": 3}
    assert old["ppo"]["learning_rate"] == 0.5  # the caller's dict is not changed
    assert "ppo.learning_rate, ppo.batch_size" in caplog.text and "optim.learning_rate" in caplog.text
    assert upgrade({"steps": 3}) == {"steps": 3} and upgrade([1]) == [1]
    assert set(MOVED_TO_OPTIM) == {f for f in get_config("tiny").optim.__dataclass_fields__}


@pytest.fixture(scope="module")
def old_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("old") / "run"
    config = get_config("tiny", TINY)
    train(config, path)
    saved = _as_old_layout(path)
    assert "learning_rate" in saved["ppo"] and "optim" not in saved
    return path, config


def test_an_old_run_reads_as_its_settings(old_run):
    path, config = old_run
    assert RunDir(path).config() == config


def test_an_old_run_is_listed_in_the_app(old_run, app_runs):
    from webapp import run_list

    path, _ = old_run
    shutil.copytree(path, app_runs / "old")
    listed = {info.name: info for info in run_list.runs()}
    assert listed["old"].config.optim.learning_rate == 2e-3 and listed["old"].steps_done == 2


def test_an_old_run_evaluates(old_run):
    path, _ = old_run
    report, table = evaluate_run(path, samples=2, judge=False, sampled_k=0)
    assert len(table) == 2 and report["step"] == 2


def test_an_old_run_resumes_and_keeps_its_settings(old_run):
    path, config = old_run
    resumed = train(get_config("tiny", {**TINY, "steps": 3}), path, resume=True)
    assert [r.step for r in resumed] == [3]
    assert RunDir(path).config().optim.learning_rate == config.optim.learning_rate
