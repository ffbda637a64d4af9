"""The only importer of openai: builds async clients and tells which of its errors are worth retrying."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any

import openai

# HTTP statuses that say "not now" rather than "never": timeouts, conflicts, rate limits.
_RETRYABLE_STATUSES = frozenset({408, 409, 425, 429})


def openai_client(
    *, provider: str, base_url: str | None, api_key: str | None, api_version: str | None, timeout: float
) -> Any:
    """An AsyncOpenAI (or AsyncAzureOpenAI) client without its own retries: our queue retries."""
    if provider == "azure":
        return openai.AsyncAzureOpenAI(
            azure_endpoint=base_url or "",
            api_key=api_key,
            api_version=api_version,
            timeout=timeout,
            max_retries=0,
        )
    return openai.AsyncOpenAI(
        base_url=base_url,
        # Local servers (Ollama, vLLM) take any key; the client insists on one.
        api_key=api_key or "not-needed",
        timeout=timeout,
        max_retries=0,
    )


class EndpointErrorKind(StrEnum):
    REFUSED = "refused"  # the endpoint refused this request (bad key, unknown model): retrying cannot help
    UNAVAILABLE = "unavailable"  # down, busy or slow: the same request may succeed later
    GARBLED = "garbled"  # it answered, but not in the API's shape: another try may do better


@dataclass(frozen=True)
class EndpointError:
    """What an error of an OpenAI-compatible endpoint means for the caller."""

    description: str  # safe to store: no keys, no prompts, no user text
    kind: EndpointErrorKind
    retry_after: float | None  # seconds the endpoint asked us to wait (Retry-After)

    @property
    def transient(self) -> bool:
        return self.kind is not EndpointErrorKind.REFUSED


_HINTS = {401: " (check the API key)", 403: " (check the API key)", 404: " (check the model and base URL)"}


def classify(exc: BaseException) -> EndpointError:
    """Unavailable: timeouts, refused connections, 408/409/425/429 and 5xx. Refused: any other HTTP
    error status (400 bad request, 401/403 bad key, 404 unknown model or path, 422). Garbled: an
    answer the client could not read."""
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status >= 500 or status in _RETRYABLE_STATUSES:
            kind, retry_after = EndpointErrorKind.UNAVAILABLE, _retry_after(exc.response.headers)
        else:
            kind, retry_after = EndpointErrorKind.REFUSED, None
        description = f"LLM endpoint answered HTTP {status} ({type(exc).__name__}){_HINTS.get(status, '')}"
        return EndpointError(description, kind, retry_after)
    if isinstance(exc, openai.APITimeoutError):
        return EndpointError("LLM request timed out", EndpointErrorKind.UNAVAILABLE, None)
    if isinstance(exc, openai.APIConnectionError):
        return EndpointError("LLM endpoint unreachable (connection failed)", EndpointErrorKind.UNAVAILABLE, None)
    return EndpointError(f"LLM answer could not be read ({type(exc).__name__})", EndpointErrorKind.GARBLED, None)


def is_transient(exc: BaseException) -> bool:
    return classify(exc).transient


def _retry_after(headers: Any) -> float | None:
    """Retry-After in seconds or as an HTTP date, or OpenAI's retry-after-ms."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
