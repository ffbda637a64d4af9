"""Use cases for users' settings and agents' memory scopes."""

from __future__ import annotations

from dataclasses import dataclass

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import facts as facts_sql
from memory_service.db import tasks as tasks_sql
from memory_service.db import users as users_sql
from memory_service.domain import EXTRACTION_OFF, Agent, EventType, MemoryScope, Page, UserSettings
from memory_service.validation import MAX_DISPLAY_NAME_LENGTH, MAX_RETENTION_DAYS, RequestChecker

SETTINGS_FIELDS = ("extraction_enabled", "retention_days", "display_name")
DEFAULT_AGENT_PAGE = 100
MAX_AGENT_PAGE = 1000


@dataclass(frozen=True)
class SettingsInput:
    """The settable user settings, as received; the mask says which count."""

    extraction_enabled: bool = True
    retention_days: int = 0
    display_name: str = ""


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

    async def update_settings(self, user_id: str, mask: list[str], given: SettingsInput) -> UserSettings:
        check = RequestChecker()
        check.identifier("settings.user_id", user_id)
        paths = set(mask)
        if not paths:
            check.fail("update_mask", f"is required: name the settings to change ({', '.join(SETTINGS_FIELDS)})")
        for unknown in sorted(paths - set(SETTINGS_FIELDS)):
            check.fail("update_mask", f"unknown setting {unknown!r}; known: {', '.join(SETTINGS_FIELDS)}")
        if "retention_days" in paths and not 0 <= given.retention_days <= MAX_RETENTION_DAYS:
            check.fail(
                "settings.retention_days", f"must be between 0 and {MAX_RETENTION_DAYS}, got {given.retention_days}"
            )
        display_name = (
            check.text("settings.display_name", given.display_name, max_length=MAX_DISPLAY_NAME_LENGTH)
            if "display_name" in paths
            else None
        )
        check.raise_if_invalid()
        async with self._db.transaction() as conn:
            await facts_sql.lock_user(conn, user_id)  # a worker applying this user's turn finishes first
            settings = await users_sql.update_settings(
                conn,
                user_id,
                extraction_enabled=given.extraction_enabled if "extraction_enabled" in paths else None,
                retention_days=given.retention_days if "retention_days" in paths else None,
                display_name=display_name,
            )
            if not settings.extraction_enabled:
                # Turning extraction off also stops the turns already queued: nothing of them is stored.
                skipped = await tasks_sql.skip_pending(conn, user_id, EXTRACTION_OFF)
                await events_sql.append(
                    conn,
                    [
                        events_sql.NewEvent(
                            t.user_id,
                            t.agent_id,
                            t.id,
                            EventType.SKIPPED,
                            t.attempts,
                            {"skipped_reason": EXTRACTION_OFF},
                        )
                        for t in skipped
                    ],
                )
        return settings

    async def register_agent(self, agent_id: str, scope: MemoryScope | None, display_name: str = "") -> Agent:
        check = RequestChecker()
        check.identifier("agent.agent_id", agent_id)
        display_name = check.text("agent.display_name", display_name, max_length=MAX_DISPLAY_NAME_LENGTH)
        check.raise_if_invalid()
        async with self._db.transaction() as conn:
            return await users_sql.upsert_agent(conn, agent_id, scope or MemoryScope.GLOBAL, display_name)

    async def get_agent(self, agent_id: str) -> Agent:
        check = RequestChecker()
        check.identifier("agent_id", agent_id)
        check.raise_if_invalid()
        async with self._db.connection() as conn:
            agent = await users_sql.get_agent(conn, agent_id)
        return agent or Agent(agent_id, MemoryScope.GLOBAL, created_at=None, updated_at=None)

    async def list_agents(self, *, page_size: int, page_token: str) -> Page[Agent]:
        check = RequestChecker()
        size = check.bounded_count(
            "page_size", page_size, default=DEFAULT_AGENT_PAGE, maximum=MAX_AGENT_PAGE, clamp=True
        )
        check.identifier("page_token", page_token, required=False)
        check.raise_if_invalid()
        async with self._db.connection() as conn:
            agents = await users_sql.list_agents(conn, after=page_token or None, limit=size + 1)
        page, more = agents[:size], len(agents) > size
        # The last agent id is the cursor: agent ids are not secret, and sorting by them is stable.
        return Page(page, page[-1].agent_id if more else "")
