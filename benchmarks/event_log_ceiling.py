"""Where the event log stops: QueueExtraction's transaction from 1, 2 and 4 writer processes on one database.

    python benchmarks/event_log_ceiling.py [--seconds 10] [--connections 8] [--processes 1 2 4]

Each writer process runs `--connections` asyncpg connections in a loop, each doing
the transaction QueueExtraction does, through the service's own SQL functions
(users.ensure_user, tasks.insert, events.append). The same loop runs in three
variants, so the curve shows which part binds:

- `queue_with_event`: what the service does (task row + NOTIFY + an event into the outbox), with the
  service's event relay running in its own process; how far behind it was when the writers stopped, and how
  long it took to catch up, are reported;
- `queue_with_counter_event`: the same with the event appended as migrations 0001-0005 did (the writer takes
  the one counter row's lock until its commit), to compare with;
- `queue_without_event`: the same without the event (task row + NOTIFY to workers);
- `insert_only`: the task row alone, no NOTIFY: what the database itself sustains.

Prints JSON: transactions per second per variant and process count, and the
database's commit settings. Runs on a fresh database on the embedded PostgreSQL,
or on the server of MEMORY_DATABASE_URL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
import psycopg

VARIANTS = ("queue_with_event", "queue_with_counter_event", "queue_without_event", "insert_only")

# The event append of migrations 0001-0005, kept here to measure against: every writer took the one counter
# row's lock from this statement until its commit.
COUNTER_APPEND = """
WITH counter AS (
    UPDATE memory_event_log SET last_event_id = last_event_id + 1 RETURNING last_event_id AS id
)
INSERT INTO memory_events (id, user_id, agent_id, task_id, type)
SELECT counter.id, $1, $2, $3, 'queued' FROM counter
RETURNING id, pg_notify('memory_events', id::text)
"""
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
                        elif variant == "queue_with_counter_event":
                            await conn.fetch(COUNTER_APPEND, user, task.agent_id, task.id)
                done += 1

        await asyncio.gather(*(lane(i) for i in range(connections)))
    return done


async def relay(url: str) -> None:
    """The service's event relay, as a server or worker runs it, until terminated."""
    from memory_service.db import Database
    from memory_service.service.event_relay import EventRelay

    async with Database.open(url, min_size=1, max_size=2) as db, EventRelay(db, poll_seconds=0.5).running():
        await asyncio.Event().wait()


def run_variant(url: str, variant: str, processes: int, seconds: float, connections: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--writer", url, "--variant", variant, "--seconds", str(seconds)]
    command += ["--connections", str(connections)]
    relaying = subprocess.Popen([sys.executable, __file__, "--relay", url])
    try:
        time.sleep(1.0)  # the relay leads before the writers start
        began = time.monotonic()
        children = [subprocess.Popen([*command, "--seed", str(i)], stdout=subprocess.PIPE) for i in range(processes)]
        waits: Counter[str] = Counter()
        busy_samples = samples = 0
        with psycopg.connect(url, autocommit=True) as sampler:
            while any(child.poll() is None for child in children):
                rows = sampler.execute(
                    """SELECT coalesce(wait_event_type || ':' || wait_event, 'running')
                       FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
                         AND pid <> pg_backend_pid() AND query NOT LIKE '%pg_advisory_lock%'"""
                ).fetchall()
                waits.update(str(r[0]) for r in rows)
                flag = sampler.execute("SELECT relay_busy FROM memory_event_log").fetchone()
                busy_samples += bool(flag and flag[0])
                samples += 1
                time.sleep(0.05)
        counts = [int(child.communicate()[0]) for child in children]
        elapsed = time.monotonic() - began
        pending_after = _count(url, "SELECT count(*) FROM memory_event_outbox")
        drained = time.monotonic()
        while _count(url, "SELECT count(*) FROM memory_event_outbox") and time.monotonic() - drained < 30:
            time.sleep(0.01)
        drain_s = time.monotonic() - drained
    finally:
        relaying.terminate()
        relaying.wait(30)
    result: dict[str, Any] = {
        "processes": processes,
        "transactions": sum(counts),
        "per_second": round(sum(counts) / seconds, 1),
        "wall_s": round(elapsed, 1),
        # What the writers' backends were doing, sampled every 50 ms (Lock:transactionid: waiting for another
        # writer's commit, e.g. the counter row; Lock:object: the NOTIFY queue's commit lock; IO:WalSync: a flush).
        "backend_states": dict(waits.most_common(6)),
    }
    if variant == "queue_with_event":
        result["relay_busy_share"] = round(busy_samples / max(1, samples), 3)  # samples with writers not notifying
        result["outbox_when_writers_stopped"] = pending_after
        result["relay_drained_it_in_s"] = round(drain_s, 3)
        result["events_numbered"] = _count(url, "SELECT count(*) FROM memory_events")
    return result


def _count(url: str, query: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=VARIANTS)
    parser.add_argument(
        "--commit-delay-us",
        type=int,
        default=0,
        help="PostgreSQL's commit_delay for the test database: each WAL flush waits this long first, as on "
        "storage with slower flushes (network disks); transactions that commit together share one flush",
    )
    parser.add_argument("--writer", help=argparse.SUPPRESS)
    parser.add_argument("--relay", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.relay:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(relay(args.relay))
        return
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
            if args.commit_delay_us:
                with psycopg.connect(admin_url, autocommit=True) as admin:
                    admin.execute(f'ALTER DATABASE "{name}" SET commit_delay = {int(args.commit_delay_us)}')
                    admin.execute(f'ALTER DATABASE "{name}" SET commit_siblings = 1')
            settings = asyncio.run(_commit_settings(url))
            curve: dict[str, list[dict[str, Any]]] = {}
            for variant in args.variants:
                curve[variant] = []
                for n in args.processes:
                    curve[variant].append(run_variant(url, variant, n, args.seconds, args.connections))
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
        names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method", "commit_delay", "max_connections")
        return {name: await conn.fetchval(f"SHOW {name}") for name in names}
    finally:
        await conn.close()


def _truncate(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE extraction_tasks, memory_events, memory_event_outbox CASCADE")


if __name__ == "__main__":
    main()
