"""Domain errors with stable reasons; they know nothing of gRPC.

    MemoryServiceError
    ├── InvalidArgument        a caller's input is wrong (field violations attached)
    ├── NotFound               a fact, task or agent does not exist for that caller
    ├── AlreadyExists          a request id reused with a different payload, a key taken
    ├── Conflict               a concurrent change won; retrying may succeed
    ├── FailedPrecondition     the request is valid but the state forbids it
    ├── OutOfRange             a cursor outside what is kept
    ├── ResourceExhausted      a limit is hit; retry after retry_after
    ├── Unavailable            the database, LLM or embedder cannot be reached
    ├── DeadlineExceeded       the caller's deadline ran out
    ├── Unauthenticated        no token, or one that is unknown or revoked
    ├── PermissionDenied       the caller's role or user does not reach this
    └── NotImplementedYet      a declared RPC whose issue has not landed

The one table from these to gRPC status codes is grpc_api/status_mapping.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field of a request, named by its path (e.g. "fact.importance")."""

    field: str
    description: str


class MemoryServiceError(Exception):
    """Base of every error a caller is meant to see; reason is stable and UPPER_SNAKE."""

    default_reason = "ERROR"

    def __init__(self, message: str, *, reason: str | None = None, metadata: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason or self.default_reason
        self.metadata: dict[str, str] = dict(metadata or {})


class InvalidArgument(MemoryServiceError):
    default_reason = "INVALID_ARGUMENT"

    def __init__(self, violations: Sequence[FieldViolation], *, reason: str | None = None) -> None:
        if not violations:
            raise ValueError("InvalidArgument needs at least one violation")
        message = "; ".join(f"{v.field}: {v.description}" for v in violations)
        super().__init__(message, reason=reason)
        self.violations = list(violations)

    @classmethod
    def field(cls, field: str, description: str, *, reason: str | None = None) -> InvalidArgument:
        return cls([FieldViolation(field, description)], reason=reason)


class NotFound(MemoryServiceError):
    default_reason = "NOT_FOUND"


class AlreadyExists(MemoryServiceError):
    default_reason = "ALREADY_EXISTS"


class Conflict(MemoryServiceError):
    default_reason = "CONFLICT"


class FailedPrecondition(MemoryServiceError):
    default_reason = "FAILED_PRECONDITION"


class OutOfRange(MemoryServiceError):
    default_reason = "OUT_OF_RANGE"


class ResourceExhausted(MemoryServiceError):
    default_reason = "RESOURCE_EXHAUSTED"

    def __init__(
        self, message: str, *, retry_after: float, reason: str | None = None, metadata: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after = retry_after


class Unavailable(MemoryServiceError):
    default_reason = "UNAVAILABLE"

    def __init__(
        self,
        message: str,
        *,
        retry_after: float = 1.0,
        reason: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, reason=reason, metadata=metadata)
        self.retry_after = retry_after


class DeadlineExceeded(MemoryServiceError):
    default_reason = "DEADLINE_EXCEEDED"


class Unauthenticated(MemoryServiceError):
    default_reason = "UNAUTHENTICATED"


class PermissionDenied(MemoryServiceError):
    default_reason = "PERMISSION_DENIED"


class NotImplementedYet(MemoryServiceError):
    default_reason = "NOT_IMPLEMENTED"
