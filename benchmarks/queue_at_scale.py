"""The queue's hot statements on a big tasks table: GetQueueStats, claim, next-due, list failed.

    python benchmarks/queue_at_scale.py [--tasks 10000000]

Fills extraction_tasks of a fresh database (embedded PostgreSQL, or
MEMORY_DATABASE_URL) with --tasks rows (99 % completed, the rest failed,
pending and processing, over 100,000 users), then times each statement and
prints its plan. For comparison it also times the count the queue used before
it kept per-status counters (one pass over the whole table). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import psycopg

from memory_service.db import tasks as tasks_sql
from memory_service.db.dsn import with_database
from memory_service.db.migrate import upgrade_to_head
from memory_service.domain import TaskStatus
from tests.support.database import postgres_server

CHUNK = 1_000_000
OLD_STATS = """
SELECT count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'processing') AS processing,
       count(*) FILTER (WHERE status = 'completed') AS completed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE status = 'pending')), 0),
       COALESCE(EXTRACT(EPOCH FROM avg(finished_at - started_at)
           FILTER (WHERE status = 'completed' AND finished_at > now() - interval '1 hour')), 0)
FROM extraction_tasks
"""
CLAIM_PLAN = """
EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
SELECT t.id FROM extraction_tasks t
WHERE t.status IN ('pending', 'processing') AND t.due_at <= now() AND t.charged_attempts < t.max_attempts
  AND NOT EXISTS (
      SELECT 1 FROM extraction_tasks earlier
      WHERE earlier.user_id = t.user_id AND earlier.status IN ('pending', 'processing')
        AND (earlier.occurred_at, earlier.created_at, earlier.id) < (t.occurred_at, t.created_at, t.id))
ORDER BY t.due_at LIMIT 4 FOR UPDATE SKIP LOCKED
"""


def fill(url: str, total: int) -> float:
    began = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO users (user_id) SELECT 'user-' || g FROM generate_series(0, 99999) g")
        for start in range(0, total, CHUNK):
            stop = min(start + CHUNK, total)
            conn.execute(
                """
                INSERT INTO extraction_tasks (user_id, user_message, max_attempts, status, attempts, charged_attempts,
                                              created_at, occurred_at, started_at, finished_at, due_at)
                SELECT 'user-' || (g %% 100000), 'turn ' || g, 3,
                       CASE WHEN g %% 100 < 99 THEN 'completed' WHEN g %% 1000 < 995 THEN 'failed'
                            WHEN g %% 10000 < 9990 THEN 'pending' ELSE 'processing' END,
                       1, 1, ts, ts, ts, ts + interval '2 seconds', ts
                FROM (SELECT g, now() - make_interval(secs => (%(total)s - g) / 50.0) AS ts
                      FROM generate_series(%(start)s, %(stop)s - 1) g) AS s
                """,
                {"start": start, "stop": stop, "total": total},
            )
        conn.execute("VACUUM ANALYZE extraction_tasks")
    return time.monotonic() - began


async def timed(conn: asyncpg.Connection[Any], call: Any, repeat: int = 20) -> float:
    await call(conn)  # warm
    began = time.perf_counter()
    for _ in range(repeat):
        await call(conn)
    return round((time.perf_counter() - began) / repeat * 1000, 3)


async def measure(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        results: dict[str, Any] = {}
        results["get_queue_stats_ms"] = await timed(conn, lambda c: tasks_sql.stats(c))
        results["get_queue_stats_one_user_ms"] = await timed(conn, lambda c: tasks_sql.stats(c, "user-42"))
        results["old_full_count_ms"] = await timed(conn, lambda c: c.fetchrow(OLD_STATS), repeat=3)
        results["next_due_in_ms"] = await timed(conn, lambda c: tasks_sql.next_due_in(c))
        results["list_failed_page_ms"] = await timed(
            conn, lambda c: tasks_sql.list_page(c, user_id=None, statuses=[TaskStatus.FAILED], after=None, limit=51)
        )
        results["list_all_page_ms"] = await timed(
            conn, lambda c: tasks_sql.list_page(c, user_id=None, statuses=[], after=None, limit=51)
        )
        stats = await tasks_sql.stats(conn)
        results["counts"] = {
            "pending": stats.pending,
            "processing": stats.processing,
            "completed": stats.completed,
            "failed": stats.failed,
        }
        results["plans"] = {
            "stats_counters": await _explain(
                conn, "SELECT status, sum(tasks) FROM extraction_task_counts GROUP BY status"
            ),
            "stats_oldest_pending": await _explain(
                conn, "SELECT min(created_at) FROM extraction_tasks WHERE status = 'pending'"
            ),
            "stats_recent_durations": await _explain(
                conn,
                """SELECT avg(finished_at - started_at) FROM (SELECT finished_at, started_at FROM extraction_tasks
                   WHERE status = 'completed' AND finished_at > now() - interval '1 hour'
                   ORDER BY finished_at DESC LIMIT 1000) AS recent""",
            ),
            "claim": await _explain_in_rollback(conn, CLAIM_PLAN),
            "old_full_count": await _explain(conn, OLD_STATS),
        }
        return results
    finally:
        await conn.close()


async def _explain(conn: asyncpg.Connection[Any], query: str) -> list[str]:
    return [r[0] for r in await conn.fetch("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + query)]


async def _explain_in_rollback(conn: asyncpg.Connection[Any], explain: str) -> list[str]:
    tx = conn.transaction()
    await tx.start()
    try:
        return [r[0] for r in await conn.fetch(explain)]
    finally:
        await tx.rollback()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000_000)
    args = parser.parse_args()
    with postgres_server() as admin_url:
        name = f"queue_scale_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        try:
            upgrade_to_head(url)
            fill_seconds = fill(url, args.tasks)
            results = {"tasks": args.tasks, "fill_seconds": round(fill_seconds, 1), **asyncio.run(measure(url))}
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
