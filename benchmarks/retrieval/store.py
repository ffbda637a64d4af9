"""The benchmark's additions to the facts table, and loading the data set's memories into it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np

from memory_service.db.database import Connection

# What the ranking variants need beyond migration 0001:
#   session_id, position   where a memory came from (conversational locality by session)
#   memory_date_words()    the day a memory was said, as words ("saturday march 9 9th 2024"): an IMMUTABLE
#                          function, because a generated column may only call those (to_char is only STABLE)
#   dated_search_text      search_text plus those words, for questions that name a date
# valid_from and created_at hold the time the memory was said (as the service sets them when it stores a turn).
SCHEMA_ADDITIONS = """
ALTER TABLE facts ADD COLUMN position integer;
-- The service's search_text carries the date words; the variants compare with and without them.
ALTER TABLE facts ADD COLUMN plain_search_text tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED;
ALTER TABLE facts ADD COLUMN dated_search_text tsvector GENERATED ALWAYS AS
    (to_tsvector('english', text || ' ' || memory_date_words(valid_from))) STORED;
"""

FACT_COLUMNS = (
    "user_id", "agent_id", "fact_key", "fact_value", "text", "importance", "source", "embedding", "embedding_model",
    "valid_from", "created_at", "updated_at", "session_id", "position",
)  # fmt: skip


async def add_schema(conn: Connection) -> None:
    await conn.execute(SCHEMA_ADDITIONS)


async def load_memories(
    conn: Connection, memories: Sequence[dict[str, Any]], vectors: np.ndarray, embedding_model: str
) -> None:
    """Memories as current, global facts (fact_key = memory id), said and stored at occurred_at."""
    users = sorted({m["user_id"] for m in memories})
    await conn.copy_records_to_table("users", records=[(u,) for u in users], columns=["user_id"])
    records = []
    for memory, vector in zip(memories, vectors, strict=True):
        said = datetime.fromisoformat(memory["occurred_at"])
        records.append(
            (
                memory["user_id"], "", memory["id"], memory["text"], memory["text"], 0.5, "manual", vector,
                embedding_model, said, said, said, memory["session_id"], memory["position"],
            )
        )  # fmt: skip
    await conn.copy_records_to_table("facts", records=records, columns=FACT_COLUMNS)
    await conn.execute("ANALYZE facts")
