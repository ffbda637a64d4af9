"""Where the event log stops: QueueExtraction's transaction from 1, 2 and 4 writer processes on one database.

    python benchmarks/event_log_ceiling.py [--seconds 10] [--connections 8] [--processes 1 2 4]

Each writer process runs `--connections` asyncpg connections in a loop, each doing
the transaction QueueExtraction does, through the service's own SQL functions
(users.ensure_user, tasks.insert, events.append). The same loop runs in three
variants, so the curve shows which part binds:

- `queue_with_event`: what the service does (task row + NOTIFY + an event from the log);
- `queue_without_event`: the same without the event (task row + NOTIFY to workers);
- `insert_only`: the task row alone, no NOTIFY: what the database itself sustains.

Prints JSON: transactions per second per variant and process count, and the
database's commit settings. Runs on a fresh database on the embedded PostgreSQL,
or on the server of MEMORY_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import psycopg

VARIANTS = ("queue_with_event", "queue_without_event", "insert_only")
USERS = 1000  # writers spread over many users, as a cluster of voice bots does


async def writer(url: str, variant: str, seconds: float, connections: int, seed: int) -> int:
    from memory_service.db import Database
    from memory_service.db import events as events_sql
    from memory_service.db import tasks as tasks_sql
    from memory_service.db import users as users_sql
    from memory_service.domain import EventType, Turn

    done = 0
    stop = time.monotonic() + seconds

    async with Database.open(url, min_size=connections, max_size=connections) as db:

        async def lane(lane_id: int) -> None:
            nonlocal done
            n = 0
            while time.monotonic() < stop:
                user = f"user-{(seed * 7919 + lane_id * 104729 + n) % USERS}"
                n += 1
                turn = Turn(user, "bench-agent", "I moved to Lisbon last spring", "Lisbon is lovely.")
                async with db.transaction() as conn:
                    await users_sql.ensure_user(conn, user)
                    if variant == "insert_only":
                        await conn.execute(
                            """INSERT INTO extraction_tasks (user_id, agent_id, user_message, ai_response,
                                                             max_attempts, occurred_at)
                               VALUES ($1, $2, $3, $4, 5, now())""",
                            turn.user_id,
                            turn.agent_id,
                            turn.user_message,
                            turn.ai_response,
                        )
                    else:
                        task = await tasks_sql.insert(conn, turn, request_id=None, max_attempts=5)
                        if variant == "queue_with_event":
                            await events_sql.append(
                                conn, [events_sql.NewEvent(user, task.agent_id, task.id, EventType.QUEUED)]
                            )
                done += 1

        await asyncio.gather(*(lane(i) for i in range(connections)))
    return done


def run_variant(url: str, variant: str, processes: int, seconds: float, connections: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--writer", url, "--variant", variant, "--seconds", str(seconds)]
    command += ["--connections", str(connections)]
    began = time.monotonic()
    children = [subprocess.Popen([*command, "--seed", str(i)], stdout=subprocess.PIPE) for i in range(processes)]
    counts = [int(child.communicate()[0]) for child in children]
    elapsed = time.monotonic() - began
    return {
        "processes": processes,
        "transactions": sum(counts),
        "per_second": round(sum(counts) / seconds, 1),
        "wall_s": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        print(asyncio.run(writer(args.writer, args.variant, args.seconds, args.connections, args.seed)))
        return

    from memory_service.db.dsn import with_database
    from memory_service.db.migrate import upgrade_to_head
    from tests.support.database import postgres_server

    with postgres_server() as admin_url:
        name = f"event_ceiling_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        url = with_database(admin_url, name)
        try:
            upgrade_to_head(url)
            settings = asyncio.run(_commit_settings(url))
            curve: dict[str, list[dict[str, Any]]] = {}
            for variant in args.variants:
                curve[variant] = [run_variant(url, variant, n, args.seconds, args.connections) for n in args.processes]
                _truncate(url)
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(
        json.dumps(
            {"connections_per_process": args.connections, "seconds": args.seconds, "database": settings, **curve},
            indent=2,
        )
    )


async def _commit_settings(url: str) -> dict[str, str]:
    conn = await asyncpg.connect(url)
    try:
        names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "max_connections")
        return {name: await conn.fetchval(f"SHOW {name}") for name in names}
    finally:
        await conn.close()


def _truncate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE extraction_tasks, memory_events CASCADE")


if __name__ == "__main__":
    main()
