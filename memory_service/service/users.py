"""Use cases for users' settings and agents' memory scopes."""

from __future__ import annotations

from memory_service.db import Database
from memory_service.db import users as users_sql
from memory_service.domain import Agent, MemoryScope, UserSettings
from memory_service.validation import RequestChecker

SETTINGS_FIELDS = ("extraction_enabled",)


class UserService:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get_settings(self, user_id: str) -> UserSettings:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.raise_if_invalid()
        async with self._db.connection() as conn:
            settings = await users_sql.get_settings(conn, user_id)
        return settings or UserSettings(user_id, extraction_enabled=True, updated_at=None)

    async def update_settings(self, user_id: str, mask: list[str], *, extraction_enabled: bool) -> UserSettings:
        check = RequestChecker()
        check.identifier("settings.user_id", user_id)
        paths = set(mask)
        if not paths:
            check.fail("update_mask", f"is required: name the settings to change ({', '.join(SETTINGS_FIELDS)})")
        for unknown in sorted(paths - set(SETTINGS_FIELDS)):
            check.fail("update_mask", f"unknown setting {unknown!r}; known: {', '.join(SETTINGS_FIELDS)}")
        check.raise_if_invalid()
        async with self._db.transaction() as conn:
            return await users_sql.update_settings(
                conn, user_id, extraction_enabled=extraction_enabled if "extraction_enabled" in paths else None
            )

    async def register_agent(self, agent_id: str, scope: MemoryScope | None) -> Agent:
        check = RequestChecker()
        check.identifier("agent.agent_id", agent_id)
        check.raise_if_invalid()
        async with self._db.transaction() as conn:
            return await users_sql.upsert_agent(conn, agent_id, scope or MemoryScope.GLOBAL)

    async def get_agent(self, agent_id: str) -> Agent:
        check = RequestChecker()
        check.identifier("agent_id", agent_id)
        check.raise_if_invalid()
        async with self._db.connection() as conn:
            agent = await users_sql.get_agent(conn, agent_id)
        return agent or Agent(agent_id, MemoryScope.GLOBAL, created_at=None, updated_at=None)
