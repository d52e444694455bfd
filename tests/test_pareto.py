"""Pareto fronts of runs: toxicity (lower is better) against a quality figure."""

from rlhf_core.evaluation.pareto import evaluation_point, pareto_front


def test_front_keeps_only_points_no_other_point_beats_on_both_axes():
    points = [(0.1, 0.5), (0.2, 0.7), (0.3, 0.6), (0.15, 0.4), (0.4, 0.9)]
    assert pareto_front(points, higher_y_better=True) == [(0.1, 0.5), (0.2, 0.7), (0.4, 0.9)]
    assert pareto_front(points, higher_y_better=False) == [(0.1, 0.5), (0.15, 0.4)]
    assert pareto_front([(0.2, 0.3), (0.2, 0.5)]) == [(0.2, 0.5)]  # a tie in x: the better y only


def test_evaluation_point_prefers_the_judge_on_sampled_summaries_and_skips_unevaluated_runs():
    ev = {"toxicity": {"greedy": {"reward_model": {"flagged_after": 0.5}},
                       "sampled": {"reward_model": {"flagged_after": 0.3}, "judge": {"flagged_after": 0.2}}},
          "rouge": {"greedy": {"all": {"after": {"rougeL": 0.4}}}},
          "fidelity": {"greedy": {"after": {"hallucinated_entity_rate": 0.1}},
                       "sampled": {"after": {"hallucinated_entity_rate": 0.15}}}}
    assert evaluation_point("r", "grpo", ev) == {"run": "r", "algo": "grpo", "toxicity": 0.2,
                                                 "toxicity_source": "sampled judge", "rougeL": 0.4,
                                                 "hallucinated_rate": 0.15}
    del ev["toxicity"]["sampled"]
    assert evaluation_point("r", "grpo", ev)["toxicity_source"] == "greedy reward_model"
    assert evaluation_point("r", "ppo", None) is None and evaluation_point("r", "ppo", {"rouge": {}}) is None


def test_pareto_figure_colours_runs_by_algorithm_and_draws_both_fronts():
    from webapp.plots import pareto_figure

    src = {"toxicity_source": "sampled judge"}
    points = [{"run": "a", "algo": "ppo", "toxicity": 0.1, "rougeL": 0.5, "hallucinated_rate": 0.2, **src},
              {"run": "b", "algo": "grpo", "toxicity": 0.2, "rougeL": 0.7, "hallucinated_rate": None, **src},
              {"run": "c", "algo": "grpo", "toxicity": 0.3, "rougeL": 0.6, "hallucinated_rate": None, **src}]
    fig = pareto_figure(points)
    fronts = [t for t in fig.data if t.name == "Pareto front"]
    assert [list(t.x) for t in fronts] == [[10, 20], [10]]  # percent; ROUGE panel: a, b; halluc. panel: only a
    grpo = [t for t in fig.data if t.name == "GRPO"]  # legend names in capitals, as the rest of the page
    assert list(grpo[0].text) == ["b", "c"] and len(grpo) == 1  # no grpo point has a hallucination rate
    assert not pareto_figure([]).data
