"""The migrated schema against distributing it by user_id (Citus): what is ready, and what still stands in the way.

docs/scaling-beyond-one-database.md explains the plan; these tests keep it honest. Every table must be
classified (a new table forces the decision), every user-data table must carry user_id, and the
obstacles found in the catalog must be exactly the ones the document lists: removing one, or adding one,
fails here until the document says so.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PLAN = ROOT / "docs" / "scaling-beyond-one-database.md"

# Rows about one user: distributed by user_id, co-located with users.
USER_DATA = {
    "users",
    "facts",
    "fact_history",
    "fact_embeddings",
    "extraction_tasks",
    "memory_events",
    "memory_event_outbox",
}
# Rows about no user (or about all of them): reference tables, or kept on the coordinator.
SHARED = {
    "agents",
    "system_settings",
    "access_tokens",
    "erasure_ledger",
    "extraction_task_counts",
    "memory_event_log",
    "alembic_version",
}

# What the catalog shows that Citus would refuse or that needs a redesign, by constraint or column.
KNOWN_OBSTACLES = {
    # Unique constraints (primary keys) without the distribution column.
    "unique without user_id: facts_pkey (id)",
    "unique without user_id: fact_history_pkey (id)",
    "unique without user_id: extraction_tasks_pkey (id)",
    "unique without user_id: memory_events_pkey (id)",
    "unique without user_id: memory_event_outbox_pkey (seq)",
    "unique without user_id: fact_embeddings_pkey (fact_id, model)",
    # Foreign keys between user-data tables that do not include user_id on both sides.
    "foreign key without user_id: facts_source_task_id_fkey (facts.source_task_id -> extraction_tasks.id)",
    "foreign key without user_id: facts_supersedes_fact_id_fkey (facts.supersedes_fact_id -> facts.id)",
    "foreign key without user_id: fact_history_task_id_fkey (fact_history.task_id -> extraction_tasks.id)",
    "foreign key without user_id: fact_embeddings_fact_id_fkey (fact_embeddings.fact_id -> facts.id)",
    # A distribution column must never be NULL; re-embedding progress events belong to no user.
    "nullable user_id: memory_events.user_id",
    "nullable user_id: memory_event_outbox.user_id",
    # Triggers on a table to be distributed.
    "trigger: extraction_tasks_counted_delete on extraction_tasks",
    "trigger: extraction_tasks_counted_insert on extraction_tasks",
    "trigger: extraction_tasks_counted_update on extraction_tasks",
}


def catalog(database_url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url) as conn:
        return list(conn.execute(query))


def obstacles(database_url: str) -> set[str]:
    found: set[str] = set()
    for table, name, columns in catalog(
        database_url,
        """SELECT c.relname, i.relname, array_agg(a.attname ORDER BY k.ordinality)
           FROM pg_index x
           JOIN pg_class c ON c.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
           CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, ordinality)
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
           WHERE x.indisunique GROUP BY c.relname, i.relname""",
    ):
        assert isinstance(columns, list)
        if table in USER_DATA and "user_id" not in columns:
            found.add(f"unique without user_id: {name} ({', '.join(columns)})")
    for name, table, columns, target, target_columns in catalog(
        database_url,
        """SELECT f.conname, c.relname,
                  (SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = f.conrelid AND attnum = ANY(f.conkey)),
                  t.relname,
                  (SELECT array_agg(attname ORDER BY attnum) FROM pg_attribute
                   WHERE attrelid = f.confrelid AND attnum = ANY(f.confkey))
           FROM pg_constraint f JOIN pg_class c ON c.oid = f.conrelid JOIN pg_class t ON t.oid = f.confrelid
           WHERE f.contype = 'f' AND f.connamespace = 'public'::regnamespace""",
    ):
        assert isinstance(columns, list) and isinstance(target_columns, list)
        if table in USER_DATA and target in USER_DATA and not ("user_id" in columns and "user_id" in target_columns):
            found.add(
                f"foreign key without user_id: {name} "
                f"({table}.{', '.join(columns)} -> {target}.{', '.join(target_columns)})"
            )
    for (table,) in catalog(
        database_url,
        """SELECT table_name FROM information_schema.columns
           WHERE table_schema = 'public' AND column_name = 'user_id' AND is_nullable = 'YES'""",
    ):
        if table in USER_DATA:
            found.add(f"nullable user_id: {table}.user_id")
    for trigger, table in catalog(
        database_url,
        """SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
           WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace""",
    ):
        if table in USER_DATA:
            found.add(f"trigger: {trigger} on {table}")
    return found


def test_every_table_is_classified(database_url: str) -> None:
    tables = {
        str(name) for (name,) in catalog(database_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    }
    assert tables - USER_DATA - SHARED == set(), "a new table: is it user data (distributed) or shared?"
    assert (USER_DATA | SHARED) - tables == set()


def test_every_user_data_table_has_a_user_id_column(database_url: str) -> None:
    typed = {
        str(table): str(kind)
        for table, kind in catalog(
            database_url,
            "SELECT table_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'user_id'",
        )
    }
    assert {table: typed.get(table) for table in USER_DATA} == dict.fromkeys(USER_DATA, "text")


def test_what_stands_in_the_way_is_what_the_plan_lists(database_url: str) -> None:
    assert obstacles(database_url) == KNOWN_OBSTACLES, "update KNOWN_OBSTACLES and docs/scaling-beyond-one-database.md"
    plan = PLAN.read_text()
    missing = [o for o in KNOWN_OBSTACLES if o.split(": ", 1)[1].split(" ")[0] not in plan]
    assert not missing, f"docs/scaling-beyond-one-database.md does not name: {missing}"
