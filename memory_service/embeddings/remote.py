"""Embeddings from an OpenAI or Azure OpenAI endpoint, through the shared openai client factory."""

from __future__ import annotations

from typing import Any

import numpy as np

from memory_service.config import EmbeddingSettings
from memory_service.domain import Vector
from memory_service.errors import Unavailable
from memory_service.llm.clients import is_transient, openai_client


def remote_model_id(settings: EmbeddingSettings) -> str:
    suffix = f"@{settings.dimensions}" if settings.dimensions else ""
    return f"{settings.provider}:{settings.model}{suffix}"


class RemoteEmbeddings:
    """Calls the embeddings API; errors become Unavailable so callers see UNAVAILABLE, not INTERNAL."""

    def __init__(self, settings: EmbeddingSettings) -> None:
        self._settings = settings
        self._client: Any = openai_client(
            provider=settings.provider,
            base_url=settings.base_url,
            api_key=settings.api_key,
            api_version=settings.api_version,
            timeout=30.0,
        )

    async def encode(self, texts: list[str]) -> list[Vector]:
        extra: dict[str, Any] = {"dimensions": self._settings.dimensions} if self._settings.dimensions else {}
        try:
            response = await self._client.embeddings.create(model=self._settings.model, input=texts, **extra)
        except Exception as exc:
            retry = 1.0 if is_transient(exc) else 30.0
            raise Unavailable(
                f"the embedding endpoint failed ({type(exc).__name__})",
                retry_after=retry,
                reason="EMBEDDER_UNAVAILABLE",
            ) from exc
        ordered = sorted(response.data, key=lambda item: item.index)
        return [np.asarray(item.embedding, dtype=np.float32) for item in ordered]

    async def aclose(self) -> None:
        await self._client.close()
