"""Micro-batching: concurrent callers share model calls, interactive work goes first, repeats hit the cache."""

from __future__ import annotations

import asyncio
import time

import numpy as np
import pytest

from memory_service.domain import Vector
from memory_service.embeddings.base import Priority
from memory_service.embeddings.batcher import BatchingEmbedder
from memory_service.errors import DeadlineExceeded, ResourceExhausted, Unavailable


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


class SlowEncoder(RecordingEncoder):
    """Takes `seconds` per batch, so the embedder is busy for a known time."""

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds

    async def __call__(self, texts: list[str]) -> list[Vector]:
        self.batches.append(list(texts))
        await asyncio.sleep(self.seconds)
        return [np.full(4, float(len(t)), dtype=np.float32) for t in texts]

    def embedded(self) -> list[str]:
        return [text for batch in self.batches for text in batch]


async def test_a_request_the_busy_model_cannot_serve_by_its_deadline_is_refused_uncomputed() -> None:
    encoder = SlowEncoder(0.2)
    embedder = BatchingEmbedder(encoder, model_id="fake")
    await embedder.embed(["learn the speed"])
    busy = asyncio.ensure_future(embedder.embed(["busy"]))
    await asyncio.sleep(0)
    with pytest.raises(ResourceExhausted) as refused:  # alone it would fit in 0.3 s; behind "busy" it cannot
        await embedder.embed(["late"], deadline=time.monotonic() + 0.3)
    assert refused.value.reason == "OVERLOADED" and refused.value.retry_after > 0.3
    await busy
    assert "late" not in encoder.embedded()
    assert embedder.stats.refused == 1


async def test_a_deadline_shorter_than_one_model_call_is_exceeded_at_once() -> None:
    encoder = SlowEncoder(0.2)
    embedder = BatchingEmbedder(encoder, model_id="fake")
    await embedder.embed(["learn the speed"])
    with pytest.raises(DeadlineExceeded):  # even an idle model needs 0.2 s: a retry would not help
        await embedder.embed(["hopeless"], deadline=time.monotonic() + 0.1)
    assert "hopeless" not in encoder.embedded()


async def test_a_request_with_time_enough_is_served() -> None:
    encoder = SlowEncoder(0.01)
    embedder = BatchingEmbedder(encoder, model_id="fake")
    await embedder.embed(["learn the speed"])
    [vector] = await embedder.embed(["in time"], deadline=time.monotonic() + 5)
    assert vector[0] == len("in time")


async def test_a_request_whose_deadline_passes_in_the_queue_is_dropped_uncomputed() -> None:
    encoder = SlowEncoder(0.01)
    embedder = BatchingEmbedder(encoder, model_id="fake")
    await embedder.embed(["learn the speed"])
    encoder.seconds = 0.2  # the model slows down: the next request is admitted, then waits past its deadline
    busy = asyncio.ensure_future(embedder.embed(["busy"]))
    await asyncio.sleep(0)
    late = asyncio.ensure_future(embedder.embed(["late"], deadline=time.monotonic() + 0.05))
    with pytest.raises(ResourceExhausted):
        await late
    await busy
    assert "late" not in encoder.embedded()
    assert embedder.stats.dropped == 1


async def test_a_text_is_kept_for_the_caller_who_can_still_use_it() -> None:
    encoder = SlowEncoder(0.01)
    embedder = BatchingEmbedder(encoder, model_id="fake")
    await embedder.embed(["learn the speed"])
    encoder.seconds = 0.2
    busy = asyncio.ensure_future(embedder.embed(["busy"]))
    await asyncio.sleep(0)
    hurried = asyncio.ensure_future(embedder.embed(["shared"], deadline=time.monotonic() + 0.05))
    patient = asyncio.ensure_future(embedder.embed(["shared"]))  # no deadline: waits as long as it takes
    [vector] = await patient
    assert vector[0] == len("shared")
    [late_vector] = await hurried  # computed for the patient caller, so the hurried one got it too, late
    assert late_vector[0] == len("shared")
    await busy


async def test_requests_without_a_deadline_are_never_refused() -> None:
    encoder = SlowEncoder(0.05)
    embedder = BatchingEmbedder(encoder, model_id="fake", max_batch=2)
    await embedder.embed(["learn the speed"])
    results = await asyncio.gather(*(embedder.embed([f"text {i}"], Priority.BACKGROUND) for i in range(8)))
    assert len(results) == 8
    assert embedder.stats.refused == embedder.stats.dropped == 0
    assert embedder.stats.batches == 1 + 4 and embedder.stats.largest == 2
