"""Before vs after: statistics, fidelity, the independent judge, reports, model cards, Hub push."""
