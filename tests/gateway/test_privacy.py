"""Export download and erasure through the gateway."""

from __future__ import annotations

import json
from urllib.parse import unquote

from tests.support.gateway import Gateway

USER = "discord/guild:42/user#7 ünïcode"


async def test_erasure_needs_the_user_id_repeated(gateway: Gateway) -> None:
    for confirm in (None, "discord", USER.upper()):
        params = {} if confirm is None else {"confirm": confirm}
        response = await gateway.http.delete(gateway.user(USER), params=params)
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["reason"] == "CONFIRMATION_MISMATCH" and error["field_violations"][0]["field"] == "confirm"


async def test_export_downloads_one_record_per_line(gateway: Gateway) -> None:
    facts = gateway.user(USER, "facts")
    for text in ("I play the violin", "My son is allergic to nuts"):
        assert (await gateway.http.post(facts, json={"text": text})).status_code == 201
    await gateway.http.patch(gateway.user(USER, "settings"), json={"display_name": "Zoë"})

    async with gateway.http.stream("GET", gateway.user(USER, "export")) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        disposition = response.headers["content-disposition"]
        lines = [line async for line in response.aiter_lines() if line]
    assert disposition.startswith("attachment;") and unquote(disposition.split("''", 1)[1]).endswith(
        f"memory-export-{USER}.jsonl"
    )
    records = [json.loads(line) for line in lines]
    assert all(len(record) == 1 for record in records)  # exactly one field of the oneof per line
    assert list(records[0]) == ["header"] and records[0]["header"]["user_id"] == USER
    assert {r["fact"]["text"] for r in records if "fact" in r} >= {"I play the violin", "My son is allergic to nuts"}
    assert [r["settings"]["display_name"] for r in records if "settings" in r] == ["Zoë"]


async def test_erasure_forgets_everything_and_returns_a_receipt(gateway: Gateway) -> None:
    facts = gateway.user(USER, "facts")
    await gateway.http.post(facts, json={"text": "I play the violin"})
    await gateway.http.post(gateway.user("someone else", "facts"), json={"text": "I stay"})

    response = await gateway.http.delete(gateway.user(USER), params={"confirm": USER})
    assert response.status_code == 200, response.text
    receipt = response.json()
    assert receipt["user_id"] == USER and receipt["erased_at"] and receipt["deleted_rows"]["facts"] >= 1
    listed = await gateway.http.get(facts, params={"include_history": "true"})
    assert listed.json()["facts"] == []
    assert len((await gateway.http.get(gateway.user("someone else", "facts"))).json()["facts"]) == 1
    again = await gateway.http.delete(gateway.user(USER), params={"confirm": USER})
    assert again.status_code == 200 and again.json()["deleted_rows"] == {}  # idempotent
