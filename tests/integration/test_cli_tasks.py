"""`memory-service tasks list | requeue` as README shows them, on the service's database."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import psycopg
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service

ROOT = Path(__file__).resolve().parents[2]


async def memory_service(database_url: str, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    env |= {"MEMORY_DATABASE_URL": database_url, "MEMORY_LOG_LEVEL": "WARNING"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "memory_service", *args,
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def test_failed_tasks_are_listed_and_requeued_from_the_command_line(service: Service, database_url: str) -> None:
    tasks = [
        await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id=user, user_message="I like trains"))
        for user in ("alice", "alice", "bob")
    ]
    with psycopg.connect(database_url, autocommit=True) as conn:  # as if an LLM had refused them
        conn.execute(
            "UPDATE extraction_tasks SET status = 'failed', attempts = 1, error_reason = 'LLM_REJECTED', "
            "last_error = 'LLM endpoint answered HTTP 401', finished_at = now()"
        )

    code, out, _ = await memory_service(database_url, "tasks", "list", "--status", "failed")
    listed = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and {t["task_id"] for t in listed} == {t.id for t in tasks}
    assert {t["error_reason"] for t in listed} == {"LLM_REJECTED"}
    assert "I like trains" not in out  # operators see ids and reasons, not what users said

    code, _, err = await memory_service(database_url, "tasks", "requeue")
    assert code == 2 and "--all" in err  # nothing named: refuses rather than requeue everything

    code, out, err = await memory_service(database_url, "tasks", "requeue", "--user-id", "alice")
    assert code == 0 and "requeued 2 failed task(s)" in err
    assert {json.loads(line)["task_id"] for line in out.splitlines()} == {t.id for t in tasks[:2]}
    stats = await service.stub.GetQueueStats(pb.GetQueueStatsRequest())
    assert (stats.pending, stats.failed) == (2, 1)
