"""Who may call what: every RPC of the proto, for every kind of caller, generated so no RPC can be forgotten."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message_factory import GetMessageClass
from voxbridge.memory.v1 import admin_pb2, memory_service_pb2

from memory_service.domain import TokenRole
from memory_service.grpc_api.access import RULES, Rule
from memory_service.service.tokens import TokenService
from tests.support.harness import Service, make_settings, running_service
from tests.support.rpc import parse_error

SERVICES = [
    memory_service_pb2.DESCRIPTOR.services_by_name["MemoryService"],
    admin_pb2.DESCRIPTOR.services_by_name["AdminService"],
]
METHODS: list[MethodDescriptor] = [m for service in SERVICES for m in service.methods]
DENIED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


def test_every_rpc_of_the_proto_has_an_access_rule() -> None:
    assert {m.name for m in METHODS} == set(RULES)


@pytest.fixture
async def secured(
    database_url: str, tmp_path: Path, sentence_model: Any
) -> AsyncIterator[tuple[Service, dict[str, str]]]:
    """A service with MEMORY_AUTH=required, and a secret for each kind of caller."""
    settings = make_settings(database_url, tmp_path, MEMORY_AUTH="required", HF_HUB_CACHE=str(tmp_path / "hub"))
    async with running_service(settings, sentence_model) as service:
        tokens = TokenService(service.core.db)
        secrets: dict[str, str] = {"no token": "", "unknown token": "vbm_not-a-token-at-all"}
        for name, role, user in (
            ("user of another user", TokenRole.USER, "bob"),
            ("user of this user", TokenRole.USER, "alice"),
            ("service", TokenRole.SERVICE, ""),
            ("admin", TokenRole.ADMIN, ""),
            ("revoked token", TokenRole.ADMIN, ""),
        ):
            _, secret = await tokens.create(role, user, name.replace(" ", "-"))
            secrets[name] = secret
        await tokens.revoke("revoked-token")
        yield service, secrets


def expected(rule: Rule, caller: str) -> str:
    if caller in ("no token", "unknown token", "revoked token"):
        return "UNAUTHENTICATED"
    if caller == "admin":
        return "allowed"
    if caller == "service":
        return "PERMISSION_DENIED" if rule is Rule.ADMIN else "allowed"
    if caller == "user of this user":
        return "allowed" if rule in (Rule.USER_DATA, Rule.READ) else "PERMISSION_DENIED"
    return "allowed" if rule is Rule.READ else "PERMISSION_DENIED"  # a user token of another user


def request_for(method: MethodDescriptor) -> Any:
    """A request naming the user "alice" wherever the RPC's rule reads a user id."""
    request = GetMessageClass(method.input_type)()
    path = RULES[method.name].user_field
    if path:
        *parents, last = path.split(".")
        target = request
        for part in parents:
            target = getattr(target, part)
        setattr(target, last, "alice")
    return request


async def outcome(channel: grpc.aio.Channel, method: MethodDescriptor, secret: str) -> str:
    path = f"/{method.containing_service.full_name}/{method.name}"
    metadata = (("authorization", f"Bearer {secret}"),) if secret else ()
    response_class = GetMessageClass(method.output_type)
    request = request_for(method)
    try:
        if method.server_streaming:
            call = channel.unary_stream(path, request_serializer=type(request).SerializeToString,
                                        response_deserializer=response_class.FromString)(request, metadata=metadata)  # fmt: skip
            try:
                await asyncio.wait_for(call.read(), 5)
            finally:
                call.cancel()
        else:
            await channel.unary_unary(path, request_serializer=type(request).SerializeToString,
                                      response_deserializer=response_class.FromString)(request, metadata=metadata, timeout=20)  # fmt: skip
    except grpc.aio.AioRpcError as error:
        return error.code().name if error.code() in DENIED else "allowed"
    return "allowed"


async def test_the_access_matrix(secured: tuple[Service, dict[str, str]]) -> None:
    service, secrets = secured
    mismatches = []
    table = {}
    for method in METHODS:
        rule = RULES[method.name].rule
        for caller, secret in secrets.items():
            got = await outcome(service.channel, method, secret)
            table[(method.name, caller)] = got
            if got != expected(rule, caller):
                mismatches.append(f"{method.name} as {caller}: {got}, expected {expected(rule, caller)}")
    assert not mismatches, "\n".join(mismatches)
    assert len(table) == len(METHODS) * 7


async def test_denials_say_why_without_leaking(secured: tuple[Service, dict[str, str]]) -> None:
    service, secrets = secured
    stub_path = "/voxbridge.memory.v1.MemoryService/GetFact"
    call = service.channel.unary_unary(
        stub_path,
        request_serializer=memory_service_pb2.GetFactRequest.SerializeToString,
        response_deserializer=memory_service_pb2.GetFactRequest.FromString,
    )
    request = memory_service_pb2.GetFactRequest(user_id="alice", fact_id="not-even-a-uuid")
    try:
        await call(request)
    except grpc.aio.AioRpcError as error:
        failure = parse_error(error)
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED and failure.reason == "MISSING_TOKEN"
    assert "Bearer" in failure.message
    try:  # authorization comes before validation: another user's token learns nothing about the request
        await call(request, metadata=(("authorization", f"Bearer {secrets['user of another user']}"),))
    except grpc.aio.AioRpcError as error:
        failure = parse_error(error)
    assert failure.code == grpc.StatusCode.PERMISSION_DENIED and "alice" not in failure.message
    try:
        await call(request, metadata=(("authorization", "Basic dXNlcjpwYXNz"),))
    except grpc.aio.AioRpcError as error:
        failure = parse_error(error)
    assert failure.code == grpc.StatusCode.UNAUTHENTICATED
