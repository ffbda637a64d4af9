"""Use cases for facts: create (versioned, idempotent), read, list, edit and delete."""

from __future__ import annotations

from dataclasses import dataclass

from memory_service.db import Database, UniqueViolation
from memory_service.db import facts as facts_sql
from memory_service.db import users as users_sql
from memory_service.domain import Fact, FactDraft, FactEdit, FactSource, Page
from memory_service.embeddings import Embedder, Priority
from memory_service.errors import AlreadyExists, Conflict, FailedPrecondition, NotFound
from memory_service.extraction.fact_keys import derive_key_value
from memory_service.service.page_tokens import decode_token, encode_token, query_fingerprint
from memory_service.validation import (
    DEFAULT_PAGE_SIZE,
    MAX_KEY_LENGTH,
    MAX_PAGE_SIZE,
    MAX_REQUEST_ID_LENGTH,
    MAX_TEXT_LENGTH,
    MAX_VALUE_LENGTH,
    RequestChecker,
    normalize_key,
)

EDITABLE_FIELDS = ("fact_key", "fact_value", "text", "importance")
# Writers of one key are serialised by a lock in facts_sql.insert_current; a unique
# violation can then only come from an edit moving another fact onto the key.
KEY_RACE_RETRIES = 3


@dataclass(frozen=True)
class FactInput:
    """The caller-settable fields of a fact, as received."""

    user_id: str
    agent_id: str = ""
    fact_key: str = ""
    fact_value: str = ""
    text: str = ""
    importance: float | None = None


class FactService:
    def __init__(self, db: Database, embedder: Embedder) -> None:
        self._db = db
        self._embedder = embedder

    async def create(self, given: FactInput, request_id: str = "") -> Fact:
        check = RequestChecker()
        user_id = check.identifier("fact.user_id", given.user_id)
        agent_id = check.identifier("fact.agent_id", given.agent_id, required=False)
        key = normalize_key(check.text("fact.fact_key", given.fact_key, max_length=MAX_KEY_LENGTH))
        value = check.text("fact.fact_value", given.fact_value, max_length=MAX_VALUE_LENGTH)
        text = check.text("fact.text", given.text, max_length=MAX_TEXT_LENGTH)
        importance = check.importance("fact.importance", given.importance)
        request_id = check.identifier("request_id", request_id, required=False, max_length=MAX_REQUEST_ID_LENGTH)
        if bool(key) != bool(value):
            check.fail(
                "fact.fact_value" if key else "fact.fact_key",
                "fact_key and fact_value go together: set both or neither",
            )
        elif not key and not text:
            check.fail("fact.text", "is required unless fact_key and fact_value are set")
        check.raise_if_invalid()
        if not key:
            key, value = derive_key_value(text)
        text = text or f"{key}: {value}"

        if request_id:
            async with self._db.connection() as conn:
                earlier = await facts_sql.get_by_request_id(conn, user_id, request_id)
            if earlier is not None:
                return _same_request(earlier, agent_id, key, value, text, importance, request_id)

        [embedding] = await self._embedder.embed([text], Priority.INTERACTIVE)
        draft = FactDraft(
            user_id=user_id,
            agent_id=agent_id,
            fact_key=key,
            fact_value=value,
            text=text,
            importance=importance,
            source=FactSource.MANUAL,
            embedding=embedding,
            embedding_model=self._embedder.model_id,
        )
        for attempt in range(KEY_RACE_RETRIES):
            try:
                async with self._db.transaction() as conn:
                    await users_sql.ensure_user(conn, user_id)
                    return await facts_sql.insert_current(conn, draft, request_id=request_id or None)
            except UniqueViolation as exc:
                if exc.constraint_name == "facts_request_id":  # a concurrent retry of this very request won
                    async with self._db.connection() as conn:
                        earlier = await facts_sql.get_by_request_id(conn, user_id, request_id)
                    if earlier is not None:
                        return _same_request(earlier, agent_id, key, value, text, importance, request_id)
                if attempt == KEY_RACE_RETRIES - 1:
                    raise Conflict(
                        "the fact's key was changed concurrently; retry", reason="CONCURRENT_UPDATE"
                    ) from exc
        raise AssertionError("unreachable")

    async def get(self, user_id: str, fact_id: str) -> Fact:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        fact_uuid = check.uuid("fact_id", fact_id)
        check.raise_if_invalid()
        assert fact_uuid is not None
        async with self._db.connection() as conn:
            fact = await facts_sql.get(conn, user_id, fact_uuid)
        if fact is None:
            raise _not_found(user_id, fact_id)
        return fact

    async def list_page(
        self, user_id: str, *, agent_id: str, include_invalid: bool, page_size: int, page_token: str
    ) -> Page[Fact]:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.identifier("agent_id", agent_id, required=False)
        size = check.bounded_count("page_size", page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, clamp=True)
        check.raise_if_invalid()
        fingerprint = query_fingerprint(user_id, agent_id, include_invalid)
        after = decode_token(page_token, fingerprint) if page_token else None
        async with self._db.connection() as conn:
            facts = await facts_sql.list_page(
                conn,
                user_id,
                agent_ids=("", agent_id) if agent_id else None,
                include_invalid=include_invalid,
                after=after,
                limit=size + 1,  # one more tells whether another page exists
            )
        page, more = facts[:size], len(facts) > size
        token = encode_token(page[-1].created_at, page[-1].id, fingerprint) if more else ""
        return Page(page, token)

    async def update(self, user_id: str, fact_id: str, mask: list[str], given: FactInput, request_id: str = "") -> Fact:
        check = RequestChecker()
        check.identifier("fact.user_id", user_id)
        fact_uuid = check.uuid("fact.id", fact_id)
        check.identifier("request_id", request_id, required=False, max_length=MAX_REQUEST_ID_LENGTH)
        paths: set[str] = set(mask)
        if not paths:
            check.fail("update_mask", f"is required: name the fields to change ({', '.join(EDITABLE_FIELDS)})")
        for unknown in sorted(paths - set(EDITABLE_FIELDS)):
            check.fail("update_mask", f"unknown or read-only field {unknown!r}; editable: {', '.join(EDITABLE_FIELDS)}")
        edit = FactEdit(
            fact_key=normalize_key(
                check.text("fact.fact_key", given.fact_key, max_length=MAX_KEY_LENGTH, required=True)
            )
            if "fact_key" in paths
            else None,
            fact_value=check.text("fact.fact_value", given.fact_value, max_length=MAX_VALUE_LENGTH, required=True)
            if "fact_value" in paths
            else None,
            text=check.text("fact.text", given.text, max_length=MAX_TEXT_LENGTH, required=True)
            if "text" in paths
            else None,
            importance=self._masked_importance(check, given.importance) if "importance" in paths else None,
        )
        check.raise_if_invalid()
        assert fact_uuid is not None

        current = await self.get(user_id, fact_id)
        if not current.is_current:
            raise FailedPrecondition(
                f"fact {fact_id} was superseded on {current.valid_to:%Y-%m-%d}; edit the current version instead",
                reason="FACT_NOT_CURRENT",
            )
        if edit.text is None and (edit.fact_key is not None or edit.fact_value is not None):
            # Keep what is searched in step with what is stored.
            edit = FactEdit(
                edit.fact_key,
                edit.fact_value,
                f"{edit.fact_key or current.fact_key}: {edit.fact_value or current.fact_value}",
                edit.importance,
            )
        embedding = None
        if edit.text is not None and edit.text != current.text:
            [embedding] = await self._embedder.embed([edit.text], Priority.INTERACTIVE)
        try:
            async with self._db.transaction() as conn:
                updated = await facts_sql.edit(
                    conn,
                    user_id,
                    fact_uuid,
                    edit,
                    expected_updated_at=current.updated_at,
                    embedding=embedding,
                    embedding_model=self._embedder.model_id if embedding is not None else None,
                    request_id=request_id or None,
                )
        except UniqueViolation as exc:
            raise AlreadyExists(
                f"another current fact of this user already has the key {edit.fact_key!r}", reason="FACT_KEY_TAKEN"
            ) from exc
        if updated is None:
            raise Conflict(
                f"fact {fact_id} changed while this update was in flight; read it again and retry",
                reason="CONCURRENT_UPDATE",
            )
        return updated

    @staticmethod
    def _masked_importance(check: RequestChecker, importance: float | None) -> float | None:
        if importance is None:
            check.fail("fact.importance", "is required when update_mask names it")
            return None
        return check.importance("fact.importance", importance)

    async def delete(self, user_id: str, fact_id: str) -> None:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        fact_uuid = check.uuid("fact_id", fact_id)
        check.raise_if_invalid()
        assert fact_uuid is not None
        async with self._db.transaction() as conn:
            deleted = await facts_sql.delete(conn, user_id, fact_uuid)
        if not deleted:
            raise _not_found(user_id, fact_id)


def _same_request(
    earlier: Fact, agent_id: str, key: str, value: str, text: str, importance: float, request_id: str
) -> Fact:
    """The fact a request id already created, if this call asks for the same fact."""
    if (earlier.agent_id, earlier.fact_key, earlier.fact_value, earlier.text) == (agent_id, key, value, text) and abs(
        earlier.importance - importance
    ) < 1e-6:
        return earlier
    raise AlreadyExists(
        f"request_id {request_id!r} was already used for a different fact ({earlier.id})", reason="REQUEST_ID_REUSED"
    )


def _not_found(user_id: str, fact_id: str) -> NotFound:
    return NotFound(
        f"fact {fact_id} not found for user {user_id!r}", reason="FACT_NOT_FOUND", metadata={"fact_id": fact_id}
    )
