"""Extraction with an LLM: the real openai client talks to a local fake of the chat-completions API."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
from voxbridge.memory.v1 import extraction_pb2, user_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.fake_llm import Call, FakeLlm, Reply, facts_reply, memory_reply
from tests.support.harness import Service, running_service, with_llm
from tests.support.rpc import new_fact, rpc_failure
from tests.support.waiting import finished_task

COMPLETED = extraction_pb2.EXTRACTION_STATUS_COMPLETED


@pytest.fixture
async def llm_service(settings: Any, sentence_model: Any, fake_llm: FakeLlm) -> AsyncIterator[Service]:
    async with running_service(with_llm(settings, fake_llm.base_url), sentence_model) as service:
        yield service


def facts_by_message(table: dict[str, list[str]]) -> Any:
    return lambda call: facts_reply(*table.get(call.user_message, []))


async def extract(
    service: Service, message: str, *, user: str = "alice", agent: str = ""
) -> extraction_pb2.ExtractionTask:
    task = await service.stub.QueueExtraction(
        pb.QueueExtractionRequest(user_id=user, agent_id=agent, user_message=message, ai_response="Noted!")
    )
    return await finished_task(service, task.id, task.user_id)


async def current_texts(service: Service, user: str = "alice") -> set[str]:
    listed = await service.stub.ListFacts(pb.ListFactsRequest(user_id=user, page_size=500))
    return {f.text for f in listed.facts}


async def test_facts_come_from_the_llm_through_mem0s_prompt(llm_service: Service, fake_llm: FakeLlm) -> None:
    fake_llm.script.on_facts = facts_by_message(
        {"Hi, I'm Alice and I work as a nurse": ["Name is Alice", "Works as a nurse"]}
    )
    llm_service.start_worker()
    done = await extract(llm_service, "Hi, I'm Alice and I work as a nurse")
    assert done.status == COMPLETED and done.counts.facts_added == 2
    assert await current_texts(llm_service) == {"Name is Alice", "Works as a nurse"}

    [call] = fake_llm.calls_of("facts")
    assert "user: Hi, I'm Alice and I work as a nurse" in call.prompt and "assistant: Noted!" in call.prompt
    assert call.headers["authorization"] == "Bearer sk-test-secret-key"
    found = await llm_service.stub.GetContext(pb.GetContextRequest(user_id="alice", query="what's my job?", limit=1))
    assert found.context.startswith("<user_memories>\n- Works as a nurse (since ")


async def test_code_fenced_answers_are_understood(llm_service: Service, fake_llm: FakeLlm) -> None:
    fake_llm.script.on_facts = lambda call: Reply(
        "Sure! ```json\n" + json.dumps({"facts": ["Is vegetarian"]}) + "\n```"
    )
    llm_service.start_worker()
    done = await extract(llm_service, "I stopped eating meat last year")
    assert done.counts.facts_added == 1 and await current_texts(llm_service) == {"Is vegetarian"}


async def test_llm_update_supersedes_and_links_the_old_fact(llm_service: Service, fake_llm: FakeLlm) -> None:
    old = await llm_service.stub.CreateFact(new_fact("alice", text="Plays tennis on weekends"))
    fake_llm.script.on_facts = lambda call: facts_reply("Plays tennis every Saturday with her brother")
    shown: list[str] = []

    def reconcile(call: Call) -> Reply:
        shown.append(call.prompt)
        return memory_reply(
            {
                "id": "0",
                "text": "Plays tennis every Saturday with her brother",
                "event": "UPDATE",
                "old_memory": "Plays tennis on weekends",
            }
        )

    fake_llm.script.on_reconcile = reconcile
    llm_service.start_worker()
    done = await extract(llm_service, "I play tennis every Saturday with my brother")
    assert done.counts.facts_updated == 1 and done.counts.facts_added == 0
    assert "Plays tennis on weekends" in shown[0] and old.id not in shown[0]  # short ids, never UUIDs

    current = await llm_service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    [fact] = current.facts
    assert fact.text == "Plays tennis every Saturday with her brother" and fact.supersedes_fact_id == old.id
    closed = await llm_service.stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=old.id))
    assert closed.HasField("valid_to")


async def test_llm_delete_closes_a_contradicted_fact(llm_service: Service, fake_llm: FakeLlm) -> None:
    vegan = await llm_service.stub.CreateFact(new_fact("alice", text="Is vegan"))
    fake_llm.script.on_facts = lambda call: facts_reply("Eats fish again")
    fake_llm.script.on_reconcile = lambda call: memory_reply(
        {"id": "0", "text": "Is vegan", "event": "DELETE"}, {"id": "1", "text": "Eats fish again", "event": "ADD"}
    )
    llm_service.start_worker()
    done = await extract(llm_service, "I eat fish again, not vegan anymore")
    assert (done.counts.facts_added, done.counts.facts_superseded) == (1, 1)
    assert await current_texts(llm_service) == {"Eats fish again"}
    assert (await llm_service.stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=vegan.id))).HasField("valid_to")


async def test_only_the_llms_decision_closes_a_fact(llm_service: Service, fake_llm: FakeLlm) -> None:
    """An ADD next to a related fact closes nothing, however alike they look: supersession is a decision."""
    berlin = await llm_service.stub.CreateFact(new_fact("alice", fact_key="location", fact_value="Berlin"))
    son = await llm_service.stub.CreateFact(new_fact("alice", text="Son is 5 years old"))
    fake_llm.script.on_facts = lambda call: facts_reply("Lives in Lisbon", "Son is allergic to nuts")
    fake_llm.script.on_reconcile = lambda call: memory_reply(
        {"id": "7", "text": "Lives in Lisbon", "event": "ADD"},
        {"id": "8", "text": "Son is allergic to nuts", "event": "ADD"},
    )
    llm_service.start_worker()
    done = await extract(llm_service, "We moved to Lisbon, and my son turns out to be allergic to nuts")
    assert (done.counts.facts_added, done.counts.facts_updated, done.counts.facts_superseded) == (2, 0, 0)
    assert await current_texts(llm_service) == {
        "location: Berlin",
        "Son is 5 years old",
        "Lives in Lisbon",
        "Son is allergic to nuts",
    }
    for fact in (berlin, son):
        assert not (await llm_service.stub.GetFact(pb.GetFactRequest(user_id="alice", fact_id=fact.id))).HasField(
            "valid_to"
        )


async def test_paraphrases_are_suppressed_by_similarity(llm_service: Service, fake_llm: FakeLlm) -> None:
    await llm_service.stub.CreateFact(new_fact("alice", text="Loves hiking in the mountains"))
    await llm_service.stub.CreateFact(new_fact("alice", text="Has a meeting on Monday"))
    fake_llm.script.on_facts = lambda call: facts_reply("Enjoys hiking in the mountains", "Has a meeting on Tuesday")
    fake_llm.script.on_reconcile = lambda call: memory_reply(
        {"id": "9", "text": "Has a meeting on Tuesday", "event": "ADD"}
    )
    llm_service.start_worker()
    done = await extract(llm_service, "I enjoy hiking in the mountains; also I have a meeting on Tuesday")
    assert done.counts.duplicates_skipped == 1 and done.counts.facts_added == 1
    assert "Enjoys hiking in the mountains" not in await current_texts(llm_service)
    assert "Has a meeting on Tuesday" in await current_texts(llm_service)


async def test_fillers_never_reach_the_llm(llm_service: Service, fake_llm: FakeLlm) -> None:
    llm_service.start_worker()
    done = await extract(llm_service, "ok thanks!")
    assert done.status == COMPLETED and done.skipped_reason == "nothing memorable"
    assert fake_llm.calls == []


async def test_agent_scoped_agents_keep_their_facts_private(llm_service: Service, fake_llm: FakeLlm) -> None:
    await llm_service.stub.RegisterAgent(
        pb.RegisterAgentRequest(agent=user_pb2.Agent(agent_id="tutor", memory_scope=user_pb2.MEMORY_SCOPE_AGENT))
    )
    fake_llm.script.on_facts = facts_by_message(
        {"I'm stuck on integrals": ["Is stuck on integrals"], "I'm called Al": ["Name is Al"]}
    )
    llm_service.start_worker()
    await extract(llm_service, "I'm stuck on integrals", agent="tutor")
    await extract(llm_service, "I'm called Al", agent="chat-bot")  # never registered: global
    listed = await llm_service.stub.ListFacts(pb.ListFactsRequest(user_id="alice"))
    scopes = {f.text: f.agent_id for f in listed.facts}
    assert scopes == {"Is stuck on integrals": "tutor", "Name is Al": ""}
    other = await llm_service.stub.GetContext(
        pb.GetContextRequest(user_id="alice", agent_id="chat-bot", query="math homework", limit=50)
    )
    assert {s.fact.text for s in other.facts} == {"Name is Al"}


async def test_preview_is_a_dry_run(llm_service: Service, fake_llm: FakeLlm) -> None:
    await llm_service.stub.CreateFact(new_fact("alice", fact_key="location", fact_value="Berlin"))
    fake_llm.script.on_facts = lambda call: facts_reply("Lives in Rome", "Has a cat named Tom")
    fake_llm.script.on_reconcile = lambda call: memory_reply(
        {"id": "0", "text": "Lives in Rome", "event": "UPDATE"},
        {"id": "5", "text": "Has a cat named Tom", "event": "ADD"},
    )
    preview = await llm_service.stub.PreviewExtraction(
        pb.PreviewExtractionRequest(user_id="alice", user_message="I moved to Rome with my cat Tom")
    )
    assert preview.mode == extraction_pb2.EXTRACTION_MODE_LLM
    actions = {(c.action, c.fact.text, c.existing_fact.fact_value) for c in preview.changes}
    assert actions == {
        (extraction_pb2.PLANNED_ACTION_UPDATE, "Lives in Rome", "Berlin"),
        (extraction_pb2.PLANNED_ACTION_ADD, "Has a cat named Tom", ""),
    }
    assert await current_texts(llm_service) == {"location: Berlin"}  # nothing stored
    assert (await llm_service.stub.GetQueueStats(pb.GetQueueStatsRequest())).pending == 0


async def test_preview_reports_llm_trouble_with_the_right_code(llm_service: Service, fake_llm: FakeLlm) -> None:
    request = pb.PreviewExtractionRequest(user_id="alice", user_message="I like trains")
    fake_llm.script.on_facts = lambda call: Reply(status=503)
    failure = await rpc_failure(llm_service.stub.PreviewExtraction(request))
    assert failure.code == grpc.StatusCode.UNAVAILABLE and failure.reason == "LLM_UNAVAILABLE"
    assert failure.retry_delay is not None
    fake_llm.script.on_facts = lambda call: Reply(status=401)
    failure = await rpc_failure(llm_service.stub.PreviewExtraction(request))
    assert failure.code == grpc.StatusCode.FAILED_PRECONDITION and failure.reason == "LLM_REJECTED"
    assert "sk-test-secret-key" not in failure.message
