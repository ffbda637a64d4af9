"""The ranking GetContext uses, as the evaluation calls it: the service's own SQL (memory_service/db/ranking.py).

The constants and the reasoning behind them live there; this module only gives
evaluate.py the same call shape as the variants it compares.
"""

from __future__ import annotations

from collections.abc import Sequence

from memory_service.db import facts as facts_sql
from memory_service.db.database import Connection
from memory_service.db.ranking import DENSE_WEIGHT, GAP_MINUTES, K1, PREV_WEIGHT
from memory_service.domain import ScoredFact, Vector

__all__ = ["DENSE_WEIGHT", "GAP_MINUTES", "K1", "PREV_WEIGHT", "search"]


async def search(
    conn: Connection,
    user_id: str,
    *,
    agent_ids: Sequence[str],
    query_vector: Vector,
    query_text: str,
    embedding_model: str,
    limit: int,
    min_relevance: float,
) -> list[ScoredFact]:
    """The user's current facts ranked for a query, exactly as GetContext ranks them."""
    return await facts_sql.search(
        conn,
        user_id,
        agent_ids=agent_ids,
        query_vector=query_vector,
        query_text=query_text,
        embedding_model=embedding_model,
        limit=limit,
        min_relevance=min_relevance,
    )
