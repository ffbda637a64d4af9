"""SQL of an embedding model switch: vectors of the target model beside the active ones, cut-over, move."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from pgvector import Vector

from memory_service.db import advisory_locks
from memory_service.db.database import Connection, one
from memory_service.domain import Vector as Embedding

# One worker re-embeds at a time (the others skip a round): the target model runs once per batch.
REEMBED_LOCK = advisory_locks.REEMBEDDING_LEAD


async def try_lead(conn: Connection) -> bool:
    """Inside a transaction: whether this worker does the next batch of the switch."""
    acquired: bool = await conn.fetchval("SELECT pg_try_advisory_xact_lock($1, $2)", *REEMBED_LOCK)
    return acquired


async def facts_without(conn: Connection, model: str, *, after: UUID | None, limit: int) -> list[tuple[UUID, str, str]]:
    """(id, user_id, text) of facts with no vector of `model` yet, current ones first, by id after a cursor."""
    records = await conn.fetch(
        """
        SELECT f.id, f.user_id, f.text FROM facts f
        WHERE ($2::uuid IS NULL OR f.id > $2) AND f.embedding_model <> $1
          AND NOT EXISTS (SELECT 1 FROM fact_embeddings fe WHERE fe.fact_id = f.id AND fe.model = $1)
        ORDER BY f.id LIMIT $3
        """,
        model,
        after,
        limit,
    )
    return [(r["id"], r["user_id"], r["text"]) for r in records]


async def store_vectors(
    conn: Connection, model: str, rows: Sequence[tuple[UUID, str, str]], vectors: Sequence[Embedding]
) -> int:
    """Stores target-model vectors of facts whose text is still the one embedded (an edit re-embeds itself)."""
    status: str = await conn.execute(
        """
        INSERT INTO fact_embeddings (fact_id, model, user_id, embedding)
        SELECT f.id, $1, f.user_id, v.embedding
        FROM unnest($2::uuid[], $3::text[], $4::vector[]) AS v(fact_id, text, embedding)
        JOIN facts f ON f.id = v.fact_id AND f.text = v.text
        ON CONFLICT (fact_id, model) DO NOTHING
        """,
        model,
        [r[0] for r in rows],
        [r[2] for r in rows],
        # pgvector's Vector: an ndarray inside a list would be taken for a nested array.
        [Vector(v) for v in vectors],
    )
    return int(status.split()[-1])


async def progress(conn: Connection, model: str) -> tuple[int, int]:
    """(current facts with a vector of `model`, current facts)."""
    row = one(
        await conn.fetchrow(
            """
            SELECT count(*) FILTER (WHERE f.embedding_model = $1 OR EXISTS (
                       SELECT 1 FROM fact_embeddings fe WHERE fe.fact_id = f.id AND fe.model = $1)) AS done,
                   count(*) AS total
            FROM facts f WHERE f.valid_to IS NULL
            """,
            model,
        )
    )
    return int(row["done"]), int(row["total"])


async def move_batch(conn: Connection, model: str, limit: int) -> int:
    """After a cut-over: moves vectors of the (now active) model into facts.embedding; rows others hold wait."""
    status: str = await conn.execute(
        """
        WITH batch AS (
            SELECT fe.fact_id, fe.embedding FROM fact_embeddings fe JOIN facts f ON f.id = fe.fact_id
            WHERE fe.model = $1 LIMIT $2 FOR UPDATE OF f SKIP LOCKED
        ),
        moved AS (
            UPDATE facts f SET embedding = batch.embedding, embedding_model = $1
            FROM batch WHERE f.id = batch.fact_id RETURNING f.id
        )
        DELETE FROM fact_embeddings fe USING moved WHERE fe.fact_id = moved.id AND fe.model = $1
        """,
        model,
        limit,
    )
    return int(status.split()[-1])


async def drop_other_models(conn: Connection, keep: Sequence[str]) -> int:
    """Vectors of abandoned switches (neither active nor target)."""
    status: str = await conn.execute("DELETE FROM fact_embeddings WHERE NOT (model = ANY($1::text[]))", list(keep))
    return int(status.split()[-1])
