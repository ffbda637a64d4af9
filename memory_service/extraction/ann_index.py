"""Maintenance: the HNSW index of the active embedding model, built once some user is heavy enough to use it.

With the first one, a GIN index on search_text (heavy users' facts naming a query word).

After a model switch cuts over, the new active model has no index: the next check
builds it (CONCURRENTLY: writes and searches go on; heavy users use the exact scan
meanwhile, and while a switch moves vectors), and once the vectors are moved the
old model's index is dropped.
"""

from __future__ import annotations

import logging
import time

from memory_service.db import Database
from memory_service.db import ann as ann_sql
from memory_service.embeddings.runtime import EmbeddingRuntime

log = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 600.0  # finding a heavy user reads the model's current-facts index


class AnnIndex:
    def __init__(self, db: Database, runtime: EmbeddingRuntime) -> None:
        self._db = db
        self._runtime = runtime
        self._checked: dict[str, float] = {}

    async def run_once(self, *, force: bool = False) -> bool:
        """Builds the active model's index when it is missing and useful; returns whether one was built."""
        state = self._runtime.state
        model = state.active_model_id
        now = time.monotonic()
        if not force and now - self._checked.get(model, -CHECK_EVERY_SECONDS) < CHECK_EVERY_SECONDS:
            return False
        self._checked[model] = now
        async with self._db.connection() as conn:
            if await ann_sql.index_dimensions(conn, model) is not None:
                if not state.moving and state.target is None:
                    dropped = await ann_sql.drop_indexes_except(conn, model)
                    if dropped:
                        log.info("dropped HNSW indexes of other models", extra={"indexes": dropped})
                return False
            if not await ann_sql.has_heavy_user(conn, model):
                return False
            dimensions = await ann_sql.dimensions_of(conn, model)
            if dimensions is None:
                return False
            started = time.monotonic()
            built = await ann_sql.build_indexes(conn, model, dimensions)
        if built:
            log.info("built the HNSW index", extra={"model": model, "seconds": round(time.monotonic() - started, 1)})
        return built
