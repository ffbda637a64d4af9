"""What a PostgreSQL error means for a caller: every class gets a deliberate status, none leaks its SQL.

    connection lost, server shutting down or starting  → Unavailable (DATABASE_UNAVAILABLE)
    read-only transaction (a failover in progress)      → Unavailable (DATABASE_READ_ONLY)
    deadlock, serialization failure, lock not available → Conflict (TRANSACTION_CONFLICT): retry
    query canceled (statement timeout, the deadline)    → DeadlineExceeded
    out of resources (connections, memory, disk)        → Unavailable (DATABASE_BUSY)
    data exception (class 22), value too big (54)       → InvalidArgument: input validation missed it
    integrity violation (23) other than unique keys     → Conflict: something changed concurrently
Unique violations pass through untranslated: the use cases catch them to mean "already there".
Anything else is a bug and becomes INTERNAL, logged with its request id.
"""

from __future__ import annotations

import asyncpg

from memory_service.errors import Conflict, DeadlineExceeded, InvalidArgument, MemoryServiceError, Unavailable

# Errors that mean "the database cannot be reached right now", not "the query is wrong".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.ConnectionFailureError,
)
# What opening a connection can raise: unreachable, refused (too many connections, starting up), or bad login.
CONNECT_ERRORS: tuple[type[BaseException], ...] = (asyncpg.PostgresError, *CONNECTION_ERRORS)


def unavailable(exc: BaseException) -> Unavailable:
    return Unavailable(
        f"the database is unreachable ({type(exc).__name__})", retry_after=1.0, reason="DATABASE_UNAVAILABLE"
    )


def translate(exc: BaseException) -> MemoryServiceError | None:
    """The domain error a database error stands for; None for a bug (and for unique violations)."""
    if isinstance(exc, asyncpg.UniqueViolationError):
        return None
    if isinstance(exc, CONNECTION_ERRORS):
        return unavailable(exc)
    if isinstance(exc, asyncpg.ReadOnlySQLTransactionError):
        return Unavailable(
            "the database is read-only (a failover in progress?); retry shortly",
            retry_after=2.0,
            reason="DATABASE_READ_ONLY",
        )
    if isinstance(exc, asyncpg.TransactionRollbackError | asyncpg.LockNotAvailableError):
        return Conflict("a concurrent change won; retry", reason="TRANSACTION_CONFLICT")
    if isinstance(exc, asyncpg.QueryCanceledError):
        return DeadlineExceeded("the database did not answer within the call's deadline")
    if isinstance(exc, asyncpg.InsufficientResourcesError):
        return Unavailable(
            f"the database is out of resources ({type(exc).__name__})", retry_after=2.0, reason="DATABASE_BUSY"
        )
    if isinstance(exc, asyncpg.DataError | asyncpg.ProgramLimitExceededError):
        return InvalidArgument.field("request", f"a value cannot be stored ({type(exc).__name__})")
    if isinstance(exc, asyncpg.IntegrityConstraintViolationError):
        return Conflict("the data changed while the request was handled; retry", reason="CONCURRENT_UPDATE")
    return None


def as_domain_error(exc: BaseException) -> MemoryServiceError:
    """For opening connections: anything that stops a connection being made means the database is unavailable."""
    return translate(exc) or unavailable(exc)
