"""Runs an exported model on ONNX Runtime: fast tokenizer → transformer → mean or CLS pooling → L2 norm.

Imports neither torch nor sentence-transformers, so a start from a warm cache stays light.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tokenizers import Tokenizer

from memory_service.domain import Vector
from memory_service.embeddings.onnx_cache import MODEL_FILE, TOKENIZER_FILE, CorruptCache, Manifest

# Texts run in chunks of this many, longest first, as sentence-transformers' encode does, so one long text
# does not pad a large batch to its length.
CHUNK_SIZE = 32
# A load is trusted when the probe text comes out this close (cosine distance) to the vector the export kept.
PROBE_TOLERANCE = 1e-4


def available_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cosine_distance(a: NDArray[np.float32], b: NDArray[np.float32]) -> float:
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    return float(1.0 - a64 @ b64 / (np.linalg.norm(a64) * np.linalg.norm(b64)))


class OnnxEncoder:
    """One InferenceSession and its tokenizer. encode() blocks: call it from the embedding thread."""

    def __init__(self, folder: Path, manifest: Manifest, *, threads: int = 0) -> None:
        import onnxruntime as ort

        self.folder = folder
        self.manifest = manifest
        self._tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        options = ort.SessionOptions()
        # Parallelism lives inside each operator; calls come one at a time from the embedding thread.
        options.intra_op_num_threads = threads or available_cores()
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: the cores are shared with the event loop, the gRPC poller
        # and often PostgreSQL, and spinning threads took their CPU (2 threads: 8 ms of CPU per text instead of 5
        # on a busy 2-core machine, half the throughput; benchmarks/mem0_comparison.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only: its own log lines bypass the service's logging
        self._session: Any = ort.InferenceSession(
            str(folder / MODEL_FILE), sess_options=options, providers=["CPUExecutionProvider"]
        )
        graph_inputs = {item.name for item in self._session.get_inputs()}
        if "input_ids" not in graph_inputs or not graph_inputs <= set(manifest.input_names):
            raise CorruptCache(f"graph inputs {sorted(graph_inputs)}, manifest {list(manifest.input_names)}")
        self._input_names = [name for name in manifest.input_names if name in graph_inputs]

    @classmethod
    def load(cls, folder: Path, *, threads: int = 0) -> OnnxEncoder:
        """Loads a cache folder and checks it end to end on the probe text; CorruptCache when anything is off."""
        manifest = Manifest.read(folder)
        try:
            encoder = cls(folder, manifest, threads=threads)
            [vector] = encoder.encode([manifest.probe_text])
        except CorruptCache:
            raise
        except Exception as exc:  # ONNX Runtime and tokenizers raise their own types for damaged files
            raise CorruptCache(f"cannot load ({type(exc).__name__}: {exc})") from exc
        expected = np.asarray(manifest.probe_vector, dtype=np.float32)
        distance = cosine_distance(vector, expected)
        if not distance <= PROBE_TOLERANCE:  # NaN fails too
            raise CorruptCache(f"the probe text embeds {distance:.2e} away from the exported vector")
        return encoder

    def encode(self, texts: list[str]) -> list[Vector]:
        """L2-normalised float32 vectors, one per text, in order."""
        vectors: list[Vector] = [np.empty(0, dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for start in range(0, len(order), CHUNK_SIZE):
            chunk = order[start : start + CHUNK_SIZE]
            for index, vector in zip(chunk, self._encode_chunk([texts[i] for i in chunk]), strict=True):
                vectors[index] = vector
        return vectors

    def _encode_chunk(self, texts: list[str]) -> NDArray[np.float32]:
        # The saved tokenizer truncates to max_seq_length and pads to the longest text of the chunk.
        encodings = self._tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        }
        [tokens] = self._session.run(None, {name: feeds[name] for name in self._input_names})
        return self._pool(np.asarray(tokens, dtype=np.float32), feeds["attention_mask"])

    def _pool(self, tokens: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        if self.manifest.pooling == "cls":
            # sentence-transformers takes the first attended position (position 0 with right padding).
            pooled = tokens[np.arange(len(tokens)), mask.argmax(axis=1)]
        else:
            weights = mask[:, :, None].astype(np.float32)
            counts = np.clip(weights.sum(axis=1), 1e-9, None)
            pooled = (tokens * weights).sum(axis=1) / counts
        # Stored vectors are always unit length (the torch path asks for normalize_embeddings=True too).
        norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(pooled / norms, dtype=np.float32)
