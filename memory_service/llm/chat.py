"""Chat completions that must answer with a JSON object, for fact extraction."""

from __future__ import annotations

import json
import logging
import time
from enum import StrEnum
from typing import Any

from memory_service.config import LlmSettings
from memory_service.llm.clients import EndpointErrorKind, classify, openai_client
from memory_service.observability import metrics

log = logging.getLogger(__name__)


class LlmFailure(StrEnum):
    REJECTED = "rejected"  # the endpoint refused the request (bad key, unknown model): retrying cannot help
    UNAVAILABLE = "unavailable"  # down, busy or slow: the same request may succeed later
    BAD_ANSWER = "bad_answer"  # it answered, but not with usable JSON: another try may do better


_FAILURE_OF = {
    EndpointErrorKind.REFUSED: LlmFailure.REJECTED,
    EndpointErrorKind.UNAVAILABLE: LlmFailure.UNAVAILABLE,
    EndpointErrorKind.GARBLED: LlmFailure.BAD_ANSWER,
}


class LlmError(Exception):
    """The LLM could not give a usable answer. The message is safe to store (no secrets, no user text)."""

    def __init__(self, message: str, *, failure: LlmFailure, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.failure = failure
        self.retry_after = retry_after

    @property
    def transient(self) -> bool:
        return self.failure is not LlmFailure.REJECTED


class JsonChat:
    """Sends a system and a user prompt and returns the answer parsed as a JSON object."""

    def __init__(self, settings: LlmSettings) -> None:
        self.settings = settings
        self._client: Any = openai_client(
            provider=settings.provider,
            base_url=settings.base_url,
            api_key=settings.api_key,
            api_version=settings.api_version,
            timeout=settings.timeout_seconds,
        )

    async def complete_json(self, messages: list[dict[str, str]], *, parse: Any) -> dict[str, Any]:
        """`parse` turns the raw text into a dict (Mem0's code-block and JSON-recovery logic)."""
        extra: dict[str, Any] = {"response_format": {"type": "json_object"}} if self.settings.json_mode else {}
        started = time.perf_counter()
        try:
            response = await self._client.chat.completions.create(
                model=self.settings.model,
                messages=messages,
                temperature=self.settings.temperature,
                **extra,
            )
        except Exception as exc:
            error = classify(exc)
            failure = _FAILURE_OF[error.kind]
            metrics.llm_duration.labels(failure.value).observe(time.perf_counter() - started)
            raise LlmError(error.description, failure=failure, retry_after=error.retry_after) from exc
        metrics.llm_duration.labels("ok").observe(time.perf_counter() - started)
        _count_tokens(response)
        try:
            content = response.choices[0].message.content or ""
        except (AttributeError, IndexError, TypeError) as exc:
            raise LlmError("LLM answer had no message content", failure=LlmFailure.BAD_ANSWER) from exc
        try:
            parsed = parse(content)
        except (json.JSONDecodeError, ValueError, TypeError) as exc:
            raise LlmError("LLM answer was not valid JSON", failure=LlmFailure.BAD_ANSWER) from exc
        if not isinstance(parsed, dict):
            raise LlmError("LLM answer was JSON but not an object", failure=LlmFailure.BAD_ANSWER)
        return parsed

    async def aclose(self) -> None:
        await self._client.close()


def _count_tokens(response: Any) -> None:
    usage = getattr(response, "usage", None)  # optional in the API: some servers leave it out
    for kind in ("prompt", "completion"):
        used = getattr(usage, f"{kind}_tokens", None)
        if isinstance(used, int) and used > 0:
            metrics.llm_tokens.labels(kind).inc(used)
