"""Embeddings of every memory and question with the service's local model, cached on disk per data set."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from memory_service.config import DEFAULT_EMBEDDING_MODEL
from memory_service.embeddings.local import load_model


def embed_all(model: Any, texts: list[str], cache: Path) -> np.ndarray:
    """Unit vectors (float32) of texts, read from cache when it exists (its name carries the data set's hash)."""
    if cache.exists():
        vectors: np.ndarray = np.load(cache)
        if len(vectors) == len(texts):
            return vectors
    started = time.perf_counter()
    # Normalised like LocalModel.encode_blocking; larger batches only to go faster on CPU.
    vectors = model.encode(texts, batch_size=128, normalize_embeddings=True, convert_to_numpy=True).astype(np.float32)
    print(f"embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.save(cache, vectors)
    return vectors


def load_default_model() -> Any:
    """The packaged all-MiniLM-L6-v2 on CPU, loaded once and shared with the service under test."""
    return load_model(DEFAULT_EMBEDDING_MODEL, "cpu")
