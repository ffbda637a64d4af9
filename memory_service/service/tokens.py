"""Access tokens: create (the secret shown once), list, revoke, and authenticate a caller's bearer token.

Tokens are 256 random bits; only their SHA-256 is stored, in PostgreSQL, so every
replica knows every token. Authentication answers from a short in-process cache,
dropped on every process when a token is revoked (a memory_control notification).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from memory_service.db import Database, UniqueViolation
from memory_service.db import tokens as tokens_sql
from memory_service.db.control import announce_tokens_changed
from memory_service.domain import AccessToken, Principal, TokenRole
from memory_service.errors import AlreadyExists, NotFound, Unauthenticated
from memory_service.validation import RequestChecker

TOKEN_PREFIX = "vbm_"
_NAME = re.compile(r"^[A-Za-z0-9._-]{1,100}$")
CACHE_SECONDS = 30.0
UNKNOWN_CACHE_SECONDS = 5.0  # a flood of made-up tokens must not become a flood of queries


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


@dataclass(frozen=True)
class _Cached:
    principal: Principal | None  # None: unknown or revoked
    until: float


class TokenService:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[bytes, _Cached] = {}
        self._touched: dict[str, float] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def create(self, role: TokenRole | None, user_id: str, name: str) -> tuple[AccessToken, str]:
        """The stored token and its secret, which exists nowhere else afterwards."""
        check = RequestChecker()
        if role is None:
            check.fail("role", "is required: TOKEN_ROLE_SERVICE, TOKEN_ROLE_USER or TOKEN_ROLE_ADMIN")
        if role is TokenRole.USER:
            check.identifier("user_id", user_id)
        elif user_id:
            check.fail("user_id", "only user tokens are bound to a user")
        if name and not _NAME.match(name):
            check.fail("name", "1 to 100 letters, digits, '.', '_' or '-'")
        check.raise_if_invalid()
        assert role is not None
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        name = name or f"{role.value}-{secrets.token_hex(4)}"
        try:
            async with self._db.transaction() as conn:
                token = await tokens_sql.insert(
                    conn, name, role, user_id or None, hash_secret(secret), secret[: len(TOKEN_PREFIX) + 4]
                )
        except UniqueViolation as exc:
            raise AlreadyExists(f"a token named {name!r} exists already", reason="TOKEN_NAME_TAKEN") from exc
        return token, secret

    async def list(self) -> list[AccessToken]:
        async with self._db.connection() as conn:
            return await tokens_sql.all_tokens(conn)

    async def revoke(self, name: str) -> AccessToken:
        if not _NAME.match(name):
            check = RequestChecker()
            check.fail("name", "a token's name: 1 to 100 letters, digits, '.', '_' or '-'")
            check.raise_if_invalid()
        async with self._db.transaction() as conn:
            token = await tokens_sql.revoke(conn, name)
            if token is None:
                raise NotFound(f"no token named {name!r}", reason="TOKEN_NOT_FOUND")
            await announce_tokens_changed(conn)
        self.forget_cache()
        return token

    def forget_cache(self) -> None:
        self._cache.clear()

    async def authenticate(self, secret: str) -> Principal:
        """The principal a bearer secret stands for; UNAUTHENTICATED when it is unknown or revoked."""
        digest = hash_secret(secret)
        now = time.monotonic()
        cached = self._cache.get(digest)
        if cached is None or cached.until < now:
            async with self._db.connection() as conn:
                token = await tokens_sql.by_hash(conn, digest)
            principal = (
                Principal(token.name, token.role, token.user_id)
                if token is not None and token.revoked_at is None
                else None
            )
            cached = _Cached(principal, now + (CACHE_SECONDS if principal else UNKNOWN_CACHE_SECONDS))
            if len(self._cache) > 10_000:  # bounded: garbage tokens must not grow it forever
                self._cache.clear()
            self._cache[digest] = cached
        if cached.principal is None:
            raise Unauthenticated("the token is unknown or revoked", reason="INVALID_TOKEN")
        self._note_use(cached.principal.name, now)
        return cached.principal

    def _note_use(self, name: str, now: float) -> None:
        if now - self._touched.get(name, -1e9) < 60:
            return
        self._touched[name] = now
        task = asyncio.create_task(self._touch(name))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _touch(self, name: str) -> None:
        try:
            async with self._db.connection() as conn:
                await tokens_sql.touch(conn, name)
        except Exception:  # a missed last-used time is not worth failing or logging a call for
            pass
