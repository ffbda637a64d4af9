"""README's commands run as written: the grpcurl walkthrough, command by command, against a real server."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path
from typing import Any

from voxbridge.memory.v1 import extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service, make_settings, running_service

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"


def shell_block(after_heading: str) -> str:
    """The first ```sh block under a README heading."""
    text = README.read_text()
    section = text.split(after_heading, 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, f"no sh block under {after_heading!r}"
    return match.group(1)


async def run_script(script: str, *, seconds: float = 120) -> tuple[int, str, str]:
    """bash with -e and -o pipefail: the first failing command stops it; -x shows which one it was."""
    process = await asyncio.create_subprocess_exec(
        "bash", "-e", "-o", "pipefail", "-x", "-c", script,
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), seconds)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_grpcurl_walkthrough_runs_as_written(service: Service) -> None:
    service.start_worker()
    script = shell_block("## Try it with grpcurl")
    assert "A=127.0.0.1:50051" in script
    code, out, err = await run_script(script.replace("A=127.0.0.1:50051", f"A={service.address}"))
    assert code == 0, f"a README command failed:\n{err[-3000:]}"
    assert '"status": "SERVING"' in out
    assert "My son is 5 years old" in out and "My son is allergic to nuts" in out
    assert "FACT_CHANGE_TYPE_SUPERSEDED" in out  # Berlin's history after Lisbon took the key
    assert "EXTRACTION_STATUS_COMPLETED" in out and "EXTRACTION_EVENT_TYPE_QUEUED" in out
    assert "PLANNED_ACTION_ADD" in out


async def test_the_runtime_settings_commands_run_as_written(service: Service) -> None:
    script = shell_block("## Runtime settings")
    code, out, err = await run_script(script.replace("A=127.0.0.1:50051", f"A={service.address}"))
    assert code == 0, f"a README command failed:\n{err[-3000:]}"
    assert '"name": "llm.model"' in out and "SETTING_SOURCE_DATABASE" in out
    assert (await service.stub.GetQueueStats(pb.GetQueueStatsRequest())).mode == extraction_pb2.EXTRACTION_MODE_VERBATIM


async def run_operator_block(heading: str, database_url: str, cwd: Path) -> tuple[int, str, str]:
    """An operator's command block, on the test database, in a scratch directory (it writes files)."""
    return await run_operator_block_script(shell_block(heading), database_url, cwd)


async def run_operator_block_script(script: str, database_url: str, cwd: Path) -> tuple[int, str, str]:
    script = script.replace(".venv/bin/", f"{ROOT}/.venv/bin/")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
    process = await asyncio.create_subprocess_exec(
        "bash", "-e", "-o", "pipefail", "-x", "-c", script, cwd=cwd,
        env={**environment, "MEMORY_DATABASE_URL": database_url, "MEMORY_LOG_LEVEL": "WARNING"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 180)
    return process.returncode or 0, out.decode(), err.decode()


async def test_the_operator_commands_run_as_written(service: Service, database_url: str, tmp_path: Path) -> None:
    code, out, err = await run_operator_block("## Bulk import", database_url, tmp_path)
    assert code == 0, err[-3000:]
    assert '"facts": 2' in out
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert {f.text for f in listed.facts} == {"Plays the cello", "city: Oslo"}

    code, out, err = await run_operator_block("### Export", database_url, tmp_path)
    assert code == 0, err[-3000:]
    assert (tmp_path / "alice.jsonl").read_text().startswith('{"header": {"format_version": "1"')

    code, out, err = await run_operator_block("1. `QueueExtraction` writes", database_url, tmp_path)
    assert code == 0, err[-3000:]
    assert "requeued 0 failed task(s)" in err


async def test_the_security_walkthrough_runs_as_written(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    settings = make_settings(database_url, tmp_path, MEMORY_AUTH="required")
    async with running_service(settings, sentence_model) as service:
        script = shell_block("## Security").replace("A=127.0.0.1:50051", f"A={service.address}")
        code, out, err = await run_operator_block_script(script, database_url, tmp_path)
    assert code == 0, f"a README command failed:\n{err[-3000:]}"
    assert '"role":"service"' in out.replace(" ", "") and "vbm_" in out  # the listing shows prefixes
    assert err.count("Code: PermissionDenied") == 1
    assert err.count("Code: Unauthenticated") == 2  # no token, then the revoked one


async def test_the_tls_commands_run_as_written(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    lines = shell_block("**TLS.**").strip().splitlines()
    make_cert, serve, check = lines
    assert serve.startswith("MEMORY_TLS_CERT=server.crt MEMORY_TLS_KEY=server.key make serve")
    code, _, err = await run_operator_block_script(make_cert, database_url, tmp_path)
    assert code == 0, err[-2000:]
    settings = make_settings(
        database_url,
        tmp_path,
        MEMORY_TLS_CERT=str(tmp_path / "server.crt"),
        MEMORY_TLS_KEY=str(tmp_path / "server.key"),
    )
    async with running_service(settings, sentence_model) as service:
        code, out, err = await run_operator_block_script(
            check.replace("127.0.0.1:50051", service.address), database_url, tmp_path
        )
    assert code == 0, err[-2000:]
    assert '"status": "SERVING"' in out
