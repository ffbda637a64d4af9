"""Runtime settings: database > environment > default, secrets write-only, changes reach every replica."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from cryptography.fernet import Fernet
from voxbridge.memory.v1 import admin_pb2, admin_pb2_grpc, extraction_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.harness import Service, make_settings, running_service
from tests.support.rpc import rpc_failure
from tests.support.waiting import eventually

LLM = extraction_pb2.EXTRACTION_MODE_LLM
VERBATIM = extraction_pb2.EXTRACTION_MODE_VERBATIM


@pytest.fixture
async def keyed_service(database_url: str, tmp_path: Path, sentence_model: Any) -> AsyncIterator[Service]:
    """A service whose processes can seal secrets, and which has a key in its environment to refer to."""
    settings = make_settings(
        database_url, tmp_path, MEMORY_SECRETS_KEY=Fernet.generate_key().decode(), TEST_LLM_KEY="sk-from-env"
    )
    async with running_service(settings, sentence_model) as service:
        yield service


def admin(service: Service) -> admin_pb2_grpc.AdminServiceStub:
    return admin_pb2_grpc.AdminServiceStub(service.channel)


async def settings_by_name(service: Service) -> dict[str, admin_pb2.SystemSetting]:
    answer = await admin(service).GetSystemSettings(admin_pb2.GetSystemSettingsRequest())
    return {s.name: s for s in answer.settings}


async def mode(service: Service) -> int:
    return (await service.stub.GetQueueStats(pb.GetQueueStatsRequest())).mode  # type: ignore[no-any-return]


async def uses_llm(service: Service) -> bool:
    return await mode(service) == LLM


async def test_llm_settings_change_without_a_restart(
    keyed_service: Service, fake_llm: FakeLlm, database_url: str, tmp_path: Path, sentence_model: Any
) -> None:
    service = keyed_service
    fake_llm.script.on_facts = lambda call: facts_reply("Likes trains")
    before = await settings_by_name(service)
    assert (before["llm.model"].value, before["llm.model"].source) == ("", admin_pb2.SETTING_SOURCE_DEFAULT)
    assert before["embedding.model"].value == "all-MiniLM-L6-v2"
    assert before["embedding.model"].source == admin_pb2.SETTING_SOURCE_DATABASE  # the cluster's, seeded
    assert before["llm.model"].environment_variable == "MEMORY_LLM_MODEL"
    assert await mode(service) == VERBATIM

    # Another replica of the same database, started before the change.
    other_settings = make_settings(database_url, tmp_path / "other", TEST_LLM_KEY="sk-from-env")
    async with running_service(other_settings, sentence_model) as other:
        await admin(service).UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(
                values={"llm.model": "fake-model", "llm.base_url": fake_llm.base_url, "llm.api_key": "env:TEST_LLM_KEY"}
            )
        )
        assert await mode(service) == LLM
        await eventually(lambda: uses_llm(other), within=10)  # it learned by notification
        preview = await other.stub.PreviewExtraction(
            pb.PreviewExtractionRequest(user_id="alice", user_message="I like trains")
        )
        assert preview.mode == LLM and [c.fact.text for c in preview.changes] == ["Likes trains"]
        assert fake_llm.calls_of("facts")[-1].headers["authorization"] == "Bearer sk-from-env"

    after = await settings_by_name(service)
    assert (after["llm.model"].value, after["llm.model"].source) == ("fake-model", admin_pb2.SETTING_SOURCE_DATABASE)
    key = after["llm.api_key"]
    assert key.write_only and key.is_set and key.value == ""  # never returned

    await admin(service).UpdateSystemSettings(
        admin_pb2.UpdateSystemSettingsRequest(values={"llm.api_key": "sk-sealed-1"})
    )
    await service.stub.PreviewExtraction(pb.PreviewExtractionRequest(user_id="alice", user_message="I like trains"))
    assert fake_llm.calls_of("facts")[-1].headers["authorization"] == "Bearer sk-sealed-1"
    with psycopg.connect(database_url) as conn:
        stored = str(conn.execute("SELECT value FROM system_settings WHERE key = 'llm.api_key'").fetchone())
    assert "sk-sealed-1" not in stored and "encrypted" in stored

    await admin(service).UpdateSystemSettings(
        admin_pb2.UpdateSystemSettingsRequest(clear=["llm.model", "llm.base_url"])
    )
    assert await mode(service) == VERBATIM  # back to the environment's (no LLM)


async def test_bad_settings_are_refused_whole(service: Service) -> None:
    stub = admin(service)
    for request, code in (
        (admin_pb2.UpdateSystemSettingsRequest(values={"llm.temperature": "9"}), grpc.StatusCode.INVALID_ARGUMENT),
        (admin_pb2.UpdateSystemSettingsRequest(values={"no.such": "1"}), grpc.StatusCode.INVALID_ARGUMENT),
        (admin_pb2.UpdateSystemSettingsRequest(clear=["embedding.model"]), grpc.StatusCode.INVALID_ARGUMENT),
        (admin_pb2.UpdateSystemSettingsRequest(values={"llm.base_url": "http://x"}), grpc.StatusCode.INVALID_ARGUMENT),
        # No MEMORY_SECRETS_KEY here: a plain key cannot be stored.
        (admin_pb2.UpdateSystemSettingsRequest(values={"llm.api_key": "sk-x"}), grpc.StatusCode.FAILED_PRECONDITION),
    ):
        failure = await rpc_failure(stub.UpdateSystemSettings(request))
        assert failure.code == code, (request, failure)
    # One bad value stores nothing, the good ones included.
    failure = await rpc_failure(
        stub.UpdateSystemSettings(
            admin_pb2.UpdateSystemSettingsRequest(values={"llm.timeout_seconds": "30", "llm.temperature": "-1"})
        )
    )
    assert failure.field_violations[0][0] == "values[llm.temperature]"
    assert (await settings_by_name(service))["llm.timeout_seconds"].source != admin_pb2.SETTING_SOURCE_DATABASE
