"""Agents: the bot personas, and whether the facts extracted from their conversations are private to them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from voxbridge.memory.gateway import convert, models
from voxbridge.memory.gateway.calls import ApiCaller
from voxbridge.memory.gateway.errors import ERROR_RESPONSES
from voxbridge.memory.gateway.paths import AgentId
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import user_pb2

router = APIRouter(prefix="/api/agents", tags=["agents"], responses=ERROR_RESPONSES)


@router.get("", response_model=models.AgentPage)
async def list_agents(
    call: ApiCaller,
    page_size: Annotated[int, Query(description="Default 100, at most 1,000.")] = 0,
    page_token: str = "",
) -> models.AgentPage:
    request = pb.ListAgentsRequest(page_size=page_size, page_token=page_token)
    page = await call.stub.ListAgents(request, metadata=call.metadata, timeout=call.timeout)
    return models.AgentPage(agents=[convert.agent(a) for a in page.agents], next_page_token=page.next_page_token)


@router.get("/{agent_id}", response_model=models.Agent)
async def get_agent(agent_id: AgentId, call: ApiCaller) -> models.Agent:
    request = pb.GetAgentRequest(agent_id=agent_id)
    return convert.agent(await call.stub.GetAgent(request, metadata=call.metadata, timeout=call.timeout))


@router.put("/{agent_id}", response_model=models.Agent)
async def register_agent(agent_id: AgentId, body: models.AgentRegistration, call: ApiCaller) -> models.Agent:
    """Registers the agent, or changes its memory scope and display name (RegisterAgent)."""
    agent = user_pb2.Agent(
        agent_id=agent_id, memory_scope=convert.scope_value(body.memory_scope), display_name=body.display_name
    )
    request = pb.RegisterAgentRequest(agent=agent)
    return convert.agent(await call.stub.RegisterAgent(request, metadata=call.metadata, timeout=call.timeout))
