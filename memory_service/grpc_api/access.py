"""Who may call what: the one table of every RPC's rule, and the check of a caller against it.

    USER_DATA  a user's data: service and admin tokens reach every user; a user token only
               the user_id the request names (an empty one is refused).
    READ       shared, harmless metadata (agents): any valid token.
    SERVICE    shared configuration (registering agents): service and admin tokens.
    ADMIN      operating the service (AdminService): admin tokens.

Every RPC of both services must be in RULES (a test checks it against the proto):
one missing from the table would be refused to all but admins.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from memory_service.domain import Principal, TokenRole
from memory_service.errors import PermissionDenied, Unauthenticated
from memory_service.service.tokens import TokenService


class Rule(StrEnum):
    USER_DATA = "user_data"
    READ = "read"
    SERVICE = "service"
    ADMIN = "admin"


@dataclass(frozen=True)
class Access:
    rule: Rule
    user_field: str = ""  # for USER_DATA: where the request names its user ("fact.user_id")


def _user(field: str = "user_id") -> Access:
    return Access(Rule.USER_DATA, field)


RULES: dict[str, Access] = {
    "GetContext": _user(),
    "CreateFact": _user("fact.user_id"),
    "BatchCreateFacts": _user(),
    "GetFact": _user(),
    "ListFacts": _user(),
    "UpdateFact": _user("fact.user_id"),
    "DeleteFact": _user(),
    "GetFactHistory": _user(),
    "QueueExtraction": _user(),
    "GetExtraction": _user(),
    "ListExtractions": _user(),
    "RequeueExtractions": _user(),
    "WatchExtractions": _user(),
    "PreviewExtraction": _user(),
    "GetQueueStats": _user(),
    "GetUserSettings": _user(),
    "UpdateUserSettings": _user("settings.user_id"),
    "ExportUser": _user(),
    "ForgetUser": _user(),
    "GetAgent": Access(Rule.READ),
    "ListAgents": Access(Rule.READ),
    "RegisterAgent": Access(Rule.SERVICE),
    "CreateToken": Access(Rule.ADMIN),
    "ListTokens": Access(Rule.ADMIN),
    "RevokeToken": Access(Rule.ADMIN),
    "GetSystemSettings": Access(Rule.ADMIN),
    "UpdateSystemSettings": Access(Rule.ADMIN),
    "GetEmbeddingStatus": Access(Rule.ADMIN),
    "ListCachedModels": Access(Rule.ADMIN),
    "PruneCachedModels": Access(Rule.ADMIN),
}
ANYONE = Principal("anyone", TokenRole.ADMIN)  # authentication off: a loopback listener, a developer's machine


class Gate:
    """Authenticates a call's bearer token and checks its principal against RULES."""

    def __init__(self, tokens: TokenService | None, *, required: bool) -> None:
        self._tokens = tokens
        self.required = required

    async def authenticate(self, metadata: Any) -> Principal:
        if not self.required:
            return ANYONE
        assert self._tokens is not None
        header = next((value for key, value in metadata or () if key == "authorization"), None)
        if not isinstance(header, str) or not header.strip():
            raise Unauthenticated(
                "this service needs 'authorization: Bearer <token>' metadata (`memory-service token create`)",
                reason="MISSING_TOKEN",
            )
        scheme, _, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("the authorization metadata must be 'Bearer <token>'", reason="MISSING_TOKEN")
        return await self._tokens.authenticate(secret.strip())

    def authorize(self, principal: Principal, method: str, request: Any) -> None:
        access = RULES.get(method, Access(Rule.ADMIN))
        role = principal.role
        if role is TokenRole.ADMIN:
            return
        if access.rule is Rule.ADMIN:
            raise _denied(principal, f"{method} needs an admin token")
        if access.rule is Rule.READ:
            return
        if access.rule is Rule.SERVICE:
            if role is TokenRole.SERVICE:
                return
            raise _denied(principal, f"{method} needs a service or admin token")
        if role is TokenRole.SERVICE:
            return
        named = _field(request, access.user_field)
        if not named:
            raise _denied(principal, f"a user token must name its own user_id ({access.user_field})")
        if named != principal.user_id:
            raise _denied(principal, "this token reaches only its own user's data")


def _field(message: Any, path: str) -> str:
    for part in path.split("."):
        message = getattr(message, part, "")
    return message if isinstance(message, str) else ""


def _denied(principal: Principal, message: str) -> PermissionDenied:
    return PermissionDenied(message, metadata={"token": principal.name})
