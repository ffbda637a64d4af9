"""Applies the Alembic migrations (idempotent: a migrated database is left as it is)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALEMBIC_INI = PROJECT_ROOT / "alembic.ini"


def alembic_config(dsn: str) -> Config:
    config = Config(str(ALEMBIC_INI))
    config.attributes["database_url"] = dsn
    return config


def upgrade_to_head(dsn: str) -> None:
    command.upgrade(alembic_config(dsn), "head")


async def migrate(dsn: str) -> None:
    # Alembic is synchronous; run it off the event loop.
    await asyncio.to_thread(upgrade_to_head, dsn)
