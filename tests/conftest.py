"""Shared test setup: offline, deterministic, single-threaded where it matters."""

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# Trackio's local store (read when trackio is imported): a throwaway folder, not ~/.cache.
os.environ.setdefault("TRACKIO_DIR", tempfile.mkdtemp(prefix="trackio-tests-"))

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# Invented dialogues in DialogSum's two file formats (tests/data/README.md): the project's own, so the
# tests need nothing beside the checkout. The real DialogSum dev file is used only where
# RLHF_DIALOGSUM_DEV names it (see `real_dialogsum_dev`).
DIALOGSUM_DEV = ROOT / "tests" / "data" / "invented_dev_format.jsonl"
DIALOGSUM_TEST = ROOT / "tests" / "data" / "invented_test_format.jsonl"

import torch  # noqa: E402

# Tiny models run fastest on one thread, and a busy 2-core machine punishes oversubscription.
torch.set_num_threads(1)


# --- The real DialogSum dev file (optional) ------------------------------------------------------

def real_dialogsum_dev() -> Path:
    """The DialogSum dev file that RLHF_DIALOGSUM_DEV names; skips the calling test where it is not set."""
    import pytest

    value = os.environ.get("RLHF_DIALOGSUM_DEV")
    if not value:
        pytest.skip("checks against the real DialogSum dev file: set RLHF_DIALOGSUM_DEV to its path "
                    "(dialogsum.dev.jsonl) to run them")
    path = Path(value).expanduser()
    if not path.is_file():
        pytest.fail(f"RLHF_DIALOGSUM_DEV={value} is not a file")
    return path


# --- The Gradio app (tests/test_app.py, tests/test_app_browser.py) -------------------------------

import socket  # noqa: E402

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def app_module():
    """app.py with the server's shared models loaded once, on the tiny preset."""
    from webapp.startup import startup

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RLHF_PRESET", "tiny")
        import app

        startup()
    return app


@pytest.fixture
def app_runs(app_module, monkeypatch, tmp_path):
    """A fresh runs folder (RLHF_RUNS_DIR) for one test; the server's training job is idle before and after."""
    from webapp.job_control import JOBS

    runs = tmp_path / "runs"
    monkeypatch.setenv("RLHF_RUNS_DIR", str(runs))
    assert JOBS.wait(60), "a training job from an earlier test is still running"
    yield runs
    JOBS.stop()
    assert JOBS.wait(60), "the training job did not stop"


@pytest.fixture(scope="module")
def app_url(app_module):
    """The app, launched on a free local port for this test module."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    demo = app_module.build_app()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                **app_module.launch_kwargs())
    yield demo.local_url
    demo.close()
