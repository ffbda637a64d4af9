"""TLS and mutual TLS, loopback-only without auth, limits that refuse rather than queue, hostile bytes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sys
from pathlib import Path
from typing import Any

import grpc
import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from memory_service.config import ConfigError, Settings
from memory_service.domain import TokenRole
from memory_service.grpc_api.server import check_exposure, is_loopback
from memory_service.service.tokens import TokenService
from tests.support.certificates import make_certificates
from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import make_settings, running_service, with_llm
from tests.support.processes import ROOT, service_env
from tests.support.rpc import parse_error, rpc_failure

GET_CONTEXT = "/voxbridge.memory.v1.MemoryService/GetContext"


@pytest.mark.parametrize(
    ("listen", "loopback"),
    [("127.0.0.1:50051", True), ("localhost:1", True), ("[::1]:50051", True), ("0.0.0.0:50051", False),
     ("[::]:50051", False), ("10.1.2.3:50051", False), ("memory.internal:50051", False)],
)  # fmt: skip
def test_only_loopback_listeners_may_go_without_auth(listen: str, loopback: bool) -> None:
    assert is_loopback(listen) is loopback
    security = Settings.from_environ({}).security
    if loopback:
        check_exposure(listen, security)
    else:
        with pytest.raises(ConfigError, match="MEMORY_AUTH=off is only allowed on a loopback address"):
            check_exposure(listen, security)
    check_exposure(listen, dataclasses.replace(security, auth_required=True))


async def test_serve_refuses_to_start_open_to_the_network_and_says_why(tmp_path: Path, database_url: str) -> None:
    env = service_env({"MEMORY_DATABASE_URL": database_url, "MEMORY_DATA_DIR": str(tmp_path)})
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "memory_service", "serve", "--listen", "0.0.0.0:0", "--no-worker",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 2
    assert "MEMORY_AUTH=off is only allowed on a loopback address" in err.decode()


async def test_tls_and_mutual_tls(database_url: str, tmp_path: Path, sentence_model: Any) -> None:
    certs = make_certificates(tmp_path / "certs")
    settings = make_settings(
        database_url,
        tmp_path,
        MEMORY_TLS_CERT=str(certs.server_cert),
        MEMORY_TLS_KEY=str(certs.server_key),
        MEMORY_TLS_CLIENT_CA=str(certs.ca),
    )
    async with running_service(settings, sentence_model) as service:
        address = f"localhost:{service.port}"
        request = pb.GetContextRequest(user_id="alice", query="hello")
        with_client_cert = grpc.ssl_channel_credentials(
            certs.ca.read_bytes(), certs.client_key.read_bytes(), certs.client_cert.read_bytes()
        )
        async with grpc.aio.secure_channel(address, with_client_cert) as channel:
            answer = await memory_service_pb2_grpc.MemoryServiceStub(channel).GetContext(request, timeout=10)
            assert answer.context == ""
        async with grpc.aio.secure_channel(address, grpc.ssl_channel_credentials(certs.ca.read_bytes())) as channel:
            failure = await rpc_failure(
                memory_service_pb2_grpc.MemoryServiceStub(channel).GetContext(request, timeout=5)
            )
            assert failure.code == grpc.StatusCode.UNAVAILABLE  # no client certificate: the handshake fails
        async with grpc.aio.insecure_channel(address) as channel:
            failure = await rpc_failure(
                memory_service_pb2_grpc.MemoryServiceStub(channel).GetContext(request, timeout=5)
            )
            assert failure.code == grpc.StatusCode.UNAVAILABLE  # plaintext to a TLS port


async def test_a_burst_from_one_token_is_refused_with_a_retry_hint_and_others_go_on(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    settings = make_settings(
        database_url, tmp_path, MEMORY_AUTH="required", MEMORY_RATE_LIMIT_PER_SECOND="2", MEMORY_RATE_LIMIT_BURST="5"
    )
    async with running_service(settings, sentence_model) as service:
        tokens = TokenService(service.core.db)
        _, noisy = await tokens.create(TokenRole.SERVICE, "", "noisy-bot")
        _, quiet = await tokens.create(TokenRole.SERVICE, "", "quiet-bot")
        request = pb.GetContextRequest(user_id="alice", query="hello")
        results = await asyncio.gather(
            *(service.stub.GetContext(request, metadata=(("authorization", f"Bearer {noisy}"),)) for _ in range(12)),
            return_exceptions=True,
        )
        refused = [parse_error(r) for r in results if isinstance(r, grpc.aio.AioRpcError)]
        assert 5 <= 12 - len(refused) <= 6 and refused
        assert {(f.code, f.reason) for f in refused} == {(grpc.StatusCode.RESOURCE_EXHAUSTED, "RATE_LIMITED")}
        assert all(f.retry_delay is not None and 0 < f.retry_delay <= 0.5 for f in refused)
        await service.stub.GetContext(request, metadata=(("authorization", f"Bearer {quiet}"),))  # not slowed


async def test_a_full_server_refuses_at_once_instead_of_queueing(
    database_url: str, tmp_path: Path, sentence_model: Any, fake_llm: FakeLlm
) -> None:
    fake_llm.script.on_facts = lambda call: dataclasses.replace(facts_reply("Likes trains"), delay=3)
    settings = with_llm(
        make_settings(database_url, tmp_path, MEMORY_MAX_CONCURRENT_CALLS="2"), fake_llm.base_url, timeout_seconds=30
    )
    async with running_service(settings, sentence_model) as service:
        preview = pb.PreviewExtractionRequest(user_id="alice", user_message="I like trains")
        slow = [asyncio.ensure_future(service.stub.PreviewExtraction(preview)) for _ in range(2)]
        while len(fake_llm.calls) < 2:
            await asyncio.sleep(0.05)
        failure = await rpc_failure(service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="hi")))
        assert (failure.code, failure.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "SERVER_BUSY")
        assert failure.retry_delay is not None
        await asyncio.gather(*slow)
        await service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="hi"))  # room again


async def test_bytes_that_are_no_message_are_invalid_argument_without_a_traceback(
    database_url: str, tmp_path: Path, sentence_model: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_service(make_settings(database_url, tmp_path), sentence_model) as service:
        raw = service.channel.unary_unary(GET_CONTEXT, request_serializer=None, response_deserializer=None)
        caplog.set_level(logging.INFO)
        for garbage in (b"\xff\xff\xff\xff", b"\x0a\xff\x01", b"\x12\x05abc"):
            try:
                await raw(garbage, timeout=5)
            except grpc.aio.AioRpcError as error:
                failure = parse_error(error)
            else:
                raise AssertionError("garbage was accepted")
            assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
            assert "not a valid GetContextRequest message" in failure.message
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]

        huge = pb.GetContextRequest(user_id="alice", query="x" * (5 * 1024 * 1024))
        failure = await rpc_failure(service.stub.GetContext(huge, timeout=10))
        assert failure.code == grpc.StatusCode.RESOURCE_EXHAUSTED  # over MEMORY_MAX_MESSAGE_BYTES (4 MiB)
