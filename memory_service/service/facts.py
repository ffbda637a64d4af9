"""Use cases for facts: create (versioned, idempotent), read, list, edit, delete and history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import uuid4

from memory_service.db import Connection, Database
from memory_service.db import facts as facts_sql
from memory_service.db import system_settings as settings_sql
from memory_service.db import users as users_sql
from memory_service.db.control import announce_forgotten
from memory_service.domain import Fact, FactChangeType, FactDraft, FactEdit, FactHistory, FactSource, Page
from memory_service.embeddings import Embedder, Priority
from memory_service.errors import AlreadyExists, Conflict, FailedPrecondition, NotFound, Unavailable
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
MAX_BATCH = 1000
# A write whose vector was made just before a model cut-over embeds again; twice in a row means something is off.
MODEL_SWITCH_ROUNDS = 3


@dataclass(frozen=True)
class FactInput:
    """The caller-settable fields of a fact, as received."""

    user_id: str
    agent_id: str = ""
    fact_key: str = ""
    fact_value: str = ""
    text: str = ""
    importance: float | None = None
    valid_from: datetime | None = None
    session_id: str = ""


def default_text(key: str, value: str) -> str:
    """What a keyed fact says when the caller gave no sentence."""
    return f"{key}: {value}"


class FactService:
    def __init__(self, db: Database, embedder: Embedder) -> None:
        self._db = db
        self._embedder = embedder

    async def create(self, given: FactInput, request_id: str = "") -> Fact:
        check = RequestChecker()
        draft_fields = _checked_new_fact(check, given, "fact")
        request_id = check.identifier("request_id", request_id, required=False, max_length=MAX_REQUEST_ID_LENGTH)
        check.raise_if_invalid()

        if request_id:
            async with self._db.connection() as conn:
                earlier = await facts_sql.get_by_request_id(conn, given.user_id, request_id)
            if earlier is not None:
                return _same_request(earlier, draft_fields, request_id)

        for _ in range(MODEL_SWITCH_ROUNDS):
            model = self._embedder.model_id
            [embedding] = await self._embedder.embed([draft_fields.text], Priority.INTERACTIVE, owner=given.user_id)
            draft = draft_fields.draft(embedding, model, FactSource.MANUAL)
            try:
                async with self._db.transaction() as conn:
                    await facts_sql.lock_user(conn, draft.user_id)
                    if request_id:  # a concurrent retry of this very request may have won the lock
                        earlier = await facts_sql.get_by_request_id(conn, draft.user_id, request_id)
                        if earlier is not None:
                            return _same_request(earlier, draft_fields, request_id)
                    await settings_sql.require_active_model(conn, model)
                    await users_sql.ensure_user(conn, draft.user_id)
                    return await facts_sql.insert_current(conn, draft, request_id=request_id or None)
            except settings_sql.ActiveModelChanged:
                await self._embedder.reload()
        raise _model_switching()

    async def create_batch(
        self,
        user_id: str,
        given: Sequence[FactInput],
        request_id: str = "",
        *,
        source: FactSource = FactSource.IMPORTED,
    ) -> list[Fact]:
        """Stores up to MAX_BATCH facts of one user in one transaction, embedding them in bulk batches.

        All or nothing. Keyed facts are applied in order (a later one with the same key supersedes an
        earlier one); plain statements go in with one statement. With a request_id, each fact gets the
        key "<request_id>#<index>", so a retry returns the facts the first call stored.
        """
        check = RequestChecker()
        check.identifier("user_id", user_id)
        request_id = check.identifier("request_id", request_id, required=False, max_length=MAX_REQUEST_ID_LENGTH - 6)
        if not given:
            check.fail("facts", "is required: 1 to 1000 facts")
        if len(given) > MAX_BATCH:
            check.fail("facts", f"at most {MAX_BATCH} facts per call, got {len(given)}")
        checked = []
        for index, fact in enumerate(given[:MAX_BATCH]):
            if fact.user_id and fact.user_id != user_id:
                check.fail(f"facts[{index}].user_id", "must be empty or the batch's user_id")
            checked.append(_checked_new_fact(check, replace(fact, user_id=user_id), f"facts[{index}]"))
        check.raise_if_invalid()
        keys = [f"{request_id}#{i}" for i in range(len(checked))] if request_id else [None] * len(checked)

        for _ in range(MODEL_SWITCH_ROUNDS):
            model = self._embedder.model_id
            vectors = await self._embedder.embed([f.text for f in checked], Priority.BULK)
            drafts = [f.draft(v, model, source) for f, v in zip(checked, vectors, strict=True)]
            try:
                async with self._db.transaction() as conn:
                    await facts_sql.lock_user(conn, user_id)
                    if request_id:
                        earlier = await facts_sql.get_by_request_prefix(conn, user_id, f"{request_id}#")
                        if earlier:  # a retry of this very batch
                            return _same_batch(earlier, keys, checked, request_id)
                    await settings_sql.require_active_model(conn, model)
                    await users_sql.ensure_user(conn, user_id)
                    return await _insert_batch(conn, drafts, keys)
            except settings_sql.ActiveModelChanged:
                await self._embedder.reload()
        raise _model_switching()

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

    async def history(self, user_id: str, fact_id: str) -> FactHistory:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        fact_uuid = check.uuid("fact_id", fact_id)
        check.raise_if_invalid()
        assert fact_uuid is not None
        async with self._db.connection() as conn:
            found = await facts_sql.history(conn, user_id, fact_uuid)
        if found is None:
            raise _not_found(user_id, fact_id)
        return found

    async def list_page(
        self,
        user_id: str,
        *,
        agent_id: str,
        include_invalid: bool,
        page_size: int,
        page_token: str,
        as_of: datetime | None = None,
    ) -> Page[Fact]:
        check = RequestChecker()
        check.identifier("user_id", user_id)
        check.identifier("agent_id", agent_id, required=False)
        size = check.bounded_count("page_size", page_size, default=DEFAULT_PAGE_SIZE, maximum=MAX_PAGE_SIZE, clamp=True)
        check.raise_if_invalid()
        fingerprint = query_fingerprint(user_id, agent_id, include_invalid, as_of.isoformat() if as_of else "")
        after = decode_token(page_token, fingerprint) if page_token else None
        async with self._db.connection() as conn:
            facts = await facts_sql.list_page(
                conn,
                user_id,
                agent_ids=("", agent_id) if agent_id else None,
                include_invalid=include_invalid,
                after=after,
                limit=size + 1,  # one more tells whether another page exists
                as_of=as_of,
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
        requested = FactEdit(
            fact_key=normalize_key(check.text("fact.fact_key", given.fact_key, max_length=MAX_KEY_LENGTH))
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
                f"fact {fact_id} was closed on {current.valid_to:%Y-%m-%d}; edit the current version instead",
                reason="FACT_NOT_CURRENT",
            )
        edit = consistent_edit(current, requested)
        for _ in range(MODEL_SWITCH_ROUNDS):
            try:
                return await self._apply_edit(current, edit, request_id)
            except settings_sql.ActiveModelChanged:
                await self._embedder.reload()
        raise _model_switching()

    async def _apply_edit(self, current: Fact, edit: FactEdit, request_id: str) -> Fact:
        user_id, fact_id = current.user_id, str(current.id)
        model = self._embedder.model_id
        embedding = None
        if edit.text is not None and edit.text != current.text:
            [embedding] = await self._embedder.embed([edit.text], Priority.INTERACTIVE, owner=user_id)
        async with self._db.transaction() as conn:
            await facts_sql.lock_user(conn, user_id)
            if embedding is not None:
                await settings_sql.require_active_model(conn, model)
            if edit.fact_key and edit.fact_key != current.fact_key:
                # Naming a key is a decision: the fact now holds that attribute, the old holder is closed.
                await facts_sql.close_key(
                    conn,
                    user_id,
                    current.agent_id,
                    edit.fact_key,
                    replaced_by_text=edit.text or current.text,
                    request_id=request_id or None,
                )
            updated = await facts_sql.edit(
                conn,
                user_id,
                current.id,
                edit,
                expected_updated_at=current.updated_at,
                embedding=embedding,
                embedding_model=model if embedding is not None else None,
                request_id=request_id or None,
            )
            if updated is None:  # raising rolls back the close above too
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
            await facts_sql.lock_user(conn, user_id)
            erased = await facts_sql.erase(conn, user_id, fact_uuid, FactChangeType.DELETED)
            if erased:
                await announce_forgotten(conn, user_id)
        if not erased:
            raise _not_found(user_id, fact_id)
        # Cached vectors of the user's texts go too, here at once and on every other replica by notification.
        self._embedder.forget_owner(user_id)


async def _insert_batch(conn: Connection, drafts: Sequence[FactDraft], keys: Sequence[str | None]) -> list[Fact]:
    stored: dict[int, Fact] = {}
    plain = [i for i, d in enumerate(drafts) if not d.fact_key]
    ids = [uuid4() for _ in plain]
    for i, fact in zip(
        plain,
        await facts_sql.insert_statements(conn, [drafts[i] for i in plain], ids, [keys[i] for i in plain]),
        strict=True,
    ):
        stored[i] = fact
    for i, draft in enumerate(drafts):
        if draft.fact_key:
            stored[i] = await facts_sql.insert_current(conn, draft, request_id=keys[i])
    # As they stand at the end of the batch: a keyed fact a later one superseded comes back closed.
    final = await facts_sql.get_many(conn, drafts[0].user_id, [stored[i].id for i in range(len(drafts))])
    return [final[stored[i].id] for i in range(len(drafts))]


def _same_batch(
    earlier: dict[str, Fact], keys: Sequence[str | None], asked: Sequence[_NewFact], request_id: str
) -> list[Fact]:
    """The facts a batch's request id already stored, if this call asks for the same facts."""
    if set(earlier) == set(keys):
        try:
            return [_same_request(earlier[key], fact, request_id) for key, fact in zip(keys, asked, strict=True) if key]
        except AlreadyExists:
            pass
    raise AlreadyExists(f"request_id {request_id!r} was already used for a different batch", reason="REQUEST_ID_REUSED")


def consistent_edit(current: Fact, requested: FactEdit) -> FactEdit:
    """The full edit that keeps key, value and text saying the same thing.

    - fact_value changed without text: text becomes "<key>: <value>";
    - text changed without fact_value: the value is cleared (the text says it now);
    - fact_key changed alone: a text in the default form follows the new key;
    - fact_key cleared: the fact becomes a plain statement (its value goes too).
    """
    key = requested.fact_key if requested.fact_key is not None else current.fact_key
    if not key:
        value = ""
    elif requested.fact_value is not None:
        value = requested.fact_value
    elif requested.text is not None:
        value = ""
    else:
        value = current.fact_value
    if requested.text is not None:
        text = requested.text
    elif requested.fact_value is not None:
        text = default_text(key, value) if key else value
    elif requested.fact_key is not None and current.text == default_text(current.fact_key, current.fact_value):
        text = default_text(key, value) if key and value else current.text
    else:
        text = current.text
    return FactEdit(fact_key=key, fact_value=value, text=text, importance=requested.importance)


@dataclass(frozen=True)
class _NewFact:
    """A checked CreateFact (or one fact of a batch), ready to embed."""

    user_id: str
    agent_id: str
    key: str
    value: str
    text: str
    importance: float
    valid_from: datetime | None
    session_id: str

    def draft(self, embedding: object, model_id: str, source: FactSource) -> FactDraft:
        return FactDraft(
            user_id=self.user_id,
            agent_id=self.agent_id,
            fact_key=self.key,
            fact_value=self.value,
            text=self.text,
            importance=self.importance,
            source=source,
            embedding=embedding,  # type: ignore[arg-type]
            embedding_model=model_id,
            valid_from=self.valid_from,
            session_id=self.session_id,
        )


def _checked_new_fact(check: RequestChecker, given: FactInput, prefix: str) -> _NewFact:
    user_id = check.identifier(f"{prefix}.user_id", given.user_id)
    agent_id = check.identifier(f"{prefix}.agent_id", given.agent_id, required=False)
    key = normalize_key(check.text(f"{prefix}.fact_key", given.fact_key, max_length=MAX_KEY_LENGTH))
    value = check.text(f"{prefix}.fact_value", given.fact_value, max_length=MAX_VALUE_LENGTH)
    text = check.text(f"{prefix}.text", given.text, max_length=MAX_TEXT_LENGTH)
    importance = check.importance(f"{prefix}.importance", given.importance)
    valid_from = check.past_time(f"{prefix}.valid_from", given.valid_from)
    session_id = check.identifier(f"{prefix}.session_id", given.session_id, required=False)
    if bool(key) != bool(value):
        check.fail(
            f"{prefix}.fact_value" if key else f"{prefix}.fact_key",
            "fact_key and fact_value go together: set both or neither",
        )
    elif not key and not text:
        check.fail(f"{prefix}.text", "is required unless fact_key and fact_value are set")
    return _NewFact(
        user_id=user_id,
        agent_id=agent_id,
        key=key,
        value=value,
        text=text or default_text(key, value),
        importance=importance,
        valid_from=valid_from,
        session_id=session_id,
    )


def _same_request(earlier: Fact, asked: _NewFact, request_id: str) -> Fact:
    """The fact a request id already created, if this call asks for the same fact."""
    if (earlier.agent_id, earlier.fact_key, earlier.fact_value, earlier.text) == (
        asked.agent_id,
        asked.key,
        asked.value,
        asked.text,
    ) and abs(earlier.importance - asked.importance) < 1e-6:
        return earlier
    raise AlreadyExists(
        f"request_id {request_id!r} was already used for a different fact ({earlier.id})", reason="REQUEST_ID_REUSED"
    )


def _model_switching() -> Unavailable:
    return Unavailable("the embedding model is being switched; retry", retry_after=1.0, reason="EMBEDDER_UNAVAILABLE")


def _not_found(user_id: str, fact_id: str) -> NotFound:
    return NotFound(
        f"fact {fact_id} not found for user {user_id!r}", reason="FACT_NOT_FOUND", metadata={"fact_id": fact_id}
    )
