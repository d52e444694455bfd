"""Pareto fronts of runs: toxicity (lower is better) against a quality figure."""

from rlhf_core.pareto import evaluation_point, pareto_front


def test_front_keeps_only_points_no_other_point_beats_on_both_axes():
    points = [(0.1, 0.5), (0.2, 0.7), (0.3, 0.6), (0.15, 0.4), (0.4, 0.9)]
    assert pareto_front(points, higher_y_better=True) == [(0.1, 0.5), (0.2, 0.7), (0.4, 0.9)]
    assert pareto_front(points, higher_y_better=False) == [(0.1, 0.5), (0.15, 0.4)]
    assert pareto_front([(0.2, 0.3), (0.2, 0.5)]) == [(0.2, 0.5)]  # a tie in x: the better y only


def test_evaluation_point_reads_eval_json_and_skips_unevaluated_runs():
    ev = {"toxicity": {"after": {"mean": 0.12}}, "rouge": {"after": {"rougeL": 0.4}}}
    assert evaluation_point("r", "grpo", ev) == {"run": "r", "algo": "grpo", "toxicity": 0.12, "rougeL": 0.4,
                                                 "hallucinated_rate": None}
    assert evaluation_point("r", "ppo", None) is None


def test_pareto_figure_colours_runs_by_algorithm_and_draws_both_fronts():
    from ui.plots import pareto_figure

    points = [{"run": "a", "algo": "ppo", "toxicity": 0.1, "rougeL": 0.5, "hallucinated_rate": 0.2},
              {"run": "b", "algo": "grpo", "toxicity": 0.2, "rougeL": 0.7, "hallucinated_rate": None},
              {"run": "c", "algo": "grpo", "toxicity": 0.3, "rougeL": 0.6, "hallucinated_rate": None}]
    fig = pareto_figure(points)
    fronts = [t for t in fig.data if t.name == "Pareto front"]
    assert [list(t.x) for t in fronts] == [[0.1, 0.2], [0.1]]  # ROUGE panel: a, b; halluc. panel: only a measured
    grpo = [t for t in fig.data if t.name == "grpo"]
    assert list(grpo[0].text) == ["b", "c"] and len(grpo) == 1  # no grpo point has a hallucination rate
    assert not pareto_figure([]).data
