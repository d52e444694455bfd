"""The app in a real browser: Playwright driving Debian's Chromium (headless, no network but localhost).

    python -m pytest -q tests/test_app_browser.py                       # CI: tiny preset, seconds
    RLHF_SCREENSHOT_DIR=docs/screenshots python -m pytest -q tests/test_app_browser.py -k readme
                                                                        # the README's screenshots (demo preset, ~2 min)
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parent.parent
# No sandbox (root in containers), no GPU, and no name resolution except localhost: the page may
# not reach anything but the app.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
    "--disable-default-apps", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
VIEWPORT = {"width": 1400, "height": 1000}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


# Points of the "reward mean" trace drawn in the reward chart.
REWARD_POINTS = """() => {
  const plot = document.querySelector('#reward-plot .js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData.find(t => t.name === 'reward mean');
  return trace ? trace.x.length : 0;
}"""


def screenshot(page, path: Path) -> None:
    page.mouse.move(0, 0)  # no hover effect on the last button clicked
    page.screenshot(path=path, full_page=True)


def set_slider(page, elem_id: str, value: int) -> None:
    box = page.locator(f"#{elem_id} input[type=number]")
    box.fill(str(value))
    box.press("Enter")


def test_train_live_then_compare_a_dialogue(page, browser, app_url, app_runs, tmp_path):
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.set_viewport_size(VIEWPORT)
    page.goto(app_url)
    expect(page.locator("#models-banner")).to_contain_text("builtin:tiny-t5")
    expect(page.locator("#run-card")).to_contain_text("No run yet")

    set_slider(page, "steps", 30)
    page.locator("#start").click()
    page.wait_for_function(f"({REWARD_POINTS})() >= 2", timeout=30_000)
    expect(page.locator("#run-card")).to_contain_text(re.compile(r"Step \d+ / 30"))

    # Another visitor sees the same run live, with Start disabled.
    other = browser.new_context(viewport=VIEWPORT).new_page()
    other.goto(app_url)
    expect(other.locator("#run-card")).to_contain_text("watching it live", timeout=15_000)
    expect(other.locator("#start")).to_be_disabled()
    other.wait_for_function(f"({REWARD_POINTS})() >= 2", timeout=15_000)
    screenshot(page, tmp_path / "train-running.png")

    expect(page.locator("#run-card")).to_contain_text("Finished", timeout=60_000)
    expect(page.locator("#start")).to_be_enabled()
    expect(other.locator("#start")).to_be_enabled(timeout=10_000)
    assert page.evaluate(REWARD_POINTS) == 30
    other.context.close()

    # Your dialogue: HTML in the input stays text; before and after come back with their scores.
    page.get_by_role("tab", name="Your dialogue").click()
    expect(page.locator("#dialogue-run input")).not_to_have_value("", timeout=10_000)
    payload = '<img src="x" onerror="window.__injected = 1"><b>bold</b>\n#Person2#: Hello there.'
    page.locator("#dialogue-input textarea").fill(payload)
    page.locator("#dialogue-go").click()
    expect(page.locator("#after-scores")).to_contain_text("toxicity", timeout=30_000)
    expect(page.locator("#before-scores")).to_contain_text("reward")
    assert page.evaluate("window.__injected") is None and page.locator("img[src='x']").count() == 0
    screenshot(page, tmp_path / "dialogue.png")

    page.locator("#dialogue-input textarea").fill("   ")
    page.locator("#dialogue-go").click()
    expect(page.get_by_text("the dialogue is empty")).to_be_visible(timeout=10_000)
    assert not [e for e in errors if "favicon" not in e], errors


# --------------------------------------------------------------------------------------------
# README screenshots: the demo preset in `python app.py`, every tab after a real run
# --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
@pytest.mark.skipif(not os.environ.get("RLHF_SCREENSHOT_DIR"),
                    reason="writes the README screenshots; set RLHF_SCREENSHOT_DIR=docs/screenshots to run it")
def test_readme_screenshots(browser, tmp_path):
    from rlhf_core import serving

    if not serving.preset_available("demo"):
        pytest.skip("the demo preset's checkpoints are missing (python -m rlhf_core build-demo)")
    out = Path(os.environ["RLHF_SCREENSHOT_DIR"])
    out.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {**os.environ, "RLHF_PRESET": "demo", "RLHF_RUNS_DIR": str(tmp_path / "runs"),
           "GRADIO_SERVER_PORT": str(port), "HF_HUB_OFFLINE": "1"}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(url, timeout=2)
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, "python app.py did not start"
                time.sleep(0.5)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.goto(url)
        set_slider(page, "steps", 30)
        page.locator("#start").click()
        expect(page.locator("#run-card")).to_contain_text("Step 12 / 30", timeout=120_000)
        screenshot(page, out / "train-running.png")
        expect(page.locator("#run-card")).to_contain_text("Finished", timeout=180_000)
        screenshot(page, out / "train.png")

        page.get_by_role("tab", name="Before vs after").click()
        page.locator("#evaluate").click()
        expect(page.locator("#evaluation-summary .metric-card").first).to_be_visible(timeout=180_000)
        page.wait_for_timeout(1000)
        screenshot(page, out / "before-vs-after.png")

        page.get_by_role("tab", name="Your dialogue").click()
        page.locator("#dialogue-go").click()
        expect(page.locator("#after-scores")).to_contain_text("toxicity", timeout=60_000)
        screenshot(page, out / "your-dialogue.png")

        # A second run with another seed, so the Runs tab has curves to overlay.
        page.get_by_role("tab", name="Train").click()
        set_slider(page, "steps", 15)
        page.locator("#seed input").fill("7")
        page.locator("#start").click()
        expect(page.locator("#run-card")).to_contain_text("seed 7", timeout=30_000)
        expect(page.locator("#run-card")).to_contain_text("Finished", timeout=120_000)

        page.get_by_role("tab", name="Runs").click()
        expect(page.locator("#runs-table")).to_contain_text("evaluated", timeout=30_000)
        page.wait_for_timeout(1000)
        screenshot(page, out / "runs.png")
    finally:
        server.terminate()
        server.wait(30)
