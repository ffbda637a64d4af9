"""SQL for facts and their history: versioned writes, listing, and the hot-path search."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from pgvector import Vector as PgVector

from memory_service.db import advisory_locks, ranking, rows
from memory_service.db.database import Connection, one
from memory_service.domain import Fact, FactChangeType, FactDraft, FactEdit, FactHistory, ScoredFact, Vector

# The class of the advisory locks that serialise writes per user (the key is a hash of the user id).
USER_LOCK_CLASS = advisory_locks.USER_CLASS


async def get(conn: Connection, user_id: str, fact_id: UUID) -> Fact | None:
    row = await conn.fetchrow(
        f"SELECT {rows.FACT_COLUMNS} FROM facts f WHERE f.user_id = $1 AND f.id = $2", user_id, fact_id
    )
    return rows.fact(row) if row else None


async def get_many(conn: Connection, user_id: str, fact_ids: Sequence[UUID]) -> dict[UUID, Fact]:
    records = await conn.fetch(
        f"SELECT {rows.FACT_COLUMNS} FROM facts f WHERE f.user_id = $1 AND f.id = ANY($2::uuid[])",
        user_id,
        list(fact_ids),
    )
    return {r["id"]: rows.fact(r) for r in records}


async def get_by_request_id(conn: Connection, user_id: str, request_id: str) -> Fact | None:
    row = await conn.fetchrow(
        f"SELECT {rows.FACT_COLUMNS} FROM facts f WHERE f.user_id = $1 AND f.request_id = $2", user_id, request_id
    )
    return rows.fact(row) if row else None


async def lock_user(conn: Connection, user_id: str) -> None:
    """Serialises every write to one user's facts until the transaction ends.

    Taken first by every transaction that writes facts (CreateFact, UpdateFact,
    DeleteFact, an extraction's results, erasure, retention), so they all take
    their locks in one order (user → task → facts → event counter) and never
    deadlock. One user's writes are rare and short; other users are unaffected.
    """
    await conn.execute("SELECT pg_advisory_xact_lock($1, hashtext($2))", USER_LOCK_CLASS, user_id)


async def insert_current(
    conn: Connection,
    draft: FactDraft,
    *,
    supersedes: UUID | None = None,
    request_id: str | None = None,
) -> Fact:
    """Inserts a fact; a keyed one first closes the current fact with its key and scope.

    Runs inside a transaction that holds lock_user(). `supersedes` links a fact the
    caller already closed (an LLM UPDATE). When the current fact of the key became
    true after the new one (history imported out of order, a turn said earlier but
    applied later), the new fact is stored as the closed version before it instead:
    a statement never closes a newer one.
    """
    valid_from = draft.valid_from or await _now(conn)
    closed: Fact | None = None
    if draft.fact_key:
        current = await _current_with_key(conn, draft.user_id, draft.agent_id, draft.fact_key)
        if current is not None and current.valid_from > valid_from:
            return await _insert(
                conn, draft, valid_from, valid_to=current.valid_from, link=supersedes, request_id=request_id
            )
        if current is not None:
            closed = await close(
                conn,
                draft.user_id,
                current.id,
                FactChangeType.SUPERSEDED,
                valid_to=valid_from,
                replaced_by_text=draft.text,
                task_id=draft.source_task_id,
                request_id=request_id,
            )
    link = supersedes or (closed.id if closed else None)
    return await _insert(conn, draft, valid_from, valid_to=None, link=link, request_id=request_id)


async def insert_statements(
    conn: Connection, drafts: Sequence[FactDraft], ids: Sequence[UUID], request_ids: Sequence[str | None]
) -> list[Fact]:
    """Inserts keyless facts in one statement (a bulk import): they close nothing. Runs under lock_user().

    The caller chooses the ids, so the facts come back in its order.
    """
    records = await conn.fetch(
        f"""
        INSERT INTO facts AS f (id, user_id, agent_id, fact_key, fact_value, text, importance, source, embedding,
                                embedding_model, request_id, valid_from, session_id)
        SELECT d.id, d.user_id, d.agent_id, '', '', d.text, d.importance, d.source, d.embedding, d.model,
               d.request_id, COALESCE(d.valid_from, now()), d.session_id
        FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::real[], $6::text[], $7::vector[], $8::text[],
                    $9::text[], $10::timestamptz[], $11::text[])
             AS d(id, user_id, agent_id, text, importance, source, embedding, model, request_id, valid_from, session_id)
        RETURNING {rows.FACT_COLUMNS}
        """,
        list(ids),
        [d.user_id for d in drafts],
        [d.agent_id for d in drafts],
        [d.text for d in drafts],
        [d.importance for d in drafts],
        [d.source.value for d in drafts],
        [PgVector(d.embedding) for d in drafts],  # an ndarray in a list would be taken for a nested array
        [d.embedding_model for d in drafts],
        list(request_ids),
        [d.valid_from for d in drafts],
        [d.session_id for d in drafts],
    )
    by_id = {r["id"]: rows.fact(r) for r in records}
    created = [by_id[i] for i in ids]
    await _record_history(
        conn,
        created[0].user_id if created else "",
        [(f.id, FactChangeType.CREATED, None, f.text) for f in created],
        task_id=None,
        request_id=None,
    )
    return created


async def get_by_request_prefix(conn: Connection, user_id: str, prefix: str) -> dict[str, Fact]:
    """Facts whose request id starts with prefix (a batch's "<request_id>#<index>" keys), by request id."""
    records = await conn.fetch(
        f"""SELECT {rows.FACT_COLUMNS}, f.request_id FROM facts f
            WHERE f.user_id = $1 AND starts_with(f.request_id, $2)""",
        user_id,
        prefix,
    )
    return {r["request_id"]: rows.fact(r) for r in records}


async def insert_closed(conn: Connection, draft: FactDraft, *, valid_to: datetime) -> Fact:
    """Stores a statement that had already stopped being true: the version before a newer fact."""
    valid_from = draft.valid_from or await _now(conn)
    return await _insert(conn, draft, valid_from, valid_to=max(valid_to, valid_from), link=None, request_id=None)


async def _insert(
    conn: Connection,
    draft: FactDraft,
    valid_from: datetime,
    *,
    valid_to: datetime | None,
    link: UUID | None,
    request_id: str | None,
) -> Fact:
    row = one(
        await conn.fetchrow(
            f"""
        INSERT INTO facts AS f (user_id, agent_id, fact_key, fact_value, text, importance, source, source_task_id,
                                supersedes_fact_id, embedding, embedding_model, request_id, valid_from, valid_to,
                                session_id)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
        RETURNING {rows.FACT_COLUMNS}
        """,
            draft.user_id,
            draft.agent_id,
            draft.fact_key,
            draft.fact_value,
            draft.text,
            draft.importance,
            draft.source.value,
            draft.source_task_id,
            link,
            draft.embedding,
            draft.embedding_model,
            request_id,
            valid_from,
            valid_to,
            draft.session_id,
        )
    )
    created = rows.fact(row)
    history: list[tuple[UUID, FactChangeType, str | None, str | None]] = [
        (created.id, FactChangeType.CREATED, None, created.text)
    ]
    if valid_to is not None:  # born closed: a newer version already existed
        history.append((created.id, FactChangeType.SUPERSEDED, created.text, None))
    await _record_history(conn, draft.user_id, history, task_id=draft.source_task_id, request_id=request_id)
    return created


async def close(
    conn: Connection,
    user_id: str,
    fact_id: UUID,
    change: FactChangeType,
    *,
    expected_updated_at: datetime | None = None,
    valid_to: datetime | None = None,
    replaced_by_text: str | None = None,
    task_id: UUID | None = None,
    request_id: str | None = None,
) -> Fact | None:
    """Closes a current fact and records why; None if it is no longer current or changed since expected_updated_at.

    valid_to defaults to now and is never before the fact's valid_from.
    """
    row = await conn.fetchrow(
        f"""
        UPDATE facts AS f SET valid_to = GREATEST(COALESCE($4, now()), f.valid_from), updated_at = clock_timestamp()
        WHERE f.user_id = $1 AND f.id = $2 AND f.valid_to IS NULL
          AND ($3::timestamptz IS NULL OR f.updated_at = $3)
        RETURNING {rows.FACT_COLUMNS}
        """,
        user_id,
        fact_id,
        expected_updated_at,
        valid_to,
    )
    if row is None:
        return None
    closed = rows.fact(row)
    await _record_history(
        conn, user_id, [(closed.id, change, closed.text, replaced_by_text)], task_id=task_id, request_id=request_id
    )
    return closed


async def close_key(
    conn: Connection,
    user_id: str,
    agent_id: str,
    fact_key: str,
    *,
    replaced_by_text: str,
    request_id: str | None = None,
) -> Fact | None:
    """Closes the current fact holding a key in a scope (SUPERSEDED), if any."""
    current = await _current_with_key(conn, user_id, agent_id, fact_key)
    if current is None:
        return None
    return await close(
        conn, user_id, current.id, FactChangeType.SUPERSEDED, replaced_by_text=replaced_by_text, request_id=request_id
    )


async def is_unchanged(conn: Connection, fact: Fact) -> bool:
    """Whether a fact is still current and as it was read (the check before applying a plan made from it)."""
    value = await conn.fetchval(
        "SELECT 1 FROM facts WHERE user_id = $1 AND id = $2 AND valid_to IS NULL AND updated_at = $3",
        fact.user_id,
        fact.id,
        fact.updated_at,
    )
    return value is not None


async def _now(conn: Connection) -> datetime:
    value: datetime = await conn.fetchval("SELECT now()")
    return value


async def edit(
    conn: Connection,
    user_id: str,
    fact_id: UUID,
    changes: FactEdit,
    *,
    expected_updated_at: datetime,
    embedding: Vector | None,
    embedding_model: str | None,
    request_id: str | None,
) -> Fact | None:
    """Edits a current fact in place and records the edit; None if it changed since expected_updated_at.

    Runs inside a transaction. The updated_at check is the optimistic lock that
    turns a lost concurrent update into ABORTED instead of a silent overwrite.
    """
    row = await conn.fetchrow(
        f"""
        WITH old AS (
            SELECT id, text FROM facts
            WHERE user_id = $1 AND id = $2 AND valid_to IS NULL AND updated_at = $9
            FOR UPDATE
        )
        UPDATE facts AS f SET
            fact_key = COALESCE($3, f.fact_key),
            fact_value = COALESCE($4, f.fact_value),
            text = COALESCE($5, f.text),
            importance = COALESCE($6, f.importance),
            embedding = COALESCE($7, f.embedding),
            embedding_model = COALESCE($8, f.embedding_model),
            updated_at = clock_timestamp()
        FROM old WHERE f.id = old.id
        RETURNING {rows.FACT_COLUMNS}, old.text AS old_text
        """,
        user_id,
        fact_id,
        changes.fact_key,
        changes.fact_value,
        changes.text,
        changes.importance,
        embedding,
        embedding_model,
        expected_updated_at,
    )
    if row is None:
        return None
    edited = rows.fact(row)
    if embedding is not None:  # vectors a model switch made of the old text are wrong now
        await conn.execute("DELETE FROM fact_embeddings WHERE fact_id = $1", fact_id)
    await _record_history(
        conn,
        user_id,
        [(fact_id, FactChangeType.EDITED, row["old_text"], edited.text)],
        task_id=None,
        request_id=request_id,
    )
    return edited


async def erase(conn: Connection, user_id: str, fact_id: UUID, tombstone: FactChangeType) -> list[Fact]:
    """Erases a fact and every version linked to it, leaving a tombstone per version; [] if there is none.

    Runs inside a transaction that holds lock_user(). The rows and their vectors go;
    the texts also leave every history entry that quoted them (another fact's
    "superseded by ..."), and the raw turns they were extracted from. What stays is
    one history entry per version of the given type (DELETED, EXPIRED) with ids and
    a time, no content.
    """
    found = await history(conn, user_id, fact_id)
    if found is None:
        return []
    versions = found.versions
    await erase_versions(conn, user_id, versions, tombstone)
    return versions


async def erase_versions(conn: Connection, user_id: str, versions: Sequence[Fact], tombstone: FactChangeType) -> None:
    ids = [v.id for v in versions]
    texts = list({v.text for v in versions})
    await conn.execute("DELETE FROM fact_history WHERE user_id = $1 AND fact_id = ANY($2::uuid[])", user_id, ids)
    await conn.execute(
        """UPDATE fact_history SET
               old_text = CASE WHEN old_text = ANY($2::text[]) THEN NULL ELSE old_text END,
               new_text = CASE WHEN new_text = ANY($2::text[]) THEN NULL ELSE new_text END
           WHERE user_id = $1 AND (old_text = ANY($2::text[]) OR new_text = ANY($2::text[]))""",
        user_id,
        texts,
    )
    tasks = [v.source_task_id for v in versions if v.source_task_id is not None]
    if tasks:
        await conn.execute(
            "UPDATE extraction_tasks SET user_message = '', ai_response = '' WHERE user_id = $1 AND id = ANY($2::uuid[])",
            user_id,
            tasks,
        )
    await conn.execute("DELETE FROM facts WHERE user_id = $1 AND id = ANY($2::uuid[])", user_id, ids)
    await _record_history(conn, user_id, [(i, tombstone, None, None) for i in ids], task_id=None, request_id=None)


async def list_page(
    conn: Connection,
    user_id: str,
    *,
    agent_ids: Sequence[str] | None,
    include_invalid: bool,
    after: tuple[datetime, UUID] | None,
    limit: int,
    as_of: datetime | None = None,
) -> list[Fact]:
    """One page of a user's facts, newest first, after a (created_at, id) keyset cursor."""
    # Every version, or those valid at one time (the current ones when as_of is NULL).
    validity = "$6::timestamptz IS NULL" if include_invalid and as_of is None else ranking.validity("$6")
    records = await conn.fetch(
        f"""
        SELECT {rows.FACT_COLUMNS} FROM facts f
        WHERE f.user_id = $1
          AND ($2::text[] IS NULL OR f.agent_id = ANY($2))
          AND {validity}
          AND ($3::timestamptz IS NULL OR (f.created_at, f.id) < ($3, $4::uuid))
        ORDER BY f.created_at DESC, f.id DESC
        LIMIT $5
        """,
        user_id,
        list(agent_ids) if agent_ids is not None else None,
        after[0] if after else None,
        after[1] if after else None,
        limit,
        as_of,
    )
    return [rows.fact(r) for r in records]


async def history(conn: Connection, user_id: str, fact_id: UUID) -> FactHistory | None:
    """A fact's chain of versions (older ones it superseded, newer ones that superseded it) and their changes."""
    records = await conn.fetch(
        f"""
        WITH RECURSIVE older AS (
            SELECT {rows.FACT_COLUMNS}, 0 AS depth FROM facts f WHERE f.user_id = $1 AND f.id = $2
            UNION ALL
            SELECT {rows.FACT_COLUMNS}, older.depth + 1 FROM facts f
            JOIN older ON f.id = older.supersedes_fact_id AND f.user_id = $1
            WHERE older.depth < 1000
        ),
        newer AS (
            SELECT {rows.FACT_COLUMNS}, 0 AS depth FROM facts f WHERE f.user_id = $1 AND f.id = $2
            UNION ALL
            SELECT {rows.FACT_COLUMNS}, newer.depth + 1 FROM facts f
            JOIN newer ON f.supersedes_fact_id = newer.id AND f.user_id = $1
            WHERE newer.depth < 1000
        )
        SELECT * FROM (SELECT * FROM older UNION SELECT * FROM newer) AS f
        ORDER BY f.valid_from DESC, f.created_at DESC
        """,
        user_id,
        fact_id,
    )
    if not records:
        return None
    versions = [rows.fact(r) for r in records]
    changes = await conn.fetch(
        f"""SELECT {rows.HISTORY_COLUMNS} FROM fact_history h
            WHERE h.user_id = $1 AND h.fact_id = ANY($2::uuid[]) ORDER BY h.id DESC""",
        user_id,
        [v.id for v in versions],
    )
    return FactHistory(versions, [rows.fact_change(c) for c in changes])


async def search(
    conn: Connection,
    user_id: str,
    *,
    agent_ids: Sequence[str],
    query_vector: Vector,
    query_text: str,
    embedding_model: str,
    limit: int,
    min_relevance: float,
    as_of: datetime | None = None,
    moving: bool = False,
    candidates: tuple[int, int] | None = None,
) -> list[ScoredFact]:
    """The hot path: a user's facts (current, or valid at as_of) ranked for a query; see ranking.py.

    candidates: (dimensions, the user's current facts) to rank a heavy user's current facts over the
    candidates of the model's HNSW index (ranking.ann_search_sql) instead of scanning them all.
    """
    if candidates is not None and as_of is None and not moving:
        dimensions, facts_in_scope = candidates
        records = await conn.fetch(
            ranking.ann_search_sql(embedding_model, dimensions),
            user_id,
            list(agent_ids),
            query_vector,
            query_text,
            limit,
            min_relevance,
            facts_in_scope,
        )
        return [ScoredFact(rows.fact(r), float(r["relevance"])) for r in records]
    records = await conn.fetch(
        ranking.SEARCH_WHILE_MOVING_SQL if moving else ranking.SEARCH_SQL,
        user_id,
        list(agent_ids),
        query_vector,
        query_text,
        embedding_model,
        limit,
        min_relevance,
        as_of,
    )
    return [ScoredFact(rows.fact(r), float(r["relevance"])) for r in records]


async def similar_current(
    conn: Connection,
    user_id: str,
    *,
    agent_ids: Sequence[str],
    vector: Vector,
    embedding_model: str,
    limit: int,
    moving: bool = False,
) -> list[ScoredFact]:
    """The user's current facts most similar to a vector (cosine similarity), for reconciliation."""
    join, fact_vector, of_model = ranking.vectors(moving, "$4")
    records = await conn.fetch(
        f"""
        SELECT {rows.FACT_COLUMNS}, 1 - ({fact_vector} <=> $3::vector) AS similarity
        FROM facts f {join}
        WHERE f.user_id = $1 AND f.agent_id = ANY($2::text[])
          AND f.valid_to IS NULL AND {of_model}
        ORDER BY {fact_vector} <=> $3::vector
        LIMIT $5
        """,
        user_id,
        list(agent_ids),
        vector,
        embedding_model,
        limit,
    )
    return [ScoredFact(rows.fact(r), float(r["similarity"])) for r in records]


async def _current_with_key(conn: Connection, user_id: str, agent_id: str, fact_key: str) -> Fact | None:
    row = await conn.fetchrow(
        f"""SELECT {rows.FACT_COLUMNS} FROM facts f
            WHERE f.user_id = $1 AND f.agent_id = $2 AND f.fact_key = $3 AND f.valid_to IS NULL""",
        user_id,
        agent_id,
        fact_key,
    )
    return rows.fact(row) if row else None


async def stale_embeddings(conn: Connection, active_model: str, limit: int) -> list[tuple[UUID, str]]:
    """Facts embedded by another model than the active one: (id, text) to re-embed.

    `< OR >` rather than `<>`: two range scans of facts_embedding_model, so asking
    costs nothing when every vector is of the active model.
    """
    records = await conn.fetch(
        """SELECT id, text FROM facts WHERE embedding_model < $1 OR embedding_model > $1
           ORDER BY valid_to IS NOT NULL, created_at LIMIT $2""",
        active_model,
        limit,
    )
    return [(r["id"], r["text"]) for r in records]


async def set_embedding(conn: Connection, fact_id: UUID, text: str, vector: Vector, model: str) -> bool:
    """Stores a re-embedded vector unless the text changed meanwhile (then the edit re-embedded it)."""
    status: str = await conn.execute(
        "UPDATE facts SET embedding = $3, embedding_model = $4 WHERE id = $1 AND text = $2 AND embedding_model <> $4",
        fact_id,
        text,
        vector,
        model,
    )
    return status.endswith(" 1")


async def _record_history(
    conn: Connection,
    user_id: str,
    changes: Sequence[tuple[UUID, FactChangeType, str | None, str | None]],
    *,
    task_id: UUID | None,
    request_id: str | None,
) -> None:
    await conn.executemany(
        """INSERT INTO fact_history (fact_id, user_id, change_type, old_text, new_text, task_id, request_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        [(fact_id, user_id, kind.value, old, new, task_id, request_id) for fact_id, kind, old, new in changes],
    )


async def versions_older_than(conn: Connection, user_id: str, days: int, limit: int) -> list[Fact]:
    """A user's fact versions that became true longer ago than their retention period."""
    records = await conn.fetch(
        f"""SELECT {rows.FACT_COLUMNS} FROM facts f
            WHERE f.user_id = $1 AND f.valid_from < now() - make_interval(days => $2)
            ORDER BY f.valid_from LIMIT $3""",
        user_id,
        days,
        limit,
    )
    return [rows.fact(r) for r in records]
