"""The event outbox and its relay: writers never wait for each other, and the log stays gap-free and ordered.

Many connections write events at once while two relays (as two processes would)
compete for the lead; the leader is stopped half-way. Every event must reach the
log exactly once, with ids 1..N and each writer's events in the order it wrote
them. An erasure removes a user's events still waiting in the outbox.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import privacy as privacy_sql
from memory_service.db import users as users_sql
from memory_service.db.facts import lock_user
from memory_service.domain import EventType
from memory_service.service.event_relay import EventRelay

WRITERS = 12
TRANSACTIONS = 40


async def _write(db: Database, writer: int) -> None:
    user = f"user-{writer % 4}"
    for n in range(TRANSACTIONS):
        async with db.transaction() as conn:
            await users_sql.ensure_user(conn, user)
            events = [
                events_sql.NewEvent(user, "agent", None, EventType.QUEUED, payload={"writer": writer, "n": n, "k": k})
                for k in range(1 + n % 3)
            ]
            await events_sql.append(conn, events)


async def _log(db: Database) -> list[tuple[int, dict[str, int]]]:
    async with db.connection() as conn:
        rows = await conn.fetch("SELECT id, payload FROM memory_events ORDER BY id")
    return [(r["id"], r["payload"]) for r in rows]


async def test_concurrent_writers_get_gap_free_ordered_ids_across_a_change_of_relay(database_url: str) -> None:
    expected = WRITERS * sum(1 + n % 3 for n in range(TRANSACTIONS))
    async with Database.open(database_url, min_size=2, max_size=WRITERS + 2) as db:
        relays = [EventRelay(db, poll_seconds=0.2) for _ in range(2)]
        stacks = [contextlib.AsyncExitStack() for _ in relays]
        for relay, stack in zip(relays, stacks, strict=True):
            await stack.enter_async_context(relay.running())
        try:
            writers = [asyncio.create_task(_write(db, w)) for w in range(WRITERS)]
            await asyncio.sleep(0.3)
            assert [relay.leading for relay in relays].count(True) == 1, "exactly one relay leads"
            leader = 0 if relays[0].leading else 1
            await stacks[leader].aclose()  # half-way through the writes, as if its process died
            async with asyncio.timeout(10):
                while not relays[1 - leader].leading:
                    await asyncio.sleep(0.05)
            await asyncio.gather(*writers)
            async with asyncio.timeout(20):
                while len(await _log(db)) < expected:
                    await asyncio.sleep(0.05)
        finally:
            for stack in stacks:
                await stack.aclose()
        log = await _log(db)
        async with db.connection() as conn:
            assert await events_sql.outbox_pending(conn) == 0
            bounds = await events_sql.bounds(conn)

    assert [event_id for event_id, _ in log] == list(range(1, expected + 1))
    assert bounds.last_event_id == expected
    by_writer: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for _, payload in log:
        by_writer[payload["writer"]].append((payload["n"], payload["k"]))
    assert sorted(by_writer) == list(range(WRITERS))
    for writer, written in by_writer.items():
        assert written == sorted(written), f"writer {writer}'s events out of order"
        assert len(written) == len(set(written)), f"writer {writer}'s events twice"


async def test_erasure_removes_events_still_in_the_outbox(database_url: str) -> None:
    async with Database.open(database_url, min_size=1, max_size=4) as db:
        async with db.transaction() as conn:
            for user in ("erased", "kept"):
                await users_sql.ensure_user(conn, user)
                await events_sql.append(conn, [events_sql.NewEvent(user, "", None, EventType.QUEUED)] * 3)
        async with db.transaction() as conn:  # no relay has run: all six wait in the outbox
            await lock_user(conn, "erased")
            receipt = await privacy_sql.erase_user(conn, "erased")
        assert receipt["memory_event_outbox"] == 3
        async with db.connection() as conn:
            assert await events_sql.relay_batch(conn, 100) == 3
            users = [r["user_id"] for r in await conn.fetch("SELECT user_id FROM memory_events ORDER BY id")]
        assert users == ["kept"] * 3
