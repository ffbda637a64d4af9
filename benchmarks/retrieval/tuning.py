"""Tunes the fused ranking's constants on the dev users, in numpy over each question's legs fetched once.

The numpy score is a replica of variants.fused() (same z-scores, neighbours and
recency); evaluate.py checks that both rank alike before trusting the constants.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from benchmarks.retrieval.metrics import question_scores
from benchmarks.retrieval.variants import Fusion


@dataclass(frozen=True)
class Legs:
    """One question's candidates: every fact of its user, with both lexical legs and their coordinates."""

    ids: np.ndarray
    cosine: np.ndarray
    lexical: dict[str, np.ndarray]  # by tsvector column
    created: np.ndarray
    valid_from: np.ndarray
    evidence: tuple[str, ...]
    by_session: np.ndarray  # indices in (session, position) order
    same_session: np.ndarray  # by_session[i] and by_session[i + 1] are in the same session
    by_created: np.ndarray  # indices in creation order

    @classmethod
    def from_rows(cls, rows: dict[str, Sequence[Any]], dated_lexical: Sequence[float], evidence: Sequence[str]) -> Legs:
        sessions = np.asarray(rows["session_id"])
        positions = np.asarray(rows["position"])
        by_session = np.lexsort((positions, sessions))
        created = np.asarray(rows["created"], dtype=np.float64)
        return cls(
            ids=np.asarray(rows["memory_id"]),
            cosine=np.asarray(rows["cosine"], dtype=np.float64),
            lexical={"plain_search_text": np.asarray(rows["lexical"], dtype=np.float64),
                     "dated_search_text": np.asarray(dated_lexical, dtype=np.float64)},
            created=created,
            valid_from=np.asarray(rows["valid_from"], dtype=np.float64),
            evidence=tuple(evidence),
            by_session=by_session,
            same_session=sessions[by_session][1:] == sessions[by_session][:-1],
            by_created=np.argsort(created, kind="stable"),
        )  # fmt: skip


def zscore(x: np.ndarray) -> np.ndarray:
    std = x.std()
    return (x - x.mean()) / std if std > 0 else np.zeros_like(x)


def neighbour_shares(legs: Legs, fused: np.ndarray, config: Fusion) -> tuple[np.ndarray, np.ndarray]:
    """max(0, fused) of each fact's previous and next neighbour (0 where there is none)."""
    if config.locality == "session":
        order, linked = legs.by_session, legs.same_session
    else:
        order = legs.by_created
        gaps = np.diff(legs.created[order])
        linked = gaps <= config.gap_minutes * 60 if config.locality == "created_gap" else np.ones(len(gaps), bool)
    positive = np.maximum(fused[order], 0)
    prev, nxt = np.zeros_like(fused), np.zeros_like(fused)
    prev[order[1:]] = np.where(linked, positive[:-1], 0)
    nxt[order[:-1]] = np.where(linked, positive[1:], 0)
    return prev, nxt


def score(legs: Legs, config: Fusion) -> np.ndarray:
    w = config.dense_weight
    fused = w * zscore(legs.cosine) + (1 - w) * zscore(legs.lexical[config.column])
    total = fused.copy()
    if config.prev_weight or config.next_weight:
        prev, nxt = neighbour_shares(legs, fused, config)
        total += config.prev_weight * prev + config.next_weight * nxt
    if config.recency_weight:
        recent = np.exp(-(legs.valid_from.max() - legs.valid_from) / (config.recency_days * 86400))
        total += config.recency_weight * recent
    return total


def ranked(legs: Legs, config: Fusion, k: int = 20) -> list[str]:
    """Top k ids ordered like the SQL: score DESC, created_at DESC."""
    order = np.lexsort((-legs.created, -score(legs, config)))[:k]
    return [str(i) for i in legs.ids[order]]


def objective(questions: Sequence[Legs], config: Fusion) -> tuple[float, float]:
    """(mean recall@10, MRR): what the grid maximises, MRR breaking ties."""
    scores = [question_scores(ranked(q, config), q.evidence) for q in questions]
    return float(np.mean([s["recall@10"] for s in scores])), float(np.mean([s["rr"] for s in scores]))


def best(questions: Sequence[Legs], configs: Iterable[Fusion]) -> Fusion:
    return max(configs, key=lambda c: objective(questions, c))


def grid(base: Fusion, **axes: Sequence[Any]) -> list[Fusion]:
    names = list(axes)
    return [base.with_(**dict(zip(names, values, strict=True))) for values in itertools.product(*axes.values())]


STEPS = [round(x, 2) for x in np.arange(0, 1.01, 0.1)]
WEIGHTS = [round(x, 2) for x in np.arange(0, 1.001, 0.05)]
RECENCY = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0]


def tune(questions: Sequence[Legs], base: Fusion, *, locality: bool, recency: bool) -> Fusion:
    """Coordinate search: the dense weight, then neighbours' weights, then recency, then the dense weight again."""
    config = best(questions, grid(base, dense_weight=WEIGHTS))
    if locality:
        config = best(questions, grid(config, prev_weight=STEPS, next_weight=STEPS))
        if config.locality == "created_gap":  # ties keep the first: 30 minutes unless another is better
            config = best(questions, grid(config, gap_minutes=[30.0, 5.0, 15.0, 60.0, 240.0]))
    if recency:
        config = best(questions, grid(config, recency_weight=RECENCY, recency_days=[7.0, 30.0, 90.0, 365.0]))
    if locality or recency:
        config = best(questions, grid(config, dense_weight=WEIGHTS))
    return config


def fit_logistic(scores: Sequence[float], labels: Sequence[bool], iterations: int = 50) -> tuple[float, float]:
    """(slope, shift) of P(evidence | score) = 1 / (1 + exp(-(slope * score + shift))), by Newton's method (Platt)."""
    x = np.column_stack([np.asarray(scores, dtype=np.float64), np.ones(len(scores))])
    y = np.asarray(labels, dtype=np.float64)
    theta = np.zeros(2)
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-(x @ theta)))
        gradient = x.T @ (y - p)
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        theta += step
        if np.abs(step).max() < 1e-10:
            break
    return float(theta[0]), float(theta[1])
