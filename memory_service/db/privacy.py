"""SQL of erasure: every row about a user, in one transaction, counted; and the erasure ledger."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memory_service.db.database import Connection, one

# Child tables first, the users row last; the order is also the receipt's.
# The outbox before the log: an event the relay is moving meanwhile is waited for, then found in the log.
_ERASED_TABLES = (
    "fact_embeddings",
    "fact_history",
    "facts",
    "memory_event_outbox",
    "memory_events",
    "extraction_tasks",
    "users",
)


async def erase_user(conn: Connection, user_id: str) -> dict[str, int]:
    """Deletes every row about the user and returns the rows deleted per table (zeros left out).

    Runs inside a transaction that holds lock_user(). Idempotency keys (the
    request ids of facts and tasks) are counted on their own: they go with their rows.
    """
    keys: int = await conn.fetchval(
        """SELECT (SELECT count(*) FROM facts WHERE user_id = $1 AND request_id IS NOT NULL)
                + (SELECT count(*) FROM extraction_tasks WHERE user_id = $1 AND request_id IS NOT NULL)""",
        user_id,
    )
    counts = {"idempotency_keys": keys}
    for table in _ERASED_TABLES:
        status: str = await conn.execute(f"DELETE FROM {table} WHERE user_id = $1", user_id)
        counts[table] = int(status.split()[-1])
    return {table: rows for table, rows in counts.items() if rows}


async def record_erasure(conn: Connection, subject_hash: str, counts: dict[str, int]) -> tuple[int, datetime]:
    row = one(
        await conn.fetchrow(
            "INSERT INTO erasure_ledger (subject_hash, counts) VALUES ($1, $2) RETURNING id, erased_at",
            subject_hash,
            counts,
        )
    )
    return row["id"], row["erased_at"]


async def ledger(conn: Connection) -> list[dict[str, Any]]:
    """Every ledger entry, oldest first: what an operator keeps beside the backups."""
    records = await conn.fetch("SELECT id, subject_hash, erased_at, counts FROM erasure_ledger ORDER BY id")
    return [
        {
            "id": r["id"],
            "subject_hash": r["subject_hash"],
            "erased_at": r["erased_at"].isoformat(),
            "counts": r["counts"],
        }
        for r in records
    ]


async def user_ids(conn: Connection) -> list[str]:
    """Every user the database holds anything about (every table's user_id refers to users)."""
    return [r["user_id"] for r in await conn.fetch("SELECT user_id FROM users ORDER BY user_id")]


async def setting(conn: Connection, key: str) -> Any:
    return await conn.fetchval("SELECT value FROM system_settings WHERE key = $1", key)


async def setting_once(conn: Connection, key: str, value: Any) -> Any:
    """Stores value under key unless one is there already; returns the one that is."""
    await conn.execute(
        "INSERT INTO system_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", key, value
    )
    return await setting(conn, key)
