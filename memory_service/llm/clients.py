"""The only importer of openai: builds async clients for OpenAI-compatible and Azure endpoints."""

from __future__ import annotations

from typing import Any

import openai


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


def is_transient(exc: BaseException) -> bool:
    """Errors worth retrying soon: timeouts, connection failures, rate limits and 5xx."""
    if isinstance(exc, openai.APIConnectionError | openai.APITimeoutError | openai.RateLimitError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 409, 429)
    return False


def describe_error(exc: BaseException) -> str:
    """A short description of an LLM error, safe to store: no keys, no prompts, no user text."""
    if isinstance(exc, openai.APIStatusError):
        return f"LLM endpoint answered HTTP {exc.status_code} ({type(exc).__name__})"
    if isinstance(exc, openai.APITimeoutError):
        return "LLM request timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "LLM endpoint unreachable (connection failed)"
    return f"LLM request failed ({type(exc).__name__})"
