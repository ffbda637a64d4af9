"""Which statement ranks a user's facts: the exact scan, or candidates from the HNSW index for heavy users.

The choice needs the user's number of current facts. It is read with a count (an
index-only scan, bounded by the user's size) and kept COUNT_TTL seconds per user in
this process, rather than in a counter column every write path would have to keep
exact (creates, supersedes, deletes, erasure, retention, switches): a user's size
moves slowly, a stale count only delays the switch by a minute, and the candidates'
statement uses it only for idf and relevance, where a few facts more or less among
10,000 change nothing. Users without a model index never pay for the count.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from memory_service.db import ann as ann_sql
from memory_service.db import ranking
from memory_service.db.database import Connection

COUNT_TTL = 60.0
INDEX_TTL = 30.0
MAX_USERS = 100_000  # counts kept; the least recently used go first


class SearchPaths:
    def __init__(self) -> None:
        self._counts: OrderedDict[tuple[str, str], tuple[int, float]] = OrderedDict()
        self._indexes: dict[str, tuple[int | None, float]] = {}

    async def candidates(self, conn: Connection, user_id: str, model: str) -> tuple[int, int] | None:
        """(dimensions, facts) when the user's facts are ranked over the index's candidates, else None."""
        dimensions = await self._index(conn, model)
        if dimensions is None:
            return None
        facts = await self._count(conn, user_id, model)
        return (dimensions, facts) if facts >= ranking.ANN_MIN_FACTS else None

    async def _index(self, conn: Connection, model: str) -> int | None:
        now = time.monotonic()
        cached = self._indexes.get(model)
        if cached is not None and cached[1] > now:
            return cached[0]
        dimensions = await ann_sql.index_dimensions(conn, model)
        self._indexes[model] = (dimensions, now + INDEX_TTL)
        return dimensions

    async def _count(self, conn: Connection, user_id: str, model: str) -> int:
        now = time.monotonic()
        key = (user_id, model)
        cached = self._counts.get(key)
        if cached is not None and cached[1] > now:
            self._counts.move_to_end(key)
            return cached[0]
        count = await ann_sql.count_current(conn, user_id, model)
        self._counts[key] = (count, now + COUNT_TTL)
        self._counts.move_to_end(key)
        while len(self._counts) > MAX_USERS:
            self._counts.popitem(last=False)
        return count
