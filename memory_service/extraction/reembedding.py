"""Switching the embedding model without breaking search: re-embed beside, cut over in one step, move.

1. While a target model is set, one worker at a time (a transaction-scoped
   advisory lock) embeds facts that have no vector of it yet into fact_embeddings,
   current facts included as they are written; search keeps using the active
   model's vectors in facts.embedding all along. Progress goes out as REEMBEDDING
   events (about no user) and through AdminService.GetEmbeddingStatus.
2. When every current fact has a target vector, the cut-over takes the switch
   lock exclusively (fact writes share it), checks again, and makes the target
   active in one update; every process reloads on the notification.
3. Then the new vectors are moved into facts.embedding in batches (search reads
   both places meanwhile), and facts still left with an old vector (history) are
   re-embedded in place.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from uuid import UUID

from memory_service.db import Connection, Database
from memory_service.db import events as events_sql
from memory_service.db import facts as facts_sql
from memory_service.db import reembedding as reembedding_sql
from memory_service.db import system_settings as settings_sql
from memory_service.db.control import announce_settings_changed
from memory_service.domain import EventType, ReembeddingProgress
from memory_service.embeddings import Priority
from memory_service.embeddings.runtime import EmbeddingRuntime

log = logging.getLogger(__name__)

BATCH = 128
ROUNDS = 40  # batches per maintenance round; the next round continues
MOVE_BATCH = 1000
PROGRESS_EVERY_SECONDS = 2.0


class Reembedding:
    def __init__(self, db: Database, runtime: EmbeddingRuntime) -> None:
        self._db = db
        self._runtime = runtime
        self._cursor: UUID | None = None
        self._last_progress = 0.0

    async def run_once(self) -> int:
        """One round of whatever the switch needs now; returns the vectors written or moved."""
        await self._runtime.reload()
        state = self._runtime.state
        if state.target is not None and state.target_model_id:
            return await self._towards(state.target_model_id)
        if state.moving:
            return await self._move(state.active_model_id)
        return await self._refresh_stale(state.active_model_id)

    async def status(self) -> ReembeddingProgress:
        state = self._runtime.state
        model = state.target_model_id or state.active_model_id
        async with self._db.connection() as conn:
            done, total = await reembedding_sql.progress(conn, model)
        return ReembeddingProgress(
            active_model=state.active_model_id,
            target_model=state.target_model_id or "",
            facts_done=done,
            facts_total=total,
            completed=state.target is None,
        )

    async def _towards(self, target_model: str) -> int:
        embedder = await self._runtime.target_embedder()
        if embedder is None:
            return 0
        written = 0
        for _ in range(ROUNDS):
            async with self._db.transaction() as conn:
                if not await reembedding_sql.try_lead(conn):
                    return written  # another worker is on it
                batch = await reembedding_sql.facts_without(conn, target_model, after=self._cursor, limit=BATCH)
                if batch:
                    vectors = await embedder.embed([text for _, _, text in batch], Priority.BACKGROUND)
                    written += await reembedding_sql.store_vectors(conn, target_model, batch, vectors)
                    self._cursor = batch[-1][0]
            await self._report(force=False)
            if len(batch) < BATCH:
                self._cursor = None  # a pass is done: facts written meanwhile are found by the next
                if await self._cut_over(target_model):
                    await self._runtime.reload()  # this process at once; the others by notification
                    break
        return written

    async def _cut_over(self, target_model: str) -> bool:
        async with self._db.transaction() as conn:
            await settings_sql.lock_switch(conn)  # no fact write is in flight, none starts until commit
            state = await settings_sql.embedding_state(conn, for_update=True)
            if state is None or state.target_model_id != target_model or state.target is None:
                return False
            done, total = await reembedding_sql.progress(conn, target_model)
            if done < total:
                return False
            switched = replace(
                state, active=state.target, active_model_id=target_model, target=None, target_model_id=None, moving=True
            )
            await settings_sql.save_embedding_state(conn, switched)
            await announce_settings_changed(conn)
            await self._append_progress(conn, switched.active_model_id, "", done, total, completed=True)
        log.info("embedding model switch cut over", extra={"model": target_model, "facts": total})
        return True

    async def _move(self, model: str) -> int:
        moved = 0
        for _ in range(ROUNDS):
            async with self._db.transaction() as conn:
                count = await reembedding_sql.move_batch(conn, model, MOVE_BATCH)
            moved += count
            if count < MOVE_BATCH:
                break
        if moved == 0:
            async with self._db.transaction() as conn:
                state = await settings_sql.embedding_state(conn, for_update=True)
                if state is not None and state.moving and state.active_model_id == model:
                    await reembedding_sql.drop_other_models(conn, [model])
                    await settings_sql.save_embedding_state(conn, replace(state, moving=False))
                    await announce_settings_changed(conn)
        return moved

    async def _refresh_stale(self, model: str) -> int:
        """Facts still carrying another model's vector (history after a switch): re-embedded in place."""
        async with self._db.connection() as conn:
            stale = await facts_sql.stale_embeddings(conn, model, BATCH)
        if not stale:
            return 0
        vectors = await self._runtime.embed([text for _, text in stale], Priority.BACKGROUND)
        async with self._db.transaction() as conn:
            for (fact_id, text), vector in zip(stale, vectors, strict=True):
                await facts_sql.set_embedding(conn, fact_id, text, vector, model)
        log.info("re-embedded facts", extra={"count": len(stale), "model": model})
        return len(stale)

    async def _report(self, *, force: bool) -> None:
        if not force and time.monotonic() - self._last_progress < PROGRESS_EVERY_SECONDS:
            return
        self._last_progress = time.monotonic()
        progress = await self.status()
        async with self._db.transaction() as conn:
            await self._append_progress(
                conn, progress.active_model, progress.target_model, progress.facts_done, progress.facts_total, False
            )

    @staticmethod
    async def _append_progress(
        conn: Connection, active: str, target: str, done: int, total: int, completed: bool
    ) -> None:
        payload = {
            "reembedding": {
                "active_model": active,
                "target_model": target,
                "facts_done": done,
                "facts_total": total,
                "completed": completed,
            }
        }
        await events_sql.append(conn, [events_sql.NewEvent(None, "", None, EventType.REEMBEDDING, 0, payload)])
