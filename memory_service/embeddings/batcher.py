"""Micro-batching with priorities and a small cache in front of any batch encoder.

Greedy batching: while the model is busy, requests queue up; the next model call
takes them all (up to max_batch), interactive ones first. An idle model runs a
request at once, so batching adds no latency at low load.

The cache holds users' words, so it is keyed by the user they belong to: one
user never hits another's entry, and forget_owner() drops everything of a user
(DeleteFact, ForgetUser). Texts embedded without an owner are never cached.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from memory_service.domain import Vector
from memory_service.embeddings.base import Priority
from memory_service.errors import Unavailable
from memory_service.observability import metrics, tracing

log = logging.getLogger(__name__)

BatchEncoder = Callable[[list[str]], Awaitable[list[Vector]]]


@dataclass
class _Waiting:
    text: str
    futures: list[asyncio.Future[Vector]] = field(default_factory=list)
    owners: set[str] = field(default_factory=set)  # the users whose cache the result goes to
    since: float = field(default_factory=time.perf_counter)


class BatchingEmbedder:
    """Embeds texts through `encode`, batching concurrent callers and caching recent texts."""

    def __init__(
        self,
        encode: BatchEncoder,
        *,
        model_id: str,
        max_batch: int = 32,
        background_max_batch: int = 8,
        cache_size: int = 2048,
    ) -> None:
        self._encode = encode
        self._model_id = model_id
        self._max_batch = max_batch
        # Background batches stay small so an interactive request never waits
        # behind a long model call.
        self._background_max_batch = min(background_max_batch, max_batch)
        self._cache: OrderedDict[tuple[str, str], Vector] = OrderedDict()
        self._cache_size = cache_size
        self._queues: dict[Priority, OrderedDict[str, _Waiting]] = {p: OrderedDict() for p in Priority}
        self._drainer: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def model_id(self) -> str:
        return self._model_id

    async def embed(
        self, texts: Sequence[str], priority: Priority = Priority.INTERACTIVE, *, owner: str | None = None
    ) -> list[Vector]:
        """One vector per text; `owner` (a user id) makes the results cacheable for that user."""
        if self._closed:
            raise Unavailable("the embedder is shutting down", reason="EMBEDDER_UNAVAILABLE")
        loop = asyncio.get_running_loop()
        results: list[Vector | asyncio.Future[Vector]] = []
        for text in texts:
            cached = self._cache.get((owner, text)) if owner is not None else None
            if cached is not None:
                self._cache.move_to_end((owner, text))  # type: ignore[arg-type]
                metrics.embedding_cache.labels("hit").inc()
                results.append(cached)
                continue
            if owner is not None:
                metrics.embedding_cache.labels("miss").inc()
            future: asyncio.Future[Vector] = loop.create_future()
            waiting = self._waiting_for(text, priority)
            waiting.futures.append(future)
            if owner is not None:
                waiting.owners.add(owner)
            results.append(future)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="embedding-batcher")
        with tracing.span("embedding", texts=len(texts)):
            return [item if not isinstance(item, asyncio.Future) else await item for item in results]

    async def aclose(self) -> None:
        self._closed = True
        if self._drainer is not None:
            # Let queued requests finish; nothing new is accepted.
            await asyncio.shield(self._drainer)

    def _waiting_for(self, text: str, priority: Priority) -> _Waiting:
        for other in Priority:
            if text in self._queues[other]:
                if other > priority:  # promote: an interactive caller now waits for it
                    waiting = self._queues[other].pop(text)
                    self._queues[priority][text] = waiting
                    return waiting
                return self._queues[other][text]
        waiting = _Waiting(text)
        self._queues[priority][text] = waiting
        return waiting

    def _next_batch(self) -> list[_Waiting]:
        batch: list[_Waiting] = []
        for priority in Priority:
            queue = self._queues[priority]
            limit = self._background_max_batch if priority is Priority.BACKGROUND else self._max_batch
            while queue and len(batch) < limit:
                _, waiting = queue.popitem(last=False)
                if any(not f.done() for f in waiting.futures):  # skip texts whose callers all gave up
                    batch.append(waiting)
            if batch:
                _observe_batch(priority, batch)
                return batch
        return batch

    async def _drain(self) -> None:
        while batch := self._next_batch():
            texts = [w.text for w in batch]
            started = time.perf_counter()
            try:
                vectors = await self._encode(texts)
                metrics.embedding_duration.observe(time.perf_counter() - started)
            except Exception as exc:  # every waiter learns of the failure; the next batch tries again
                log.warning("embedding batch failed", extra={"batch_size": len(texts), "error": type(exc).__name__})
                error = (
                    exc
                    if isinstance(exc, Unavailable)
                    else Unavailable(f"the embedder failed ({type(exc).__name__})", reason="EMBEDDER_UNAVAILABLE")
                )
                for waiting in batch:
                    for future in waiting.futures:
                        if not future.done():
                            future.set_exception(error)
                continue
            for waiting, vector in zip(batch, vectors, strict=True):
                for owner in waiting.owners:
                    self._remember(owner, waiting.text, vector)
                for future in waiting.futures:
                    if not future.done():
                        future.set_result(vector)

    def _remember(self, owner: str, text: str, vector: Vector) -> None:
        if self._cache_size <= 0:
            return
        self._cache[(owner, text)] = vector
        self._cache.move_to_end((owner, text))
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def forget_owner(self, owner: str) -> int:
        """Drops every cached vector of a user's texts; returns how many."""
        keys = [key for key in self._cache if key[0] == owner]
        for key in keys:
            del self._cache[key]
        return len(keys)

    async def reload(self) -> None:
        """A batcher serves one model for its whole life."""

    def cached_texts(self) -> list[tuple[str, str]]:
        """(owner, text) of every cached entry, for tests that prove what is (not) kept."""
        return list(self._cache)


def _observe_batch(priority: Priority, batch: list[_Waiting]) -> None:
    label = priority.name.lower()
    metrics.embedding_batch_size.labels(label).observe(len(batch))
    now = time.perf_counter()
    wait = metrics.embedding_queue_wait.labels(label)
    for waiting in batch:
        wait.observe(now - waiting.since)
