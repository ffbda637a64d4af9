"""How far to trust the numbers: bootstrap intervals, the dense weight's curve, the printed relevance's calibration."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from benchmarks.retrieval import tuning
from benchmarks.retrieval.metrics import question_scores
from benchmarks.retrieval.variants import Fusion


def paired_interval(
    questions: Sequence[dict[str, Any]],
    ranked: dict[str, list[str]],
    baseline: dict[str, list[str]],
    resamples: int = 2000,
    seed: int = 11,
) -> dict[str, float]:
    """Recall@10 minus the baseline's on the same questions, with a 95% interval from resampling whole users."""
    by_user: dict[str, list[float]] = {}
    for q in questions:
        delta = (
            question_scores(ranked[q["id"]], q["evidence"])["recall@10"]
            - question_scores(baseline[q["id"]], q["evidence"])["recall@10"]
        )
        by_user.setdefault(q["user_id"], []).append(delta)
    sums = np.array([sum(d) for d in by_user.values()])
    counts = np.array([len(d) for d in by_user.values()])
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(sums), size=(resamples, len(sums)))
    means = sums[picks].sum(axis=1) / counts[picks].sum(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return {"delta_recall@10": round(float(sums.sum() / counts.sum()), 4), "ci95": [round(low, 4), round(high, 4)]}


def dense_weight_curve(legs: Sequence[tuning.Legs], config: Fusion) -> dict[str, float]:
    """Recall@10 as the dense weight moves, the other constants kept: how flat the optimum is."""
    return {
        f"{w:.1f}": round(tuning.objective(legs, config.with_(dense_weight=float(w)))[0], 4)
        for w in np.arange(0, 1.01, 0.1)
    }


def relevance_fit(legs: Sequence[tuning.Legs], config: Fusion, top: int = 20) -> tuple[float, float]:
    """Platt scaling of the fused score: P(a returned fact is evidence) among each question's top results."""
    scores: list[float] = []
    labels: list[bool] = []
    for q in legs:
        score = tuning.score(q, config)
        order = np.lexsort((-q.created, -score))[:top]
        scores += score[order].tolist()
        labels += [str(i) in q.evidence for i in q.ids[order]]
    return tuning.fit_logistic(scores, labels)


def calibration(scored: Sequence[tuple[float, bool]]) -> list[dict[str, Any]]:
    """Observed share of evidence among returned facts, per band of printed relevance."""
    edges = [0.0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0001]
    bands = []
    for low, high in itertools.pairwise(edges):
        inside = [(rel, hit) for rel, hit in scored if low <= rel < high]
        if inside:
            bands.append(
                {
                    "relevance": f"{low:.2f}-{min(high, 1):.2f}",
                    "facts": len(inside),
                    "mean_relevance": round(float(np.mean([r for r, _ in inside])), 3),
                    "evidence_share": round(float(np.mean([h for _, h in inside])), 3),
                }
            )
    return bands
