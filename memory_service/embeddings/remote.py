"""Embeddings from an OpenAI or Azure OpenAI endpoint, through the shared openai client factory."""

from __future__ import annotations

import base64
import json
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
            # The raw response, parsed here: the client's own models validate every float of a float-list answer
            # one by one (about 2 ms per 384-dimension vector, more than a fast endpoint takes to compute it).
            raw = await self._client.embeddings.with_raw_response.create(
                model=self._settings.model, input=texts, encoding_format="base64", **extra
            )
            vectors = decode_embeddings(raw.http_response.content, len(texts))
        except Exception as exc:
            retry = 1.0 if is_transient(exc) else 30.0
            raise Unavailable(
                f"the embedding endpoint failed ({type(exc).__name__})",
                retry_after=retry,
                reason="EMBEDDER_UNAVAILABLE",
            ) from exc
        return vectors

    async def aclose(self) -> None:
        await self._client.close()


def decode_embeddings(body: bytes, count: int) -> list[Vector]:
    """The vectors of an embeddings response in input order: base64 float32 (OpenAI, Azure) or float lists.

    Endpoints that ignore encoding_format (several OpenAI-compatible servers) answer with float lists.
    """
    items = json.loads(body)["data"]
    if len(items) != count:
        raise ValueError(f"{len(items)} embeddings for {count} texts")
    vectors: list[Vector] = [np.empty(0, dtype=np.float32)] * count
    for item in items:
        embedding = item["embedding"]
        if isinstance(embedding, str):
            vector = np.frombuffer(base64.b64decode(embedding), dtype="<f4").astype(np.float32)
        else:
            vector = np.asarray(embedding, dtype=np.float32)
        vectors[int(item["index"])] = vector
    return vectors
