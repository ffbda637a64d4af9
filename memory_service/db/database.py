"""The connection pool: opened once, with pgvector's codec, translating connection loss to Unavailable."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy
from pgvector.asyncpg import register_vector

from memory_service.db.failures import CONNECT_ERRORS, CONNECTION_ERRORS, as_domain_error, translate, unavailable
from memory_service.errors import DeadlineExceeded
from memory_service.observability import metrics, tracing
from memory_service.request_context import call_deadline

log = logging.getLogger(__name__)

Record = asyncpg.Record
# hnsw.ef_search of every connection: at least ranking.ANN_CANDIDATES, so one index pass can fill them.
HNSW_EF_SEARCH = 200
# What the pool hands out; it has every query method of a connection.
Connection: TypeAlias = "PoolConnectionProxy[Record]"
UniqueViolation = asyncpg.UniqueViolationError

if TYPE_CHECKING:
    _ConnectionBase = asyncpg.Connection[Record]
else:  # asyncpg's Connection is generic in its stubs only
    _ConnectionBase = asyncpg.Connection


class _PooledConnection(_ConnectionBase):
    """A pooled connection returned without asyncpg's reset round trip.

    The reset (UNLISTEN *, RESET ALL, advisory unlock, CLOSE ALL) undoes session
    state, and the service never leaves any on pooled connections: LISTEN has its
    own connection, advisory locks and settings are transaction-scoped. An open
    transaction is still rolled back on release. Skipping it saves a round trip
    (a whole transaction on the server) per checkout, on the hot path too.
    """

    def get_reset_query(self) -> str:
        return ""


def one(row: Record | None) -> Record:
    """The row a statement always returns (INSERT/UPDATE ... RETURNING of a known row, aggregates)."""
    if row is None:
        raise RuntimeError("the statement returned no row")
    return row


class Database:
    """Owns the asyncpg pool. Every query of the service goes through connection() or transaction()."""

    def __init__(self, pool: asyncpg.Pool, dsn: str) -> None:
        self._pool = pool
        self.dsn = dsn

    @property
    def pool(self) -> asyncpg.Pool:
        """For the metrics of its size only: queries go through connection() and transaction()."""
        return self._pool

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, dsn: str, *, min_size: int = 2, max_size: int = 10) -> AsyncIterator[Database]:
        try:
            pool = await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                connection_class=_PooledConnection,
                command_timeout=60,
                # Idle connections are recycled, so a database restart heals by itself.
                max_inactive_connection_lifetime=300,
            )
        except CONNECT_ERRORS as exc:
            raise as_domain_error(exc) from exc
        try:
            yield cls(pool, dsn)
        finally:
            # Bounded: an in-flight query must not hold shutdown forever.
            try:
                await asyncio.wait_for(pool.close(), 10)
            except TimeoutError:
                pool.terminate()

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A pooled connection; database errors leave it as the domain errors of db/failures.py.

        Within a call, waiting for a connection is bounded by the call's deadline.
        """
        deadline = call_deadline.get()
        wait = None if deadline is None else max(deadline - time.monotonic(), 0.001)
        asked = time.perf_counter()
        waiting = True
        metrics.pool_waiters.inc()
        try:
            async with contextlib.AsyncExitStack() as scope:
                scope.enter_context(tracing.span("postgresql"))
                conn = await scope.enter_async_context(self._pool.acquire(timeout=wait))
                waiting = False
                metrics.pool_waiters.dec()
                metrics.pool_acquire_wait.observe(time.perf_counter() - asked)
                yield conn
        except TimeoutError as exc:
            if deadline is not None and time.monotonic() >= deadline - 0.001:
                raise DeadlineExceeded("no database connection was free before the call's deadline") from exc
            raise
        except asyncpg.PostgresError as exc:
            translated = translate(exc)
            if translated is None:
                raise
            raise translated from exc
        except CONNECTION_ERRORS as exc:
            # The server restarted or failed over: every idle connection is dead too. Replace them all
            # on their next use instead of failing one call per stale connection.
            await self._pool.expire_connections()
            raise unavailable(exc) from exc
        finally:
            if waiting:
                metrics.pool_waiters.dec()

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        async with self.connection() as conn, conn.transaction():
            yield conn

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Connection]:
        """A read-only repeatable-read transaction: every statement sees the database as of the first one."""
        async with self.connection() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
            yield conn

    async def ping(self) -> None:
        async with self.connection() as conn:
            await conn.fetchval("SELECT 1")

    async def connect_listener(self) -> asyncpg.Connection[Record]:
        """A dedicated connection for LISTEN, outside the pool (it lives as long as the listener)."""
        try:
            conn: asyncpg.Connection[Record] = await asyncpg.connect(self.dsn)
        except CONNECT_ERRORS as exc:
            raise as_domain_error(exc) from exc
        return conn


async def probe(dsn: str) -> None:
    """Connects once and hangs up; raises the domain error (Unavailable) when the database cannot be reached."""
    try:
        conn = await asyncpg.connect(dsn, timeout=5.0)
    except CONNECT_ERRORS as exc:
        raise as_domain_error(exc) from exc
    await conn.close()


async def _init_connection(conn: asyncpg.Connection[Record]) -> None:
    await register_vector(conn)
    # Only heavy users' searches walk an HNSW index (ranking.ann_search_sql): the user filter applies
    # while walking (iterative scan), and one pass can fill the statement's candidates.
    await conn.execute(f"SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = {HNSW_EF_SEARCH}")
    await conn.set_type_codec("jsonb", encoder=_json_dumps, decoder=_json_loads, schema="pg_catalog")


def _json_dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _json_loads(value: str) -> Any:
    return json.loads(value)
