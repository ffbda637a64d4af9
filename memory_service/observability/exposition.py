"""The /metrics HTTP endpoint of a process, and the refresher of the cluster-wide series.

The endpoint is prometheus_client's own HTTP server on a thread: scrapes never run on
the event loop. The cluster-wide gauges come from the database, read by a task on the
loop every `refresh_seconds` (the queue from its sharded counters, cheap at any size;
the re-embedding progress only while a switch runs), never at scrape time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from prometheus_client import start_http_server

from memory_service.db import Database
from memory_service.db import events as events_sql
from memory_service.db import reembedding as reembedding_sql
from memory_service.db import system_settings as settings_sql
from memory_service.db import tasks as tasks_sql
from memory_service.observability import metrics

log = logging.getLogger(__name__)


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]") or "0.0.0.0", int(port)


@contextlib.asynccontextmanager
async def exposing_metrics(listen: str | None, db: Database, *, refresh_seconds: float) -> AsyncIterator[int | None]:
    """Serves /metrics on `listen` (None: metrics stay in-process only) and yields the port."""
    metrics.pool_collector.pool = db.pool
    if listen is None:
        yield None
        return
    host, port = split_listen(listen)
    server, thread = start_http_server(port, addr=host, registry=metrics.REGISTRY)
    bound = int(server.server_address[1])
    log.info("metrics exposed", extra={"listen": listen, "port": bound})
    refresher = asyncio.create_task(_refresh_forever(db, refresh_seconds), name="metrics-refresher")
    try:
        yield bound
    finally:
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
        server.shutdown()
        server.server_close()
        thread.join(5)


async def _refresh_forever(db: Database, seconds: float) -> None:
    while True:
        try:
            await refresh_cluster_series(db)
            metrics.database_up.set(1)
        except Exception as exc:  # the database may be down: the gauges keep their last values
            metrics.database_up.set(0)
            log.debug("metrics refresh failed", extra={"error": type(exc).__name__})
        await asyncio.sleep(seconds)


async def refresh_cluster_series(db: Database) -> None:
    async with db.connection() as conn:
        stats = await tasks_sql.stats(conn)
        outbox = await events_sql.outbox_pending(conn)
        state = await settings_sql.embedding_state(conn)
        progress = (
            await reembedding_sql.progress(conn, state.target_model_id)
            if state is not None and state.target_model_id
            else None
        )
    for status in ("pending", "processing", "completed", "failed", "skipped"):
        metrics.queue_tasks.labels(status).set(getattr(stats, status))
    metrics.queue_oldest_pending_age.set(stats.oldest_pending_age_seconds)
    metrics.event_outbox_pending.set(outbox)
    metrics.reembedding_active.set(1 if progress is not None else 0)
    done, total = progress if progress is not None else (0, 0)
    metrics.reembedding_facts.labels("done").set(done)
    metrics.reembedding_facts.labels("total").set(total)
