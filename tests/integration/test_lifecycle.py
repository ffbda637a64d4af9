"""The service as a process: embedded database, SIGTERM, restart on the same data directory."""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from pathlib import Path
from typing import Any

import grpc
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.app import open_core, running_server
from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import with_llm
from tests.support.processes import free_port, service_env, start, terminate, wait_serving
from tests.support.rpc import new_fact


def test_facts_survive_a_restart_on_the_embedded_database(tmp_path: Path) -> None:
    """`serve` with no database URL starts the embedded PostgreSQL in --data-dir; a restart finds the facts."""
    data_dir = Path("/tmp") / f"vbm-restart-{tmp_path.name[-8:]}"  # short: the socket lives in it
    port = free_port()
    address = f"127.0.0.1:{port}"
    env = service_env({})
    command = ["serve", "--data-dir", str(data_dir), "--listen", address]

    first = start(command, env, tmp_path / "first.log")
    try:
        wait_serving(address, first)
        with grpc.insecure_channel(address) as channel:
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            created = stub.CreateFact(new_fact("alice", fact_key="name", fact_value="Alice"), timeout=10)
    finally:
        assert terminate(first) == 0, (tmp_path / "first.log").read_text()
    assert (data_dir / "pgdata" / "PG_VERSION").exists()

    second = start(command, env, tmp_path / "second.log")
    try:
        wait_serving(address, second)
        with grpc.insecure_channel(address) as channel:
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            assert stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=created.id), timeout=10) == created
            found = stub.GetContext(pb.GetContextRequest(user_id="alice", query="what is my name"), timeout=10)
            assert found.facts[0].fact.id == created.id
    finally:
        assert terminate(second) == 0, (tmp_path / "second.log").read_text()
        shutil.rmtree(data_dir, ignore_errors=True)


async def test_shutdown_lets_in_flight_calls_finish(settings: Any, sentence_model: Any) -> None:
    """Stopping the server waits (up to the grace period) for a call already running."""
    with FakeLlm() as llm:
        llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("Likes tea"), delay=1.0)
        configured = with_llm(settings, llm.base_url)
        async with open_core(configured, preloaded_model=sentence_model) as core:
            server_ctx = running_server(core, listen="127.0.0.1:0")
            server = await server_ctx.__aenter__()
            channel = grpc.aio.insecure_channel(f"127.0.0.1:{server.port}")
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            in_flight = asyncio.ensure_future(
                stub.PreviewExtraction(pb.PreviewExtractionRequest(user_id="alice", user_message="I like tea"))
            )
            while not llm.calls:  # the call is inside the server, waiting on the LLM
                await asyncio.sleep(0.02)
            await server_ctx.__aexit__(None, None, None)  # graceful stop while the call runs
            answer = await in_flight
            assert [c.fact.text for c in answer.changes] == ["Likes tea"]
            await channel.close()
