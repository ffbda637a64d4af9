"""Ids in URL path segments may hold '/' (as %2F): routing must see one segment, handlers the real id.

Servers decode the path before routing, so `/api/users/a%2Fb/facts` would be routed as `/api/users/a/b/facts`.
This middleware rebuilds the API's routing path from the raw path, decoding each segment but keeping '%' and
'/' escaped inside it; the `segment` dependencies decode them, so every character round-trips exactly.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import unquote

from fastapi import Depends, Path
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = b"/api/"


def _escape(segment: str) -> str:
    return segment.replace("%", "%25").replace("/", "%2F")


class SegmentPreservingPaths:
    """ASGI middleware: under /api/, scope['path'] keeps an encoded '/' inside its segment."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw: bytes | None = scope.get("raw_path") if scope["type"] == "http" else None
        if raw and raw.startswith(API_PREFIX):
            raw = raw.split(b"?", 1)[0]
            segments = raw.decode("latin-1").split("/")
            scope = {**scope, "path": "/".join(_escape(unquote(s)) for s in segments)}
        await self.app(scope, receive, send)


def _user_id(user_id: Annotated[str, Path(description="URL-encoded; may contain '/' (as %2F).")]) -> str:
    return unquote(user_id)


def _fact_id(fact_id: Annotated[str, Path()]) -> str:
    return unquote(fact_id)


def _task_id(task_id: Annotated[str, Path()]) -> str:
    return unquote(task_id)


def _agent_id(agent_id: Annotated[str, Path(description="URL-encoded; may contain '/' (as %2F).")]) -> str:
    return unquote(agent_id)


UserId = Annotated[str, Depends(_user_id)]
FactId = Annotated[str, Depends(_fact_id)]
TaskId = Annotated[str, Depends(_task_id)]
AgentId = Annotated[str, Depends(_agent_id)]
