"""SQL for users (settings) and agents (memory scope)."""

from __future__ import annotations

from memory_service.db import rows
from memory_service.db.database import Connection, Record, one
from memory_service.domain import Agent, MemoryScope, UserSettings

_SETTINGS_COLUMNS = "user_id, extraction_enabled, settings_updated_at, retention_days, display_name"
_AGENT_COLUMNS = "agent_id, memory_scope, created_at, updated_at, display_name"


def _settings(row: Record) -> UserSettings:
    return UserSettings(
        user_id=row["user_id"],
        extraction_enabled=row["extraction_enabled"],
        updated_at=row["settings_updated_at"],
        retention_days=row["retention_days"],
        display_name=row["display_name"],
    )


async def ensure_user(conn: Connection, user_id: str) -> UserSettings:
    """Creates the user row on first write (with default settings) and returns the settings."""
    row = await conn.fetchrow(
        f"""
        WITH inserted AS (
            INSERT INTO users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING
            RETURNING {_SETTINGS_COLUMNS}
        )
        SELECT * FROM inserted
        UNION ALL
        SELECT {_SETTINGS_COLUMNS} FROM users WHERE user_id = $1
        LIMIT 1
        """,
        user_id,
    )
    if row is None:
        # A concurrent transaction created the user after this statement's snapshot
        # was taken; a new statement sees its commit.
        row = one(await conn.fetchrow(f"SELECT {_SETTINGS_COLUMNS} FROM users WHERE user_id = $1", user_id))
    return _settings(row)


async def get_settings(conn: Connection, user_id: str) -> UserSettings | None:
    row = await conn.fetchrow(f"SELECT {_SETTINGS_COLUMNS} FROM users WHERE user_id = $1", user_id)
    return _settings(row) if row else None


async def update_settings(
    conn: Connection,
    user_id: str,
    *,
    extraction_enabled: bool | None = None,
    retention_days: int | None = None,
    display_name: str | None = None,
) -> UserSettings:
    """Stores the settings given (None leaves one as it is), creating the user when needed."""
    row = one(
        await conn.fetchrow(
            f"""
        INSERT INTO users (user_id, extraction_enabled, retention_days, display_name, settings_updated_at)
        VALUES ($1, COALESCE($2, true), COALESCE($3, 0), COALESCE($4, ''), now())
        ON CONFLICT (user_id) DO UPDATE SET
            extraction_enabled = COALESCE($2, users.extraction_enabled),
            retention_days = COALESCE($3, users.retention_days),
            display_name = COALESCE($4, users.display_name),
            settings_updated_at = now()
        RETURNING {_SETTINGS_COLUMNS}
        """,
            user_id,
            extraction_enabled,
            retention_days,
            display_name,
        )
    )
    return _settings(row)


async def get_agent(conn: Connection, agent_id: str) -> Agent | None:
    row = await conn.fetchrow(f"SELECT {_AGENT_COLUMNS} FROM agents WHERE agent_id = $1", agent_id)
    return rows.agent(row) if row else None


async def upsert_agent(conn: Connection, agent_id: str, scope: MemoryScope, display_name: str) -> Agent:
    row = one(
        await conn.fetchrow(
            f"""
        INSERT INTO agents (agent_id, memory_scope, display_name) VALUES ($1, $2, $3)
        ON CONFLICT (agent_id) DO UPDATE SET
            memory_scope = EXCLUDED.memory_scope, display_name = EXCLUDED.display_name, updated_at = now()
        RETURNING {_AGENT_COLUMNS}
        """,
            agent_id,
            scope.value,
            display_name,
        )
    )
    return rows.agent(row)


async def list_agents(conn: Connection, *, after: str | None, limit: int) -> list[Agent]:
    records = await conn.fetch(
        f"SELECT {_AGENT_COLUMNS} FROM agents WHERE ($1::text IS NULL OR agent_id > $1) ORDER BY agent_id LIMIT $2",
        after,
        limit,
    )
    return [rows.agent(r) for r in records]


async def agents_of_user(conn: Connection, user_id: str) -> list[Agent]:
    """The agents a user's facts or tasks refer to; unregistered ones with the default scope."""
    records = await conn.fetch(
        """
        WITH referred AS (
            SELECT agent_id FROM facts WHERE user_id = $1 AND agent_id <> ''
            UNION SELECT agent_id FROM extraction_tasks WHERE user_id = $1 AND agent_id <> ''
        )
        SELECT r.agent_id, COALESCE(a.memory_scope, 'global') AS memory_scope, a.created_at, a.updated_at,
               COALESCE(a.display_name, '') AS display_name
        FROM referred r LEFT JOIN agents a USING (agent_id) ORDER BY r.agent_id
        """,
        user_id,
    )
    return [rows.agent(r) for r in records]


async def with_retention(conn: Connection) -> list[tuple[str, int]]:
    """(user_id, retention_days) of every user who set a retention period."""
    records = await conn.fetch("SELECT user_id, retention_days FROM users WHERE retention_days > 0 ORDER BY user_id")
    return [(r["user_id"], r["retention_days"]) for r in records]
