"""A user's facts: list, create, read, edit, delete, history; and search (what a bot would remember)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from google.protobuf import field_mask_pb2
from voxbridge.memory.gateway import convert, models
from voxbridge.memory.gateway.calls import ApiCaller
from voxbridge.memory.gateway.errors import ERROR_RESPONSES
from voxbridge.memory.gateway.paths import FactId, UserId
from voxbridge.memory.v1 import fact_pb2
from voxbridge.memory.v1 import memory_service_pb2 as pb

router = APIRouter(prefix="/api/users/{user_id}", tags=["facts"], responses=ERROR_RESPONSES)

EDITABLE = ("fact_key", "fact_value", "text", "importance")


@router.get("/facts", response_model=models.FactPage)
async def list_facts(
    user_id: UserId,
    call: ApiCaller,
    page_size: Annotated[int, Query(description="Default 50, at most 500.")] = 0,
    page_token: str = "",
    agent_id: Annotated[str, Query(description="Only what this agent sees: global facts and its own.")] = "",
    include_history: Annotated[bool, Query(description="Also closed facts (superseded, expired).")] = False,
) -> models.FactPage:
    request = pb.ListFactsRequest(
        user_id=user_id,
        agent_id=agent_id,
        include_invalid=include_history,
        page_size=page_size,
        page_token=page_token,
    )
    page = await call.stub.ListFacts(request, metadata=call.metadata, timeout=call.timeout)
    return models.FactPage(facts=[convert.fact(f) for f in page.facts], next_page_token=page.next_page_token)


@router.post("/facts", response_model=models.Fact, status_code=201)
async def create_fact(user_id: UserId, body: models.NewFact, call: ApiCaller) -> models.Fact:
    fact = fact_pb2.Fact(
        user_id=user_id,
        agent_id=body.agent_id,
        fact_key=body.fact_key,
        fact_value=body.fact_value,
        text=body.text,
        session_id=body.session_id,
    )
    if body.importance is not None:
        fact.importance = body.importance
    if body.valid_from is not None:
        fact.valid_from.FromDatetime(body.valid_from)
    request = pb.CreateFactRequest(fact=fact, request_id=body.request_id)
    created = await call.stub.CreateFact(request, metadata=call.metadata, timeout=call.timeout)
    return convert.fact(created)


@router.get("/facts/{fact_id}", response_model=models.Fact)
async def get_fact(user_id: UserId, fact_id: FactId, call: ApiCaller) -> models.Fact:
    request = pb.GetFactRequest(user_id=user_id, fact_id=fact_id)
    return convert.fact(await call.stub.GetFact(request, metadata=call.metadata, timeout=call.timeout))


@router.patch("/facts/{fact_id}", response_model=models.Fact)
async def edit_fact(user_id: UserId, fact_id: FactId, body: models.FactEdit, call: ApiCaller) -> models.Fact:
    """Changes the fields present in the body, and only those (UpdateFact with their update_mask)."""
    paths = [name for name in EDITABLE if name in body.model_fields_set]
    fact = fact_pb2.Fact(
        user_id=user_id, id=fact_id, fact_key=body.fact_key, fact_value=body.fact_value, text=body.text
    )
    if "importance" in body.model_fields_set:
        fact.importance = body.importance
    request = pb.UpdateFactRequest(
        fact=fact, update_mask=field_mask_pb2.FieldMask(paths=paths), request_id=body.request_id
    )
    return convert.fact(await call.stub.UpdateFact(request, metadata=call.metadata, timeout=call.timeout))


@router.delete("/facts/{fact_id}", status_code=204, response_class=Response)
async def delete_fact(user_id: UserId, fact_id: FactId, call: ApiCaller) -> Response:
    request = pb.DeleteFactRequest(user_id=user_id, fact_id=fact_id)
    await call.stub.DeleteFact(request, metadata=call.metadata, timeout=call.timeout)
    return Response(status_code=204)


@router.get("/facts/{fact_id}/history", response_model=models.FactHistory)
async def fact_history(user_id: UserId, fact_id: FactId, call: ApiCaller) -> models.FactHistory:
    request = pb.GetFactHistoryRequest(user_id=user_id, fact_id=fact_id)
    return convert.history(await call.stub.GetFactHistory(request, metadata=call.metadata, timeout=call.timeout))


@router.get("/context", response_model=models.Context, tags=["search"])
async def search(
    user_id: UserId,
    call: ApiCaller,
    query: Annotated[str, Query(description="What the user just said.")],
    agent_id: str = "",
    limit: Annotated[int, Query(description="Default 5, at most 50.")] = 0,
    min_relevance: float = 0.0,
) -> models.Context:
    """What the bot would remember for this sentence (GetContext): the facts and the rendered block."""
    request = pb.GetContextRequest(
        user_id=user_id, agent_id=agent_id, query=query, limit=limit, min_relevance=min_relevance
    )
    return convert.context(await call.stub.GetContext(request, metadata=call.metadata, timeout=call.timeout))
