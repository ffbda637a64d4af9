"""Alembic owns the schema: migrating is idempotent and produces the tables and indexes the code relies on."""

from __future__ import annotations

import psycopg

from memory_service.db.migrate import upgrade_to_head

EXPECTED_TABLES = {
    "users",
    "agents",
    "facts",
    "fact_history",
    "extraction_tasks",
    "memory_events",
    "memory_event_log",
    "system_settings",
    "alembic_version",
}
EXPECTED_INDEXES = {
    "facts_current_key",
    "facts_current_by_user",
    "facts_by_user_created",
    "facts_request_id",
    "extraction_tasks_due",
    "extraction_tasks_request_id",
    "memory_events_user",
}


def test_migrate_is_idempotent_and_builds_the_schema(database_url: str) -> None:
    upgrade_to_head(database_url)  # the template is migrated already: a second run changes nothing
    upgrade_to_head(database_url)
    with psycopg.connect(database_url) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        indexes = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = 'public'")}
        extension = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        log = conn.execute("SELECT last_event_id, pruned_through FROM memory_event_log").fetchall()
    assert tables == EXPECTED_TABLES
    assert indexes >= EXPECTED_INDEXES
    assert extension is not None
    assert version == [("0001",)]
    assert log == [(0, 0)]
