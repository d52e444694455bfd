"""You be the judge in a real browser (Debian's Chromium through Playwright, tiny preset): rate three
pairs at 1400x900, at 420x900 and at 420x900 in dark mode, the sides hidden until each vote, and the
win-rate figure appears; Before vs after then shows the people beside the classifiers.

    python -m pytest -q tests/test_ratings_browser.py
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from rated_runs import write_rated_run
from test_app_browser import CHROMIUM, CHROMIUM_ARGS, CONTRAST, NO_OVERFLOW

from rlhf_core.evaluation.ratings import read_ratings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"),
]
RUN = "2026-01-01-000000-tiny-rated"
LAYOUTS = [("desktop", {"width": 1400, "height": 900}, "light"), ("phone", {"width": 420, "height": 900}, "light"),
           ("phone-dark", {"width": 420, "height": 900}, "dark")]
# The people's marker in the win-rate chart, once a vote is in.
PEOPLE_POINTS = """() => {
  const plot = document.querySelector('#judge-plot .js-plotly-plot');
  const trace = plot && plot._fullData && plot._fullData.find(t => t.name === 'people (95% CI)');
  return trace ? trace.x.length : 0;
}"""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


def rate(page, less_toxic: str, more_faithful: str) -> str:
    """Answers both questions on the pair shown; returns the dialogue it was about."""
    expect(page.locator("#judge-a .judge-text")).not_to_be_empty(timeout=30_000)
    expect(page.locator("#judge-status")).not_to_contain_text("processing", timeout=15_000)  # Gradio's overlay
    dialogue = re.search(r"Dialogue (\S+)", page.locator("#judge-status").inner_text())[1]
    expect(page.locator("#judge-reveal")).to_be_empty()  # which is which: not on the page before the vote
    assert "was after RLHF" not in page.locator("#tab-judge").inner_text()
    assert "after_side" not in page.content()
    page.locator("#judge-toxic").get_by_text(less_toxic, exact=True).click()
    page.locator("#judge-faithful").get_by_text(more_faithful, exact=True).click()
    expect(page.locator("#judge-revealed")).to_contain_text(re.compile(r"[AB] was after RLHF, [AB] before"),
                                                            timeout=15_000)
    return dialogue


@pytest.mark.parametrize("name,viewport,scheme", LAYOUTS, ids=[n for n, _, _ in LAYOUTS])
def test_rate_three_pairs_and_see_the_win_rate(browser, app_url, app_runs, name, viewport, scheme):
    run = write_rated_run(app_runs / RUN, pairs=6)
    context = browser.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    page.goto(app_url)
    page.get_by_role("tab", name="Rate").click()
    expect(page.locator("#judge-run input")).to_have_value(re.compile(RUN), timeout=15_000)
    expect(page.locator("#human-ratings-empty")).to_be_visible(timeout=15_000)
    seen = []
    for number, answers in enumerate([("A", "B"), ("B", "The same"), ("The same", "A")], 1):
        if number > 1:
            page.locator("#judge-next").click()
            # The next pair is on the page when the status names another dialogue and Gradio's
            # "processing" overlay (inside the status box while the event runs) is gone.
            page.wait_for_function(
                """old => { const t = document.querySelector('#judge-status').innerText;
                            return !t.includes('processing') && /Dialogue \\S+/.test(t)
                                   && !t.includes('Dialogue ' + old + ' '); }""", arg=seen[-1], timeout=15_000)
        seen.append(rate(page, *answers))
        expect(page.locator("#human-ratings")).to_contain_text(f"Human ratings: {number} of {number} of 6 pairs",
                                                               timeout=15_000)
        page.wait_for_function(f"({PEOPLE_POINTS})() == 2", timeout=15_000)  # both questions drawn
    assert len(set(seen)) == 3
    assert page.evaluate(NO_OVERFLOW), f"{name}: You be the judge wider than the window"
    assert [r["less_toxic"] in ("after", "before") for r in read_ratings(run)] == [True, True, False]
    expect(page.locator("#human-ratings .metric-card")).to_have_count(4)  # two questions, two classifiers
    if scheme == "dark":
        assert page.evaluate("document.body.classList.contains('dark')")
        for selector in ("#judge-a .judge-text", "#judge-revealed .value", "#human-ratings .metric-card .value"):
            assert page.evaluate(CONTRAST, selector) >= 4.5, selector
        assert page.evaluate("getComputedStyle(document.querySelector('#judge-plot .main-svg')).backgroundColor") \
            in ("rgba(0, 0, 0, 0)", "transparent")
    if name == "desktop":  # the same figures beside the classifiers' in Before vs after
        page.get_by_role("tab", name="Before vs after").click()
        expect(page.locator("#human-ratings-slot #human-ratings")).to_contain_text("Human ratings: 3", timeout=15_000)
    context.close()
