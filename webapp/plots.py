"""Plotly figures for the app, built from TRL-named stats dicts: presentation only, no ML.

Figures are transparent with mid-grey text and grid, so one figure reads on Gradio's light and
dark themes alike. Units: reward is the reward model's logit for "not hate", toxicity is P(hate)
of the summary in percent, KL is in nats per summary.
"""

import copy
import functools

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORS = {
    "reward": "#6366f1", "kl": "#0ea5e9", "kl_coef": "#f59e0b", "target": "#94a3b8",
    "returns": "#10b981", "advantages": "#a855f7", "toxicity": "#ef4444", "before": "#94a3b8", "after": "#6366f1",
}
RUN_PALETTE = ["#6366f1", "#10b981", "#f59e0b", "#ef4444", "#0ea5e9",
               "#a855f7", "#ec4899", "#84cc16", "#06b6d4", "#9333ea"]
RUN_DASHES = ["solid", "dash", "dot", "dashdot", "longdash"]
RUN_MARKERS = ["circle", "square", "diamond", "triangle-up", "x", "cross"]
TEXT = "#8b95a5"  # readable on white and on Gradio's dark background
GRID = "rgba(139,149,165,0.25)"

SMOOTHING_HELP = "0 shows every step as it is; 0.9 averages over roughly the last 10 steps."


FONT = "ui-sans-serif, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
# The one chart style of the app: every figure (Train, Before vs after, Runs, downloads) gets it.
STYLE = dict(
    template="none", paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
    font=dict(family=FONT, color=TEXT, size=11), title_font=dict(family=FONT, color=TEXT, size=14),
    autosize=True, hovermode="x unified",
    # The legend sits at the figure's bottom edge, under the x axis title (which the margin keeps clear).
    legend=dict(orientation="h", yref="container", yanchor="bottom", y=0, xanchor="left", x=0, font=dict(size=11),
                bgcolor="rgba(0,0,0,0)"),
)
AXIS = dict(gridcolor=GRID, zerolinecolor=GRID, linecolor=GRID, automargin=True, title_font=dict(size=11),
            title_standoff=6)


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The app's chart style (`STYLE`, `AXIS`): transparent, mid-grey text, legend under the x title."""
    fig.update_layout(title=dict(text=title, x=0.01, y=0.97), height=height, margin=dict(l=56, r=16, t=44, b=84),
                      **STYLE)
    fig.update_xaxes(**AXIS)
    fig.update_yaxes(**AXIS)
    return fig


def _figure(title: str, height: int = 290) -> go.Figure:
    fig = _style(go.Figure(), title, height)
    fig.update_xaxes(title_text="PPO step", title_font=dict(size=11), rangemode="tozero")
    return fig


def _step_axis(fig: go.Figure, last_step: int) -> None:
    """Whole-number PPO steps on the x axis, from 1 to `last_step`."""
    last = max(int(last_step or 1), 1)
    fig.update_xaxes(range=[0.5, last + 0.5], tick0=0, dtick=max(1, -(-last // 8)), rangemode="normal")


def validated_placeholder(title: str, message: str) -> go.Figure:
    """An empty chart with a message, built through plotly's validation (slow: ~30 ms)."""
    fig = _figure(title)
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=13, color=TEXT))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


@functools.lru_cache(maxsize=1)
def _placeholder_layout() -> dict:
    return validated_placeholder("", "").layout.to_plotly_json()


def placeholder(title: str, message: str) -> go.Figure:
    """`validated_placeholder`, from a layout validated once: the page's start draws nine of these
    (a test checks the two agree)."""
    layout = copy.deepcopy(_placeholder_layout())
    layout["title"]["text"] = title
    layout["annotations"][0]["text"] = message
    return go.Figure(layout=layout, _validate=False)


def _column(stats: list[dict], key: str) -> list:
    return [record.get(key) for record in stats]


def smooth(values: list, smoothing: float = 0.0) -> list:
    """Exponential moving average with weight `smoothing` on the past (0 = raw values; None stays None)."""
    if not smoothing or not values:
        return list(values)
    series = pd.Series(values, dtype="float64")
    smoothed = series.ewm(alpha=1 - min(max(smoothing, 0.0), 0.99), ignore_na=True).mean()
    return [None if pd.isna(v) else float(s) for v, s in zip(series, smoothed)]


def _raw_and_smoothed(fig, steps, values, smoothing, name, color, row=None, col=None, **line) -> None:
    """The raw values as faint points and the smoothed curve (or the raw curve when not smoothing)."""
    where = dict(row=row, col=col) if row else {}
    if smoothing:
        fig.add_scatter(x=steps, y=values, mode="markers", name=f"{name} (each step)", opacity=0.35,
                        marker=dict(color=color, size=5), hoverinfo="skip", **where)
    fig.add_scatter(x=steps, y=smooth(values, smoothing), mode="lines+markers" if not smoothing else "lines",
                    name=name, line=dict(color=color, width=2.5, **line), **where)


def reward_figure(stats: list[dict], total_steps: int = 0, smoothing: float = 0.0) -> go.Figure:
    """Mean reward per step with a band of ± one standard deviation."""
    if not stats:
        return placeholder("Reward", "Start a run to see the reward rise")
    steps, mean, std = _column(stats, "step"), _column(stats, "env/reward_mean"), _column(stats, "env/reward_std")
    upper = [m + s if m is not None and s is not None else None for m, s in zip(mean, std)]
    lower = [m - s if m is not None and s is not None else None for m, s in zip(mean, std)]
    fig = _figure("Reward: higher is less hateful")
    fig.add_scatter(x=steps, y=smooth(upper, smoothing), mode="lines", line=dict(width=0), hoverinfo="skip",
                    showlegend=False)
    fig.add_scatter(x=steps, y=smooth(lower, smoothing), mode="lines", line=dict(width=0), fill="tonexty",
                    fillcolor="rgba(99,102,241,0.18)", name="± std", hoverinfo="skip")
    _raw_and_smoothed(fig, steps, mean, smoothing, "reward mean", COLORS["reward"])
    fig.update_yaxes(title_text="reward (logit of not-hate)")
    terms = sorted({k for record in stats for k in record if k.startswith("env/reward/") and k.endswith("_mean")})
    if len(terms) > 1:  # a composite reward: each term's raw mean, dashed
        for key in terms:
            fig.add_scatter(x=steps, y=smooth(_column(stats, key), smoothing), mode="lines",
                            line=dict(dash="dash", width=1.5), name=key[len("env/reward/"):-len("_mean")])
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


def kl_figure(stats: list[dict], total_steps: int = 0, target_kl: float | None = None,
              smoothing: float = 0.0) -> go.Figure:
    """KL to the reference (top) and the KL coefficient (bottom): two panels, two y axes, no shared scale."""
    if not stats:
        return placeholder("KL to the reference", "KL and its coefficient appear here")
    steps = _column(stats, "step")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.68, 0.32], vertical_spacing=0.08)
    _style(fig, "KL to the starting model, and its penalty coefficient", 330)
    _raw_and_smoothed(fig, steps, _column(stats, "objective/kl"), smoothing, "KL", COLORS["kl"], row=1, col=1)
    last = max(total_steps, steps[-1])
    if target_kl is not None:
        fig.add_scatter(x=[0.5, last + 0.5], y=[target_kl, target_kl], mode="lines", name="target KL",
                        line=dict(color=COLORS["target"], dash="dot"), row=1, col=1)
    fig.add_scatter(x=steps, y=_column(stats, "objective/kl_coef"), mode="lines", name="KL coef",
                    line=dict(color=COLORS["kl_coef"], dash="dash"), row=2, col=1)
    fig.update_yaxes(title_text="KL (nats)", row=1, col=1)
    fig.update_yaxes(title_text="coef β", rangemode="tozero", row=2, col=1)
    fig.update_xaxes(title_text="PPO step", title_font=dict(size=11), row=2, col=1)
    _step_axis(fig, last)
    return fig


def returns_figure(stats: list[dict], total_steps: int = 0, smoothing: float = 0.0) -> go.Figure:
    """PPO: mean return and mean (whitened, so near 0 by design) advantage per step. RLOO/GRPO have
    no returns and advantages centred per group, so their spread and the share of groups whose k
    rewards were all equal (no signal) are drawn instead."""
    if not stats:
        return placeholder("Returns and advantages", "Returns and advantages appear here")
    steps = _column(stats, "step")
    if "ppo/returns/mean" not in stats[-1] and "advantages/std" in stats[-1]:
        fig = _figure("Advantages (RLOO/GRPO: no critic, no returns)")
        _raw_and_smoothed(fig, steps, _column(stats, "advantages/std"), smoothing, "advantage spread (std)",
                          COLORS["advantages"])
        fig.add_scatter(x=steps, y=_column(stats, "frac_reward_zero_std"), mode="lines",
                        name="groups with equal rewards (share, 0-1)", line=dict(color=COLORS["returns"], width=1.5))
        fig.update_yaxes(title_text="advantage units / share")
    else:
        fig = _figure("Returns and advantages (means, for PPO experts)")
        _raw_and_smoothed(fig, steps, _column(stats, "ppo/returns/mean"), smoothing, "returns", COLORS["returns"])
        fig.add_scatter(x=steps, y=_column(stats, "ppo/policy/advantages_mean"), mode="lines", name="advantages",
                        line=dict(color=COLORS["advantages"], width=1.5))
        fig.update_yaxes(title_text="reward units")
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


START_STEPS = 3  # "at the start" (chart and headline) and "now" are means over this many steps
START_LABEL = f"mean of the first {START_STEPS} steps"


def start_level(values: list) -> float | None:
    """The level "at the start": the mean of the first `START_STEPS` measured values (None if there are none)."""
    measured = [v for v in values if v is not None][:START_STEPS]
    return sum(measured) / len(measured) if measured else None


def toxicity_figure(stats: list[dict], total_steps: int = 0, smoothing: float = 0.0) -> go.Figure:
    """The headline: mean toxicity (P(hate), %) of each step's sampled summaries, with the level at the
    start (`start_level`, as the headline above the chart)."""
    if not stats:
        return placeholder("Toxicity of the summaries", "Toxicity of the sampled summaries appears here")
    values = _column(stats, "env/toxicity_mean")
    if all(v is None for v in values):
        return placeholder("Toxicity of the summaries", "Not measured by this reward model")
    percent = [None if v is None else 100 * v for v in values]
    fig = _figure("Toxicity of the sampled summaries: lower is better")
    steps = _column(stats, "step")
    last = max(total_steps, steps[-1])
    first = start_level(percent)
    fig.add_scatter(x=[0.5, last + 0.5], y=[first, first], mode="lines", name=f"at the start ({START_LABEL})",
                    line=dict(color=COLORS["target"], dash="dot"))
    _raw_and_smoothed(fig, steps, percent, smoothing, "toxicity", COLORS["toxicity"])
    fig.update_yaxes(title_text="P(hate), %", rangemode="tozero")
    _step_axis(fig, last)
    return fig


def overlay_figure(runs: list[tuple[str, list[dict]]], key: str, title: str, y_title: str = "") -> go.Figure:
    """One curve per saved run (name, stats), newest first, for a stat (reward or KL)."""
    curves = [(name, metrics) for name, metrics in runs if metrics]
    if not curves:
        return placeholder(title, "Saved runs' curves appear here")
    fig = _figure(title, height=340)
    for index, (name, metrics) in enumerate(reversed(curves)):  # oldest first: colours stay put
        # Runs with the same seed can draw the same curve: each run also has its own dash and marker.
        fig.add_scatter(x=_column(metrics, "step"), y=_column(metrics, key), mode="lines+markers", name=name,
                        line=dict(color=RUN_PALETTE[index % len(RUN_PALETTE)], width=2,
                                  dash=RUN_DASHES[index % len(RUN_DASHES)]),
                        marker=dict(size=7, symbol=RUN_MARKERS[index % len(RUN_MARKERS)]))
    _step_axis(fig, max(m[-1]["step"] for _, m in curves))
    fig.update_yaxes(title_text=y_title)
    fig.update_layout(showlegend=True, legend=dict(font=dict(size=10)), margin=dict(b=110))
    return fig


def toxicity_bars(report: dict) -> go.Figure:
    """Share of summaries flagged toxic, before and after, for each decoding and scorer."""
    groups = [(f"{'greedy' if decoding == 'greedy' else 'sampled'} · {scorer.replace('_', ' ')}", t)
              for decoding, by_scorer in report.get("toxicity", {}).items() for scorer, t in by_scorer.items()]
    if not groups:
        return placeholder("Toxicity", "Not measured")
    fig = _figure("Share of test summaries flagged toxic", height=300)
    for side in ("before", "after"):
        values = [100 * t[f"flagged_{side}"] for _, t in groups]
        fig.add_bar(x=[label for label, _ in groups], y=values, name=side, marker_color=COLORS[side],
                    text=[f"{v:.0f}%" for v in values], textposition="outside")
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(title_text="")
    fig.update_yaxes(range=[0, 105], title_text="flagged toxic, %")
    return fig


def rouge_bars(report: dict) -> go.Figure:
    """ROUGE-L before and after: greedy, sampled, and rows whose references carry no flagged text."""
    rg = report.get("rouge")
    if not rg:
        return placeholder("ROUGE", "No reference summaries")
    blocks = [("greedy", rg["greedy"].get("all")), ("sampled", (rg.get("sampled") or {}).get("all")),
              ("greedy, clean references", rg["greedy"].get("clean_references"))]
    blocks = [(label, block) for label, block in blocks if block]
    fig = _figure("ROUGE-L against reference summaries", height=300)
    for side in ("before", "after"):
        fig.add_bar(x=[label for label, _ in blocks], y=[block[side]["rougeL"] for _, block in blocks], name=side,
                    marker_color=COLORS[side])
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(title_text="")
    fig.update_yaxes(range=[0, 1], title_text="F1 (0-1)")
    return fig


def figures_html(figures: list[go.Figure]) -> str:
    """The figures as one self-contained HTML page (plotly.js inlined once), for downloading charts."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures)]
    return "<!doctype html><html><head><meta charset='utf-8'><title>detox-rlhf charts</title></head><body>" + \
        "".join(parts) + "</body></html>"


ALGO_COLORS = {"ppo": "#4f46e5", "rloo": "#f59e0b", "grpo": "#10b981"}


def pareto_figure(points: list[dict]) -> go.Figure:
    """Evaluated runs as the share flagged toxic after training (%) vs ROUGE-L and vs the share of
    invented numbers and names (%), coloured by algorithm, with each panel's Pareto front dashed
    (`rlhf_core.evaluation.pareto`). Two panels stacked, so each stays readable on a phone."""
    from rlhf_core.evaluation.pareto import pareto_front

    if not points:
        return placeholder("Toxicity vs quality", "Evaluate runs to compare them here")
    fig = make_subplots(rows=2, cols=1, vertical_spacing=0.2)
    _style(fig, "Toxicity vs quality by run", 520)
    fig.update_layout(hovermode="closest")
    panels = ((1, "rougeL", True, 1, "ROUGE-L (↑ better)"),
              (2, "hallucinated_rate", False, 100, "invented facts, % (↓ better)"))
    most = max(100 * p["toxicity"] for p in points)
    for row, key, higher, scale, y_title in panels:
        have = [p for p in points if p.get(key) is not None]
        for algo, color in ALGO_COLORS.items():
            mine = [p for p in have if p["algo"] == algo]
            if mine:
                fig.add_scatter(x=[100 * p["toxicity"] for p in mine], y=[scale * p[key] for p in mine],
                                mode="markers", text=[p["run"] for p in mine], name=algo.upper(), legendgroup=algo,
                                showlegend=row == 1, marker=dict(color=color, size=11), row=row, col=1,
                                hovertemplate="%{text}<br>toxic %{x:.1f}%<br>%{y:.3g}<extra></extra>")
        front = pareto_front([(100 * p["toxicity"], scale * p[key]) for p in have], higher)
        if front:
            fig.add_scatter(x=[x for x, _ in front], y=[y for _, y in front], mode="lines", name="Pareto front",
                            legendgroup="front", line=dict(color=TEXT, dash="dash", width=1.5),
                            showlegend=row == 1, row=row, col=1)
        fig.update_yaxes(title_text=y_title, rangemode="tozero", row=row, col=1)
        fig.update_xaxes(title_text=f"flagged toxic after training, % ({points[0]['toxicity_source']})",
                         range=[0, min(100.0, max(10.0, 1.15 * most))], row=row, col=1)
    return fig
