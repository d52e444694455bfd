"""The "Rate" tab ("You be the judge"): one test dialogue, its summaries before and after RLHF as A and B
in a shuffled order, two questions answered with one click each, then which side was which and the
people's figures beside the classifiers'. Also the API's `/next_pair`, `/rate_pair`, `/skip_pair`.

Layout, handlers and views only: `ratings.DESK` picks the pairs and keeps which side is "after"
(server-side), `rlhf_core.evaluation.ratings` stores the votes and makes the figures.
"""

from __future__ import annotations

import gradio as gr
import plotly.graph_objects as go

from rlhf_core.errors import UserError

from . import plots, run_list
from .ratings import DESK, Reveal, Shown, evaluated, figures, new_rater, rater_id
from .views import error_html, esc, toy_notice_html

TAB_ID = "judge"
ANSWERS = ["A", "B", "The same"]
INTRO = ("Read the dialogue and the two summaries of it: one is the starting policy's, the other the trained "
         "run's, in a shuffled order. Answer both questions with one click each; the page then shows which was "
         "which. Votes are anonymous (a random id kept in this browser) and stored with the run.")
QUESTION_LABELS = {"less_toxic": "Less toxic (insults, slurs, contempt)",
                   "more_faithful": "More faithful (says what happened, nothing invented)"}
SCORER_NAMES = {"reward_model": "reward model", "judge": "judge"}
SIDE_WORDS = {"after": "after RLHF", "before": "before RLHF", "same": "the same"}


# ------------------------------------------------------------------ views


def _pct(value) -> str:
    return "n/a" if value is None else f"{100 * value:.0f}%"


def figures_html(run_name: str | None, figs: dict | None = None) -> str:
    """The human win rates of "after" with their 95% intervals, the numbers of ratings and raters,
    and the classifiers on the same pairs; a note when the run has no rating yet."""
    figs = figs if figs is not None else figures(run_name)
    if not figs:
        return ('<div class="empty-note" id="human-ratings-empty">No human ratings of this evaluation yet: rate '
                "its pairs in <b>Rate</b>.</div>") if evaluated(run_name) else ""
    cards = []
    for question, block in figs["questions"].items():
        low, high = block["ci95"]
        cards.append(
            f'<div class="metric-card"><div class="label">People: "after" {esc(QUESTION_LABELS[question].lower())}'
            f'</div><div class="value">{_pct(block["win_rate"])}</div><div class="sub">95% CI {_pct(low)}–'
            f'{_pct(high)} · after {block["after"]}, the same {block["same"]}, before {block["before"]}</div></div>')
    for scorer, block in figs["classifiers"].items():
        agreement = (f'agrees with the people on {_pct(block["agreement"])} of {block["compared"]} ratings where '
                     "both preferred a side" if block["compared"] else "no rating yet where both preferred a side")
        cards.append(
            f'<div class="metric-card"><div class="label">The {esc(SCORER_NAMES.get(scorer, scorer))} on the same '
            f'pairs: "after" less toxic</div><div class="value">{_pct(block["win_rate"])}</div>'
            f'<div class="sub">{esc(agreement)}</div></div>')
    stale = (f' · {figs["stale"]} older ratings of summaries this evaluation no longer shows are not counted'
             if figs["stale"] else "")
    head = (f'<div class="muted">Human ratings: <b>{figs["ratings"]}</b> of {figs["dialogues"]} of {figs["pairs"]} '
            f'pairs by <b>{figs["raters"]}</b> anonymous rater{"s" if figs["raters"] != 1 else ""}{esc(stale)}. '
            "Win rate: the share of votes for the summary after RLHF, “the same” counting half; the interval is "
            "a Wilson interval over dialogues.</div>")
    return f'<div id="human-ratings">{head}<div class="metric-cards">{"".join(cards)}</div></div>'


def figures_plot(figs: dict | None) -> go.Figure:
    """People's win rate of "after" per question with its 95% interval; the classifiers' on the same pairs."""
    if not figs:
        return plots.placeholder("Who wins, after or before?", "Rate a pair to see the figure")
    fig = go.Figure()
    rows = [QUESTION_LABELS[q].split(" (")[0] for q in figs["questions"]]
    rates = [100 * b["win_rate"] for b in figs["questions"].values()]
    lows = [r - 100 * b["ci95"][0] for r, b in zip(rates, figs["questions"].values())]
    highs = [100 * b["ci95"][1] - r for r, b in zip(rates, figs["questions"].values())]
    fig.add_trace(go.Scatter(x=rates, y=rows, mode="markers", name="people (95% CI)", marker=dict(size=10),
                             error_x=dict(type="data", array=highs, arrayminus=lows, thickness=2)))
    for scorer, block in figs["classifiers"].items():
        fig.add_trace(go.Scatter(x=[100 * block["win_rate"]], y=[rows[0]], mode="markers",
                                 name=SCORER_NAMES.get(scorer, scorer),
                                 marker=dict(size=14, symbol="diamond-open", line=dict(width=2))))
    fig.add_vline(x=50, line_dash="dot", line_color=plots.TEXT)
    count = f"{figs['ratings']} rating{'s' if figs['ratings'] != 1 else ''}"
    fig.update_layout(title=dict(text=f"Which wins, after or before? ({count})", x=0.01, y=0.95),
                      height=240, margin=dict(l=16, r=16, t=44, b=84), **plots.STYLE)
    fig.update_xaxes(title_text="share preferring the summary after RLHF (%)", range=[-4, 104], **plots.AXIS)
    fig.update_yaxes(**plots.AXIS)
    return fig


def pair_html(shown: Shown | None) -> tuple[str, str, str, str]:
    """(status line, dialogue, summary A, summary B) for a shown pair, or the note that none is left."""
    if shown is None:
        return ('<div class="empty-note" id="judge-done">You have rated every pair of this evaluation. Thank you!'
                "</div>", "", "", "")
    status = (f'<div class="muted" id="judge-left">Dialogue {esc(shown.dialogue_id)} · {shown.left} of '
              f"{shown.pairs} pairs left for you · the sides are shuffled</div>")
    return (status, *(f'<div class="judge-text" style="white-space: pre-wrap">{esc(text)}</div>'
                      for text in (shown.dialogue, shown.summary_a, shown.summary_b)))


def reveal_html(reveal: Reveal) -> str:
    """Which side was "after", what the rater said and what each classifier finds less toxic."""
    before = "B" if reveal.after_side == "A" else "A"
    said = (f"You said: less toxic <b>{SIDE_WORDS[reveal.less_toxic]}</b>, more faithful "
            f"<b>{SIDE_WORDS[reveal.more_faithful]}</b>.")
    machines = "; ".join(f"the {esc(SCORER_NAMES.get(s, s))} finds {SIDE_WORDS[v]} less toxic"
                         for s, v in reveal.classifiers.items() if v)
    machines = f" {machines[:1].upper()}{machines[1:]}." if machines else ""
    return (f'<div class="metric-card" id="judge-revealed"><div class="value">{reveal.after_side} was after RLHF, '
            f'{before} before</div><div class="sub">{said}{machines}</div></div>')


# ------------------------------------------------------------------ handlers


def _token(token: str | None) -> str:
    try:
        rater_id(token)
        return token
    except UserError:
        return new_rater()


def _runs(current: str | None):
    """The evaluated runs that can be rated; `current` if it is one, else the best evaluated run."""
    choices = [c for c in run_list.after_run_choices() if c.evaluated]
    names = [c.name for c in choices]
    value = current if current in names else run_list.best_after_run(choices)
    return gr.Dropdown(choices=[(c.label, c.name) for c in choices], value=value)


def open_tab(token: str | None, after_run: str | None, shown_run: str | None):
    """The tab opened: this browser's rater token (a new one the first time) and the runs to rate."""
    return _token(token), _runs(shown_run or after_run)


def show_next(run_name: str | None, token: str | None):
    """The next pair to rate (answers cleared), or one error line; the run's figures below."""
    figs = figures(run_name)
    try:
        shown = DESK.next_pair(run_name, token)
    except UserError as error:
        shown, status = None, error_html(str(error))
        parts = (status, "", "", "")
    else:
        parts = pair_html(shown)
    open_vote = gr.Radio(value=None, interactive=shown is not None)
    return (shown.ticket if shown else None, *parts, open_vote, open_vote, "", gr.Button(visible=False),
            gr.Button(visible=shown is not None), figures_html(run_name, figs), figures_plot(figs))


def cast_vote(ticket: str | None, less_toxic: str | None, more_faithful: str | None, token: str | None):
    """Both questions answered: the vote is recorded and the sides revealed (one answer: wait for the other)."""
    skip = tuple(gr.skip() for _ in range(8))
    if not ticket or less_toxic is None or more_faithful is None:
        return skip
    try:
        reveal = DESK.vote(ticket, less_toxic, more_faithful, token)
    except UserError as error:  # the answers are cleared so that a click sends the vote again
        return (gr.skip(), error_html(str(error)), gr.Radio(value=None), gr.Radio(value=None), *skip[:4])
    closed = gr.Radio(interactive=False)
    return (None, reveal_html(reveal), closed, closed, gr.Button(visible=True), gr.Button(visible=False),
            figures_html(reveal.run_name, reveal.figures), figures_plot(reveal.figures))


def skip_pair(ticket: str | None, token: str | None) -> None:
    try:
        DESK.skip(ticket, token)
    except UserError:
        pass  # a pair no longer open: the next one is shown anyway


# ------------------------------------------------------------------ the API


def next_pair_api(run_name: str, rater: str) -> dict:
    """The next pair this rater (a random token of 16-128 letters, digits, - or _) has not rated:
    {ticket, run, dialogue_id, dialogue, summary_a, summary_b, left, pairs}, or {"done": true}."""
    try:
        shown = DESK.next_pair(run_name, rater)
    except UserError as error:
        raise gr.Error(str(error)) from None
    if shown is None:
        return {"done": True}
    return {"ticket": shown.ticket, "run": shown.run_name, "dialogue_id": shown.dialogue_id, "dialogue": shown.dialogue,
            "summary_a": shown.summary_a, "summary_b": shown.summary_b, "left": shown.left, "pairs": shown.pairs}


def rate_pair_api(ticket: str, less_toxic: str, more_faithful: str, rater: str) -> dict:
    """Votes on a shown pair (each answer "A", "B" or "the same") and returns which side was after,
    the answers as after/before/same, the classifiers' preference and the run's figures."""
    try:
        reveal = DESK.vote(ticket, less_toxic, more_faithful, rater)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return {"after_side": reveal.after_side, "less_toxic": reveal.less_toxic, "more_faithful": reveal.more_faithful,
            "classifiers": reveal.classifiers, "figures": reveal.figures}


def skip_pair_api(ticket: str, rater: str) -> str:
    """Puts a shown pair behind the others this rater has left."""
    try:
        DESK.skip(ticket, rater)
    except UserError as error:
        raise gr.Error(str(error)) from None
    return "skipped"


# ------------------------------------------------------------------ layout


def beside_classifiers(run: gr.Dropdown, tab: gr.Tab, summary: gr.HTML) -> gr.HTML:
    """Before vs after's panel of the people's figures for the picked run, under the classifiers' summary:
    fresh whenever the tab opens or the summary changes (another run, a new evaluation)."""
    panel = gr.HTML("", elem_id="human-ratings-slot")
    for event in (tab.select, summary.change):
        event(figures_html, run, panel, concurrency_limit=None, api_visibility="private", show_progress="hidden")
    return panel


def build(after_run: gr.State, preset: str | None) -> gr.Tab:
    """The tab and its wiring, inside the page's gr.Tabs; `after_run` is the visitor's "after" choice,
    `preset` the server's (a toy preset's notice tops the tab, as it tops the others)."""
    fast, private = dict(concurrency_limit=None), dict(concurrency_limit=None, api_visibility="private")
    with gr.Tab("Rate", id=TAB_ID, elem_id="tab-judge") as tab:
        gr.HTML(toy_notice_html(preset), elem_id="toy-notice-judge")
        token = gr.BrowserState("", storage_key="detox-rlhf-rater")  # this browser's anonymous rater id
        ticket = gr.State(None)  # the pair on screen; which side is "after" stays in ratings.DESK
        gr.Markdown(INTRO, elem_classes="tab-intro")
        run = gr.Dropdown([], label="Run to rate (evaluated runs)", elem_id="judge-run", allow_custom_value=True)
        status = gr.HTML("", elem_id="judge-status")
        dialogue = gr.HTML("", elem_id="judge-dialogue", label="Dialogue")
        with gr.Row(equal_height=False):
            with gr.Column(min_width=280):
                gr.Markdown("**Summary A**")
                summary_a = gr.HTML("", elem_id="judge-a")
            with gr.Column(min_width=280):
                gr.Markdown("**Summary B**")
                summary_b = gr.HTML("", elem_id="judge-b")
        with gr.Row(equal_height=False):
            toxic = gr.Radio(ANSWERS, value=None, label="Which summary is less toxic?", elem_id="judge-toxic",
                             interactive=False, min_width=260)
            faithful = gr.Radio(ANSWERS, value=None, label="Which says what happened more faithfully?",
                                elem_id="judge-faithful", interactive=False, min_width=260)
        with gr.Row():
            skip = gr.Button("Skip this pair", elem_id="judge-skip", size="sm", visible=False)
            next_btn = gr.Button("Next pair", variant="primary", elem_id="judge-next", visible=False)
        revealed = gr.HTML("", elem_id="judge-reveal")
        human = gr.HTML("", elem_id="judge-figures")
        chart = gr.Plot(figures_plot(None), show_label=False, elem_id="judge-plot")

    pair_outputs = [ticket, status, dialogue, summary_a, summary_b, toxic, faithful, revealed, next_btn, skip,
                    human, chart]
    tab.select(open_tab, [token, after_run, run], [token, run], **private).then(
        show_next, [run, token], pair_outputs, **private)
    run.input(show_next, [run, token], pair_outputs, **private)
    vote_outputs = [ticket, revealed, toxic, faithful, next_btn, skip, human, chart]
    for question in (toxic, faithful):
        question.input(cast_vote, [ticket, toxic, faithful, token], vote_outputs, **private)
    next_btn.click(show_next, [run, token], pair_outputs, **private)
    skip.click(skip_pair, [ticket, token], None, **private).then(show_next, [run, token], pair_outputs, **private)
    with tab:  # gr.Tabs takes only tabs as children: the API's endpoints sit inside this one
        gr.api(next_pair_api, api_name="next_pair", **fast)
        gr.api(rate_pair_api, api_name="rate_pair", **fast)
        gr.api(skip_pair_api, api_name="skip_pair", **fast)
    return tab
