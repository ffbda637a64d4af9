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


async def test_a_bad_batch_stops_the_import_and_keeps_each_batch_whole(
    service: Service, database_url: str, tmp_path: Path
) -> None:
    # Batches run concurrently: one user's stay in order, a failed batch writes nothing, and after it the
    # user's next batch is skipped rather than written over the gap.
    lines = [
        {"user_id": "frank", "fact_key": "city", "fact_value": "Oslo"},
        {"user_id": "frank", "text": "Plays chess"},
        {"user_id": "gina", "text": "Sings in a choir"},
        {"user_id": "frank", "text": "x" * 5000},  # too long: its whole batch fails
        {"user_id": "frank", "text": "Has a boat"},
        {"user_id": "frank", "fact_key": "city", "fact_value": "Bergen"},
    ]
    file = tmp_path / "facts.jsonl"
    file.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    code, out, err = await memory_service(database_url, "import", str(file), "--batch", "2")
    assert code != 0 and out == ""
    assert "lines 4-5 (user 'frank') were not stored: facts[0].text: must be at most 4000" in err, err
    assert "3 facts of other batches were stored" in err and "Traceback" not in err
    frank = await service.stub.ListFacts(pb.ListFactsRequest(user_id="frank", include_invalid=True))
    assert sorted(f.text for f in frank.facts) == ["Plays chess", "city: Oslo"]
    gina = await service.stub.ListFacts(pb.ListFactsRequest(user_id="gina"))
    assert [f.text for f in gina.facts] == ["Sings in a choir"]
