"""SQL of an export: everything about one user, read in one consistent snapshot, streamed through cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.db.users import agents_of_user, get_settings
from memory_service.domain import Agent, ExportCounts, ExtractionEvent, ExtractionTask, Fact, FactChange, UserSettings

# Rows fetched per round trip: memory stays flat whatever the user's size.
PREFETCH = 500


async def snapshot_time(conn: Connection) -> datetime:
    value: datetime = await conn.fetchval("SELECT now()")
    return value


async def counts(conn: Connection, user_id: str, agents: int) -> ExportCounts:
    row = one(
        await conn.fetchrow(
            """SELECT (SELECT count(*) FROM facts WHERE user_id = $1) AS facts,
                      (SELECT count(*) FROM fact_history WHERE user_id = $1) AS fact_changes,
                      (SELECT count(*) FROM extraction_tasks WHERE user_id = $1) AS tasks,
                      (SELECT count(*) FROM memory_events WHERE user_id = $1) AS events""",
            user_id,
        )
    )
    return ExportCounts(row["facts"], row["fact_changes"], row["tasks"], row["events"], agents)


async def settings(conn: Connection, user_id: str) -> UserSettings | None:
    return await get_settings(conn, user_id)


async def agents(conn: Connection, user_id: str) -> list[Agent]:
    return await agents_of_user(conn, user_id)


async def facts(conn: Connection, user_id: str) -> AsyncIterator[Fact]:
    query = f"SELECT {rows.FACT_COLUMNS} FROM facts f WHERE f.user_id = $1 ORDER BY f.created_at, f.id"
    async for row in conn.cursor(query, user_id, prefetch=PREFETCH):
        yield rows.fact(row)


async def fact_changes(conn: Connection, user_id: str) -> AsyncIterator[FactChange]:
    query = f"SELECT {rows.HISTORY_COLUMNS} FROM fact_history h WHERE h.user_id = $1 ORDER BY h.id"
    async for row in conn.cursor(query, user_id, prefetch=PREFETCH):
        yield rows.fact_change(row)


async def tasks(conn: Connection, user_id: str) -> AsyncIterator[ExtractionTask]:
    query = f"SELECT {rows.TASK_COLUMNS} FROM extraction_tasks t WHERE t.user_id = $1 ORDER BY t.created_at, t.id"
    async for row in conn.cursor(query, user_id, prefetch=PREFETCH):
        yield rows.task(row)


async def events(conn: Connection, user_id: str) -> AsyncIterator[ExtractionEvent]:
    query = f"SELECT {rows.EVENT_COLUMNS} FROM memory_events e WHERE e.user_id = $1 ORDER BY e.id"
    async for row in conn.cursor(query, user_id, prefetch=PREFETCH):
        yield rows.event(row)
