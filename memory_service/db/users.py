"""SQL for users (settings) and agents (memory scope)."""

from __future__ import annotations

from memory_service.db import rows
from memory_service.db.database import Connection, one
from memory_service.domain import Agent, MemoryScope, UserSettings


async def ensure_user(conn: Connection, user_id: str) -> UserSettings:
    """Creates the user row on first write (with default settings) and returns the settings."""
    row = await conn.fetchrow(
        """
        WITH inserted AS (
            INSERT INTO users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING
            RETURNING user_id, extraction_enabled, settings_updated_at
        )
        SELECT * FROM inserted
        UNION ALL
        SELECT user_id, extraction_enabled, settings_updated_at FROM users WHERE user_id = $1
        LIMIT 1
        """,
        user_id,
    )
    if row is None:
        # A concurrent transaction created the user after this statement's snapshot
        # was taken; a new statement sees its commit.
        row = one(
            await conn.fetchrow(
                "SELECT user_id, extraction_enabled, settings_updated_at FROM users WHERE user_id = $1", user_id
            )
        )
    return UserSettings(row["user_id"], row["extraction_enabled"], row["settings_updated_at"])


async def get_settings(conn: Connection, user_id: str) -> UserSettings | None:
    row = await conn.fetchrow(
        "SELECT user_id, extraction_enabled, settings_updated_at FROM users WHERE user_id = $1", user_id
    )
    return UserSettings(row["user_id"], row["extraction_enabled"], row["settings_updated_at"]) if row else None


async def update_settings(conn: Connection, user_id: str, *, extraction_enabled: bool | None) -> UserSettings:
    row = one(
        await conn.fetchrow(
            """
        INSERT INTO users (user_id, extraction_enabled, settings_updated_at)
        VALUES ($1, COALESCE($2, true), now())
        ON CONFLICT (user_id) DO UPDATE SET
            extraction_enabled = COALESCE($2, users.extraction_enabled),
            settings_updated_at = now()
        RETURNING user_id, extraction_enabled, settings_updated_at
        """,
            user_id,
            extraction_enabled,
        )
    )
    return UserSettings(row["user_id"], row["extraction_enabled"], row["settings_updated_at"])


async def get_agent(conn: Connection, agent_id: str) -> Agent | None:
    row = await conn.fetchrow(
        "SELECT agent_id, memory_scope, created_at, updated_at FROM agents WHERE agent_id = $1", agent_id
    )
    return rows.agent(row) if row else None


async def upsert_agent(conn: Connection, agent_id: str, scope: MemoryScope) -> Agent:
    row = one(
        await conn.fetchrow(
            """
        INSERT INTO agents (agent_id, memory_scope) VALUES ($1, $2)
        ON CONFLICT (agent_id) DO UPDATE SET memory_scope = EXCLUDED.memory_scope, updated_at = now()
        RETURNING agent_id, memory_scope, created_at, updated_at
        """,
            agent_id,
            scope.value,
        )
    )
    return rows.agent(row)
