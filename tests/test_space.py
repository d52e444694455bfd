"""Ready for a Hugging Face Space: public by default there, a front matter that preloads what the
app loads, a torch that fits the GPU driver (and a loud line when it does not), a judge that cannot
load says so wherever its figures are shown, and error hints an app user can follow.
"""

import json
import subprocess
import sys

import pandas as pd
import pytest
import yaml
from conftest import ROOT
from packaging.requirements import Requirement

from rlhf_core import RunDir, UserError, get_config
from rlhf_core.config import EvalConfig
from rlhf_core.evaluation.judge import Judge
from rlhf_core.evaluation.report import format_markdown, format_report
from webapp import job_control, startup
from webapp.evaluation import Evaluation, evaluate
from webapp.evaluation_views import evaluation_html
from webapp.job_control import JOBS
from webapp.jobs import DONE
from webapp.knobs import TrainSettings
from webapp.limits import limits, public_hosting
from webapp.views import banner_html, startup_line

PICKLED_WEIGHTS = ("pytorch_model.bin", "tf_model.h5", "flax_model.msgpack", "model.ckpt")


def front_matter() -> dict:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\n"), "README.md must open with the Space's YAML front matter"
    return yaml.safe_load(text.split("---\n")[1])


def preloads() -> dict[str, list[str]]:
    """preload_from_hub as {repository: [files]}; a repository listed alone maps to [] (every file)."""
    entries = [entry.split() for entry in front_matter()["preload_from_hub"]]
    return {repo: (rest[0].split(",") if rest else []) for repo, *rest in entries}


# --------------------------------------------------------------------------------------------
# Public by default on a Space
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("space_id, rlhf_public, public", [
    (None, None, False),           # a local server: private unless asked
    ("someone/detox-rlhf", None, True),   # a Space: public before anyone sets a variable
    ("someone/detox-rlhf", "0", False),   # a private Space turns it off
    (None, "1", True),             # any server can ask for it
])
def test_a_space_is_public_unless_rlhf_public_is_0(monkeypatch, space_id, rlhf_public, public):
    for name, value in (("SPACE_ID", space_id), ("RLHF_PUBLIC", rlhf_public)):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert public_hosting() is public
    assert limits().public is public and limits().max_upload == ("1mb" if public else "10mb")


# --------------------------------------------------------------------------------------------
# Front matter and install
# --------------------------------------------------------------------------------------------


def test_the_front_matter_lists_and_preloads_every_hub_id_the_default_preset_loads():
    cfg = get_config(startup.DEFAULT_PRESET)
    config = front_matter()
    models = [cfg.model.policy, cfg.reward.model, cfg.eval.judge]
    assert set(models) <= set(config["models"]), f"models: must list {models}"
    assert cfg.data.dataset in config["datasets"]
    preloaded = preloads()
    for model in models:
        files = preloaded.get(model)
        assert files, f"preload_from_hub must name the files of {model} the app reads"
        assert {"config.json", "model.safetensors", "tokenizer_config.json"} <= set(files), model
        assert not set(files) & set(PICKLED_WEIGHTS), f"{model}: only safetensors weights are ever read"
    assert set(preloaded) == set(models), "preload only what the app loads"


def test_a_space_installs_a_cuda_12_torch_that_requirements_keep():
    (line,) = [line for line in (ROOT / "pre-requirements.txt").read_text().splitlines() if line[:1].isalpha()]
    pinned = Requirement(line)
    requirements = (ROOT / "requirements.txt").read_text().splitlines()
    allowed = next(Requirement(line) for line in requirements if line.startswith("torch"))
    (version,) = [spec.version for spec in pinned.specifier]
    assert pinned.name == "torch" and version == startup.CUDA12_TORCH
    assert allowed.specifier.contains(version), "requirements.txt would replace the Space's torch"


# --------------------------------------------------------------------------------------------
# A GPU that torch cannot use is said out loud
# --------------------------------------------------------------------------------------------


def test_a_gpu_torch_cannot_use_is_one_warning_line_in_the_log_and_the_banner(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(startup, "nvidia_driver", lambda: "535.104.05")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    monkeypatch.setattr("torch.version.cuda", None)  # a CPU-only build
    plan = startup.plan_startup("tiny")
    (warning,) = plan.warnings
    assert "driver 535.104.05" in warning and "CPU-only" in warning and "pip install torch==2.10.0" in warning
    lines = startup_line(plan).splitlines()
    assert lines[0].startswith("detox-rlhf: preset tiny") and lines[1] == f"detox-rlhf: WARNING: {warning}"
    assert "gpu-warning" in banner_html(plan) and "<code>pip install torch==2.10.0</code>" in banner_html(plan)

    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # hidden on purpose
    assert startup.plan_startup("tiny").warnings == []
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
    monkeypatch.setattr(startup, "nvidia_driver", lambda: None)  # no GPU
    plan = startup.plan_startup("tiny")
    assert plan.warnings == [] and "WARNING" not in startup_line(plan) and "gpu-warning" not in banner_html(plan)


def test_the_fix_fits_the_torch_build_and_the_driver():
    old_driver = startup.cuda_fix("2.14.1", "13.0", "535.104.05")
    assert "needs NVIDIA driver 580 or newer" in old_driver and "pip install torch==2.10.0" in old_driver
    hidden = startup.cuda_fix("2.14.1", "13.0", "580.65.06")  # the driver is new enough: not a version problem
    assert "580 or newer" not in hidden and "CUDA_VISIBLE_DEVICES" in hidden
    too_old_for_12 = startup.cuda_fix("2.10.0", "12.8", "470.256.02")
    assert "525 or newer; update the driver" in too_old_for_12 and "pip install" not in too_old_for_12


@pytest.mark.parametrize("text, version", [
    ("NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.104.05  Sat Aug 19 01:15:15 UTC 2023\n", "535.104.05"),
    ("NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.65.06  Release Build  Tue Jul 15 2025\n",
     "580.65.06"),
])
def test_the_driver_version_is_read_from_the_kernel_module(monkeypatch, tmp_path, text, version):
    (tmp_path / "version").write_text(text)
    monkeypatch.setattr(startup, "NVIDIA_DRIVER_FILE", tmp_path / "version")
    assert startup.nvidia_driver() == version


def test_no_driver_and_no_nvidia_smi_is_no_gpu(monkeypatch, tmp_path):
    monkeypatch.setattr(startup, "NVIDIA_DRIVER_FILE", tmp_path / "missing")
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi there
    assert startup.nvidia_driver() is None


# --------------------------------------------------------------------------------------------
# A judge that cannot load says so where its figures are shown
# --------------------------------------------------------------------------------------------


def test_a_folder_that_is_not_a_classifier_is_named_as_the_judge(tmp_path, capsys):
    from rlhf_core import cli

    with pytest.raises(UserError, match="could not load judge from local folder '/etc'"):
        Judge.from_config(EvalConfig(judge="/etc"))
    RunDir(tmp_path / "run").create(get_config("tiny"))
    assert cli.main(["evaluate", "--run-dir", str(tmp_path / "run"), "--judge", "/etc"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: could not load judge from local folder '/etc'") and "reward model" not in line


def test_a_hub_judge_without_safetensors_is_named_and_explained(monkeypatch):
    import transformers

    from rlhf_core.models import loading

    def pickle_only(name, **kwargs):
        raise OSError(f"{name} does not appear to have a file named model.safetensors or model.safetensors.index.json "
                      "and thus cannot be loaded with `safetensors`. Please do not set `use_safetensors=True`.")

    monkeypatch.setattr(loading, "ensure_downloadable", lambda name, role: None)  # the Hub serves it
    monkeypatch.setattr(loading, "probe_model", lambda name, timeout=None: None)
    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", pickle_only)
    with pytest.raises(UserError, match="could not load judge 'someone/judge': the repository has no "
                                        "model.safetensors, and weights are only read from safetensors"):
        Judge.from_config(EvalConfig(judge="someone/judge"))


MISSING = "cannot load judge 'someone/judge': HF_HUB_OFFLINE is set"


def report_without_its_judge() -> dict:
    return {"samples": 2, "reward_text": "summary", "scorers": {"reward_model": "r", "judge": None},
            "judge_unavailable": MISSING, "toxicity": {}, "fidelity": {}}


def test_text_and_markdown_reports_say_why_the_judge_is_missing_and_what_the_figures_are():
    report = report_without_its_judge()
    text = format_report(report)
    assert f"warning: the judge is missing ({MISSING}), so every toxicity figure comes from the reward model " \
           "alone, which is what training optimised" in text
    markdown = format_markdown(report)
    assert f"> **Warning:** the judge is missing ({MISSING})" in markdown and "reward model alone" in markdown
    report["judge_unavailable"] = None
    assert "warning" not in format_report(report) and "Warning" not in format_markdown(report)


@pytest.fixture
def runs_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("RLHF_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("RLHF_PRESET", "tiny")
    assert JOBS.wait(60)
    yield tmp_path / "runs"
    JOBS.stop()
    assert JOBS.wait(60)


def test_before_vs_after_and_eval_json_say_the_judge_could_not_load(runs_dir):
    settings = TrainSettings("tiny", algo="ppo", steps=1, batch_size=4, learning_rate=1e-3, seed=42,
                             adaptive_kl=True, kl_coef=0.2, target_kl=6.0, toxicity_weight=1.0, fidelity_weight=0.0)
    started, _ = job_control.start_training(settings)
    assert started and JOBS.wait(60) and JOBS.snapshot().state == DONE, JOBS.snapshot().error
    name = JOBS.snapshot().run_name
    config_file = runs_dir / name / "config.json"
    config = json.loads(config_file.read_text())
    config["eval"]["judge"] = "/no/such/judge"
    config_file.write_text(json.dumps(config))

    evaluation = evaluate(name, 2)
    saved = json.loads((runs_dir / name / "eval.json").read_text())
    assert saved["scorers"]["judge"] is None and "/no/such/judge" in saved["judge_unavailable"]
    page = evaluation_html(evaluation, name)
    assert 'id="judge-missing"' in page and "/no/such/judge" in page and "reward model alone" in page
    assert "Summaries flagged toxic (reward model" in page  # the headline names its scorer


def test_evaluate_on_the_command_line_goes_on_without_the_runs_judge_and_says_why(tmp_path, capsys):
    from rlhf_core import cli, get_config, train

    train(get_config("tiny", {"steps": 1, "eval.judge": str(tmp_path / "no-judge")}), tmp_path / "run")
    assert cli.main(["evaluate", "--run-dir", str(tmp_path / "run"), "--samples", "2", "--sampled-k", "0"]) == 0
    out = capsys.readouterr().out
    assert "warning: the judge is missing" in out and "no-judge" in out
    saved = json.loads((tmp_path / "run" / "eval.json").read_text())
    assert saved["scorers"]["judge"] is None and "no-judge" in saved["judge_unavailable"]


def test_a_report_with_its_judge_shows_no_warning():
    report = {**report_without_its_judge(), "scorers": {"reward_model": "r", "judge": "j"}}
    assert 'id="judge-missing"' not in evaluation_html(Evaluation("run", report, pd.DataFrame()), "run")


# --------------------------------------------------------------------------------------------
# Hints an app user can follow, and quiet model loads
# --------------------------------------------------------------------------------------------


def test_an_unreachable_dataset_names_the_apps_preset_menu_and_the_flag(monkeypatch):
    import datasets

    from rlhf_core.data.dialogues import load_rows

    def unreachable(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'knkarthick/dialogsum' on the Hub (OfflineModeIsEnabled)")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    data = get_config(startup.DEFAULT_PRESET).data
    data.test_split = None
    with pytest.raises(UserError) as error:
        load_rows(data)
    message = str(error.value)
    assert "Preset menu" in message and "data.dataset" in message and "--dataset" in message


def test_wrapping_a_loaded_model_in_lora_prints_no_warning():
    code = ("from rlhf_core import get_config; from rlhf_core.models.reward import RewardModel; "
            "from rlhf_core.models.summarizer import Summarizer; cfg = get_config('demo'); "
            "Summarizer(cfg, RewardModel.from_config(cfg.reward))")
    done = subprocess.run([sys.executable, "-W", "default", "-c", code], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Warning" not in done.stderr, done.stderr
