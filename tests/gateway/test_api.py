"""Every JSON endpoint's happy path, through the real gateway to the real service, with awkward user ids."""

from __future__ import annotations

from datetime import datetime

import pytest
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.gateway import Gateway
from tests.support.harness import Service
from tests.support.waiting import finished_task

ODD_USER = "discord/guild:42/user#7 ünïcode"


@pytest.mark.parametrize("user_id", [ODD_USER, "100% sure?", "plain"])
async def test_facts_round_trip_for_any_user_id(gateway: Gateway, service: Service, user_id: str) -> None:
    created = await gateway.http.post(gateway.user(user_id, "facts"), json={"text": "I play the violin"})
    assert created.status_code == 201, created.text
    fact = created.json()
    assert fact["user_id"] == user_id and fact["text"] == "I play the violin"
    assert fact["scope"] == "global" and fact["current"] and fact["source"] == "manual"
    assert fact["importance"] == pytest.approx(0.5) and datetime.fromisoformat(fact["valid_from"])

    # What the service stored is under exactly that user id (read through gRPC, not the gateway).
    stored = await service.stub.ListFacts(pb.ListFactsRequest(user_id=user_id))
    assert [f.id for f in stored.facts] == [fact["id"]]

    listed = await gateway.http.get(gateway.user(user_id, "facts"))
    assert listed.status_code == 200 and [f["id"] for f in listed.json()["facts"]] == [fact["id"]]
    read = await gateway.http.get(gateway.user(user_id, "facts", fact["id"]))
    assert read.status_code == 200 and read.json() == fact


async def test_create_edit_history_and_delete(gateway: Gateway) -> None:
    facts = gateway.user(ODD_USER, "facts")
    city = (await gateway.http.post(facts, json={"fact_key": "city", "fact_value": "Berlin", "importance": 0.9})).json()
    assert city["text"] == "city: Berlin" and city["importance"] == pytest.approx(0.9)

    edited = await gateway.http.patch(f"{facts}/{city['id']}", json={"fact_value": "Lisbon"})
    assert edited.status_code == 200, edited.text
    # Only fact_value was in the mask: the key and importance stay, the text follows the value.
    assert edited.json()["fact_value"] == "Lisbon" and edited.json()["text"] == "city: Lisbon"
    assert edited.json()["importance"] == pytest.approx(0.9) and edited.json()["fact_key"] == "city"

    reworded = await gateway.http.patch(f"{facts}/{city['id']}", json={"text": "I live in Lisbon", "importance": 0.3})
    assert reworded.json()["text"] == "I live in Lisbon" and reworded.json()["importance"] == pytest.approx(0.3)

    history = (await gateway.http.get(f"{facts}/{city['id']}/history")).json()
    assert [c["type"] for c in history["changes"]] == ["edited", "edited", "created"]
    assert (
        history["changes"][0]["old_text"] == "city: Lisbon" and history["changes"][0]["new_text"] == "I live in Lisbon"
    )
    assert [v["id"] for v in history["versions"]] == [city["id"]]

    deleted = await gateway.http.delete(f"{facts}/{city['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    assert (await gateway.http.get(facts)).json()["facts"] == []


async def test_listing_pages_filters_by_agent_and_shows_history(gateway: Gateway) -> None:
    facts = gateway.user(ODD_USER, "facts")
    for n in range(3):
        assert (await gateway.http.post(facts, json={"text": f"global fact {n}"})).status_code == 201
    private = await gateway.http.post(facts, json={"text": "only the chef knows", "agent_id": "chef/bot"})
    await gateway.http.post(facts, json={"text": "only the coach knows", "agent_id": "coach"})
    assert private.json()["scope"] == "agent" and private.json()["agent_id"] == "chef/bot"
    await gateway.http.post(facts, json={"fact_key": "mood", "fact_value": "tired"})
    await gateway.http.post(facts, json={"fact_key": "mood", "fact_value": "rested"})  # closes "tired"

    seen, token = [], ""
    while True:
        page = (await gateway.http.get(facts, params={"page_size": 2, "page_token": token})).json()
        assert len(page["facts"]) <= 2
        seen += [f["text"] for f in page["facts"]]
        token = page["next_page_token"]
        if not token:
            break
    assert len(seen) == 6 and "mood: tired" not in seen  # newest first, current only

    chef = (await gateway.http.get(facts, params={"agent_id": "chef/bot"})).json()["facts"]
    assert {f["text"] for f in chef} >= {"only the chef knows"} and "only the coach knows" not in {
        f["text"] for f in chef
    }

    everything = (await gateway.http.get(facts, params={"include_history": "true", "page_size": 50})).json()["facts"]
    tired = next(f for f in everything if f["text"] == "mood: tired")
    assert not tired["current"] and tired["valid_to"] is not None


async def test_search_shows_what_the_bot_would_remember(gateway: Gateway) -> None:
    facts = gateway.user(ODD_USER, "facts")
    await gateway.http.post(facts, json={"text": "My son is allergic to nuts"})
    await gateway.http.post(facts, json={"text": "I drive a red bicycle"})
    found = await gateway.http.get(gateway.user(ODD_USER, "context"), params={"query": "can my boy eat peanuts?"})
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["facts"][0]["fact"]["text"] == "My son is allergic to nuts"
    assert 0 < body["facts"][0]["relevance"] <= 1
    assert body["context"].startswith("<user_memories>") and "allergic to nuts" in body["context"]
    limited = await gateway.http.get(gateway.user(ODD_USER, "context"), params={"query": "nuts", "limit": 1})
    assert len(limited.json()["facts"]) == 1


async def test_user_settings_read_and_patch_named_fields_only(gateway: Gateway) -> None:
    settings = gateway.user(ODD_USER, "settings")
    defaults = (await gateway.http.get(settings)).json()
    assert defaults == {
        "user_id": ODD_USER, "extraction_enabled": True, "retention_days": 0, "display_name": "", "updated_at": None,
    }  # fmt: skip
    named = (await gateway.http.patch(settings, json={"display_name": "Zoë", "retention_days": 30})).json()
    assert named["display_name"] == "Zoë" and named["retention_days"] == 30 and named["extraction_enabled"]
    off = (await gateway.http.patch(settings, json={"extraction_enabled": False})).json()
    assert not off["extraction_enabled"] and off["display_name"] == "Zoë" and off["retention_days"] == 30
    assert (await gateway.http.get(settings)).json() == off


async def test_agents_register_read_and_list(gateway: Gateway) -> None:
    registered = await gateway.http.put(
        "/api/agents/chef%2Fbot", json={"memory_scope": "agent", "display_name": "Chef"}
    )
    assert registered.status_code == 200, registered.text
    assert registered.json()["agent_id"] == "chef/bot" and registered.json()["memory_scope"] == "agent"
    await gateway.http.put("/api/agents/coach", json={})
    read = (await gateway.http.get("/api/agents/coach")).json()
    assert read["memory_scope"] == "global"
    page = (await gateway.http.get("/api/agents")).json()
    assert [(a["agent_id"], a["display_name"]) for a in page["agents"]] == [("chef/bot", "Chef"), ("coach", "")]


async def test_queue_a_turn_then_read_tasks_queue_counts_and_stats(gateway: Gateway, service: Service) -> None:
    await gateway.http.put("/api/agents/chef", json={"memory_scope": "agent"})
    queued = await gateway.http.post(
        gateway.user(ODD_USER, "extractions"),
        json={"user_message": "I am vegetarian", "ai_response": "Noted!", "agent_id": "chef", "request_id": "turn-1"},
    )
    assert queued.status_code == 202, queued.text
    task = queued.json()
    assert task["status"] == "pending" and task["user_id"] == ODD_USER and task["request_id"] == "turn-1"
    pending = (await gateway.http.get(gateway.user(ODD_USER, "queue"))).json()
    assert pending["pending"] == 1 and pending["mode"] == "verbatim"

    service.start_worker()
    await finished_task(service, task["id"], ODD_USER)
    done = (await gateway.http.get(gateway.user(ODD_USER, "extractions", task["id"]))).json()
    assert done["status"] == "completed" and done["counts"]["facts_added"] == 1
    listed = (await gateway.http.get(gateway.user(ODD_USER, "extractions"), params={"status": "completed"})).json()
    assert [t["id"] for t in listed["tasks"]] == [task["id"]]
    assert (await gateway.http.get(gateway.user(ODD_USER, "extractions"), params={"status": "failed"})).json()[
        "tasks"
    ] == []

    await gateway.http.post(gateway.user(ODD_USER, "facts"), json={"text": "I like jazz"})
    await gateway.http.post(gateway.user(ODD_USER, "facts"), json={"text": "coach secret", "agent_id": "coach"})
    stats = (await gateway.http.get(gateway.user(ODD_USER, "stats"))).json()
    assert stats["facts"] == {"total": 3, "global_facts": 1, "agent_facts": 2, "per_agent": {"chef": 1, "coach": 1}}
    assert stats["queue"]["completed"] == 1 and stats["queue"]["pending"] == 0


async def test_openapi_and_offline_docs(gateway: Gateway) -> None:
    spec = (await gateway.http.get("/openapi.json")).json()
    assert "/api/users/{user_id}/facts" in spec["paths"] and "/api/users/{user_id}/events" in spec["paths"]
    assert "Fact" in spec["components"]["schemas"] and "ErrorBody" in spec["components"]["schemas"]
    docs = await gateway.http.get("/docs")
    assert docs.status_code == 200 and "swagger-ui" in docs.text
    assert "http://" not in docs.text and "https://" not in docs.text  # no CDN: the assets are served here
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert (await gateway.http.get(f"/static-offline-docs/{asset}")).status_code == 200
