"""The local embedding backends side by side: sentence-transformers (torch) against ONNX Runtime.

    python benchmarks/embedding_backends.py [--queries 300] [--texts 1024]

One run, one machine: both backends embed the same texts through the same blocking encoders the service's
embedding thread calls, taking turns, so a shared machine's load falls on both alike. Prints JSON: one-query latency p50/p95/p99 (short utterances, one at a time), texts/s
for batches of 32 and 128 (best of three), the largest cosine distance between the two backends' vectors,
the one-off export time, and the time from process start to a first vector for each backend (ONNX from a warm
cache).
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import summarize_ms
from memory_service.config import DEFAULT_EMBEDDING_MODEL
from memory_service.domain import Vector
from memory_service.embeddings.local import load_model, resolve_model_path, sentence_transformers_encoder
from memory_service.embeddings.onnx_model import open_onnx_model
from memory_service.embeddings.onnx_runtime import available_cores, cosine_distance

Encoder = Callable[[list[str]], list[Vector]]

OPENERS = ["can you remind me", "what did I say about", "I need help with", "tell me again about", "how about"]
TOPICS = ["my sister's birthday", "the dentist on Tuesday", "dinner tonight", "my flight to Lisbon", "the dog's vet"]
ENDINGS = ["please", "again", "tomorrow", "", "if you remember"]
ROOT = Path(__file__).resolve().parents[1]


def utterances(count: int) -> list[str]:
    """Short, distinct voice-bot queries (6-12 tokens)."""
    combos = itertools.cycle(itertools.product(OPENERS, TOPICS, ENDINGS))
    return [f"{o} {t} {e} ({i})".replace("  ", " ") for i, (o, t, e) in zip(range(count), combos, strict=False)]


def facts(count: int) -> list[str]:
    """Fact-like sentences of mixed length, as extraction embeds them."""
    return [
        f"User {i} likes {'hiking, ' * (i % 5)}sushi and jazz, and visits {TOPICS[i % len(TOPICS)]} {i % 7} times a week."
        for i in range(count)
    ]


def one_query_latency(backends: dict[str, Encoder], queries: list[str], block: int = 25) -> dict[str, dict[str, Any]]:
    """The queries one at a time, the backends taking turns every `block` queries.

    Turns spread a shared machine's load over both; blocks rather than single queries keep one backend's
    worker threads, still spinning after its call, from slowing the other's next call.
    """
    samples: dict[str, list[float]] = {name: [] for name in backends}
    for encode in backends.values():
        encode(queries[:10])  # warm-up
    for start in range(0, len(queries), block):
        for name, encode in backends.items():
            for query in queries[start : start + block]:
                begin = time.perf_counter()
                encode([query])
                samples[name].append(time.perf_counter() - begin)
    return {name: summarize_ms(values) for name, values in samples.items()}


def throughput(backends: dict[str, Encoder], texts: list[str], batch: int) -> dict[str, float]:
    """Texts/s through batches of `batch`: best of three passes, the backends' passes interleaved."""
    best = dict.fromkeys(backends, 0.0)
    for encode in backends.values():
        encode(texts[:batch])  # warm-up at this shape
    for _ in range(3):
        for name, encode in backends.items():
            begin = time.perf_counter()
            for start in range(0, len(texts), batch):
                encode(texts[start : start + batch])
            best[name] = max(best[name], len(texts) / (time.perf_counter() - begin))
    return {name: round(value, 1) for name, value in best.items()}


def start_up_seconds(backend: str, data_dir: Path) -> float:
    """Wall time of a fresh process that opens the local embedder (warm, as the service does) and embeds once."""
    program = (
        "import asyncio\n"
        "from memory_service.config import Settings\n"
        "from memory_service.embeddings.local import open_local_model\n"
        f"s = Settings.from_environ({{'MEMORY_DATA_DIR': {str(data_dir)!r}, 'MEMORY_EMBEDDING_BACKEND': {backend!r}}})\n"
        "async def main():\n"
        "    async with open_local_model(s.embedding, cache_dir=s.model_cache_dir) as local:\n"
        "        assert local.runtime == s.embedding.backend, local.runtime\n"
        "        await local.encode(['hello'])\n"
        "asyncio.run(main())\n"
    )
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", program], cwd=ROOT, check=True, capture_output=True, timeout=300)
    return round(time.perf_counter() - begin, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--queries", type=int, default=300, help="one-query latency samples per backend")
    parser.add_argument("--texts", type=int, default=1024, help="texts per throughput pass")
    args = parser.parse_args()

    model = load_model(DEFAULT_EMBEDDING_MODEL, "cpu")
    backends: dict[str, Encoder] = {"torch": sentence_transformers_encoder(model)}
    with tempfile.TemporaryDirectory(prefix="vbm-bench-") as data_dir:
        cache_root = Path(data_dir) / "models" / "onnx"
        began = time.perf_counter()
        onnx = open_onnx_model(
            DEFAULT_EMBEDDING_MODEL, resolve_model_path(DEFAULT_EMBEDDING_MODEL), cache_root, lambda: model
        )
        export_seconds = round(time.perf_counter() - began, 2)
        backends["onnx"] = onnx.encode

        queries, texts = utterances(args.queries), facts(args.texts)
        report: dict[str, Any] = {
            "benchmark": "embedding_backends",
            "model": DEFAULT_EMBEDDING_MODEL,
            "cpu": platform.processor() or platform.machine(),
            "cores": available_cores(),
            "onnx_export_seconds": export_seconds,
        }
        for name, latency in one_query_latency(backends, queries).items():
            report[name] = {"one_query": latency}
        for batch in (32, 128):
            for name, texts_per_s in throughput(backends, texts, batch).items():
                report[name][f"batch_{batch}_texts_per_s"] = texts_per_s
        report["onnx_to_torch"] = {
            "one_query_p50": round(report["onnx"]["one_query"]["p50_ms"] / report["torch"]["one_query"]["p50_ms"], 2),
            **{
                f"batch_{batch}_throughput": round(
                    report["onnx"][f"batch_{batch}_texts_per_s"] / report["torch"][f"batch_{batch}_texts_per_s"], 2
                )
                for batch in (32, 128)
            },
        }
        compared = [*queries, *texts]
        pairs = zip(backends["torch"](compared), backends["onnx"](compared), strict=True)
        report["max_cosine_distance"] = float(f"{max(cosine_distance(a, b) for a, b in pairs):.3g}")
        report["compared_texts"] = len(compared)
        report["start_up_seconds"] = {
            "torch": start_up_seconds("torch", Path(data_dir)),
            "onnx_warm_cache": start_up_seconds("onnx", Path(data_dir)),
        }
        report["versions"] = versions()
    print(json.dumps(report, indent=2))


def versions() -> dict[str, str]:
    import onnxruntime
    import sentence_transformers
    import torch

    return {
        "torch": torch.__version__,
        "sentence_transformers": sentence_transformers.__version__,
        "onnxruntime": onnxruntime.__version__,
        "numpy": np.__version__,
    }


if __name__ == "__main__":
    main()
