"""The printed relevance: fitted on dev users of every size, checked on held-out users, small users and off-topic talk.

relevance = P(the fact is the question's evidence | score, cosine, ln(facts in scope)), a logistic
regression (IRLS) over each question's top results. The fused score alone is relative to the
user's own facts (z-scores, bounded by sqrt(n - 1)), so the fit also sees the raw cosine (an
absolute signal) and the number of facts in scope, and it is fitted on dev users as they are and
subsampled to USER_SIZES facts (each subsample keeps the question's evidence): a strong match of a
user with 5 facts and one with 300 both print what they are worth.

Subsampled users are real users of the database (`<user>~<size>~<question>`), ranked by the
service's own SQL (memory_service/db/ranking.py): the features are read from its `scored` CTE.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from memory_service.db import ranking
from memory_service.db.database import Connection

USER_SIZES = (5, 20, 50)
TOP = 20  # the fit sees each question's top 20 (what GetContext can return); calibration is read on the top 10
# The columns of Ranked.x. bounded_score: the score over sqrt(n - 1), the largest z-score n facts allow;
# bounded_x_cosine: that times max(cosine, 0), a relative lead that counts as far as the fact is similar at all.
FEATURES = ("bounded_score", "cosine", "score", "log_facts", "lexical", "bounded_x_cosine")
CHOSEN = (5, 1)  # what ranking.py ships; compare_features() shows what the others buy
SEED = 5

# Things said to a voice assistant that no memory answers; none shares a topic with the data set on purpose.
# OFF_TOPIC_DEV may be used in the fit (on dev users); OFF_TOPIC is only asked of held-out users.
OFF_TOPIC_DEV = (
    "what's the forecast for tomorrow",
    "tell me something funny",
    "wake me up at seven",
    "what's the capital of Australia?",
    "how many grams are in an ounce",
    "turn the heating up a bit",
    "what's the time in New York",
    "play something relaxing",
    "how do you spell rhythm",
    "what's twelve times thirteen",
    "who wrote Pride and Prejudice",
    "remind me to call the bank at five",
)
OFF_TOPIC = (
    "what's the weather like",
    "tell me a joke",
    "set a timer for ten minutes",
    "what's the capital of Peru?",
    "how many ounces are in a pound",
    "turn the lights off in the hallway",
    "what time is it in Tokyo right now",
    "play some music",
    "how do you spell necessary",
    "what's fifteen percent of eighty",
    "who won the world cup in 1998",
    "add milk to the shopping list",
)

FEATURES_SQL = (
    ranking.scored_sql(moving=False, as_of="$6")
    + """
SELECT f.fact_key, s.score, s.cosine, s.lexical, s.n, extract(epoch FROM s.valid_from)::float8 AS said
FROM scored s JOIN facts f USING (id)"""
)


@dataclass(frozen=True)
class Ranked:
    """One query against one user: its facts best first (top TOP) with the relevance features."""

    user_size: str  # "full" or a USER_SIZES entry
    keys: list[str]
    evidence: frozenset[str]
    x: np.ndarray  # rows: facts best first; columns: FEATURES

    @property
    def labels(self) -> np.ndarray:
        return np.array([k in self.evidence for k in self.keys], dtype=np.float64)


def subsample(
    memories: Sequence[dict[str, Any]], questions: Sequence[dict[str, Any]], sizes: Sequence[int] = USER_SIZES
) -> tuple[list[dict[str, Any]], list[int], list[tuple[dict[str, Any], int]]]:
    """Small users, one per question and size: its evidence plus random other memories of its user.

    Returns the memories to load (user_id rewritten), the index of each one's vector in `memories`,
    and (question rewritten to that user, size) pairs.
    """
    rng = np.random.default_rng(SEED)
    by_user: dict[str, list[int]] = {}
    index = {m["id"]: i for i, m in enumerate(memories)}
    for i, m in enumerate(memories):
        by_user.setdefault(m["user_id"], []).append(i)
    rows: list[dict[str, Any]] = []
    vector_of: list[int] = []
    asked: list[tuple[dict[str, Any], int]] = []
    for q, size in itertools.product(questions, sizes):
        user = f"{q['user_id']}~{size}~{q['id']}"
        evidence = [index[e] for e in q["evidence"]]
        others = [i for i in by_user[q["user_id"]] if i not in evidence]
        picked = evidence + list(rng.choice(others, size=size - len(evidence), replace=False))
        for i in sorted(picked):
            rows.append({**memories[i], "user_id": user})
            vector_of.append(i)
        asked.append(({**q, "user_id": user}, size))
    return rows, vector_of, asked


def small_users(memories: Sequence[dict[str, Any]], users: Sequence[str], sizes: Sequence[int] = USER_SIZES):  # type: ignore[no-untyped-def]
    """Random subsets of whole users (no question attached), for the off-topic check."""
    rng = np.random.default_rng(SEED + 1)
    rows, vector_of, made = [], [], []
    for user, size in itertools.product(users, sizes):
        mine = [i for i, m in enumerate(memories) if m["user_id"] == user]
        for i in sorted(rng.choice(mine, size=size, replace=False)):
            rows.append({**memories[i], "user_id": f"{user}~{size}~off"})
            vector_of.append(int(i))
        made.append((f"{user}~{size}~off", size))
    return rows, vector_of, made


async def features(
    conn: Connection, user_id: str, vector: np.ndarray, text: str, model: str, evidence: Sequence[str], size: str
) -> Ranked:
    """The user's facts for the query, ranked like the service (score DESC, then newer first), top TOP."""
    records = await conn.fetch(FEATURES_SQL, user_id, [""], vector, text, model, None)
    records = sorted(records, key=lambda r: (-r["score"], -r["said"]))[:TOP]
    bounded = [r["score"] / np.sqrt(max(r["n"] - 1, 1)) for r in records]
    x = np.array(
        [
            [b, r["cosine"], r["score"], np.log(r["n"]), r["lexical"], b * max(r["cosine"], 0)]
            for b, r in zip(bounded, records, strict=True)
        ],
        dtype=np.float64,
    ).reshape(len(records), len(FEATURES))
    return Ranked(size, [r["fact_key"] for r in records], frozenset(evidence), x)


def fit(ranked: Sequence[Ranked], columns: Sequence[int] = CHOSEN, ridge: float = 1e-6) -> np.ndarray:
    """Logistic regression by Newton's method (IRLS): coefficients of the chosen columns, then the bias."""
    x = np.vstack([np.column_stack([r.x[:, list(columns)], np.ones(len(r.keys))]) for r in ranked])
    y = np.concatenate([r.labels for r in ranked])
    theta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ theta)))
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + ridge * np.eye(len(theta))
        step = np.linalg.solve(hessian, x.T @ (y - p) - ridge * theta)
        theta += step
        if np.abs(step).max() < 1e-10:
            break
    return theta


def shipped() -> np.ndarray:
    """The constants memory_service/db/ranking.py prints with, in fit()'s order."""
    return np.array([ranking.RELEVANCE_BOUNDED_X_COSINE, ranking.RELEVANCE_COSINE, ranking.RELEVANCE_BIAS])


def own(r: Ranked, theta: np.ndarray, columns: Sequence[int] = CHOSEN) -> np.ndarray:
    return np.asarray(1 / (1 + np.exp(-(r.x[:, list(columns)] @ theta[:-1] + theta[-1]))))


def printed(r: Ranked, theta: np.ndarray, columns: Sequence[int] = CHOSEN) -> np.ndarray:
    """What the SQL prints: each fact's own relevance capped by those ranked above it (a running minimum)."""
    return np.minimum.accumulate(own(r, theta, columns))


def log_loss(ranked: Sequence[Ranked], theta: np.ndarray, columns: Sequence[int], top: int = 10) -> float:
    p = np.clip(np.concatenate([own(r, theta, columns)[:top] for r in ranked]), 1e-9, 1 - 1e-9)
    y = np.concatenate([r.labels[:top] for r in ranked])
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def calibration(relevance: np.ndarray, labels: np.ndarray) -> dict[str, Any]:
    """Share of evidence per band of printed relevance, and the expected calibration error over them."""
    edges = [0.0, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0001]
    bands, error = [], 0.0
    for low, high in itertools.pairwise(edges):
        inside = (relevance >= low) & (relevance < high)
        if inside.any():
            mean, share = float(relevance[inside].mean()), float(labels[inside].mean())
            error += inside.sum() / len(relevance) * abs(mean - share)
            bands.append(
                {
                    "relevance": f"{low:.2f}-{min(high, 1):.2f}",
                    "facts": int(inside.sum()),
                    "mean_relevance": round(mean, 3),
                    "evidence_share": round(share, 3),
                }
            )
    return {"ece": round(error, 4), "bands": bands}


def report(
    ranked: Sequence[Ranked], theta: np.ndarray, columns: Sequence[int] = CHOSEN, top: int = 10
) -> dict[str, Any]:
    """Calibration of the printed relevance on each query's top `top`, all sizes together and per user size."""
    out: dict[str, Any] = {}
    sizes = sorted({r.user_size for r in ranked}, key=lambda s: (s == "full", s.zfill(6)))
    for size in ["all", *sizes]:
        chosen = [r for r in ranked if size in ("all", r.user_size)]
        rel = np.concatenate([printed(r, theta, columns)[:top] for r in chosen])
        labels = np.concatenate([r.labels[:top] for r in chosen])
        first = np.array([printed(r, theta, columns)[0] for r in chosen])
        first_hit = np.array([r.labels[0] for r in chosen])
        out[size] = {
            "queries": len(chosen),
            **calibration(rel, labels),
            "log_loss_own": round(log_loss(chosen, theta, columns, top), 4),
            "top1_mean_relevance": round(float(first.mean()), 3),
            "top1_is_evidence": round(float(first_hit.mean()), 3),
            # how often a fact's own relevance exceeds one ranked above it (the cap then lowers it)
            "capped_share": round(
                float(
                    np.mean(
                        np.concatenate(
                            [own(r, theta, columns)[:top] > printed(r, theta, columns)[:top] + 1e-12 for r in chosen]
                        )
                    )
                ),
                4,
            ),
        }
    return out


def off_topic_report(ranked: Sequence[Ranked], theta: np.ndarray) -> dict[str, Any]:
    """Printed relevance of the best fact for utterances no memory answers, per user size."""
    out: dict[str, Any] = {}
    sizes = sorted({r.user_size for r in ranked}, key=lambda s: (s == "full", s.zfill(6)))
    for size in sizes:
        first = np.array([printed(r, theta)[0] for r in ranked if r.user_size == size])
        out[size] = {
            "queries": len(first),
            "top1_relevance_median": round(float(np.median(first)), 3),
            "p90": round(float(np.percentile(first, 90)), 3),
            "max": round(float(first.max()), 3),
            "share_above_0.3": round(float(np.mean(first > 0.3)), 3),
        }
    return out


def compare_features(train: Sequence[Ranked], test: Sequence[Ranked], off_topic: Sequence[Ranked]) -> dict[str, Any]:
    """Held-out log loss, ECE and off-topic top-1 relevance of candidate feature sets: what each feature buys."""
    names = {
        "score": (2,),
        "cosine": (1,),
        "score+cosine": (2, 1),
        "score+cosine+log_facts": (2, 1, 3),
        "score+cosine+log_facts+lexical": (2, 1, 3, 4),
        "bounded_score": (0,),
        "bounded_score+cosine": (0, 1),
        "bounded_score+cosine+log_facts": (0, 1, 3),
        "bounded_score+cosine+bounded_x_cosine": (0, 1, 5),
        "bounded_x_cosine+cosine": (5, 1),
    }
    out = {}
    for name, columns in names.items():
        theta = fit(train, columns)
        rep = report(test, theta, columns)
        first = np.array([printed(r, theta, columns)[0] for r in off_topic])
        out[name] = {
            "coefficients": [round(float(t), 4) for t in theta],
            "heldout_log_loss": rep["all"]["log_loss_own"],
            "heldout_ece": {size: r["ece"] for size, r in rep.items()},
            "off_topic_top1_median": round(float(np.median(first)), 3),
            "off_topic_top1_p90": round(float(np.percentile(first, 90)), 3),
        }
    return out
