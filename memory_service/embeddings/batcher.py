"""Micro-batching with priorities and a small cache in front of any batch encoder.

Greedy batching: while the model is busy, requests queue up; the next model call
takes them all (up to max_batch), interactive ones first. An idle model runs a
request at once, so batching adds no latency at low load.

Deadlines: a caller may say by when it needs its vectors (a monotonic time.monotonic()
value, the gRPC deadline of the call it serves). A request the model cannot reach
in time, going by how fast recent batches ran and how much waits ahead of it, is
refused at once (ResourceExhausted, reason OVERLOADED) instead of being queued; one
whose deadline passes while it waits is dropped when its batch is formed. Neither is
ever computed, so an overload costs the model nothing and callers learn it at once.
Callers without a deadline (extraction, re-embedding) are never refused.

The cache holds users' words, so it is keyed by the user they belong to: one
user never hits another's entry, and forget_owner() drops everything of a user
(DeleteFact, ForgetUser). Texts embedded without an owner are never cached.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from memory_service.domain import Vector
from memory_service.embeddings.base import Priority
from memory_service.errors import DeadlineExceeded, ResourceExhausted, Unavailable
from memory_service.observability import metrics, tracing

log = logging.getLogger(__name__)

BatchEncoder = Callable[[list[str]], Awaitable[list[Vector]]]
# How much each text of a new batch moves the estimate of the model's seconds per text: a batch of n texts
# weighs 1 - (1 - weight)^n, so under load (big batches) the estimate follows the model within a batch or two.
_SPEED_WEIGHT = 0.1
# How often (at most) the batches of the last interval are logged, when there were any.
REPORT_SECONDS = 10.0


@dataclass
class _Waiting:
    text: str
    futures: list[asyncio.Future[Vector]] = field(default_factory=list)
    owners: set[str] = field(default_factory=set)  # the users whose cache the result goes to
    since: float = field(default_factory=time.perf_counter)
    # The latest deadline of its callers (monotonic seconds); inf as soon as one caller has none.
    deadline: float = -math.inf

    def wait_until(self, deadline: float | None) -> None:
        self.deadline = max(self.deadline, math.inf if deadline is None else deadline)

    def live(self) -> bool:
        """Whether some caller still waits for it (callers that gave up cancelled their futures)."""
        return any(not f.done() for f in self.futures)

    def fail(self, error: Exception) -> None:
        for future in self.futures:
            if not future.done():
                future.set_exception(error)


@dataclass
class BatchStats:
    """Counts since start: model calls, texts embedded, the largest batch, texts refused or dropped for deadlines."""

    batches: int = 0
    texts: int = 0
    largest: int = 0
    refused: int = 0
    dropped: int = 0
    busy_seconds: float = 0.0

    @property
    def mean_batch(self) -> float:
        return self.texts / self.batches if self.batches else 0.0

    def since(self, earlier: BatchStats) -> dict[str, float]:
        batches = self.batches - earlier.batches
        texts = self.texts - earlier.texts
        return {
            "batches": batches,
            "texts": texts,
            "mean_batch": round(texts / batches, 2) if batches else 0.0,
            "refused": self.refused - earlier.refused,
            "dropped": self.dropped - earlier.dropped,
            "busy_seconds": round(self.busy_seconds - earlier.busy_seconds, 3),
        }


def overloaded(wait: float) -> ResourceExhausted:
    return ResourceExhausted(
        f"the embedding model is busy for about {wait * 1000:.0f} ms, past the call's deadline",
        retry_after=max(wait, 0.001),
        reason="OVERLOADED",
    )


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
        # What the model is doing, for the deadline checks: seconds per text of recent batches (None until one
        # ran), and the running batch's size and start.
        self._seconds_per_text: float | None = None
        self._running: tuple[int, float] | None = None
        self.stats = BatchStats()
        self._reported = (BatchStats(), time.monotonic())

    @property
    def model_id(self) -> str:
        return self._model_id

    async def embed(
        self,
        texts: Sequence[str],
        priority: Priority = Priority.INTERACTIVE,
        *,
        owner: str | None = None,
        deadline: float | None = None,
    ) -> list[Vector]:
        """One vector per text; `owner` (a user id) makes the results cacheable for that user.

        deadline: when the caller stops waiting (time.monotonic()); ResourceExhausted (OVERLOADED) at once
        when the model cannot get to these texts by then.
        """
        if self._closed:
            raise Unavailable("the embedder is shutting down", reason="EMBEDDER_UNAVAILABLE")
        loop = asyncio.get_running_loop()
        cached: dict[int, Vector] = {}
        missing: list[int] = []
        for i, text in enumerate(texts):
            vector = self._cache.get((owner, text)) if owner is not None else None
            if vector is not None:
                self._cache.move_to_end((owner, text))  # type: ignore[arg-type]
                metrics.embedding_cache.labels("hit").inc()
                cached[i] = vector
            else:
                missing.append(i)
        if missing and deadline is not None:
            wait = self.expected_wait(len(missing), priority)
            now = time.monotonic()
            if now + wait > deadline:
                alone = (self._seconds_per_text or 0.0) * len(missing)
                if now + alone > deadline:  # too short even for an idle model: retrying would not help
                    raise DeadlineExceeded("the call's deadline is shorter than embedding its query takes")
                self.stats.refused += len(missing)
                metrics.embedding_shed.labels("refused").inc(len(missing))
                raise overloaded(wait)
        results: list[Vector | asyncio.Future[Vector]] = []
        for i, text in enumerate(texts):
            if i in cached:
                results.append(cached[i])
                continue
            if owner is not None:
                metrics.embedding_cache.labels("miss").inc()
            future: asyncio.Future[Vector] = loop.create_future()
            waiting = self._waiting_for(text, priority)
            waiting.futures.append(future)
            waiting.wait_until(deadline)
            if owner is not None:
                waiting.owners.add(owner)
            results.append(future)
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain(), name="embedding-batcher")
        with tracing.span("embedding", texts=len(texts)):
            return [item if not isinstance(item, asyncio.Future) else await item for item in results]

    def expected_wait(self, texts: int, priority: Priority = Priority.INTERACTIVE) -> float:
        """Seconds until `texts` more texts of this priority would be embedded, at the model's recent speed."""
        per_text = self._seconds_per_text
        if per_text is None:  # nothing measured yet: never refuse on a guess
            return 0.0
        ahead = sum(len(self._queues[p]) for p in Priority if p <= priority)
        running = 0.0
        if self._running is not None:
            size, started = self._running
            running = max(0.0, started + size * per_text - time.monotonic())
        return running + (ahead + texts) * per_text

    async def aclose(self) -> None:
        self._closed = True
        if self._drainer is not None:
            # Let queued requests finish; nothing new is accepted.
            await asyncio.shield(self._drainer)
        if self.stats.batches > self._reported[0].batches:
            self._report()

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
        now = time.monotonic()
        per_text = self._seconds_per_text or 0.0
        for priority in Priority:
            queue = self._queues[priority]
            limit = self._background_max_batch if priority is Priority.BACKGROUND else self._max_batch
            while queue and len(batch) < limit:
                _, waiting = queue.popitem(last=False)
                if not waiting.live():  # skip texts whose callers all gave up
                    continue
                # Its vector would come after every caller stopped waiting: drop it uncomputed.
                if now + (len(batch) + 1) * per_text > waiting.deadline:
                    self.stats.dropped += 1
                    metrics.embedding_shed.labels("dropped").inc()
                    waiting.fail(overloaded(max(0.0, waiting.deadline - now)))
                    continue
                batch.append(waiting)
            if batch:
                _observe_batch(priority, batch)
                return batch
        return batch

    async def _drain(self) -> None:
        while batch := self._next_batch():
            texts = [w.text for w in batch]
            started = time.monotonic()
            self._running = (len(texts), started)
            try:
                vectors = await self._encode(texts)
                metrics.embedding_duration.observe(time.monotonic() - started)
            except Exception as exc:  # every waiter learns of the failure; the next batch tries again
                log.warning("embedding batch failed", extra={"batch_size": len(texts), "error": type(exc).__name__})
                error = (
                    exc
                    if isinstance(exc, Unavailable)
                    else Unavailable(f"the embedder failed ({type(exc).__name__})", reason="EMBEDDER_UNAVAILABLE")
                )
                for waiting in batch:
                    waiting.fail(error)
                continue
            finally:
                self._running = None
            self._measured(len(texts), time.monotonic() - started)
            for waiting, vector in zip(batch, vectors, strict=True):
                for owner in waiting.owners:
                    self._remember(owner, waiting.text, vector)
                for future in waiting.futures:
                    if not future.done():
                        future.set_result(vector)

    def _measured(self, size: int, seconds: float) -> None:
        per_text = seconds / size
        previous = self._seconds_per_text
        weight = 1.0 - (1.0 - _SPEED_WEIGHT) ** size
        self._seconds_per_text = per_text if previous is None else previous + weight * (per_text - previous)
        self.stats.batches += 1
        self.stats.texts += size
        self.stats.largest = max(self.stats.largest, size)
        self.stats.busy_seconds += seconds
        if time.monotonic() - self._reported[1] >= REPORT_SECONDS:
            self._report()

    def _report(self) -> None:
        """Logs what the model did since the last report: how big its batches were, what deadlines cost."""
        earlier, since = self._reported
        now = time.monotonic()
        log.info(
            "embedding batches",
            extra={"model": self._model_id, "seconds": round(now - since, 3), **self.stats.since(earlier)},
        )
        self._reported = (dataclasses.replace(self.stats), now)

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
