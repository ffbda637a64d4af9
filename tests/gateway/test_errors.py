"""gRPC failures become HTTP statuses with one JSON error body; a gateway without its service answers 503."""

from __future__ import annotations

import uuid
from typing import Any

import grpc
from voxbridge.memory.gateway import GatewaySettings
from voxbridge.memory.gateway.errors import HTTP_STATUS_OF

from tests.support.gateway import Gateway, service_at, serving_gateway
from tests.support.harness import Service
from tests.support.processes import free_port
from tests.support.waiting import eventually

USER = "errors/user ü"


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["code"] == response.status_code
    return dict(body["error"])


async def test_invalid_input_is_400_with_the_services_field_violations(gateway: Gateway) -> None:
    response = await gateway.http.post(gateway.user(USER, "facts"), json={"text": "x", "importance": 7})
    assert response.status_code == 400
    error = error_of(response)
    assert error["status"] == "INVALID_ARGUMENT" and error["reason"] == "INVALID_ARGUMENT"
    assert [v["field"] for v in error["field_violations"]] == ["fact.importance"]
    assert error["message"]  # the service's words, for the person

    nothing = await gateway.http.post(gateway.user(USER, "facts"), json={})
    assert nothing.status_code == 400 and error_of(nothing)["field_violations"]

    bad_token = await gateway.http.get(gateway.user(USER, "facts"), params={"page_token": "not-a-token"})
    assert bad_token.status_code == 400 and error_of(bad_token)["reason"] == "INVALID_PAGE_TOKEN"


async def test_requests_the_gateway_cannot_parse_are_400_in_the_same_shape(gateway: Gateway) -> None:
    wrong_type = await gateway.http.get(gateway.user(USER, "facts"), params={"page_size": "many"})
    assert wrong_type.status_code == 400
    error = error_of(wrong_type)
    assert error["reason"] == "INVALID_ARGUMENT" and error["field_violations"][0]["field"] == "page_size"

    unknown_field = await gateway.http.patch(gateway.user(USER, "settings"), json={"colour": "blue"})
    assert unknown_field.status_code == 400 and error_of(unknown_field)["field_violations"][0]["field"] == "colour"

    bad_status = await gateway.http.get(gateway.user(USER, "extractions"), params={"status": "asleep"})
    assert bad_status.status_code == 400 and error_of(bad_status)["field_violations"][0]["field"] == "status"

    no_route = await gateway.http.get("/api/nothing-here")
    assert no_route.status_code == 404 and error_of(no_route)["status"] == "NOT_FOUND"


async def test_unknown_fact_is_404_and_a_disabled_user_400_with_its_reason(gateway: Gateway) -> None:
    missing = await gateway.http.get(gateway.user(USER, "facts", str(uuid.uuid4())))
    assert missing.status_code == 404 and error_of(missing)["reason"] == "FACT_NOT_FOUND"
    history = await gateway.http.get(gateway.user(USER, "facts", str(uuid.uuid4()), "history"))
    assert history.status_code == 404
    edit = await gateway.http.patch(gateway.user(USER, "facts", str(uuid.uuid4())), json={"text": "new"})
    assert edit.status_code == 404

    await gateway.http.patch(gateway.user(USER, "settings"), json={"extraction_enabled": False})
    refused = await gateway.http.post(gateway.user(USER, "extractions"), json={"user_message": "I like tea"})
    assert refused.status_code == 400
    error = error_of(refused)
    assert error["status"] == "FAILED_PRECONDITION" and error["reason"] == "EXTRACTION_DISABLED"


async def test_a_reused_request_id_is_409(gateway: Gateway) -> None:
    facts = gateway.user(USER, "facts")
    first = await gateway.http.post(facts, json={"text": "I like tea", "request_id": "r-1"})
    again = await gateway.http.post(facts, json={"text": "I like tea", "request_id": "r-1"})
    assert again.status_code == 201 and again.json()["id"] == first.json()["id"]  # a retry, not a conflict
    other = await gateway.http.post(facts, json={"text": "I like coffee", "request_id": "r-1"})
    assert other.status_code == 409 and error_of(other)["reason"] == "REQUEST_ID_REUSED"


async def test_a_watch_cursor_beyond_the_log_is_reported_in_the_stream(gateway: Gateway) -> None:
    async with gateway.http.stream("GET", gateway.user(USER, "events"), params={"after_event_id": 50}) as response:
        assert response.status_code == 200
        text = (await response.aread()).decode()
    assert "event: failure" in text and '"reason":"EVENT_CURSOR_OUT_OF_RANGE"' in text
    assert '"resume_after_event_id":null' in text  # not resumable: the browser must not retry blindly


async def test_a_gateway_without_its_service_answers_503_with_retry_after(settings: Any, sentence_model: Any) -> None:
    port = free_port()
    async with serving_gateway(GatewaySettings(target=f"127.0.0.1:{port}")) as gateway:
        response = await gateway.http.get(gateway.user(USER, "facts"))  # nothing listens there yet
        assert response.status_code == 503 and int(response.headers["Retry-After"]) >= 1
        error = error_of(response)
        assert error["status"] == "UNAVAILABLE" and error["reason"] == "SERVICE_UNREACHABLE"
        assert "cannot be reached" in error["message"] and "Traceback" not in response.text
        events = await gateway.http.get(gateway.user(USER, "events"), params={"after_event_id": "latest"})
        assert events.status_code == 503  # resolving `latest` needs the service

        async def answered() -> bool:
            return (await gateway.http.get(gateway.user(USER, "facts"))).status_code == 200

        async with service_at(settings, sentence_model, port):
            await eventually(answered)  # the channel reconnects by itself

        stopped = await gateway.http.get(gateway.user(USER, "facts"))
        assert stopped.status_code == 503 and error_of(stopped)["status"] == "UNAVAILABLE"
        assert int(stopped.headers["Retry-After"]) >= 1


def test_the_status_table_matches_the_contract() -> None:
    assert {code.name: status for code, status in HTTP_STATUS_OF.items()} == {
        "INVALID_ARGUMENT": 400, "OUT_OF_RANGE": 400, "FAILED_PRECONDITION": 400, "UNAUTHENTICATED": 401,
        "PERMISSION_DENIED": 403, "NOT_FOUND": 404, "ALREADY_EXISTS": 409, "ABORTED": 409,
        "RESOURCE_EXHAUSTED": 429, "UNIMPLEMENTED": 501, "UNAVAILABLE": 503, "DEADLINE_EXCEEDED": 504,
    }  # fmt: skip
    assert grpc.StatusCode.INTERNAL not in HTTP_STATUS_OF  # anything else is 500


async def test_a_call_past_its_deadline_is_504(service: Service) -> None:
    # A microsecond: no answer can beat it, so the deadline decides, not the machine's speed.
    async with serving_gateway(GatewaySettings(target=service.address, call_timeout_seconds=1e-6)) as gateway:
        response = await gateway.http.get(gateway.user(USER, "context"), params={"query": "anything"})
    assert response.status_code == 504 and error_of(response)["status"] == "DEADLINE_EXCEEDED"
