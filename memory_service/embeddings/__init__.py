"""Text embeddings: a local model (ONNX Runtime or sentence-transformers) by default, OpenAI or Azure as options."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from memory_service.config import EmbeddingSettings
from memory_service.embeddings.base import Embedder, Priority
from memory_service.embeddings.batcher import BatchingEmbedder

__all__ = ["BatchingEmbedder", "Embedder", "Priority", "open_embedder"]


@contextlib.asynccontextmanager
async def open_embedder(
    settings: EmbeddingSettings, *, cache_dir: Path | None = None, preloaded_model: Any | None = None
) -> AsyncIterator[BatchingEmbedder]:
    """The configured embedder, loaded and warm, closed on exit.

    cache_dir: where local models exported to ONNX are kept (None: no ONNX). preloaded_model: a
    SentenceTransformer already in memory, used instead of loading one whenever torch is needed.
    """
    async with contextlib.AsyncExitStack() as stack:
        if settings.provider == "local":
            from memory_service.embeddings.local import open_local_model

            local = await stack.enter_async_context(open_local_model(settings, preloaded_model, cache_dir=cache_dir))
            encode, model_id = local.encode, local.model_id
        else:
            from memory_service.embeddings.remote import RemoteEmbeddings, remote_model_id

            remote = RemoteEmbeddings(settings)
            stack.push_async_callback(remote.aclose)
            encode, model_id = remote.encode, remote_model_id(settings)
        embedder = BatchingEmbedder(
            encode,
            model_id=model_id,
            max_batch=settings.max_batch,
            background_max_batch=settings.background_max_batch,
            cache_size=settings.cache_size,
        )
        stack.push_async_callback(embedder.aclose)
        yield embedder
