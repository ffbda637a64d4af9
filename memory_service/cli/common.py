"""What operator commands share: their signature, a database to work on, and JSON-lines output."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from memory_service.config import Settings
from memory_service.db import Database

OperatorCommand = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


@contextlib.asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The service's database (migrated), with a small pool: commands are one client among the service's."""
    from memory_service import app

    async with app.open_database(settings) as db:
        yield db


def print_json_line(record: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
