"""Micro-batching: concurrent callers share model calls, interactive work goes first, repeats hit the cache."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from memory_service.domain import Vector
from memory_service.embeddings.base import Priority
from memory_service.embeddings.batcher import BatchingEmbedder
from memory_service.errors import Unavailable


class RecordingEncoder:
    """A deterministic fake model behind the encoder interface; records each batch it is given."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail = fail

    async def __call__(self, texts: list[str]) -> list[Vector]:
        self.batches.append(list(texts))
        await asyncio.sleep(0.01)
        if self.fail:
            raise RuntimeError("model exploded")
        return [np.full(4, float(len(t)), dtype=np.float32) for t in texts]


async def test_concurrent_callers_share_batches_and_keep_order() -> None:
    encoder = RecordingEncoder()
    embedder = BatchingEmbedder(encoder, model_id="fake", max_batch=32)
    results = await asyncio.gather(*(embedder.embed([f"text {i}" * (i + 1)]) for i in range(20)))
    assert len(encoder.batches) <= 3  # the first call runs alone, the rest wait together
    for i, [vector] in enumerate(results):
        assert vector[0] == len(f"text {i}" * (i + 1))


async def test_interactive_requests_overtake_background_ones() -> None:
    encoder = RecordingEncoder()
    embedder = BatchingEmbedder(encoder, model_id="fake", max_batch=32, background_max_batch=4)
    first = asyncio.ensure_future(embedder.embed(["busy"], Priority.BACKGROUND))
    await asyncio.sleep(0)  # the model is now busy with "busy"
    background = asyncio.ensure_future(embedder.embed([f"bg {i}" for i in range(8)], Priority.BACKGROUND))
    await asyncio.sleep(0)
    interactive = asyncio.ensure_future(embedder.embed(["query"], Priority.INTERACTIVE))
    await asyncio.gather(first, background, interactive)
    assert encoder.batches[1] == ["query"]
    assert all(len(batch) <= 4 for batch in encoder.batches[2:])


async def test_the_cache_is_per_user_and_forgets_a_user() -> None:
    encoder = RecordingEncoder()
    embedder = BatchingEmbedder(encoder, model_id="fake", cache_size=10)
    await embedder.embed(["same"], owner="alice")
    await embedder.embed(["same"], owner="alice")
    assert encoder.batches == [["same"]]
    await embedder.embed(["same"], owner="bob")  # never another user's entry
    await embedder.embed(["unowned"])
    await embedder.embed(["unowned"])  # no owner: never cached
    assert encoder.batches == [["same"], ["same"], ["unowned"], ["unowned"]]
    assert embedder.forget_owner("alice") == 1
    assert embedder.cached_texts() == [("bob", "same")]


async def test_failures_reach_every_waiter() -> None:
    broken = BatchingEmbedder(RecordingEncoder(fail=True), model_id="fake")
    with pytest.raises(Unavailable, match="embedder failed"):
        await broken.embed(["x"])
