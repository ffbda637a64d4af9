"""The SSE relay of WatchExtractions: live events, resume with Last-Event-ID, and failures that say where to resume."""

from __future__ import annotations

from typing import Any

from voxbridge.memory.gateway import GatewaySettings
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.gateway import Gateway, service_at, serving_gateway
from tests.support.harness import Service
from tests.support.processes import free_port
from tests.support.sse import EventStream, read_frames
from tests.support.waiting import eventually, finished_task

USER = "watch/ed user ✓"


async def queue(gateway: Gateway, message: str, user: str = USER) -> str:
    response = await gateway.http.post(gateway.user(user, "extractions"), json={"user_message": message})
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


async def test_events_are_relayed_and_a_reconnect_resumes_without_loss_or_repeats(
    gateway: Gateway, service: Service
) -> None:
    service.start_worker()
    first = await queue(gateway, "I play the violin")
    await queue(gateway, "I sing too", user="someone else")  # another user's events are not relayed
    async with gateway.http.stream("GET", gateway.user(USER, "events")) as response:
        assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
        ready, *events = await read_frames(response, 4)
    assert ready.event == "ready" and ready.id == "0" and ready.retry
    assert [e.event for e in events] == ["queued", "processing", "completed"]
    assert all(e.data["task_id"] == first and e.data["user_id"] == USER for e in events)
    assert [e.id for e in events] == [str(e.data["event_id"]) for e in events]
    assert events[-1].data["counts"]["facts_added"] == 1
    last_seen = events[-1].id

    # Disconnected: more turns are done meanwhile; the reconnect (as EventSource does it) gets exactly those.
    later = [await queue(gateway, f"I have {n} cats") for n in (2, 3)]
    for task_id in later:
        await finished_task(service, task_id, USER)
    headers = {"Last-Event-ID": str(last_seen)}
    # The header wins over the query's cursor, which a reconnecting EventSource sends again unchanged.
    async with gateway.http.stream(
        "GET", gateway.user(USER, "events"), params={"after_event_id": 0}, headers=headers
    ) as response:
        ready, *resumed = await read_frames(response, 7)
    assert ready.id == last_seen
    for task_id in later:  # two tasks' events may interleave; each task's are in order
        assert [e.event for e in resumed if e.data["task_id"] == task_id] == ["queued", "processing", "completed"]
    all_ids = [int(e.id or 0) for e in events + resumed]
    assert all_ids == sorted(set(all_ids))  # increasing: nothing repeated
    stored = [e async for e in _stored_events(service)]
    assert all_ids == stored  # and nothing of this user's lost


async def _stored_events(service: Service) -> Any:
    stream = service.stub.WatchExtractions(pb.WatchExtractionsRequest(user_id=USER))
    try:
        async for event in stream:
            if not event.task_id:  # heartbeat: the replay is over
                return
            yield event.event_id
    finally:
        stream.cancel()


async def test_latest_starts_at_now_and_idle_streams_get_heartbeats(gateway: Gateway, service: Service) -> None:
    service.start_worker()
    old = await queue(gateway, "An old turn")
    await finished_task(service, old, USER)
    async with gateway.http.stream("GET", gateway.user(USER, "events"), params={"after_event_id": "latest"}) as live:
        stream = EventStream(live)
        ready, heartbeat = await stream.read(2, skip=())  # MEMORY_HEARTBEAT_SECONDS=1 in tests
        assert ready.event == "ready" and ready.id == "3"  # queued, processing, completed of the old turn
        assert heartbeat.event == "heartbeat" and heartbeat.id is None and heartbeat.data == {"event_id": 3}
        new = await queue(gateway, "A new turn")
        (queued,) = await stream.read(1)
    assert queued.event == "queued" and queued.data["task_id"] == new and queued.id == "4"


async def test_a_stopping_service_ends_the_stream_with_a_resume_cursor(settings: Any, sentence_model: Any) -> None:
    port = free_port()
    async with serving_gateway(GatewaySettings(target=f"127.0.0.1:{port}")) as gateway:
        async with service_at(settings, sentence_model, port) as service:
            service.start_worker()
            task_id = await queue(gateway, "I like chess")
            await finished_task(service, task_id, USER)
            request = gateway.http.stream("GET", gateway.user(USER, "events"))
            stream = EventStream(await request.__aenter__())
            _, *events = await stream.read(4)
            assert [e.id for e in events] == ["1", "2", "3"]
        # The service shut down: its stream ended UNAVAILABLE with resume_after_event_id, relayed as a failure.
        (failure,) = await stream.read(1)
        await request.__aexit__(None, None, None)
        assert failure.event == "failure" and failure.id == "3" and failure.retry and failure.retry > 0
        assert failure.data["resume_after_event_id"] == 3
        assert failure.data["error"]["status"] == "UNAVAILABLE" and failure.data["error"]["reason"] == "SHUTTING_DOWN"

        async with service_at(settings, sentence_model, port) as service:  # back, on the same database
            service.start_worker()
            await eventually(lambda: _answers(gateway))  # the gateway's channel reconnects by itself
            second = await queue(gateway, "I like go")
            resume = {"Last-Event-ID": failure.id or ""}
            async with gateway.http.stream("GET", gateway.user(USER, "events"), headers=resume) as response:
                ready, first = await read_frames(response, 2)
        assert ready.id == "3" and first.id == "4" and first.data["task_id"] == second


async def _answers(gateway: Gateway) -> bool:
    return (await gateway.http.get(gateway.user(USER, "queue"))).status_code == 200


async def test_plain_eventsource_clients_pass_the_token_as_a_query_parameter(gateway: Gateway) -> None:
    async with gateway.http.stream("GET", gateway.user(USER, "events"), params={"access_token": "t0k"}) as response:
        assert response.status_code == 200
        (ready,) = await read_frames(response, 1)
    assert ready.event == "ready"
    bad = await gateway.http.get(gateway.user(USER, "events"), params={"after_event_id": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["field_violations"][0]["field"] == "after_event_id"
