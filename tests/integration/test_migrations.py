"""Alembic owns the schema: migrating is idempotent and produces the tables and indexes the code relies on."""

from __future__ import annotations

import psycopg
from alembic.script import ScriptDirectory

from memory_service.db.migrate import alembic_config, upgrade_to_head

EXPECTED_TABLES = {
    "users",
    "agents",
    "facts",
    "fact_history",
    "extraction_tasks",
    "memory_events",
    "memory_event_log",
    "system_settings",
    "extraction_task_counts",
    "erasure_ledger",
    "fact_embeddings",
    "access_tokens",
    "memory_event_outbox",
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
    "extraction_tasks_user_open",
    "extraction_tasks_by_status",
    "extraction_tasks_oldest_pending",
    "facts_user_session",
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
    assert version == [(ScriptDirectory.from_config(alembic_config(database_url)).get_current_head(),)]
    assert log == [(0, 0)]


def test_queue_counts_follow_every_status_change(database_url: str) -> None:
    """The sharded counters GetQueueStats reads always equal a real count, whatever the statement."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (user_id) VALUES ('u')")
        conn.execute(
            "INSERT INTO extraction_tasks (user_id, user_message, max_attempts) SELECT 'u', 'x', 3 FROM generate_series(1, 7)"
        )
        conn.execute(
            "UPDATE extraction_tasks SET status = 'processing' WHERE ctid IN (SELECT ctid FROM extraction_tasks LIMIT 3)"
        )
        conn.execute(
            "UPDATE extraction_tasks SET status = 'completed' WHERE ctid IN (SELECT ctid FROM extraction_tasks WHERE status = 'processing' LIMIT 2)"
        )
        conn.execute("UPDATE extraction_tasks SET due_at = now()")  # no status change: no count change
        conn.execute(
            "DELETE FROM extraction_tasks WHERE ctid IN (SELECT ctid FROM extraction_tasks WHERE status = 'pending' LIMIT 1)"
        )
        counted = dict(
            conn.execute(
                "SELECT status, sum(tasks)::int FROM extraction_task_counts GROUP BY status HAVING sum(tasks) <> 0"
            )
        )
        real = dict(conn.execute("SELECT status, count(*)::int FROM extraction_tasks GROUP BY status"))
    assert counted == real == {"pending": 3, "processing": 1, "completed": 2}
