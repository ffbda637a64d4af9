"""Idle means idle: a worker that can take nothing sends (almost) no queries until something changes."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import psycopg
import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import running_service, with_llm
from tests.support.waiting import eventually


def transactions(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.parametrize("users", [1, 6], ids=["blocked-behind-the-users-first-turn", "all-slots-full"])
async def test_a_worker_that_can_take_nothing_does_not_spin(
    settings: Any, sentence_model: Any, fake_llm: FakeLlm, database_url: str, users: int
) -> None:
    fake_llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("x"), delay=30)
    configured = with_llm(settings, fake_llm.base_url, timeout_seconds=60)  # poll interval 0.5 s in tests
    configured = dataclasses.replace(
        configured, worker=dataclasses.replace(configured.worker, concurrency=2, maintenance_seconds=60)
    )
    async with running_service(configured, sentence_model) as service:
        for i in range(12):
            await service.stub.QueueExtraction(
                pb.QueueExtractionRequest(user_id=f"user-{i % users}", user_message=f"I like trains, {i}")
            )
        service.start_worker()
        await eventually(lambda: asyncio.sleep(0, result=len(fake_llm.calls) >= min(users, 2)))
        await asyncio.sleep(3)  # settled: every slot it can fill is filled, the statistics flushed
        before = transactions(database_url)
        await asyncio.sleep(6)
        spent = transactions(database_url) - before
    # In 6 s: the server's event hub polls every 0.5 s (12+), the worker every 0.5 s while a slot is free (12),
    # heartbeats every 1.7 s per task in flight (7), LISTEN keep-alives, the health check, autovacuum: 35-60.
    # A worker that spins on work it cannot take sends well over a thousand (benchmarks/worker_idle.py: 280/s
    # before the fix); the bound leaves room for a loaded machine's statistics arriving in bursts.
    assert spent <= 150, f"{spent} transactions in 6 s"
