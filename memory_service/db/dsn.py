"""Database URL forms: asyncpg takes postgresql://, SQLAlchemy (Alembic) needs its driver named."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit


def sqlalchemy_url(dsn: str) -> str:
    """postgresql://... (or postgres://) as SQLAlchemy's psycopg URL, keeping host, socket and options."""
    parts = urlsplit(dsn)
    if parts.scheme not in ("postgresql", "postgres", "postgresql+psycopg"):
        raise ValueError(f"not a PostgreSQL URL: scheme {parts.scheme!r}")
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


def redact(dsn: str) -> str:
    """The URL without its password, for logs."""
    parts = urlsplit(dsn)
    if not parts.password:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def with_database(dsn: str, database: str) -> str:
    """The same server, another database (tests clone a template per test)."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))
