"""Toxicity vs quality across runs: the points an evaluation gives and their Pareto front.

A run is a point (toxicity after training, a quality figure). Lower toxicity is better; ROUGE-L
is better higher, the hallucinated-entity rate lower. The front holds the runs that no other run
beats on both axes at once: the trade-offs worth choosing between.
"""

from __future__ import annotations


def pareto_front(points: list[tuple[float, float]], higher_y_better: bool = True) -> list[tuple[float, float]]:
    """Returns the non-dominated (x, y) points, x lower-is-better, sorted by x."""
    front: list[tuple[float, float]] = []
    for x, y in sorted(points, key=lambda p: (p[0], -p[1] if higher_y_better else p[1])):
        if not front or (y > front[-1][1] if higher_y_better else y < front[-1][1]):
            front.append((x, y))
    return front


def evaluation_point(name: str, algo: str, evaluation: dict | None) -> dict | None:
    """Returns {run, algo, toxicity, rougeL, hallucinated_rate} from a run's eval.json, or None.

    toxicity is the mean P(hate) of the summaries after training as eval.json records it;
    hallucinated_rate is None where the evaluation does not measure it.
    """
    if not evaluation or "toxicity" not in evaluation:
        return None
    rouge = (evaluation.get("rouge") or {}).get("after", {}).get("rougeL")
    fidelity = (evaluation.get("fidelity") or {}).get("after", {})
    return {"run": name, "algo": algo, "toxicity": evaluation["toxicity"]["after"]["mean"], "rougeL": rouge,
            "hallucinated_rate": fidelity.get("hallucinated_entity_rate")}
