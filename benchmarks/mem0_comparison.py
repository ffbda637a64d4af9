"""GetContext against Mem0's Memory.search on the same memories, one caller at a time and 32 at once.

    python benchmarks/mem0_comparison.py [--users 50] [--memories-per-user 480] [--latency-calls 600]
                                         [--concurrency 32] [--seconds 10] [--rounds 3]

One run, one machine, one PostgreSQL (the embedded pgserver, or MEMORY_DATABASE_URL's server), two databases:

* ours: `memory-service serve` in its own process (as in production), called through gRPC by this process, the
  way a voice bot calls it. The embedding cache is off (MEMORY_EMBEDDING_CACHE_SIZE=0), so every call embeds.
* Mem0 2.2.1: `Memory` in this process with its pgvector store (its defaults: HNSW index, a pool of 5
  connections) through psycopg 3, its huggingface embedder on the same packaged all-MiniLM-L6-v2 (``--mem0-embedder
  onnx`` gives it our ONNX encoder instead), no LLM, telemetry off. Mem0 without spaCy (not a mem0ai dependency)
  skips its entity boosts and lemmatisation, as an install without the `nlp` extra does.

The data: benchmarks/retrieval's conversational set (generated when missing). Each user's memories are topped up
to --memories-per-user with whole sessions of the next user's, relabelled; both stores get the same memories and
vectors (loaded directly: ours with COPY into facts, Mem0's as `Memory.add(infer=False)` would store them). Queries
are the users' questions.

Phases, each alternating between the systems so a shared machine's load falls on both alike:
1. one caller: the questions in blocks of 25, ours then Mem0's (top 10 each); p50/p95/p99.
2. --concurrency callers for --seconds, --rounds times each: ours (asyncio callers on one channel, each call with
   --deadline), Mem0 (that many threads), and the ceiling: the ONNX encoder alone, in this process, with the
   server's thread count, the best of batches of 8, 16 and 32 (and, for context, with every core). Ratios are
   taken within a round, then their median; CPU per call (server, PostgreSQL, this process) is reported since
   it does not depend on what else the machine runs. The server's batch sizes come from its log.
Prints JSON, goals included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ["MEM0_TELEMETRY"] = "False"  # before mem0 is imported anywhere

import asyncpg
import grpc
import numpy as np
import psutil
import psycopg
from pgvector.asyncpg import register_vector
from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import ServerProcess, running_server_process, summarize_ms
from benchmarks.retrieval import dataset
from benchmarks.retrieval.embed import embed_all
from memory_service.config import DEFAULT_EMBEDDING_MODEL, embedding_settings_from
from memory_service.db.dsn import with_database
from memory_service.db.migrate import migrate
from memory_service.embeddings.local import load_model, resolve_model_path
from memory_service.embeddings.onnx_model import open_onnx_model
from memory_service.embeddings.onnx_runtime import OnnxEncoder, available_cores, default_threads
from memory_service.extraction.mem0_logic import disable_mem0_phone_home
from tests.support.database import postgres_server

ROOT = Path(__file__).resolve().parents[1]
MODEL_DIR = ROOT / ".bench-model"  # the server's data dir: keeps its ONNX export between runs (gitignored)
TOP_K = 10
BLOCK = 25
# No cache, so every call embeds; INFO for the embedder's batch reports.
SERVER_ENV = {"MEMORY_EMBEDDING_CACHE_SIZE": "0", "MEMORY_LOG_LEVEL": "INFO"}
CEILING_BATCHES = (8, 16, 32)
CEILING_SECONDS = 2.0


# --- data -------------------------------------------------------------------------------------------------------


def load_data(users: int, per_user: int) -> tuple[list[dict[str, Any]], np.ndarray, list[dict[str, Any]]]:
    """(memories, their vectors, questions) for `users` users of `per_user` memories each."""
    path = dataset.DEFAULT_PATH
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(dataset.generate(50, 7), indent=1))
    raw = path.read_bytes()
    data = json.loads(raw)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    texts = [m["text"] for m in data["memories"]] + [q["text"] for q in data["questions"]]
    cache = path.parent / f"embeddings-{digest}.npy"
    vectors = embed_all(None if cache.exists() else load_model(DEFAULT_EMBEDDING_MODEL, "cpu"), texts, cache)
    memory_vectors = vectors[: len(data["memories"])]

    by_user: dict[str, list[int]] = {}
    for index, memory in enumerate(data["memories"]):
        by_user.setdefault(memory["user_id"], []).append(index)
    user_ids = sorted(by_user)
    chosen = user_ids[:users]
    memories: list[dict[str, Any]] = []
    rows: list[int] = []
    for user in chosen:
        own = list(by_user[user])
        donor = user_ids[(user_ids.index(user) + 1) % len(user_ids)]
        # Top up with the donor's sessions, whole and in order, relabelled as this user's.
        extra = by_user[donor][: max(0, per_user - len(own))]
        for index in own[:per_user] + extra:
            memory = dict(data["memories"][index])
            if memory["user_id"] != user:
                memory["session_id"] = f"{user}:from-{memory['session_id']}"
                memory["id"] = f"{user}:from-{memory['id']}"
                memory["user_id"] = user
            memories.append(memory)
            rows.append(index)
    questions = [q for q in data["questions"] if q["user_id"] in set(chosen)]
    return memories, memory_vectors[rows], questions


async def load_ours(dsn: str, memories: list[dict[str, Any]], vectors: np.ndarray) -> None:
    """The memories as current global facts, said and stored at occurred_at (what verbatim extraction stores)."""
    await migrate(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await register_vector(conn)
        users = sorted({m["user_id"] for m in memories})
        await conn.copy_records_to_table("users", records=[(u,) for u in users], columns=["user_id"])
        records = []
        for memory, vector in zip(memories, vectors, strict=True):
            said = datetime.fromisoformat(memory["occurred_at"])
            records.append(
                (memory["user_id"], "", "", "", memory["text"], 0.5, "extracted", vector, DEFAULT_EMBEDDING_MODEL,
                 said, said, said, memory["session_id"])
            )  # fmt: skip
        columns = [
            "user_id", "agent_id", "fact_key", "fact_value", "text", "importance", "source", "embedding", "embedding_model",
            "valid_from", "created_at", "updated_at", "session_id",
        ]  # fmt: skip
        await conn.copy_records_to_table("facts", records=records, columns=columns)
        await conn.execute("ANALYZE facts")
    finally:
        await conn.close()


# --- Mem0 -------------------------------------------------------------------------------------------------------


class OnnxMem0Embedder:
    """Mem0's embedder interface over our ONNX encoder (--mem0-embedder onnx)."""

    def __init__(self, encoder: OnnxEncoder) -> None:
        self._encoder = encoder

    def embed(self, text: str, memory_action: str | None = None) -> list[float]:
        return [float(x) for x in self._encoder.encode([text])[0]]

    def embed_batch(self, texts: list[str], memory_action: str = "add") -> list[list[float]]:
        return [[float(x) for x in v] for v in self._encoder.encode(texts)]


def open_mem0(dsn: str, scratch: Path, embedder: OnnxEncoder | None) -> Any:
    disable_mem0_phone_home(scratch / "mem0")
    from mem0 import Memory

    config = {
        "vector_store": {
            "provider": "pgvector",
            "config": {"connection_string": dsn, "collection_name": "memories", "embedding_model_dims": 384},
        },
        "embedder": {
            "provider": "huggingface",
            "config": {"model": resolve_model_path(DEFAULT_EMBEDDING_MODEL), "embedding_dims": 384},
        },
        # Never called (infer=False, search only); Mem0 wants one configured.
        "llm": {"provider": "openai", "config": {"model": "unused", "api_key": "sk-unused"}},
        "history_db_path": str(scratch / "mem0-history.db"),
    }
    memory = Memory.from_config(config)
    if embedder is not None:
        memory.embedding_model = OnnxMem0Embedder(embedder)
    return memory


def load_mem0(memory: Any, memories: list[dict[str, Any]], vectors: np.ndarray) -> None:
    """What Memory.add(messages, user_id=..., infer=False) stores per message, inserted in batches."""
    batch: list[tuple[str, list[float], dict[str, Any]]] = []

    def flush() -> None:
        memory.vector_store.insert(
            vectors=[b[1] for b in batch], payloads=[b[2] for b in batch], ids=[b[0] for b in batch]
        )
        batch.clear()

    for item, vector in zip(memories, vectors, strict=True):
        payload = {
            "user_id": item["user_id"],
            "role": item["role"],
            "data": item["text"],
            "hash": hashlib.md5(item["text"].encode()).hexdigest(),
            "created_at": item["occurred_at"],
            "updated_at": item["occurred_at"],
            "text_lemmatized": item["text"],  # lemmatize_for_bm25 without spaCy
        }
        batch.append((str(uuid.uuid4()), [float(x) for x in vector], payload))
        if len(batch) >= 500:
            flush()
    if batch:
        flush()
    with memory.vector_store._get_cursor(commit=True) as cur:
        cur.execute("ANALYZE memories")


def mem0_search(memory: Any, user_id: str, query: str) -> int:
    return len(memory.search(query, filters={"user_id": user_id}, top_k=TOP_K)["results"])


# --- CPU accounting ------------------------------------------------------------------------------------------------


class CpuMeter:
    """CPU seconds used by the server process, PostgreSQL (every backend) and this process, between two reads.

    On a machine shared with other work, throughput follows what the others leave; CPU per call does not.
    """

    def __init__(self, server_pid: int, postmaster_pid: int) -> None:
        self._server = psutil.Process(server_pid)
        self._postmaster = psutil.Process(postmaster_pid)

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        try:
            t = process.cpu_times()
        except psutil.NoSuchProcess:
            return 0.0
        return float(t.user + t.system + t.children_user + t.children_system)

    def read(self) -> dict[str, float]:
        postgres = self._cpu(self._postmaster) + sum(self._cpu(c) for c in self._postmaster.children(recursive=True))
        return {"server": self._cpu(self._server), "postgres": postgres, "this_process": time.process_time()}

    @staticmethod
    def per_call_ms(before: dict[str, float], after: dict[str, float], calls: int) -> dict[str, float]:
        used = {name: round((after[name] - before[name]) / max(calls, 1) * 1000, 2) for name in before}
        return {**used, "total": round(sum(used.values()), 2)}


def postmaster_pid(admin_dsn: str) -> int:
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        row = conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'").fetchone()
    assert row is not None
    return int(psutil.Process(int(row[0])).ppid())


# --- phases -----------------------------------------------------------------------------------------------------


async def ours_one(server: ServerProcess, user_id: str, query: str) -> int:
    answer = await server.stub.GetContext(pb.GetContextRequest(user_id=user_id, query=query, limit=TOP_K), timeout=5)
    return len(answer.facts)


async def one_caller(server: ServerProcess, memory: Any, questions: list[dict[str, Any]]) -> dict[str, Any]:
    samples: dict[str, list[float]] = {"ours": [], "mem0": []}
    found: dict[str, list[int]] = {"ours": [], "mem0": []}
    for q in questions[:10]:  # warm-up
        await ours_one(server, q["user_id"], q["text"] + " (warm-up)")
        mem0_search(memory, q["user_id"], q["text"] + " (warm-up)")
    for start in range(0, len(questions), BLOCK):
        block = questions[start : start + BLOCK]
        for q in block:
            begin = time.perf_counter()
            found["ours"].append(await ours_one(server, q["user_id"], q["text"]))
            samples["ours"].append(time.perf_counter() - begin)
        for q in block:
            begin = time.perf_counter()
            found["mem0"].append(mem0_search(memory, q["user_id"], q["text"]))
            samples["mem0"].append(time.perf_counter() - begin)
    ours, mem0 = summarize_ms(samples["ours"]), summarize_ms(samples["mem0"])
    ratio_p50 = round(ours["p50_ms"] / mem0["p50_ms"], 3)
    ratio_p99 = round(ours["p99_ms"] / mem0["p99_ms"], 3)
    return {
        "ours_get_context_grpc": {**ours, "mean_results": round(statistics.fmean(found["ours"]), 2)},
        "mem0_search_in_process": {**mem0, "mean_results": round(statistics.fmean(found["mem0"]), 2)},
        "ours_to_mem0_p50": ratio_p50,
        "ours_to_mem0_p99": ratio_p99,
        "goal_p50_and_p99_at_most_half_of_mem0": ratio_p50 <= 0.5 and ratio_p99 <= 0.5,
    }


def query_cycle(questions: list[dict[str, Any]]) -> Iterator[tuple[str, str]]:
    return itertools.cycle([(q["user_id"], q["text"]) for q in questions])


def load_summary(latencies: list[float], calls: int, seconds: float, errors: Counter[str]) -> dict[str, Any]:
    summary = summarize_ms(latencies) if latencies else {}
    return {
        "calls_per_s": round(calls / seconds, 1),
        "latency": summary,
        "p99_over_p50": round(summary["p99_ms"] / summary["p50_ms"], 2) if summary else None,
        "errors": dict(errors),
    }


async def ours_load(
    server: ServerProcess, queries: Iterator[tuple[str, str]], concurrency: int, seconds: float, deadline: float
) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    stop_at = time.perf_counter() + seconds

    async def caller() -> None:
        while time.perf_counter() < stop_at:
            user_id, query = next(queries)
            begin = time.perf_counter()
            try:
                await server.stub.GetContext(
                    pb.GetContextRequest(user_id=user_id, query=query, limit=TOP_K), timeout=deadline
                )
                latencies.append(time.perf_counter() - begin)
            except grpc.aio.AioRpcError as exc:
                errors[exc.code().name] += 1

    begin = time.perf_counter()
    await asyncio.gather(*(caller() for _ in range(concurrency)))
    return load_summary(latencies, len(latencies), time.perf_counter() - begin, errors)


def mem0_load(memory: Any, queries: Iterator[tuple[str, str]], concurrency: int, seconds: float) -> dict[str, Any]:
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + seconds

    def caller() -> None:
        while time.perf_counter() < stop_at:
            with lock:
                user_id, query = next(queries)
            begin = time.perf_counter()
            try:
                mem0_search(memory, user_id, query)
                took = time.perf_counter() - begin
                with lock:
                    latencies.append(took)
            except Exception as exc:
                with lock:
                    errors[type(exc).__name__] += 1

    begin = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        for future in [pool.submit(caller) for _ in range(concurrency)]:
            future.result()
    return load_summary(latencies, len(latencies), time.perf_counter() - begin, errors)


def embedding_ceiling(encode: Callable[[list[str]], Any], texts: list[str], batch: int, seconds: float) -> float:
    """Texts/s of the encoder alone in batches of `batch`, for `seconds`."""
    encode(texts[:batch])  # warm-up at this shape
    done = 0
    begin = time.perf_counter()
    for start in itertools.cycle(range(0, len(texts) - batch + 1, batch)):
        encode(texts[start : start + batch])
        done += batch
        if time.perf_counter() - begin >= seconds:
            break
    return done / (time.perf_counter() - begin)


def median_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The round with the median throughput, and every round's throughput."""
    ordered = sorted(rounds, key=lambda r: r["calls_per_s"])
    return {**ordered[len(ordered) // 2], "rounds_calls_per_s": [r["calls_per_s"] for r in rounds]}


# --- main -------------------------------------------------------------------------------------------------------


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--memories-per-user", type=int, default=480)
    parser.add_argument("--latency-calls", type=int, default=600, help="questions asked one at a time, per system")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=2.0, help="the callers' deadline under load, seconds")
    parser.add_argument("--mem0-embedder", choices=["huggingface", "onnx"], default="huggingface")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()

    memories, vectors, questions = load_data(args.users, args.memories_per_user)
    per_user = Counter(m["user_id"] for m in memories)
    server_env = {**SERVER_ENV, **{k: v for k, v in os.environ.items() if k.startswith("MEMORY_EMBEDDING_")}}
    embedding = embedding_settings_from(server_env)
    threads, max_batch = embedding.onnx_threads or default_threads(), embedding.max_batch
    report: dict[str, Any] = {
        "benchmark": "mem0_comparison",
        "cores": available_cores(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "data": {
            "users": len(per_user),
            "memories": len(memories),
            "memories_per_user": {"min": min(per_user.values()), "max": max(per_user.values())},
            "questions": len(questions),
        },
        "server_env": server_env,
        "mem0": {"version": "2.2.1", "embedder": args.mem0_embedder, "vector_store": "pgvector (HNSW, its default)"},
    }
    with postgres_server() as admin, tempfile.TemporaryDirectory(prefix="vbm-mem0-", dir="/tmp") as scratch:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in ("vbm_ours", "vbm_mem0"):
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {name}")
        ours_dsn, mem0_dsn = with_database(admin, "vbm_ours"), with_database(admin, "vbm_mem0")
        began = time.perf_counter()
        await load_ours(ours_dsn, memories, vectors)
        report["load_seconds_ours"] = round(time.perf_counter() - began, 1)

        MODEL_DIR.mkdir(exist_ok=True)
        async with running_server_process(data_dir=MODEL_DIR, MEMORY_DATABASE_URL=ours_dsn, **server_env) as server:
            encoder = await asyncio.to_thread(
                open_onnx_model,
                DEFAULT_EMBEDDING_MODEL,
                resolve_model_path(DEFAULT_EMBEDDING_MODEL),
                MODEL_DIR / "models" / "onnx",
                lambda: load_model(DEFAULT_EMBEDDING_MODEL, "cpu"),
                threads=threads,
            )
            memory = open_mem0(mem0_dsn, Path(scratch), encoder if args.mem0_embedder == "onnx" else None)
            began = time.perf_counter()
            load_mem0(memory, memories, vectors)
            report["load_seconds_mem0"] = round(time.perf_counter() - began, 1)
            report["server_rss_mib_after_start"] = server.rss_mib()

            if not args.skip_latency:
                report["one_caller"] = await one_caller(server, memory, questions[: args.latency_calls])

            if not args.skip_load:
                texts = [q["text"] for q in questions]
                all_cores = await asyncio.to_thread(OnnxEncoder.load, encoder.folder, threads=available_cores())
                meter = CpuMeter(server.pid, postmaster_pid(admin))
                rounds: list[dict[str, Any]] = []
                windows: list[tuple[datetime, datetime]] = []
                for _ in range(args.rounds):
                    this: dict[str, Any] = {}
                    before, started = meter.read(), datetime.now(UTC)
                    this["ours"] = await ours_load(
                        server, query_cycle(questions), args.concurrency, args.seconds, args.deadline
                    )
                    windows.append((started, datetime.now(UTC)))
                    this["ours"]["cpu_ms_per_call"] = meter.per_call_ms(before, meter.read(), calls(this["ours"]))
                    before = meter.read()
                    this["mem0"] = mem0_load(memory, query_cycle(questions), args.concurrency, args.seconds)
                    this["mem0"]["cpu_ms_per_call"] = meter.per_call_ms(before, meter.read(), calls(this["mem0"]))
                    this["ceiling"] = {
                        f"batch_{batch}": embedding_ceiling(encoder.encode, texts, batch, CEILING_SECONDS)
                        for batch in CEILING_BATCHES
                    }
                    this["ceiling_all_cores"] = embedding_ceiling(all_cores.encode, texts, max_batch, CEILING_SECONDS)
                    rounds.append(this)
                report["concurrent"] = concurrent_report(rounds, args, threads, max_batch)
            report["server_rss_mib_at_end"] = server.rss_mib()
            with contextlib.suppress(Exception):
                memory.vector_store.connection_pool.close()
        if not args.skip_load:
            report["concurrent"]["ours_embedding_batches"] = batches_within(server.log_records(), windows)
    print(json.dumps(report, indent=2))


def calls(result: dict[str, Any]) -> int:
    return int(result["latency"].get("count", 0))


def concurrent_report(rounds: list[dict[str, Any]], args: argparse.Namespace, threads: int, max_batch: int) -> Any:
    """Medians over the rounds; each ratio is taken within a round (same machine load), then its median."""
    ceilings = [max(r["ceiling"].values()) for r in rounds]
    to_mem0 = [r["ours"]["calls_per_s"] / r["mem0"]["calls_per_s"] for r in rounds]
    to_ceiling = [r["ours"]["calls_per_s"] / c for r, c in zip(rounds, ceilings, strict=True)]
    ours = median_of([r["ours"] for r in rounds])
    median_to_mem0, median_to_ceiling = statistics.median(to_mem0), statistics.median(to_ceiling)
    return {
        "callers": args.concurrency,
        "seconds_per_round": args.seconds,
        "deadline_s": args.deadline,
        "ours": ours,
        "mem0": median_of([r["mem0"] for r in rounds]),
        "embedding_ceiling": {
            "texts_per_s": round(statistics.median(ceilings), 1),
            "what": f"the ONNX encoder alone in this process, {threads} thread(s) as the server, best batch of "
            f"{list(CEILING_BATCHES)}, on the questions",
            "rounds": [{k: round(v, 1) for k, v in r["ceiling"].items()} for r in rounds],
            "all_cores_for_context": [round(r["ceiling_all_cores"], 1) for r in rounds],
            "onnx_threads": threads,
            "server_max_batch": max_batch,
        },
        "ours_to_mem0": round(median_to_mem0, 2),
        "ours_to_mem0_rounds": [round(x, 2) for x in to_mem0],
        "ours_to_ceiling": round(median_to_ceiling, 3),
        "ours_to_ceiling_rounds": [round(x, 3) for x in to_ceiling],
        "goal_5x_mem0": median_to_mem0 >= 5,
        "goal_80pct_of_ceiling": median_to_ceiling >= 0.8,
        "goal_p99_at_most_2x_p50": ours["p99_over_p50"] is not None and ours["p99_over_p50"] <= 2,
    }


def batches_within(records: list[dict[str, Any]], windows: list[tuple[datetime, datetime]]) -> dict[str, Any]:
    """The server's 'embedding batches' reports whose whole interval lies in a load round, summed."""
    total: Counter[str] = Counter()
    reports = 0
    for record in records:
        if record.get("msg") != "embedding batches":
            continue
        end = datetime.fromisoformat(record["ts"])
        begin = end - timedelta(seconds=float(record["seconds"]))
        slack = timedelta(seconds=0.5)  # the first batch of a round ends a report just after the round began
        if any(start - slack <= begin and end <= stop for start, stop in windows):
            reports += 1
            for key in ("batches", "texts", "refused", "dropped", "busy_seconds"):
                total[key] += record[key]
    return {
        "reports": reports,
        **dict(total),
        "mean_batch": round(total["texts"] / total["batches"], 2) if total["batches"] else None,
    }


if __name__ == "__main__":
    asyncio.run(main())
