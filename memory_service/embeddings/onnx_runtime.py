"""Runs an exported model on ONNX Runtime: fast tokenizer → transformer → mean or CLS pooling → L2 norm.

Imports neither torch nor sentence-transformers, so a start from a warm cache stays light.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from tokenizers import Encoding, Tokenizer

from memory_service.domain import Vector
from memory_service.embeddings.onnx_cache import MODEL_FILE, TOKENIZER_FILE, CorruptCache, Manifest

# The most texts one model call takes.
CHUNK_SIZE = 32
# A model call costs about CALL_OVERHEAD_TOKENS + texts x padded length, in tokens: a call for one short text
# costs what a dozen more tokens in a bigger call do (all-MiniLM-L6-v2, one thread: 4.8 ms for one 8-token text,
# 2.0 ms per text in calls of 16). Texts are grouped by length to minimise that sum: padding a batch of questions
# of 8 to 23 tokens to its longest wasted about a third of the model's time.
CALL_OVERHEAD_TOKENS = 12
# A model call whose attention scores alone (texts x heads x tokens^2 floats) pass about 24 MiB at 12 heads hands
# its working memory back when it ends. ONNX Runtime's arena otherwise keeps the peak of the largest call for
# the life of the process: 32 texts of 256 tokens (hostile 20 kB strings) grew the server from 200 to 570 MiB
# for good. Calls below it (questions, extraction batches) keep the arena warm and pay nothing.
SHRINK_AFTER_TEXTS_X_TOKENS_SQUARED = 1 << 19
# Tokenizing keeps about 140 bytes per character of input until the call ends (offsets, alignments): 32 hostile
# 20 kB texts took 90 MiB of C heap that glibc kept. Calls over this many characters trim the heap afterwards.
TRIM_AFTER_CHARACTERS = 1 << 16
# A load is trusted when the probe text comes out this close (cosine distance) to the vector the export kept.
PROBE_TOLERANCE = 1e-4


def available_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_threads() -> int:
    """All cores but one: the event loop, the gRPC poller and often PostgreSQL need one while the model runs.

    On two cores a second model thread bought no throughput under load (the other work had to share its
    core), and it doubles what the embedding thread can take from calls waiting on the loop.
    """
    return max(1, available_cores() - 1)


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
        # The saved tokenizer truncates to max_seq_length and pads a batch to its longest text; the padding is
        # done here instead, per group of texts of similar length, with the tokenizer's own pad values and side.
        padding = self._tokenizer.padding or {}
        self._pad_id = int(padding.get("pad_id", 0))
        self._pad_type_id = int(padding.get("pad_type_id", 0))
        self._pad_left = str(padding.get("direction", "right")).lower() == "left"
        self._tokenizer.no_padding()
        options = ort.SessionOptions()
        # Parallelism lives inside each operator; calls come one at a time from the embedding thread.
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        # Idle pool threads sleep instead of spinning: the cores are shared with the event loop, the gRPC poller
        # and often PostgreSQL, and spinning threads took their CPU (2 threads: 8 ms of CPU per text instead of 5
        # on a busy 2-core machine, half the throughput; benchmarks/mem0_comparison.py).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        # Memory patterns plan buffers per input shape, and every (texts, tokens) shape is new: with them the
        # process grew by hundreds of MiB under varied input (403 MiB against 293 after 200 mixed batches, the
        # same 5 ms per query without).
        options.enable_mem_pattern = False
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
        self._shrink = ort.RunOptions()
        self._shrink.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")

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
        vectors, heavy = self._encode(texts)
        if heavy or sum(map(len, texts)) >= TRIM_AFTER_CHARACTERS:
            release_free_heap()  # after _encode returned: its token encodings are freed by then
        return vectors

    def _encode(self, texts: list[str]) -> tuple[list[Vector], bool]:
        encodings = self._tokenizer.encode_batch(texts)
        vectors: list[Vector] = [np.empty(0, dtype=np.float32)] * len(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        heavy = False
        for chunk in length_groups([len(encodings[i].ids) for i in order]):
            members = order[chunk]
            chunk_vectors, chunk_heavy = self._encode_chunk([encodings[i] for i in members])
            heavy = heavy or chunk_heavy
            for index, vector in zip(members, chunk_vectors, strict=True):
                vectors[index] = vector
        return vectors, heavy

    def _encode_chunk(self, encodings: list[Encoding]) -> tuple[NDArray[np.float32], bool]:
        """The chunk's vectors, and whether it was big enough to hand its working memory back."""
        longest = max(len(e.ids) for e in encodings)
        shape = (len(encodings), longest)
        feeds = {
            "input_ids": np.full(shape, self._pad_id, dtype=np.int64),
            "token_type_ids": np.full(shape, self._pad_type_id, dtype=np.int64),
            "attention_mask": np.zeros(shape, dtype=np.int64),
        }
        for row, encoding in enumerate(encodings):
            length = len(encoding.ids)
            where = slice(longest - length, longest) if self._pad_left else slice(0, length)
            feeds["input_ids"][row, where] = encoding.ids
            feeds["token_type_ids"][row, where] = encoding.type_ids
            feeds["attention_mask"][row, where] = 1
        inputs = {name: feeds[name] for name in self._input_names}
        heavy = len(encodings) * longest * longest >= SHRINK_AFTER_TEXTS_X_TOKENS_SQUARED
        [tokens] = self._session.run(None, inputs, self._shrink if heavy else None)
        return self._pool(np.asarray(tokens, dtype=np.float32), feeds["attention_mask"]), heavy

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


@cache
def _malloc_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        return None


def release_free_heap() -> None:
    """Returns the C heap's free pages to the system.

    The arena's shrink frees its blocks, but glibc raises its mmap threshold as big blocks are freed and then
    serves them from the heap, which it does not shrink on its own: without the trim, half the peak stayed
    resident (296 MiB against 191).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def length_groups(lengths: list[int]) -> list[slice]:
    """Splits texts sorted by token count into model calls of at most CHUNK_SIZE, minimising the estimated cost.

    A call costs CALL_OVERHEAD_TOKENS + its texts x its longest text; dynamic programming over the sorted
    lengths (a call always takes neighbours) finds the cheapest split.
    """
    count = len(lengths)
    best = [0] * (count + 1)  # best[j]: the cost of the first j texts
    cut = [0] * (count + 1)  # where the last call of that best split starts
    for end in range(1, count + 1):
        longest = lengths[end - 1]
        best[end], cut[end] = min(
            (best[start] + CALL_OVERHEAD_TOKENS + (end - start) * longest, start)
            for start in range(max(0, end - CHUNK_SIZE), end)
        )
    groups: list[slice] = []
    end = count
    while end > 0:
        groups.append(slice(cut[end], end))
        end = cut[end]
    return groups[::-1]
