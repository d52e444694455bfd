"""Plotly figures for the app, built from TRL-named stats dicts: presentation only, no ML."""

import plotly.graph_objects as go

COLORS = {
    "reward": "#4f46e5", "kl": "#0284c7", "kl_coef": "#d97706", "target": "#94a3b8",
    "returns": "#059669", "advantages": "#7c3aed", "toxicity": "#dc2626", "before": "#94a3b8", "after": "#4f46e5",
}
RUN_PALETTE = ["#4f46e5", "#059669", "#d97706", "#dc2626", "#0284c7",
               "#7c3aed", "#db2777", "#65a30d", "#0891b2", "#9333ea"]


def _figure(title: str, height: int = 270) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        title=dict(text=title, x=0.01, y=0.97, font=dict(size=14)), template="plotly_white", height=height,
        margin=dict(l=50, r=20, t=48, b=36), hovermode="x unified",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1, font=dict(size=11)),
    )
    fig.update_xaxes(title_text="PPO step", title_font=dict(size=11), rangemode="tozero")
    return fig


def _step_axis(fig: go.Figure, last_step: int) -> None:
    """Whole-number PPO steps on the x axis, from 1 to `last_step`."""
    last = max(int(last_step or 1), 1)
    fig.update_xaxes(range=[0.5, last + 0.5], tick0=0, dtick=max(1, -(-last // 10)), rangemode="normal")


def placeholder(title: str, message: str) -> go.Figure:
    fig = _figure(title)
    fig.add_annotation(text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper",
                       font=dict(size=13, color="#64748b"))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _column(stats: list[dict], key: str) -> list:
    return [record.get(key) for record in stats]


def reward_figure(stats: list[dict], total_steps: int = 0) -> go.Figure:
    """Mean reward per step with a band of ± one standard deviation."""
    if not stats:
        return placeholder("Reward", "Start a run to see the reward rise")
    steps, mean, std = _column(stats, "step"), _column(stats, "env/reward_mean"), _column(stats, "env/reward_std")
    upper = [m + s if m is not None and s is not None else None for m, s in zip(mean, std)]
    lower = [m - s if m is not None and s is not None else None for m, s in zip(mean, std)]
    fig = _figure("Reward (mean ± std)")
    fig.add_scatter(x=steps, y=upper, mode="lines", line=dict(width=0), hoverinfo="skip", showlegend=False)
    fig.add_scatter(x=steps, y=lower, mode="lines", line=dict(width=0), fill="tonexty",
                    fillcolor="rgba(79,70,229,0.15)", name="± std", hoverinfo="skip")
    fig.add_scatter(x=steps, y=mean, mode="lines+markers", name="reward mean",
                    line=dict(color=COLORS["reward"], width=2.5))
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


def kl_figure(stats: list[dict], total_steps: int = 0, target_kl: float | None = None) -> go.Figure:
    """KL to the reference (left axis) and the KL coefficient (right axis)."""
    if not stats:
        return placeholder("KL to the reference", "KL and its coefficient appear here")
    steps = _column(stats, "step")
    fig = _figure("KL to the reference and KL coefficient")
    fig.add_scatter(x=steps, y=_column(stats, "objective/kl"), mode="lines+markers", name="KL",
                    line=dict(color=COLORS["kl"], width=2.5))
    if target_kl is not None:
        fig.add_scatter(x=[0.5, max(total_steps, steps[-1]) + 0.5], y=[target_kl, target_kl], mode="lines",
                        name="target KL", line=dict(color=COLORS["target"], dash="dot"))
    fig.add_scatter(x=steps, y=_column(stats, "objective/kl_coef"), mode="lines", name="KL coef",
                    line=dict(color=COLORS["kl_coef"], dash="dash"), yaxis="y2")
    # Headroom on both axes, more on the right: the coefficient's line must not sit on the target's.
    kl = [v for v in _column(stats, "objective/kl") if v is not None]
    coef = [v for v in _column(stats, "objective/kl_coef") if v is not None]
    kl_top = max(kl + [target_kl or 0.0, 1e-3])
    fig.update_layout(yaxis=dict(title=dict(text="KL", font=dict(size=11)),
                                 range=[min(kl + [0.0]) * 1.2, kl_top * 1.25]),
                      yaxis2=dict(title=dict(text="KL coef", font=dict(size=11)), overlaying="y", side="right",
                                  showgrid=False, range=[0, max(coef + [1e-3]) * 1.7]),
                      margin=dict(r=55))
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


def returns_figure(stats: list[dict], total_steps: int = 0) -> go.Figure:
    """Mean return and mean (whitened) advantage per step."""
    if not stats:
        return placeholder("Returns and advantages", "Returns and advantages appear here")
    steps = _column(stats, "step")
    fig = _figure("Returns and advantages (means)")
    fig.add_scatter(x=steps, y=_column(stats, "ppo/returns/mean"), mode="lines+markers", name="returns",
                    line=dict(color=COLORS["returns"], width=2.5))
    fig.add_scatter(x=steps, y=_column(stats, "ppo/policy/advantages_mean"), mode="lines+markers", name="advantages",
                    line=dict(color=COLORS["advantages"], width=2))
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


def toxicity_figure(stats: list[dict], total_steps: int = 0) -> go.Figure:
    """Mean toxicity (P(hate)) of the step's summaries, when the reward model measures it."""
    if not stats:
        return placeholder("Toxicity", "Toxicity of the sampled summaries appears here")
    values = _column(stats, "env/toxicity_mean")
    if all(v is None for v in values):
        return placeholder("Toxicity", "Not measured by this reward model")
    fig = _figure("Toxicity of the sampled summaries (mean)")
    steps = _column(stats, "step")
    fig.add_scatter(x=steps, y=values, mode="lines+markers", name="toxicity",
                    line=dict(color=COLORS["toxicity"], width=2.5))
    fig.update_yaxes(rangemode="tozero")
    _step_axis(fig, max(total_steps, steps[-1]))
    return fig


def overlay_figure(runs: list[tuple[str, list[dict]]], key: str, title: str) -> go.Figure:
    """One curve per saved run (name, stats), newest first, for a stat (reward or KL)."""
    curves = [(name, metrics) for name, metrics in runs if metrics]
    if not curves:
        return placeholder(title, "Saved runs' curves appear here")
    fig = _figure(title, height=320)
    for index, (name, metrics) in enumerate(reversed(curves)):  # oldest first: colours stay put
        fig.add_scatter(x=_column(metrics, "step"), y=_column(metrics, key), mode="lines+markers", name=name,
                        line=dict(color=RUN_PALETTE[index % len(RUN_PALETTE)], width=2), marker=dict(size=4))
    _step_axis(fig, max(m[-1]["step"] for _, m in curves))
    fig.update_layout(showlegend=True, legend=dict(orientation="v", yanchor="top", y=1, xanchor="left", x=1.02),
                      margin=dict(r=10))
    return fig


def toxicity_bars(report: dict) -> go.Figure:
    """Share of summaries flagged toxic, before and after, for each decoding and scorer."""
    groups = [(f"{'greedy' if decoding == 'greedy' else 'sampled'} · {scorer.replace('_', ' ')}", t)
              for decoding, by_scorer in report.get("toxicity", {}).items() for scorer, t in by_scorer.items()]
    if not groups:
        return placeholder("Toxicity", "Not measured")
    fig = _figure("Share of test summaries flagged toxic", height=300)
    for side in ("before", "after"):
        values = [t[f"flagged_{side}"] for _, t in groups]
        fig.add_bar(x=[label for label, _ in groups], y=values, name=side, marker_color=COLORS[side],
                    text=[f"{v:.2f}" for v in values], textposition="outside")
    fig.update_layout(barmode="group", hovermode="closest")
    fig.update_xaxes(title_text="")
    fig.update_yaxes(range=[0, 1.05], title_text="share flagged")
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
    fig.update_yaxes(range=[0, 1])
    return fig
