"""`memory-service import`: JSON lines of facts, or another instance's export, in bulk."""

from __future__ import annotations

import json
from pathlib import Path

from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.integration.test_cli_tasks import memory_service
from tests.support.harness import Service
from tests.support.rpc import new_fact


async def test_import_stores_facts_from_plain_lines_and_from_an_export(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    lines = [
        {"text": "Plays the cello"},
        {"fact_key": "city", "fact_value": "Oslo", "valid_from": "2024-02-01T10:00:00Z"},
        {"user_id": "carol", "text": "Collects stamps", "session_id": "call-9"},
        {"fact_key": "city", "fact_value": "Bergen", "valid_from": "2025-03-01T10:00:00Z"},
    ]
    plain = tmp_path / "facts.jsonl"
    plain.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n")
    code, out, err = await memory_service(database_url, "import", str(plain), "--user-id", "bob", "--batch", "2")
    assert code == 0, err
    assert json.loads(out)["facts"] == 4
    bob = await service.stub.ListFacts(pb.ListFactsRequest(user_id="bob", include_invalid=True))
    assert sorted(f.text for f in bob.facts) == ["Plays the cello", "city: Bergen", "city: Oslo"]
    assert all(f.source == fact_pb2.FACT_SOURCE_IMPORTED for f in bob.facts)
    oslo = next(f for f in bob.facts if f.fact_value == "Oslo")
    assert oslo.HasField("valid_to") and oslo.valid_from.ToJsonString().startswith("2024-02-01")
    carol = await service.stub.ListFacts(pb.ListFactsRequest(user_id="carol"))
    assert [(f.text, f.session_id) for f in carol.facts] == [("Collects stamps", "call-9")]

    await service.stub.CreateFact(new_fact("dave", fact_key="pet", fact_value="cat"))
    await service.stub.CreateFact(new_fact("dave", fact_key="pet", fact_value="dog"))  # the cat is history now
    code, export, _ = await memory_service(database_url, "export", "dave")
    moved = tmp_path / "dave.jsonl"
    moved.write_text(export.replace('"dave"', '"dave-2"'))  # into another user (as if another instance)
    code, out, err = await memory_service(database_url, "import", str(moved))
    assert code == 0, err
    assert json.loads(out)["facts"] == 1  # current versions only: history stays where it was
    assert [f.text for f in (await service.stub.ListFacts(pb.ListFactsRequest(user_id="dave-2"))).facts] == ["pet: dog"]

    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"text": "fine"}\nnot json\n')
    code, _, err = await memory_service(database_url, "import", str(broken), "--user-id", "erin")
    assert code != 0 and "line 2 is not a fact" in err
