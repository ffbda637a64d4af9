"""What a failed extraction attempt means: fail now, wait for a dependency, or try again.

PERMANENT    the request can never succeed (the LLM refused it: bad key, unknown
             model): the task fails at once with the reason kept.
UNAVAILABLE  a dependency is down or busy (LLM, database, embedder): retried with
             backoff, honouring Retry-After, until the task's time budget is spent;
             such attempts are not charged against max_attempts, so an Ollama
             restart or a rate-limit burst loses no turn.
BAD_ATTEMPT  this attempt went wrong (an unusable LLM answer, a concurrent edit
             that kept winning, a bug): retried, charged against max_attempts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from memory_service.errors import Conflict, MemoryServiceError, Unavailable
from memory_service.llm.chat import LlmError, LlmFailure


class FailureKind(StrEnum):
    PERMANENT = "permanent"
    UNAVAILABLE = "unavailable"
    BAD_ATTEMPT = "bad_attempt"


class PlanKeptGoingStale(Exception):
    """The facts a plan was made from kept changing under it (manual edits won every time)."""


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    reason: str  # stable code stored with the task (ExtractionTask.error_reason)
    message: str  # safe to store and show: no credentials, no user text
    retry_after: float | None = None


_LLM_KINDS = {
    LlmFailure.REJECTED: (FailureKind.PERMANENT, "LLM_REJECTED"),
    LlmFailure.UNAVAILABLE: (FailureKind.UNAVAILABLE, "LLM_UNAVAILABLE"),
    LlmFailure.BAD_ANSWER: (FailureKind.BAD_ATTEMPT, "LLM_BAD_ANSWER"),
}


def classify_failure(exc: BaseException) -> Failure:
    if isinstance(exc, LlmError):
        kind, reason = _LLM_KINDS[exc.failure]
        return Failure(kind, reason, str(exc), exc.retry_after)
    if isinstance(exc, Unavailable):
        return Failure(FailureKind.UNAVAILABLE, exc.reason, exc.message, exc.retry_after)
    if isinstance(exc, Conflict) and exc.reason == "TRANSACTION_CONFLICT":
        # A deadlock or serialization failure says nothing about the turn: retry soon, uncharged.
        return Failure(FailureKind.UNAVAILABLE, exc.reason, exc.message, 0.2)
    if isinstance(exc, PlanKeptGoingStale):
        return Failure(FailureKind.BAD_ATTEMPT, "CONCURRENT_EDIT", str(exc))
    if isinstance(exc, MemoryServiceError):
        return Failure(FailureKind.BAD_ATTEMPT, exc.reason, exc.message)
    return Failure(FailureKind.BAD_ATTEMPT, "INTERNAL", f"internal error ({type(exc).__name__})")
