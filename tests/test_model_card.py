"""Model cards, `evaluate --format markdown` and `push`: the card's content from a run folder, and
the upload through huggingface_hub with only its HTTP transport replaced."""

import base64
import json

import httpx2
import pytest
import torch
from test_cli import run_cli

from rlhf_core import RunDir, UserError, build_policy, format_markdown, get_config, push_run, write_model_card

TOX = {"before": {"mean": 0.31, "std": 0.4}, "after": {"mean": 0.05, "std": 0.1}, "relative_change": -0.8387,
       "diff_ci95": [-0.35, -0.18], "flagged_before": 0.33, "flagged_after": 0.02, "flagged_relative_change": -0.9394,
       "flagged_diff_ci95": [-0.42, -0.22], "significant": True}
FIDELITY = {"before": {"hallucinated_entity_rate": 0.1, "length_words": 20.0, "distinct_2": 0.9},
            "after": {"hallucinated_entity_rate": 0.12, "length_words": 19.0, "distinct_2": 0.9},
            "edit_rate": 0.2, "hallucinated_entity_rate_diff_ci95": [-0.01, 0.05]}
# eval.json as evaluation.evaluate_run writes it (greedy only, no judge).
REPORT = {
    "samples": 40, "seed": 1234, "reward_text": "summary", "flag_threshold": 0.5, "sampled_k": 0, "step": 3,
    "scorers": {"reward_model": "builtin:tiny-roberta", "judge": None},
    "toxicity": {"greedy": {"reward_model": TOX}},
    "reward": {"greedy": {"before": 1.52, "after": 3.95}},
    "rouge": {"references_per_dialogue": 1, "combine": "best", "split_by": "reward_model",
              "greedy": {"all": {"rows": 40,
                                 "before": {"rouge1": 0.5, "rouge2": 0.3, "rougeL": 0.45, "rougeLsum": 0.45},
                                 "after": {"rouge1": 0.49, "rouge2": 0.3, "rougeL": 0.44, "rougeLsum": 0.44},
                                 "relative_change": {"rouge1": -0.02, "rouge2": 0.0, "rougeL": -0.0222,
                                                     "rougeLsum": -0.0222},
                                 "rougeL_diff_ci95": [-0.03, 0.01]},
                         "toxic_before": None}},
    "fidelity": {"greedy": FIDELITY},
}


@pytest.fixture(scope="module")
def saved_run(tmp_path_factory):
    """A run folder with a real tiny checkpoint, three steps of metrics and an evaluation."""
    run = RunDir(tmp_path_factory.mktemp("card") / "card-run")
    config = get_config("tiny", {"steps": 3, "ppo.whiten_rewards": True})
    run.create(config)
    for step in (1, 2, 3):
        run.append_metrics({"step": step, "env/reward_mean": 0.5 * step, "objective/kl": 0.1 * step,
                            "objective/kl_coef": 0.2, "env/toxicity_mean": 0.4 / step})
    policy, _ = build_policy(config.model)
    optimizer = torch.optim.Adam([p for p in policy.parameters() if p.requires_grad])
    run.save_checkpoint(policy, optimizer, {"step": 3, "kl_ctl": {"value": 0.2}})
    (run.path / "eval.json").write_text(json.dumps(REPORT))
    write_model_card(run.path)
    return run


def test_the_card_names_models_algorithm_config_curves_evaluation_limits_and_peft(saved_run):
    folder = saved_run.checkpoint_dir()
    card = (folder / "README.md").read_text()
    front, body = card.split("---\n")[1], card.split("---\n", 2)[2]
    assert "library_name: peft" in front and "pipeline_tag: summarization" in front
    assert "base_model" not in front  # builtin:tiny-t5 is no Hub id, so the metadata does not claim one
    assert "**Base model**: `builtin:tiny-t5`" in body and "**Reward model**: `builtin:tiny-roberta`" in body
    assert "It trained for 3 of 3 steps." in body and "(PPO + LoRA)" in body and "GAE" in body
    assert "whiten rewards True" in body and "| learning rate | 0.001 (Adam) |" in body
    assert "![training curves](training_curves.png)" in body and (folder / "training_curves.png").stat().st_size > 0
    assert "| `env/reward_mean` | 0.5 | 1.5 |" in body  # first and last step
    assert "| toxicity, greedy, reward model | 0.3100 | 0.0500 | -84% | [-0.3500, -0.1800] |" in body
    assert "Without an independent judge" in body
    assert "## Intended use and limits" in body and "Not a safety filter" in body
    assert "| rank r | 32 |" in body and "| target modules | q, v |" in body and "| PEFT type | LORA |" in body


def test_an_rloo_card_shows_the_settings_rloo_read_not_ppos(tmp_path):
    run = RunDir(tmp_path / "rloo-run")
    config = get_config("tiny", {"algo": "rloo", "critic_free.kl_coef": 0.37, "critic_free.num_generations": 2})
    run.create(config)
    run.append_metrics({"step": 1, "env/reward_mean": 0.5, "objective/kl": 0.1, "objective/kl_coef": 0.37})
    policy, _ = build_policy(config.model)
    run.save_checkpoint(policy, torch.optim.Adam([p for p in policy.parameters() if p.requires_grad]),
                        {"step": 1, "kl_ctl": {"value": 0.37}})
    body = write_model_card(run.path).read_text().split("---\n", 2)[2]
    assert "(RLOO + LoRA)" in body and "leave-one-out" in body
    assert "| KL penalty | beta 0.37, subtracted from the reward as beta x sequence KL |" in body
    assert "2 dialogues x k=2" in body and "GAE" not in body and "PPO" not in body.split("## PEFT")[0]


def test_the_card_says_when_the_run_is_not_evaluated(saved_run, tmp_path):
    (saved_run.path / "eval.json").rename(tmp_path / "eval.json")
    try:
        card = write_model_card(saved_run.path).read_text()
    finally:
        (tmp_path / "eval.json").rename(saved_run.path / "eval.json")
    assert "Not evaluated yet: `python -m rlhf_core evaluate --run-dir RUN`" in card


def test_markdown_report_is_a_table_with_the_summaries():
    import pandas as pd

    table = pd.DataFrame({"summary_before": ["a | b"], "summary_after": ["c"]})
    text = format_markdown(REPORT, table, rows=1)
    assert "| figure | before | after | change | 95% CI of the difference |" in text
    assert "| flagged share, greedy, reward model | 0.330 | 0.020 | -94% | [-0.420, -0.220] |" in text
    assert "| ROUGE-L, greedy, all (n=40) | 0.450 | 0.440 | -2% | [-0.030, +0.010] |" in text
    assert "| reward, greedy | 1.520 | 3.950 | | |" in text
    assert "| hallucinated entities, greedy | 10.0% | 12.0% | | [-1.0, +5.0] points |" in text
    assert "| a \\| b | c |" in text  # a pipe inside a summary stays in its cell


class FakeHub:
    """The Hub's HTTP API as huggingface_hub calls it for create_repo + create_commit."""

    def __init__(self):
        self.created, self.committed = None, {}

    def __call__(self, request):
        path = request.url.path
        if path == "/api/repos/create":
            self.created = json.loads(request.content)
            return httpx2.Response(200, json={"url": "https://huggingface.co/me/detox"})
        if path == "/api/validate-yaml":
            return httpx2.Response(200, json={})
        if path.endswith("/preupload/main"):
            files = json.loads(request.content)["files"]
            return httpx2.Response(200, json={"files": [
                {"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]})
        if path.endswith("/commit/main"):
            for line in request.content.decode().splitlines():
                item = json.loads(line)
                if item["key"] == "file":
                    self.committed[item["value"]["path"]] = base64.b64decode(item["value"]["content"])
            return httpx2.Response(200, json={"commitUrl": "https://huggingface.co/me/detox/commit/" + "a" * 40,
                                              "commitOid": "a" * 40})
        return httpx2.Response(404, json={"error": "not found"})


@pytest.fixture
def fake_hub(monkeypatch):
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    hub = FakeHub()
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    yield hub
    huggingface_hub.set_client_factory(_http.default_client_factory)
    huggingface_hub.close_session()


def test_push_uploads_adapter_value_head_card_and_evaluation_in_one_commit(saved_run, fake_hub):
    url = push_run(saved_run.path, "me/detox", private=True, token="hf_test")
    assert url.endswith("/commit/" + "a" * 40)
    assert fake_hub.created == {"name": "detox", "organization": "me", "visibility": "private", "type": "model"}
    folder = saved_run.checkpoint_dir()
    assert set(fake_hub.committed) == {
        "adapter_model.safetensors", "adapter_config.json", "value_head.safetensors", "README.md",
        "training_curves.png", "rlhf_config.json", "eval.json", "metrics.jsonl"}
    assert fake_hub.committed["adapter_model.safetensors"] == (folder / "adapter_model.safetensors").read_bytes()
    assert fake_hub.committed["README.md"] == (folder / "README.md").read_bytes()
    assert json.loads(fake_hub.committed["rlhf_config.json"])["ppo"]["whiten_rewards"] is True
    assert "optimizer.safetensors" not in fake_hub.committed


def test_push_refusal_by_the_hub_is_one_line(saved_run, monkeypatch):
    import huggingface_hub
    from huggingface_hub import constants
    from huggingface_hub.utils import _http

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(
        lambda request: httpx2.Response(403, json={"error": "You don't have the rights"}))))
    try:
        with pytest.raises(UserError, match=r"cannot push to me/detox: the Hub answered HTTP 403") as error:
            push_run(saved_run.path, "me/detox", token="hf_test")
    finally:
        huggingface_hub.set_client_factory(_http.default_client_factory)
        huggingface_hub.close_session()
    assert "\n" not in str(error.value)


def test_push_offline_fails_with_one_clear_line(saved_run):
    done = run_cli("push", "--run-dir", str(saved_run.path), "--repo-id", "me/detox", timeout=120)
    assert done.returncode == 2
    assert done.stderr == ("error: cannot push to me/detox: HF_HUB_OFFLINE is set; unset HF_HUB_OFFLINE on a "
                           "machine with Hub access and log in (hf auth login)\n")
