"""The HNSW index of the active model's current vectors, and the counts that send heavy users to it.

GetContext scans a user's facts exactly (ranking.SEARCH_SQL) until the user holds
ranking.ANN_MIN_FACTS current facts of the model; from there, when the model's index
exists and is valid, it ranks candidates drawn from the index (ranking.ann_search_sql).
benchmarks/search_scale.py measured where the index starts to win.
"""

from __future__ import annotations

from memory_service.db import advisory_locks, ranking
from memory_service.db.database import Connection

# One worker builds an index at a time (session-level: CREATE INDEX CONCURRENTLY runs outside a transaction).
BUILD_LOCK = advisory_locks.ANN_INDEX_BUILD
BUILD_TIMEOUT_SECONDS = 6 * 3600.0


async def count_current(conn: Connection, user_id: str, model: str) -> int:
    """The user's current facts of the model, every agent's (an index-only scan of facts_current_by_user)."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM facts WHERE user_id = $1 AND embedding_model = $2 AND valid_to IS NULL", user_id, model
    )
    return count


async def index_dimensions(conn: Connection, model: str) -> int | None:
    """The dimensions of the model's valid HNSW index, None when it has none (yet)."""
    prefix = ranking.ann_index_name(model, 0).removesuffix("0")
    name: str | None = await conn.fetchval(
        """
        SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relname LIKE $1 || '%' AND i.indisvalid AND i.indisready
        ORDER BY c.relname LIMIT 1
        """,
        prefix,
    )
    return int(name.removeprefix(prefix)) if name else None


async def has_heavy_user(conn: Connection, model: str) -> bool:
    """Whether some user holds at least ranking.ANN_MIN_FACTS current facts of the model."""
    found: bool = await conn.fetchval(
        """
        SELECT EXISTS (SELECT 1 FROM facts WHERE embedding_model = $1 AND valid_to IS NULL
                       GROUP BY user_id HAVING count(*) >= $2)
        """,
        model,
        ranking.ANN_MIN_FACTS,
    )
    return found


async def dimensions_of(conn: Connection, model: str) -> int | None:
    dims: int | None = await conn.fetchval(
        "SELECT vector_dims(embedding) FROM facts WHERE embedding_model = $1 AND valid_to IS NULL LIMIT 1", model
    )
    return dims


# The candidates' statement finds a heavy user's facts naming a query word through it (a BitmapAnd with
# facts_current_by_user) instead of reading every fact's search_text; built with the first HNSW index.
LEXICAL_INDEX = "facts_search_text"
LEXICAL_INDEX_SQL = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {LEXICAL_INDEX} ON facts USING gin (search_text)"


async def build_indexes(conn: Connection, model: str, dimensions: int) -> bool:
    """CREATE INDEX CONCURRENTLY of the model's vectors (and of search_text), outside any transaction.

    Writes go on meanwhile. A build that failed leaves an invalid index: it is dropped and built
    again. Returns False when another worker is building.
    """
    if not await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", *BUILD_LOCK):
        return False
    try:
        for name, sql in [
            (LEXICAL_INDEX, LEXICAL_INDEX_SQL),
            (ranking.ann_index_name(model, dimensions), ranking.ann_index_sql(model, dimensions)),
        ]:
            invalid = await conn.fetchval(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1",
                name,
            )
            if invalid:
                await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", timeout=BUILD_TIMEOUT_SECONDS)
            await conn.execute(sql, timeout=BUILD_TIMEOUT_SECONDS)
        return True
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1, $2)", *BUILD_LOCK)


async def drop_indexes_except(conn: Connection, model: str) -> list[str]:
    """Drops the HNSW indexes of other models (after a switch has moved every vector)."""
    keep = ranking.ann_index_name(model, 0).removesuffix("0")
    names: list[str] = [
        r["relname"]
        for r in await conn.fetch(
            "SELECT relname FROM pg_class WHERE relkind = 'i' AND relname LIKE 'facts\\_hnsw\\_%' AND relname NOT LIKE $1 || '%'",
            keep,
        )
    ]
    for name in names:
        await conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", timeout=BUILD_TIMEOUT_SECONDS)
    return names
