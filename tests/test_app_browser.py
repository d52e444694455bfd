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
from dataclasses import replace
from pathlib import Path

import pytest
from playwright.sync_api import expect

from webapp.job_control import JOBS

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


def start_run(steps: int, label: str = ""):
    """Starts a tiny run (batch 2, seed 1) as the Start button would, without the page."""
    from webapp.job_control import start_training
    from webapp.limits import default_settings

    return start_training(replace(default_settings("tiny"), steps=steps, batch_size=2, seed=1), label=label)


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
    expect(other.locator("#run-card")).to_contain_text("watching it live", timeout=30_000)
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


# No horizontal page scroll: the page is never wider than the window (tables and charts scroll inside).
NO_OVERFLOW = "() => document.documentElement.scrollWidth <= window.innerWidth"

# WCAG contrast ratio between an element's text colour and the nearest opaque background behind it.
CONTRAST_OF = """(el) => {
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  let node = el, bg = null;
  while (node && node.nodeType === 1) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length >= 3 && (c.length < 4 || c[3] > 0.5)) { bg = c; break; }
    node = node.parentElement;
  }
  bg = bg || (document.body.classList.contains('dark') ? [11, 15, 25] : [255, 255, 255]);
  const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""
CONTRAST = f"(selector) => ({CONTRAST_OF})(document.querySelector(selector))"
# The lowest contrast among every element `selector` matches (and how many it matched).
LOWEST_CONTRAST = f"""(selector) => {{
  const ratios = [...document.querySelectorAll(selector)].map({CONTRAST_OF});
  return [ratios.length ? Math.min(...ratios) : null, ratios.length];
}}"""
# Absolute paths of the server (/work/..., /tmp/..., /home/...) in what the page shows.
ABSOLUTE_PATH = re.compile(r"(?:^|[\s(:\"'])/(?:[\w.-]+/)+[\w.-]+")

LAYOUTS = [("desktop", {"width": 1400, "height": 1000}, "light"), ("phone", {"width": 420, "height": 900}, "light"),
           ("phone-dark", {"width": 420, "height": 900}, "dark")]


@pytest.mark.parametrize("name,viewport,scheme", LAYOUTS, ids=[n for n, _, _ in LAYOUTS])
def test_every_tab_fits_the_screen_and_reads_in_its_colour_scheme(browser, app_url, app_runs, name, viewport, scheme):
    start_run(steps=2)
    assert JOBS.wait(60)
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#models-banner")).to_contain_text("builtin:tiny-t5", timeout=15_000)
    expect(page.locator("#run-card")).to_contain_text("Finished", timeout=15_000)
    if name == "desktop":  # the controls and Start above the fold
        box = page.locator("#start").bounding_box()
        assert box and box["y"] + box["height"] <= viewport["height"], box
    if scheme == "dark":
        assert page.evaluate("document.body.classList.contains('dark')")
        for selector in ("#models-banner", "#run-card", "#run-card b", "#headline .big"):
            assert page.evaluate(CONTRAST, selector) >= 4.5, selector
        expect(page.locator("#reward-plot .main-svg").first).to_be_attached(timeout=15_000)  # Plotly draws late
        assert page.evaluate("getComputedStyle(document.querySelector('#reward-plot .main-svg')).backgroundColor") \
            in ("rgba(0, 0, 0, 0)", "transparent")  # the chart shows the page's (dark) background
    assert page.evaluate(NO_OVERFLOW), f"{name}: Train tab wider than the window"
    for tab in ("Before vs after", "Your dialogue", "Runs"):
        page.get_by_role("tab", name=tab).click()
        page.wait_for_timeout(700)
        assert page.evaluate(NO_OVERFLOW), f"{name}: {tab} tab wider than the window"

    # An example, clicked, fills the dialogue and shows the word-level diff of before and after.
    page.get_by_role("tab", name="Your dialogue").click()
    expect(page.locator("#dialogue-run input")).not_to_have_value("", timeout=10_000)
    page.locator("#dialogue-examples button, #dialogue-examples .gallery-item").nth(2).click()
    expect(page.locator("#dialogue-input textarea")).to_have_value(re.compile("birthday"), timeout=10_000)
    expect(page.locator("#after-scores")).to_contain_text("toxicity", timeout=60_000)
    expect(page.locator("#summary-after")).not_to_be_empty()
    assert page.evaluate(NO_OVERFLOW), f"{name}: Your dialogue wider than the window after a comparison"
    marks = "#summary-after .legend-item, #before-scores .chip, #after-scores .chip"
    lowest, count = page.evaluate(LOWEST_CONTRAST, marks)
    assert count >= 2 and lowest >= 4.5, (name, lowest, count)  # the diff's legend and the score chips
    assert not ABSOLUTE_PATH.search(page.evaluate("document.body.innerText")), name
    if os.environ.get("RLHF_SCREENSHOT_DIR"):
        screenshot(page, Path(os.environ["RLHF_SCREENSHOT_DIR"]) / f"check-{name}.png")
    context.close()


def test_the_algorithm_shows_the_knobs_it_reads_and_hides_the_others(page, app_url, app_runs):
    page.set_viewport_size(VIEWPORT)
    page.goto(app_url)
    for knob in ("#adaptive-kl", "#kl-coef", "#target-kl"):
        expect(page.locator(knob)).to_be_visible(timeout=15_000)
    expect(page.locator("#kl-coef input")).to_have_value("0.2")
    page.locator("#algo input").click()
    page.get_by_role("option", name="RLOO (no critic)").click()
    expect(page.locator("#target-kl")).to_be_hidden(timeout=10_000)
    expect(page.locator("#adaptive-kl")).to_be_hidden()
    expect(page.locator("#kl-coef input")).to_have_value("0.05")  # the preset's critic_free.kl_coef
    expect(page.locator("#kl-coef")).to_contain_text("RLOO subtracts beta")
    page.locator("#algo input").click()
    page.get_by_role("option", name="PPO (value head)").click()
    expect(page.locator("#target-kl")).to_be_visible(timeout=10_000)
    expect(page.locator("#kl-coef input")).to_have_value("0.2")


def test_stop_acts_at_once_and_the_run_ends_inside_the_current_step(page, app_url, app_runs):
    page.set_viewport_size(VIEWPORT)
    page.goto(app_url)
    set_slider(page, "steps", 50)
    page.locator("#start").click()
    page.wait_for_function(f"({REWARD_POINTS})() >= 2", timeout=30_000)
    page.locator("#stop").click()
    expect(page.locator("#stop")).to_be_disabled(timeout=300)  # in the page, before any round trip
    expect(page.locator("#run-card")).to_contain_text("unfinished step is dropped", timeout=5_000)
    step_at_click = JOBS.snapshot().step
    assert JOBS.wait(30)
    snap = JOBS.snapshot()
    assert snap.stopped and snap.step <= step_at_click + 1, (step_at_click, snap.step)
    expect(page.locator("#run-card")).to_contain_text("Stopped", timeout=10_000)
    expect(page.locator("#run-card")).to_contain_text(f"stopped after step {snap.step} of 50; checkpoint kept")


def test_on_a_phone_start_shows_the_run_card_and_an_evaluation_reads_as_cards(browser, app_url, app_runs):
    context = browser.new_context(viewport={"width": 420, "height": 900}, color_scheme="dark")
    page = context.new_page()
    page.goto(app_url)
    expect(page.locator("#models-banner")).to_contain_text("builtin:tiny-t5", timeout=15_000)
    set_slider(page, "steps", 2)
    page.locator("#start").click()
    expect(page.locator("#run-card")).to_contain_text("Finished", timeout=60_000)
    top = page.evaluate("document.querySelector('#run-card').getBoundingClientRect().top")
    assert 0 <= top < 900 * 0.5, top  # Start scrolled the run card (below every setting on a phone) into view

    page.get_by_role("tab", name="Before vs after").click()
    expect(page.locator("#compare-run input")).to_have_value(re.compile("not evaluated"), timeout=10_000)
    set_slider(page, "eval-samples", 2)
    page.locator("#evaluate").click()
    expect(page.locator("#evaluation-summary .metric-card").first).to_be_visible(timeout=120_000)
    expect(page.locator("#compare-run input")).to_have_value(re.compile(r"· evaluated"), timeout=10_000)
    # The wide table gives way to one card per dialogue, as wide as the screen allows.
    expect(page.locator("#comparison-table")).to_be_hidden()
    cards = page.locator("#dialogue-cards .dialogue-card")
    expect(cards).to_have_count(2)
    widths = [cards.nth(i).bounding_box()["width"] for i in range(2)]
    assert min(widths) >= 300, widths
    assert not ABSOLUTE_PATH.search(page.evaluate("document.body.innerText"))

    # The Pareto chart, drawn for the evaluated run, shows the page's dark background through it.
    page.get_by_role("tab", name="Runs").click()
    page.wait_for_function("() => { const p = document.querySelector('#runs-pareto .js-plotly-plot');"
                           " return p && p._fullData && p._fullData.length > 0; }", timeout=15_000)
    assert page.evaluate("getComputedStyle(document.querySelector('#runs-pareto .main-svg')).backgroundColor") \
        in ("rgba(0, 0, 0, 0)", "transparent")
    assert page.evaluate("[...document.querySelectorAll('.modebar-btn')].every((b) => b.tabIndex === -1)")
    assert not ABSOLUTE_PATH.search(page.evaluate("document.body.innerText"))
    context.close()


def test_a_run_link_opens_its_comparison(page, app_url, app_runs):
    from webapp.evaluation import evaluate

    start_run(steps=1, label="Shared link!")
    assert JOBS.wait(60)
    name = JOBS.snapshot().run_name
    assert name.endswith("-tiny-shared-link")
    evaluate(name, 2)
    page.goto(f"{app_url}?run={name}")
    expect(page.get_by_role("tab", name="Before vs after")).to_have_attribute("aria-selected", "true",
                                                                               timeout=60_000)
    expect(page.locator("#evaluation-summary")).to_contain_text(name)
    expect(page.locator("#evaluation-summary")).to_contain_text("too few to change the policy")
    # The comparison table keeps the dialogue's turns on separate lines (innerText follows the CSS).
    expect(page.locator("#comparison-table")).to_contain_text("#Person2#")
    shown = page.evaluate("""() => [...document.querySelectorAll('#comparison-table [role=gridcell][data-col="0"]')]
        .map((cell) => cell.innerText)""")
    assert shown and all("\n#Person2#" in text for text in shown), shown


# A 20,000-character dialogue (the app's limit), many short lines like a real one.
LONG_DIALOGUE = ("#Person1#: Hi there. I would like to borrow the book A Walk in the Woods. Is it available?\n"
                 "#Person2#: Yes, it is. You can keep it for three weeks.\n" * 200)[:20_000]


def test_a_long_dialogue_goes_through_the_page_about_as_fast_as_through_the_api(page, app_url, app_runs):
    from gradio_client import Client

    client = Client(app_url, verbose=False)
    client.predict(LONG_DIALOGUE, None, api_name="/summarize_dialogue")  # warm
    started = time.perf_counter()
    client.predict(LONG_DIALOGUE, None, api_name="/summarize_dialogue")
    api = time.perf_counter() - started

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url)
    expect(page.locator("#models-banner")).to_contain_text("builtin:tiny-t5", timeout=15_000)
    page.get_by_role("tab", name="Your dialogue").click()
    box = page.locator("#dialogue-input textarea")
    expect(box).to_be_visible()
    started = time.perf_counter()
    # fill() inserts the text as an IME or dictation would: one input event per line (about 270 here),
    # each of which made Gradio's auto-resizing box lay the whole text out again (7-30 s in all).
    box.fill(LONG_DIALOGUE)
    page.locator("#dialogue-go").click()
    expect(page.locator("#before-scores")).to_contain_text("toxicity", timeout=60_000)
    browser = time.perf_counter() - started
    assert len(box.input_value()) == 20_000
    assert browser <= 2 * api + 10, (browser, api)  # measured: 1.1-2.2 s vs the API 0.3-0.5 s; the old box: over 30 s


def test_the_keyboard_moves_between_tabs_and_reaches_the_accordions(page, app_url, app_runs):
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(app_url)
    expect(page.locator("#models-banner")).to_contain_text("builtin:tiny-t5", timeout=15_000)
    expect(page.locator("#reward-plot .modebar-btn").first).to_be_attached(timeout=15_000)
    # Tab from the page's start: one stop for the tab bar, Start with a clear focus ring, no chart
    # toolbar button, and the accordions within a bounded number of stops.
    stops = []
    for _ in range(40):
        page.keyboard.press("Tab")
        stops.append(page.evaluate("""() => { const e = document.activeElement;
            return {id: e.id, role: e.getAttribute('role'), modebar: e.classList.contains('modebar-btn'),
                    accordion: !!e.closest('#explain'), outline: parseFloat(getComputedStyle(e).outlineWidth),
                    style: getComputedStyle(e).outlineStyle, shadow: getComputedStyle(e).boxShadow}; }"""))
        if stops[-1]["accordion"]:
            break
    assert stops[-1]["accordion"] and len(stops) <= 25, [s["id"] or s["role"] for s in stops]
    assert not any(s["modebar"] for s in stops)
    assert [s["id"] for s in stops if s["role"] == "tab"] == ["tab-train-button"]  # the selected tab only
    start = next(s for s in stops if s["id"] == "start")
    assert start["style"] != "none" and start["outline"] >= 2, start

    # Arrow keys move to (and select) the next tab, wrapping round; Home and End go to the ends.
    page.locator("#tab-train-button").focus()
    for key, expected in (("ArrowRight", "tab-compare-button"), ("ArrowRight", "tab-judge-button"),
                          ("ArrowLeft", "tab-compare-button"), ("End", "tab-runs-button"),
                          ("ArrowRight", "tab-train-button"), ("ArrowLeft", "tab-runs-button"),
                          ("Home", "tab-train-button")):
        page.keyboard.press(key)
        expect(page.locator(f"#{expected}")).to_have_attribute("aria-selected", "true")
        expect(page.locator(f"#{expected}")).to_be_focused()
        expect(page.locator(f"#{expected}")).to_have_attribute("tabindex", "0")
    expect(page.locator("#tab-runs-button")).to_have_attribute("tabindex", "-1")


def test_toxic_marks_in_the_desktop_table_are_readable(page, app_url, app_runs):
    import json

    from webapp.evaluation import evaluate

    start_run(steps=1)
    assert JOBS.wait(60)
    name = JOBS.snapshot().run_name
    evaluate(name, 2)
    # The tiny models write gibberish and flag words at random: one summary that keeps an insult.
    table_file = app_runs / name / "eval_samples.json"
    rows = json.loads(table_file.read_text())
    rows[0].update(summary_after="Pay now, you idiot.", toxic_words="idiot")
    table_file.write_text(json.dumps(rows))

    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{app_url}?run={name}")
    mark = "#comparison-table [role=gridcell] .toxic-mark"  # (the table's hidden measuring row has one too)
    expect(page.locator(mark)).to_be_visible(timeout=60_000)
    size = page.evaluate("""(selector) => {
        const mark = document.querySelector(selector);
        const cell = mark.closest('[role=gridcell]');
        const box = mark.getBoundingClientRect();
        return {mark: parseFloat(getComputedStyle(mark).fontSize), cell: parseFloat(getComputedStyle(cell).fontSize),
                width: box.width, height: box.height, color: getComputedStyle(mark).color};
    }""", mark)
    assert size["mark"] >= 16 and size["mark"] >= 1.2 * size["cell"], size
    assert size["width"] >= 10 and size["height"] >= 18, size
    assert size["color"] == "rgb(220, 38, 38)", size  # red, as the label above the table says


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
    from webapp.startup import preset_available

    if not preset_available("demo"):
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
        expect(page.locator("#models-banner")).not_to_contain_text("Loading", timeout=120_000)
        set_slider(page, "steps", 30)
        page.locator("#run-label textarea, #run-label input").first.fill("readme")
        page.locator("#start").click()
        expect(page.locator("#run-card")).to_contain_text("Step 12 / 30", timeout=120_000)
        screenshot(page, out / "train-running.png")
        expect(page.locator("#run-card")).to_contain_text("Finished", timeout=180_000)
        screenshot(page, out / "train.png")

        page.get_by_role("tab", name="Before vs after").click()
        page.locator("#evaluate").click()
        expect(page.locator("#evaluation-summary .metric-card").first).to_be_visible(timeout=480_000)
        page.wait_for_timeout(1000)
        screenshot(page, out / "before-vs-after.png")
        page.locator("#order").get_by_text("Most changed facts first").click()
        table = page.locator("#comparison-table")
        expect(table).to_contain_text("→", timeout=30_000)
        table.scroll_into_view_if_needed()
        page.wait_for_timeout(1000)
        table.screenshot(path=str(out / "before-vs-after-table.png"))

        page.get_by_role("tab", name="Your dialogue").click()
        expect(page.locator("#dialogue-run input")).not_to_have_value("", timeout=10_000)
        page.locator("#dialogue-examples button, #dialogue-examples .gallery-item").nth(0).click()
        expect(page.locator("#after-scores")).to_contain_text("toxicity", timeout=60_000)
        screenshot(page, out / "your-dialogue.png")

        page.get_by_role("tab", name="Runs").click()
        expect(page.locator("#runs-table")).to_contain_text("evaluated", timeout=30_000)
        page.wait_for_timeout(1000)
        screenshot(page, out / "runs.png")

        # A phone (420 px wide, dark mode): Your dialogue after an example, and the Train tab.
        phone = browser.new_context(viewport={"width": 420, "height": 900}, color_scheme="dark").new_page()
        phone.goto(url)
        expect(phone.locator("#run-card")).to_contain_text("Finished", timeout=30_000)
        phone.wait_for_timeout(1500)
        screenshot(phone, out / "phone-train-dark.png")
        phone.locator("#tab-dialogue-button").click()
        expect(phone.locator("#dialogue-run input")).not_to_have_value("", timeout=10_000)
        phone.locator("#dialogue-examples button, #dialogue-examples .gallery-item").nth(1).click()
        expect(phone.locator("#after-scores")).to_contain_text("toxicity", timeout=60_000)
        screenshot(phone, out / "phone-your-dialogue-dark.png")
    finally:
        server.terminate()
        server.wait(30)
