"""Alembic environment: plain SQL migrations run under an advisory lock, so replicas may migrate at once."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, text

from memory_service.db.dsn import sqlalchemy_url

# Any constant works; it only has to be the same for every process migrating this database.
MIGRATION_LOCK_ID = 7_243_001


def database_url() -> str:
    url = context.config.attributes.get("database_url") or os.environ.get("MEMORY_DATABASE_URL")
    if not url:
        raise SystemExit(
            "MEMORY_DATABASE_URL is not set (or run `memory-service migrate`, which can use the embedded database)"
        )
    return sqlalchemy_url(str(url))


def run_migrations_online() -> None:
    engine = create_engine(database_url(), future=True)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
        try:
            context.configure(connection=connection, transactional_ddl=True)
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline SQL generation is not supported; run against a database")
run_migrations_online()
