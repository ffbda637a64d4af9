"""The composition root: opens every resource once, in order, and closes them in reverse.

serve:  embedded postgres? → migrate → pool → embedder → (LLM) → event hub → gRPC server (+ worker)
worker: embedded postgres? → migrate → pool → embedder → (LLM) → worker loop
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from memory_service.config import Settings
from memory_service.db import Database, control, probe
from memory_service.db.dsn import redact
from memory_service.db.embedded import embedded_postgres
from memory_service.db.listener import listening
from memory_service.db.migrate import migrate
from memory_service.embeddings.runtime import EmbeddingRuntime
from memory_service.errors import Unavailable
from memory_service.extraction.llm_runtime import LlmRuntime
from memory_service.extraction.maintenance import Maintenance
from memory_service.extraction.planner import ExtractionPlanner
from memory_service.extraction.worker import Worker
from memory_service.grpc_api.access import Gate
from memory_service.grpc_api.admin_servicer import AdminServicer
from memory_service.grpc_api.interceptors import Admission
from memory_service.grpc_api.limits import RateLimiter, Slots
from memory_service.grpc_api.server import RunningServer, check_exposure, serve_grpc, standby_server, with_port
from memory_service.grpc_api.servicer import MemoryServicer, Services
from memory_service.observability import metrics, tracing
from memory_service.observability.exposition import exposing_metrics
from memory_service.service.context import ContextService
from memory_service.service.event_hub import EventHub
from memory_service.service.event_relay import EventRelay
from memory_service.service.extraction import ExtractionService
from memory_service.service.facts import FactService
from memory_service.service.privacy import PrivacyService
from memory_service.service.queue import QueueService
from memory_service.service.system_settings import SystemSettingsService
from memory_service.service.tokens import TokenService
from memory_service.service.users import UserService

log = logging.getLogger(__name__)

HEALTH_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Core:
    """What both the server and the worker need."""

    settings: Settings
    dsn: str
    db: Database
    embedder: EmbeddingRuntime
    llm: LlmRuntime
    planner: ExtractionPlanner
    tokens: TokenService

    def new_worker(self, *, name: str | None = None) -> Worker:
        maintenance = Maintenance(
            self.db, self.embedder, self.settings.retention, interval_seconds=self.settings.worker.maintenance_seconds
        )
        return Worker(self.db, self.planner, self.settings.worker, maintenance, name=name)


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The database, migrated: the configured one, or the embedded one in the data directory."""
    async with contextlib.AsyncExitStack() as stack:
        dsn = settings.database_url
        if dsn is None:
            dsn = await stack.enter_async_context(embedded_postgres(settings.data_dir))
        log.info("migrating", extra={"database": redact(dsn)})
        await migrate(dsn)
        yield await stack.enter_async_context(
            Database.open(dsn, min_size=settings.pool_min_size, max_size=settings.pool_max_size)
        )


@contextlib.asynccontextmanager
async def open_core(settings: Settings, *, preloaded_model: Any | None = None) -> AsyncIterator[Core]:
    async with contextlib.AsyncExitStack() as stack:
        db = await stack.enter_async_context(open_database(settings))
        dsn = db.dsn
        observability = settings.observability
        await stack.enter_async_context(
            exposing_metrics(observability.metrics_listen, db, refresh_seconds=observability.metrics_refresh_seconds)
        )
        embedder = EmbeddingRuntime(db, settings, preloaded_model=preloaded_model)
        await embedder.start()
        stack.push_async_callback(embedder.aclose)
        llm = LlmRuntime(db, settings.llm, embedder.box, mem0_dir=settings.data_dir / "mem0")
        await llm.start()
        stack.push_async_callback(llm.aclose)
        reloads: set[asyncio.Task[None]] = set()
        tokens = TokenService(db)

        def on_control(payload: str) -> None:
            message = control.parse(payload)
            if message.get("kind") == control.FORGET_USER and isinstance(message.get("user_id"), str):
                embedder.forget_owner(message["user_id"])
            elif message.get("kind") == control.TOKENS_CHANGED:
                tokens.forget_cache()
            elif message.get("kind") == control.SETTINGS_CHANGED:
                for reload in (embedder.reload(), llm.reload()):
                    task = asyncio.create_task(reload)
                    reloads.add(task)
                    task.add_done_callback(reloads.discard)

        await stack.enter_async_context(listening(db, control.CONTROL_CHANNEL, on_control))
        await stack.enter_async_context(EventRelay(db, poll_seconds=settings.worker.poll_seconds).running())
        await PrivacyService(db, None, erasure_secret=settings.erasure_secret).ensure_secret()
        planner = ExtractionPlanner(db, embedder, llm, duplicate_threshold=settings.worker.duplicate_threshold)
        log.info("ready", extra={"embedding_model": embedder.model_id, "extraction_mode": planner.mode.value})
        yield Core(settings, dsn, db, embedder, llm, planner, tokens)


@contextlib.asynccontextmanager
async def running_server(core: Core, *, listen: str | None = None) -> AsyncIterator[RunningServer]:
    """The gRPC server on top of a core, SERVING once up, NOT_SERVING while the database is unreachable."""
    settings = core.settings
    hub = EventHub(core.db, poll_seconds=settings.worker.poll_seconds)
    async with hub.running():
        services = Services(
            context=ContextService(core.db, core.embedder),
            facts=FactService(core.db, core.embedder),
            extraction=ExtractionService(
                core.db,
                core.planner,
                hub,
                max_attempts=settings.worker.max_attempts,
                stream_queue_size=settings.stream_queue_size,
                heartbeat_seconds=settings.heartbeat_seconds,
            ),
            queue=QueueService(core.db),
            users=UserService(core.db),
            privacy=PrivacyService(core.db, core.embedder, erasure_secret=settings.erasure_secret),
        )
        security = settings.security
        admission = Admission(
            Gate(core.tokens, required=security.auth_required),
            RateLimiter(security.rate_limit_per_second, security.rate_limit_burst),
            Slots(security.max_concurrent_calls, security.max_streams),
        )
        async with serve_grpc(
            MemoryServicer(services, stream_write_timeout=settings.stream_write_timeout_seconds),
            AdminServicer(SystemSettingsService(core.db, settings, core.embedder, core.llm), core.tokens),
            admission,
            listen or settings.listen,
            security,
            grace_seconds=settings.grace_seconds,
        ) as server:
            await server.set_serving(True)
            monitor = asyncio.create_task(_watch_database_health(core.db, server), name="health-monitor")
            try:
                yield server
            finally:
                # Streams never finish by themselves: end them first with a resume cursor, so the
                # grace period of the server's stop is left to unary calls in flight.
                await server.set_serving(False)
                hub.close_subscriptions()
                monitor.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await monitor


def fact_service(core: Core) -> FactService:
    return FactService(core.db, core.embedder)


async def _watch_database_health(db: Database, server: RunningServer) -> None:
    serving = True
    while True:
        await asyncio.sleep(HEALTH_CHECK_SECONDS)
        try:
            await asyncio.wait_for(db.ping(), HEALTH_CHECK_SECONDS)
            healthy = True
        except Exception:
            healthy = False
        metrics.database_up.set(1 if healthy else 0)
        if healthy != serving:
            log.warning("database %s", "reachable again" if healthy else "unreachable: NOT_SERVING")
            await server.set_serving(healthy)
            serving = healthy


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """`memory-service serve`: the server (and, unless turned off, an in-process worker) until stop is set."""
    check_exposure(settings.listen, settings.security)  # before anything is opened: say it at once
    tracing.configure(settings.observability.tracing)
    listen = await _wait_for_database(settings, stop)
    if listen is None:
        return
    async with open_core(settings) as core, running_server(core, listen=listen) as server:
        print(f"memory-service serving on {settings.listen} (port {server.port})", flush=True)
        worker_stop = asyncio.Event()
        worker = (
            asyncio.create_task(core.new_worker().run(worker_stop, grace_seconds=settings.grace_seconds))
            if settings.run_worker
            else None
        )
        try:
            await stop.wait()
            log.info("shutting down")
        finally:
            worker_stop.set()
            if worker is not None:
                await worker
            # leaving the contexts: NOT_SERVING → stop accepting → drain → hub → embedder → pool → postgres


async def _wait_for_database(settings: Settings, stop: asyncio.Event) -> str | None:
    """The address to serve on once the configured database answers; None when stopped before it did.

    Until then a standby server holds the address: health says NOT_SERVING and every
    call gets UNAVAILABLE, so a replica started before its database is up waits instead
    of crash-looping. The embedded database is started by this process: nothing to wait for.
    """
    if settings.database_url is None:
        return settings.listen
    try:
        await probe(settings.database_url)
        return settings.listen
    except Unavailable as first:
        log.warning("database unreachable at start; standing by", extra={"error": first.message})
    delay = 0.5
    async with standby_server(settings.listen, settings.security) as port:
        print(f"memory-service waiting for its database; health NOT_SERVING on port {port}", flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
                return None
            try:
                await probe(settings.database_url)
            except Unavailable as error:
                delay = min(delay * 2, 10.0)
                log.warning("database still unreachable", extra={"error": error.message, "retry_in_s": delay})
                continue
            log.info("database reachable; starting")
            return with_port(settings.listen, port)
    return None


async def work(settings: Settings, stop: asyncio.Event) -> None:
    """`memory-service worker`: a standalone extraction worker until stop is set."""
    tracing.configure(settings.observability.tracing)
    async with open_core(settings) as core:
        await core.new_worker().run(stop, grace_seconds=settings.grace_seconds)


async def migrate_only(settings: Settings) -> str:
    """`memory-service migrate`: applies migrations and returns the (redacted) database URL."""
    async with contextlib.AsyncExitStack() as stack:
        dsn = settings.database_url
        if dsn is None:
            dsn = await stack.enter_async_context(embedded_postgres(settings.data_dir))
        await migrate(dsn)
        return redact(dsn)
