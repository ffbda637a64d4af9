"""Database failures become deliberate answers: every class of PostgreSQL error has its status, none leaks SQL.

Each fault is produced for real on PostgreSQL (a deadlock, a serialization failure, a
statement timeout, a held lock), not simulated.
"""

from __future__ import annotations

import asyncio
import time

import asyncpg
import grpc
import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.db import Database, UniqueViolation
from memory_service.errors import Conflict, DeadlineExceeded, InvalidArgument
from memory_service.grpc_api.status_mapping import status_code_of
from tests.support.harness import Service
from tests.support.rpc import new_fact, parse_error


@pytest.fixture
async def db(database_url: str) -> Database:
    async with Database.open(database_url, min_size=2, max_size=4) as database:
        async with database.connection() as conn:
            await conn.execute("CREATE TABLE fault_rows (id int PRIMARY KEY, v int NOT NULL)")
            await conn.execute("INSERT INTO fault_rows VALUES (1, 0), (2, 0)")
        yield database


async def test_a_deadlock_is_a_conflict_to_retry(db: Database) -> None:
    both_hold_one = asyncio.Barrier(2)

    async def lock_in_order(first: int, second: int) -> None:
        async with db.transaction() as conn:
            await conn.execute("UPDATE fault_rows SET v = v + 1 WHERE id = $1", first)
            await both_hold_one.wait()
            await conn.execute("UPDATE fault_rows SET v = v + 1 WHERE id = $1", second)

    results = await asyncio.gather(lock_in_order(1, 2), lock_in_order(2, 1), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert len(failures) == 1, results  # PostgreSQL breaks the cycle by failing one side
    assert isinstance(failures[0], Conflict) and failures[0].reason == "TRANSACTION_CONFLICT"
    assert status_code_of(failures[0]) is grpc.StatusCode.ABORTED
    assert "fault_rows" not in failures[0].message  # no SQL, no table names


async def test_a_serialization_failure_is_a_conflict_to_retry(db: Database) -> None:
    with pytest.raises(Conflict) as caught:
        async with db.connection() as reader, reader.transaction(isolation="repeatable_read"):
            await reader.fetchval("SELECT v FROM fault_rows WHERE id = 1")  # the snapshot is taken here
            async with db.transaction() as writer:
                await writer.execute("UPDATE fault_rows SET v = 10 WHERE id = 1")
            await reader.execute("UPDATE fault_rows SET v = 20 WHERE id = 1")
    assert caught.value.reason == "TRANSACTION_CONFLICT"


async def test_a_statement_timeout_is_deadline_exceeded(db: Database) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        async with db.transaction() as conn:  # the service's settings are transaction-scoped, like this one
            await conn.execute("SET LOCAL statement_timeout = 50")
            await conn.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 2.0


async def test_a_lock_wait_timeout_is_a_conflict_and_a_data_error_is_invalid_argument(db: Database) -> None:
    async with db.transaction() as holder:
        await holder.execute("SELECT * FROM fault_rows WHERE id = 1 FOR UPDATE")
        with pytest.raises(Conflict):
            async with db.transaction() as waiter:
                await waiter.execute("SET LOCAL lock_timeout = 50")
                await waiter.execute("UPDATE fault_rows SET v = 1 WHERE id = 1")
    with pytest.raises(InvalidArgument):
        async with db.connection() as conn:
            await conn.fetchval("SELECT 1 / 0")


async def test_unique_violations_reach_the_use_cases_untranslated(db: Database) -> None:
    # The use cases turn them into "already there" answers themselves.
    with pytest.raises(UniqueViolation):
        async with db.connection() as conn:
            await conn.execute("INSERT INTO fault_rows VALUES (1, 0)")


async def test_get_context_on_a_locked_table_ends_at_its_deadline_and_leaves_no_query(
    service: Service, database_url: str
) -> None:
    await service.stub.CreateFact(new_fact("u-lock", fact_key="pet", fact_value="a cat named Miso"))
    question = pb.GetContextRequest(user_id="u-lock", agent_id="bot", query="what pet do I have?")
    warm = await service.stub.GetContext(question, timeout=30)  # embeds the question once: cached from now on
    assert "Miso" in warm.context

    locker = await asyncpg.connect(database_url)
    try:
        transaction = locker.transaction()
        await transaction.start()
        await locker.execute("LOCK TABLE facts IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await service.stub.GetContext(question, timeout=0.05)  # a voice turn's budget
        assert caught.value.code() is grpc.StatusCode.DEADLINE_EXCEEDED, parse_error(caught.value)
        assert time.monotonic() - started < 2.0
        # The abandoned query was cancelled on the server, not left queued behind the lock.
        waiting = -1
        for _ in range(50):
            waiting = await locker.fetchval(
                """SELECT count(*) FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"""
            )
            if waiting == 0:
                break
            await asyncio.sleep(0.1)
        assert waiting == 0
        await transaction.rollback()
    finally:
        await locker.close()
    answer = await service.stub.GetContext(question, timeout=30)
    assert "Miso" in answer.context
