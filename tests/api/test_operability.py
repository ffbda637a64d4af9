"""What operators rely on: health checking, reflection with the real grpcurl, UNIMPLEMENTED placeholders."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.support.harness import Service

GRPCURL = shutil.which("grpcurl") or str(Path(sys.executable).parent / "grpcurl")


async def grpcurl(*args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        GRPCURL, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_health_is_serving(service: Service) -> None:
    health = health_pb2_grpc.HealthStub(service.channel)
    for name in ("", "voxbridge.memory.v1.MemoryService"):
        answer = await health.Check(health_pb2.HealthCheckRequest(service=name))
        assert answer.status == health_pb2.HealthCheckResponse.SERVING


async def test_grpcurl_lists_services_and_calls_create_fact_and_get_context(service: Service) -> None:
    listed = (await grpcurl("-plaintext", service.address, "list")).split()
    assert {"voxbridge.memory.v1.MemoryService", "grpc.health.v1.Health"} <= set(listed)
    described = await grpcurl("-plaintext", service.address, "describe", "voxbridge.memory.v1.MemoryService")
    assert "rpc GetContext" in described and "rpc WatchExtractions" in described

    created = json.loads(
        await grpcurl(
            "-plaintext",
            "-d",
            json.dumps({"fact": {"user_id": "alice", "fact_key": "name", "fact_value": "Alice"}}),
            service.address,
            "voxbridge.memory.v1.MemoryService/CreateFact",
        )
    )
    assert created["fact_key"] == "name" and created["id"]
    context = json.loads(
        await grpcurl(
            "-plaintext",
            "-d",
            json.dumps({"user_id": "alice", "query": "what's my name?"}),
            service.address,
            "voxbridge.memory.v1.MemoryService/GetContext",
        )
    )
    assert context["context"].startswith("<user_memories>\n- name: Alice (since ")
