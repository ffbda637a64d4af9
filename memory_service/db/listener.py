"""LISTEN on a channel over a dedicated connection that reconnects by itself.

Notifications are lost while disconnected, so every user of this also polls;
a notification only makes things faster, never more correct.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from memory_service.db.database import Database

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def listening(
    db: Database, channel: str, on_notify: Callable[[str], None], *, on_reconnect: Callable[[], None] | None = None
) -> AsyncIterator[None]:
    """Keeps a LISTEN open on `channel` while the block runs, calling on_notify(payload) for each message."""
    task = asyncio.create_task(_listen_forever(db, channel, on_notify, on_reconnect), name=f"listen-{channel}")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _listen_forever(
    db: Database, channel: str, on_notify: Callable[[str], None], on_reconnect: Callable[[], None] | None
) -> None:
    backoff = 0.2
    while True:
        conn = None
        try:
            conn = await db.connect_listener()
            lost = asyncio.Event()

            def deliver(_conn: object, _pid: int, _channel: str, payload: object, /) -> None:
                on_notify(str(payload))

            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await conn.add_listener(channel, deliver)
            backoff = 0.2
            if on_reconnect is not None:
                on_reconnect()  # catch up on whatever was missed while not listening
            # asyncpg notices a dead socket only when it uses it: check now and then.
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), timeout=5.0)
                if not lost.is_set():
                    await conn.execute("SELECT 1")
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the listener must outlive any error; polling covers the gap
            log.warning(
                "listener lost its connection; polling meanwhile",
                extra={"channel": channel, "error": type(exc).__name__},
            )
        finally:
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(conn.close(), timeout=2)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, 5.0)
