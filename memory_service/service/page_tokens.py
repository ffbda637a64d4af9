"""Opaque page tokens for keyset pagination, bound to the query they came from."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from uuid import UUID

from memory_service.errors import InvalidArgument


def query_fingerprint(*parts: object) -> str:
    return hashlib.sha256(json.dumps([str(p) for p in parts]).encode()).hexdigest()[:16]


def encode_token(created_at: datetime, fact_id: UUID, fingerprint: str) -> str:
    payload = json.dumps({"t": created_at.isoformat(), "i": str(fact_id), "q": fingerprint}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_token(token: str, fingerprint: str) -> tuple[datetime, UUID]:
    """The (created_at, id) cursor in a token; INVALID_ARGUMENT if it is malformed or from another query."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor = datetime.fromisoformat(payload["t"]), UUID(payload["i"])
        token_fingerprint = payload["q"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidArgument.field(
            "page_token", "is not a token this service issued", reason="INVALID_PAGE_TOKEN"
        ) from exc
    if token_fingerprint != fingerprint:
        raise InvalidArgument.field(
            "page_token",
            "belongs to a different query: keep user_id, agent_id and include_invalid the same across pages",
            reason="INVALID_PAGE_TOKEN",
        )
    return cursor
