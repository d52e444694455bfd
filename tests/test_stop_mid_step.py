"""Stop inside a step (the app's Stop): the run ends before that step completes, nothing of it is
written, the last finished step's checkpoint is what remains, and a resume from it repeats an
uninterrupted run bitwise."""

import hashlib
import json
import threading

import pytest
import torch

from rlhf_core import RunDir, get_config, iter_train, train
from rlhf_core.algorithms.rollout import RolloutTrainer
from rlhf_core.training.run_loop import stop_check


def tiny(algo: str):
    # 4 dialogues (RLOO: 2 x k=2 samples) in mini-batches of 2: two optimizer steps per step.
    return get_config("tiny", {"steps": 4, "algo": algo, "optim.batch_size": 4, "optim.mini_batch_size": 2,
                               "critic_free.num_generations": 2})


def reward(prompts, summaries):
    return [float(len(s) % 5) for s in summaries]


def checkpoint_digest(run: RunDir) -> dict[str, str]:
    """Every file of the run's checkpoint folder, by content."""
    folder = run.checkpoint_dir()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def steps_in(run: RunDir) -> list[int]:
    return [json.loads(line)["step"] for line in (run.path / "metrics.jsonl").read_text().splitlines() if line]


# Where Stop lands in step 3: after its summaries are scored, or after its first mini-batch update.
MOMENTS = [("ppo", "scored"), ("ppo", "updating"), ("rloo", "updating")]


@pytest.mark.parametrize("algo,moment", MOMENTS, ids=[f"{a}-{m}" for a, m in MOMENTS])
def test_a_stop_inside_a_step_drops_it_and_the_resume_matches_an_uninterrupted_run(tmp_path, monkeypatch, algo,
                                                                                    moment):
    config = tiny(algo)
    full = train(config, tmp_path / "full", reward_fn=reward)
    cancel, seen = threading.Event(), {"rewards": 0, "updates": 0, "checks": []}

    def stop_in_step_3(prompts, summaries):
        seen["rewards"] += 1
        if moment == "scored" and seen["rewards"] == 3:
            cancel.set()
        return reward(prompts, summaries)

    real_step, real_check = torch.optim.Adam.step, RolloutTrainer.check_stop

    def counted_step(self, *args, **kwargs):
        out = real_step(self, *args, **kwargs)
        seen["updates"] += 1
        if moment == "updating" and seen["updates"] == 5:  # two updates a step: step 3's first
            cancel.set()
        return out

    def recorded_check(self, updated=False):
        if cancel.is_set():
            seen["checks"].append(updated)
        return real_check(self, updated)

    monkeypatch.setattr(torch.optim.Adam, "step", counted_step)
    monkeypatch.setattr(RolloutTrainer, "check_stop", recorded_check)
    run = RunDir(tmp_path / "part")
    statuses, digest_after_step_2 = [], None
    results = []
    for result in iter_train(config, run.path, reward_fn=stop_in_step_3, cancel=cancel, on_status=statuses.append):
        results.append(result.step)
        if result.step == 2:
            digest_after_step_2 = checkpoint_digest(run)
    monkeypatch.undo()

    # Step 3 began (its reward was computed; with "updating", the optimizer stepped once) and never finished.
    assert results == [1, 2] and seen["rewards"] == 3
    assert seen["updates"] == (5 if moment == "updating" else 4)
    assert seen["checks"] == [moment == "updating"]  # the first check after Stop ended the step
    assert "stopped during step 3" in statuses[-1] and "step 2 is kept" in statuses[-1]
    assert steps_in(run) == [1, 2] and run.load_state()["step"] == 2
    assert checkpoint_digest(run) == digest_after_step_2  # the half-updated weights were never written

    resumed = train(config, run.path, reward_fn=reward, resume=True)
    assert [r.step for r in resumed] == [3, 4]
    assert checkpoint_digest(run) == checkpoint_digest(RunDir(tmp_path / "full"))  # bitwise
    keys = [k for k in full[0].stats if not k.startswith("time/")]
    assert [[r.stats[k] for k in keys] for r in full[2:]] == [[r.stats[k] for k in keys] for r in resumed]


def test_a_stop_mid_update_waits_for_the_step_when_the_last_one_is_not_on_disk():
    cancel = threading.Event()
    assert stop_check(None, True, 1) is None and stop_check(cancel, True, 2) is None  # several processes: never
    check = stop_check(cancel, on_disk=False, world=1)
    assert check(False) is False and check(True) is False
    cancel.set()
    assert check(False) is True  # the weights are still the last finished step's
    assert check(True) is False  # half-updated, and that step is not on disk: the step finishes
    assert stop_check(cancel, on_disk=True, world=1)(True) is True
