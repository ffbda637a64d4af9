"""SQL latency of the ranking variants for one user with N facts (real texts and vectors, sessions kept whole)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from benchmarks.harness import summarize_ms
from benchmarks.retrieval.store import FACT_COLUMNS
from memory_service.db.database import Connection


async def add_user(
    conn: Connection,
    user_id: str,
    size: int,
    memories: Sequence[dict[str, Any]],
    vectors: np.ndarray,
    embedding_model: str,
) -> None:
    """A user holding `size` facts: the data set's sessions one after the other, a day apart, repeated as needed."""
    await conn.execute("INSERT INTO users (user_id) VALUES ($1)", user_id)
    start = datetime(2023, 1, 1, tzinfo=UTC)
    records = []
    session, previous = 0, None
    for n in range(size):
        memory = memories[n % len(memories)]
        if memory["session_id"] != previous:
            session, previous = session + 1, memory["session_id"]
        said = start + timedelta(days=session, seconds=memory["position"] * 60)
        records.append(
            (
                user_id, "", f"{user_id}:{n}", memory["text"], memory["text"], 0.5, "manual", vectors[n % len(memories)],
                embedding_model, said, said, said, f"{user_id}:s{session}", memory["position"],
            )
        )  # fmt: skip
    await conn.copy_records_to_table("facts", records=records, columns=FACT_COLUMNS)
    await conn.execute("ANALYZE facts")


async def time_calls(call: Callable[[int], Any], calls: int, warmup: int = 6) -> dict[str, Any]:
    """p50/p95... of call(i) for i in range(calls), after warm-up calls (past the 5 custom plans of a prepared statement)."""
    for i in range(warmup):
        await call(i)
    samples = []
    for i in range(calls):
        begin = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - begin)
    return summarize_ms(samples)
