"""Recall@k and MRR of ranked memory ids against each question's evidence, overall and per category."""

from __future__ import annotations

import collections
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

CUTOFFS = (5, 10, 20)


def question_scores(ranked: Sequence[str], evidence: Sequence[str]) -> dict[str, float]:
    """recall@k: the share of the evidence in the top k; rr: 1 / rank of the first evidence found (0 if none)."""
    wanted = set(evidence)
    scores = {f"recall@{k}": len(wanted.intersection(ranked[:k])) / len(wanted) for k in CUTOFFS}
    scores["rr"] = next((1 / (rank + 1) for rank, memory in enumerate(ranked) if memory in wanted), 0.0)
    return scores


def summarize(rows: Iterable[tuple[str, dict[str, float]]]) -> dict[str, Any]:
    """Means over (category, scores) rows: overall first, then per category."""
    by_category: dict[str, list[dict[str, float]]] = collections.defaultdict(list)
    for category, scores in rows:
        by_category[category].append(scores)

    def means(group: list[dict[str, float]]) -> dict[str, float]:
        out = {name: round(statistics.fmean(s[name] for s in group), 4) for name in group[0] if name != "rr"}
        out["mrr"] = round(statistics.fmean(s["rr"] for s in group), 4)
        out["questions"] = len(group)
        return out

    everything = [s for group in by_category.values() for s in group]
    return {"overall": means(everything), "by_category": {c: means(g) for c, g in sorted(by_category.items())}}
