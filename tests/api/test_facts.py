"""Fact CRUD through the real server: validation, ownership, versioning, idempotency, pagination."""

from __future__ import annotations

import asyncio

import grpc
import pytest
from google.protobuf import field_mask_pb2
from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.harness import Service
from tests.support.rpc import new_fact, rpc_failure


async def test_create_get_list_update_delete_round_trip(service: Service) -> None:
    stub = service.stub
    created = await stub.CreateFact(new_fact("alice", fact_key="Favorite  Food", fact_value="sushi", importance=0.8))
    assert created.id and created.fact_key == "favorite food" and created.text == "favorite food: sushi"
    assert created.source == fact_pb2.FACT_SOURCE_MANUAL
    assert created.embedding_model == "all-MiniLM-L6-v2"
    assert created.importance == pytest.approx(0.8)
    assert created.HasField("valid_from") and not created.HasField("valid_to")

    fetched = await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=created.id))
    assert fetched == created

    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert [f.id for f in listed.facts] == [created.id] and listed.next_page_token == ""

    updated = await stub.UpdateFact(
        pb.UpdateFactRequest(
            fact=fact_pb2.Fact(user_id="alice", id=created.id, fact_value="ramen"),
            update_mask=field_mask_pb2.FieldMask(paths=["fact_value"]),
        )
    )
    assert updated.id == created.id and updated.fact_value == "ramen" and updated.text == "favorite food: ramen"
    assert updated.updated_at.ToDatetime() > created.updated_at.ToDatetime()

    await stub.DeleteFact(pb.DeleteFactRequest(user_id="alice", fact_id=created.id))
    failure = await rpc_failure(stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=created.id)))
    assert failure.code == grpc.StatusCode.NOT_FOUND and failure.reason == "FACT_NOT_FOUND"


async def test_text_only_facts_are_plain_statements_that_close_nothing(service: Service) -> None:
    stub = service.stub
    statements = [
        "My son is 5 years old",
        "My son is allergic to nuts",
        "My favourite food is sushi",
        "My favourite food is not spicy",
        "Ich wohne in München und mag Käsespätzle",
        "My name is Alice.",
    ]
    created = [await stub.CreateFact(new_fact("alice", text=text)) for text in statements]
    for fact, text in zip(created, statements, strict=True):
        assert (fact.fact_key, fact.fact_value, fact.text) == ("", "", text)
        assert fact.supersedes_fact_id == ""
    current = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert sorted(f.text for f in current.facts) == sorted(statements)  # every true statement stays current

    age = await stub.GetContext(pb.GetContextRequest(user_id="alice", query="how old is my son?", limit=2))
    assert "My son is 5 years old" in [s.fact.text for s in age.facts]
    food = await stub.GetContext(pb.GetContextRequest(user_id="alice", query="what food do I like?", limit=3))
    assert {"My favourite food is sushi", "My favourite food is not spicy"} <= {s.fact.text for s in food.facts}


@pytest.mark.parametrize(
    ("request_fields", "field", "needle"),
    [
        ({"user_id": "", "text": "x"}, "fact.user_id", "required"),
        ({"user_id": "   ", "text": "x"}, "fact.user_id", "required"),
        ({"user_id": "u", "text": ""}, "fact.text", "required"),
        ({"user_id": "u", "text": "a" * 4001}, "fact.text", "at most 4000"),
        ({"user_id": "u", "text": "nul\x00byte"}, "fact.text", "NUL"),
        ({"user_id": "u\x00", "text": "x"}, "fact.user_id", "NUL"),
        ({"user_id": "u", "text": "x", "importance": 1.5}, "fact.importance", "between 0 and 1"),
        ({"user_id": "u", "text": "x", "importance": -0.1}, "fact.importance", "between 0 and 1"),
        ({"user_id": "u", "text": "x", "importance": float("nan")}, "fact.importance", "between 0 and 1"),
        ({"user_id": "u", "fact_key": "name"}, "fact.fact_value", "go together"),
        ({"user_id": "u" * 257, "text": "x"}, "fact.user_id", "at most 256"),
        ({"user_id": "u", "text": "x", "agent_id": "a" * 300}, "fact.agent_id", "at most 256"),
        ({"user_id": "u", "text": "x", "request_id": "r" * 129}, "request_id", "at most 128"),
    ],
)
async def test_create_rejects_bad_input_with_field_violations(
    service: Service, request_fields: dict[str, object], field: str, needle: str
) -> None:
    failure = await rpc_failure(service.stub.CreateFact(new_fact(**request_fields)))  # type: ignore[arg-type]
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT
    assert any(f == field and needle in description for f, description in failure.field_violations), failure
    assert needle in failure.message
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id="u"))
    assert list(listed.facts) == []  # nothing half-written


async def test_user_ids_are_opaque_and_may_contain_slashes(service: Service) -> None:
    user = "discord/guild:42/user#7 ünïcode"
    created = await service.stub.CreateFact(new_fact(user, text="Plays the cello"))
    assert (await service.stub.GetFact(pb.GetFactRequest(user_id=user, fact_id=created.id))).user_id == user


async def test_one_user_cannot_reach_another_users_fact(service: Service) -> None:
    stub = service.stub
    secret = await stub.CreateFact(new_fact("alice", text="Alice's PIN is 1234"))
    for call in (
        stub.GetFact(pb.GetFactRequest(user_id="mallory", fact_id=secret.id)),
        stub.DeleteFact(pb.DeleteFactRequest(user_id="mallory", fact_id=secret.id)),
        stub.UpdateFact(
            pb.UpdateFactRequest(
                fact=fact_pb2.Fact(user_id="mallory", id=secret.id, text="hacked"),
                update_mask=field_mask_pb2.FieldMask(paths=["text"]),
            )
        ),
    ):
        failure = await rpc_failure(call)
        assert failure.code == grpc.StatusCode.NOT_FOUND
    assert (await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=secret.id))).text == "Alice's PIN is 1234"


async def test_malformed_and_unknown_ids(service: Service) -> None:
    failure = await rpc_failure(service.stub.GetFact(pb.GetFactRequest(user_id="u", fact_id="not-a-uuid")))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and failure.field_violations[0][0] == "fact_id"
    failure = await rpc_failure(
        service.stub.GetFact(pb.GetFactRequest(user_id="u", fact_id="6f1c2a8e-2b7d-4d8e-9a51-3c1d0e5f7a90"))
    )
    assert failure.code == grpc.StatusCode.NOT_FOUND


async def test_same_key_supersedes_instead_of_overwriting(service: Service) -> None:
    stub = service.stub
    old = await stub.CreateFact(new_fact("alice", fact_key="location", fact_value="Berlin"))
    new = await stub.CreateFact(new_fact("alice", fact_key="Location", fact_value="Paris"))
    assert new.supersedes_fact_id == old.id

    current = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert [f.fact_value for f in current.facts] == ["Paris"]
    everything = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert [f.fact_value for f in everything.facts] == ["Paris", "Berlin"]
    closed = await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=old.id))
    assert closed.HasField("valid_to") and closed.fact_value == "Berlin"

    # A closed version is history: it cannot be edited.
    failure = await rpc_failure(
        stub.UpdateFact(
            pb.UpdateFactRequest(
                fact=fact_pb2.Fact(user_id="alice", id=old.id, fact_value="Rome"),
                update_mask=field_mask_pb2.FieldMask(paths=["fact_value"]),
            )
        )
    )
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION and failure.reason == "FACT_NOT_CURRENT"

    context = await stub.GetContext(pb.GetContextRequest(user_id="alice", query="where do I live?"))
    assert [s.fact.fact_value for s in context.facts] == ["Paris"]


async def test_same_key_in_other_scope_does_not_supersede(service: Service) -> None:
    stub = service.stub
    global_fact = await stub.CreateFact(new_fact("alice", fact_key="nickname", fact_value="Al"))
    agent_fact = await stub.CreateFact(new_fact("alice", fact_key="nickname", fact_value="Captain", agent_id="pirate"))
    assert agent_fact.supersedes_fact_id == ""
    listed = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert {f.id for f in listed.facts} == {global_fact.id, agent_fact.id}


async def test_request_id_makes_create_idempotent(service: Service) -> None:
    stub = service.stub
    request = new_fact("alice", text="Allergic to peanuts", request_id="req-1")
    first, second = await asyncio.gather(stub.CreateFact(request), stub.CreateFact(request))
    third = await stub.CreateFact(request)
    assert first.id == second.id == third.id
    assert len((await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))).facts) == 1

    failure = await rpc_failure(stub.CreateFact(new_fact("alice", text="Allergic to cats", request_id="req-1")))
    assert failure.code == grpc.StatusCode.ALREADY_EXISTS and failure.reason == "REQUEST_ID_REUSED"
    # Request ids are per user: another user may use the same one.
    other = await stub.CreateFact(new_fact("bob", text="Allergic to cats", request_id="req-1"))
    assert other.user_id == "bob"


async def test_concurrent_creates_of_one_key_leave_one_current_fact(service: Service) -> None:
    stub = service.stub
    await asyncio.gather(
        *(stub.CreateFact(new_fact("alice", fact_key="mood", fact_value=f"mood {i}")) for i in range(10))
    )
    current = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    everything = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", include_invalid=True))
    assert len(current.facts) == 1 and len(everything.facts) == 10


async def test_update_mask_is_required_and_checked(service: Service) -> None:
    stub = service.stub
    fact = await stub.CreateFact(new_fact("alice", text="Likes jazz"))

    def update(paths: list[str], **fields: object) -> object:
        return stub.UpdateFact(
            pb.UpdateFactRequest(
                fact=fact_pb2.Fact(user_id="alice", id=fact.id, **fields),  # type: ignore[arg-type]
                update_mask=field_mask_pb2.FieldMask(paths=paths),
            )
        )

    for paths, fields, needle in (
        ([], {"text": "x"}, "update_mask: is required"),
        (["id"], {"text": "x"}, "unknown or read-only field 'id'"),
        (["embedding_model"], {}, "unknown or read-only"),
        (["text"], {"text": ""}, "fact.text: is required"),
        (["importance"], {}, "fact.importance: is required"),
        (["importance"], {"importance": 3.0}, "between 0 and 1"),
    ):
        failure = await rpc_failure(update(paths, **fields))  # type: ignore[arg-type]
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and needle in failure.message, (paths, failure)

    changed = await update(["importance", "text"], importance=0.9, text="Loves jazz piano")
    assert changed.importance == pytest.approx(0.9) and changed.text == "Loves jazz piano"  # type: ignore[attr-defined]


async def test_moving_a_fact_onto_a_taken_key_supersedes_the_holder(service: Service) -> None:
    stub = service.stub
    oslo = await stub.CreateFact(new_fact("alice", fact_key="city", fact_value="Oslo"))
    other = await stub.CreateFact(new_fact("alice", fact_key="town", fact_value="Bergen"))
    moved = await stub.UpdateFact(
        pb.UpdateFactRequest(
            fact=fact_pb2.Fact(user_id="alice", id=other.id, fact_key="city"),
            update_mask=field_mask_pb2.FieldMask(paths=["fact_key"]),
        )
    )
    assert (moved.fact_key, moved.fact_value, moved.text) == ("city", "Bergen", "city: Bergen")
    closed = await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=oslo.id))
    assert closed.HasField("valid_to")
    current = await stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    assert [f.text for f in current.facts] == ["city: Bergen"]
    history = await stub.GetFactHistory(pb.GetFactHistoryRequest(user_id="alice", fact_id=oslo.id))
    assert [c.type for c in history.changes] == [
        fact_pb2.FACT_CHANGE_TYPE_SUPERSEDED,
        fact_pb2.FACT_CHANGE_TYPE_CREATED,
    ]


async def test_every_edit_keeps_key_value_and_text_saying_the_same(service: Service) -> None:
    stub = service.stub
    fact = await stub.CreateFact(new_fact("alice", fact_key="location", fact_value="Berlin"))

    async def edit(paths: list[str], **fields: str) -> fact_pb2.Fact:
        current = await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=fact.id))
        assert current.id == fact.id
        return await stub.UpdateFact(  # type: ignore[no-any-return]
            pb.UpdateFactRequest(
                fact=fact_pb2.Fact(user_id="alice", id=fact.id, **fields),
                update_mask=field_mask_pb2.FieldMask(paths=paths),
            )
        )

    async def context_lines() -> list[str]:
        found = await stub.GetContext(pb.GetContextRequest(user_id="alice", query="where do I live?"))
        return [line.split(" (since ")[0] for line in found.context.splitlines()[1:-1]]

    rome = await edit(["text"], text="I live in Rome")
    assert (rome.fact_key, rome.fact_value, rome.text) == ("location", "", "I live in Rome")
    assert await context_lines() == ["- I live in Rome"]  # never "location: Berlin" again

    madrid = await edit(["fact_value"], fact_value="Madrid")
    assert (madrid.fact_value, madrid.text) == ("Madrid", "location: Madrid")
    assert await context_lines() == ["- location: Madrid"]

    renamed = await edit(["fact_key"], fact_key="home city")
    assert (renamed.fact_key, renamed.fact_value, renamed.text) == ("home city", "Madrid", "home city: Madrid")
    assert await context_lines() == ["- home city: Madrid"]

    both = await edit(["fact_value", "text"], fact_value="Porto", text="Moved to Porto in May")
    assert (both.fact_value, both.text) == ("Porto", "Moved to Porto in May")
    assert await context_lines() == ["- Moved to Porto in May"]

    plain = await edit(["fact_key"], fact_key="")
    assert (plain.fact_key, plain.fact_value, plain.text) == ("", "", "Moved to Porto in May")
    # A plain statement no longer holds the key: a new keyed fact closes nothing.
    await stub.CreateFact(new_fact("alice", fact_key="home city", fact_value="Lisbon"))
    assert not (await stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=fact.id))).HasField("valid_to")

    history = await stub.GetFactHistory(pb.GetFactHistoryRequest(user_id="alice", fact_id=fact.id))
    edits = [(c.old_text, c.new_text) for c in history.changes if c.type == fact_pb2.FACT_CHANGE_TYPE_EDITED]
    assert edits[-1] == ("location: Berlin", "I live in Rome")


async def test_pagination_walks_every_fact_once(service: Service) -> None:
    stub = service.stub
    created = [await stub.CreateFact(new_fact("alice", fact_key=f"k{i}", fact_value=f"v{i}")) for i in range(23)]
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        page = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_size=10, page_token=token))
        seen += [f.id for f in page.facts]
        pages += 1
        token = page.next_page_token
        if not token:
            break
        assert len(page.facts) == 10
    assert pages == 3
    assert seen == [f.id for f in reversed(created)]  # newest first, each once


async def test_page_size_and_token_errors(service: Service) -> None:
    stub = service.stub
    for i in range(3):
        await stub.CreateFact(new_fact("alice", fact_key=f"k{i}", fact_value="v"))
    failure = await rpc_failure(stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_size=-1)))
    assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and failure.field_violations[0][0] == "page_size"
    big = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_size=100_000))
    assert len(big.facts) == 3  # clamped to the maximum, not refused

    page = await stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_size=1))
    assert page.next_page_token
    for bad in ("garbage", page.next_page_token[:-3] + "xyz"):
        failure = await rpc_failure(stub.ListFacts(pb.ListFactsRequest(user_id="alice", page_token=bad)))
        assert failure.code == grpc.StatusCode.INVALID_ARGUMENT and failure.reason == "INVALID_PAGE_TOKEN"
    # A token only fits the query it came from.
    failure = await rpc_failure(
        stub.ListFacts(pb.ListFactsRequest(user_id="bob", page_size=1, page_token=page.next_page_token))
    )
    assert failure.reason == "INVALID_PAGE_TOKEN" and "different query" in failure.message
