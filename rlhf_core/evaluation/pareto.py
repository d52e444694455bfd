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


def _first(tree: dict, *paths: tuple[str, ...]):
    """Returns the value at the first path that exists in the nested dict, with that path, or (None, None)."""
    for path in paths:
        node = tree
        for key in path:
            node = node.get(key) if isinstance(node, dict) else None
        if node is not None:
            return node, path
    return None, None


def evaluation_point(name: str, algo: str, evaluation: dict | None) -> dict | None:
    """Returns {run, algo, toxicity, toxicity_source, rougeL, hallucinated_rate} from a run's eval.json, or None.

    toxicity is the flagged share of the summaries after training, preferring sampled summaries
    scored by the independent judge, then the reward model, then greedy; ROUGE-L and the
    hallucinated-entity rate prefer sampled summaries too (None where not measured).
    """
    if not evaluation:
        return None
    block, path = _first(evaluation.get("toxicity") or {}, ("sampled", "judge"), ("sampled", "reward_model"),
                         ("greedy", "judge"), ("greedy", "reward_model"))
    if block is None:
        return None
    rouge, _ = _first(evaluation.get("rouge") or {}, ("sampled", "all", "after", "rougeL"),
                      ("greedy", "all", "after", "rougeL"))
    halluc, _ = _first(evaluation.get("fidelity") or {}, ("sampled", "after", "hallucinated_entity_rate"),
                       ("greedy", "after", "hallucinated_entity_rate"))
    return {"run": name, "algo": algo, "toxicity": block["flagged_after"], "toxicity_source": " ".join(path),
            "rougeL": rouge, "hallucinated_rate": halluc}
