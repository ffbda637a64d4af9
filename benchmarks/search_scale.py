"""GetContext's SQL as the table grows, and when an HNSW index beats the exact scan for one heavy user.

    python benchmarks/search_scale.py [--totals 10000,100000] [--heavy 1000,10000,100000] [--full]
                                      [--queries 60] [--grpc] [--out results.json]

Facts are real texts with real vectors: a pool of distinct conversational sentences from the
retrieval generator (benchmarks/retrieval/dataset.py, 400 users, seed 101), embedded once with
all-MiniLM-L6-v2 and cached in benchmarks/retrieval/data/scale-pool-*.npy (gitignored). Each fact
takes a pool sentence and its vector plus a little noise (cosine about 0.98 to the original), so
two users' facts are never identical vectors. Queries are the generator's questions.

1. Users of 100 facts each (sessions of 20 turns, a minute apart) are added by COPY until the table
   holds each of --totals facts (--full: up to 1,000,000, i.e. 10,000 users); after each, the p50 of
   the service's ranking statement (memory_service/db/ranking.py SEARCH_SQL) for random users, and
   with --grpc the p50 of the GetContext RPC (the service embeds the query).
2. Heavy users with --heavy current facts each are added, and the exact statement is timed for each.
3. The HNSW index of the model's current vectors (ranking.ann_index_sql) and a GIN index on
   search_text are built (timed), and the candidates' statement (ranking.ann_search_sql) is timed
   for each heavy user, with recall@10 of the index's nearest facts against the exact nearest, and
   the overlap of its top 10 with the exact statement's top 10.
4. The 100-fact users are timed again with the indexes in place (the exact path must not change).

Prints JSON. The default run (10k and 100k facts, heavy users up to 100k) takes about 10 minutes on
two cores, most of it loading and building the index; --full adds the 1M-fact point (much longer).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import bench_service, summarize_ms
from benchmarks.retrieval import dataset
from benchmarks.retrieval.embed import embed_all, load_default_model
from memory_service.db import ranking
from memory_service.db.database import Connection

POOL_USERS, POOL_SEED, POOL_MAX = 400, 101, 40_000
FACTS_PER_USER = 100
TURNS_PER_SESSION = 20
NOISE = 0.01  # per dimension, before normalising: cosine about 0.98 to the pool vector
COLUMNS = (
    "user_id", "agent_id", "fact_key", "fact_value", "text", "importance", "source", "embedding",
    "embedding_model", "valid_from", "created_at", "updated_at", "session_id",
)  # fmt: skip
DATA = Path(__file__).resolve().parent / "retrieval" / "data"


def pool(model: Any) -> tuple[list[str], np.ndarray, list[str], np.ndarray]:
    """(sentences, their vectors, questions, their vectors): distinct texts of the generator, embedded once."""
    data = dataset.generate(POOL_USERS, POOL_SEED)
    sentences = sorted({m["text"] for m in data["memories"]})[:POOL_MAX]
    random.Random(POOL_SEED).shuffle(sentences)
    questions = sorted({q["text"] for q in data["questions"]})
    random.Random(POOL_SEED).shuffle(questions)
    questions = questions[:500]
    texts = sentences + questions
    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    vectors = embed_all(model, texts, DATA / f"scale-pool-{key}.npy")
    return sentences, vectors[: len(sentences)], questions, vectors[len(sentences) :]


class Loader:
    """Adds users whose facts are pool sentences with slightly varied vectors, by COPY."""

    def __init__(self, sentences: list[str], vectors: np.ndarray, model_id: str) -> None:
        self.sentences, self.vectors, self.model_id = sentences, vectors, model_id
        self.rng = np.random.default_rng(POOL_SEED)
        self.users = 0

    def _records(self, user: str, count: int) -> list[tuple[Any, ...]]:
        picks = self.rng.integers(0, len(self.sentences), size=count)
        noisy = self.vectors[picks] + self.rng.normal(0, NOISE, size=(count, self.vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        records = []
        for n, (pick, vector) in enumerate(zip(picks, noisy, strict=True)):
            session = n // TURNS_PER_SESSION
            said = start + timedelta(days=session, minutes=n % TURNS_PER_SESSION)
            text = self.sentences[pick]
            records.append(
                (user, "", f"m{n}", text, text, 0.5, "manual", vector, self.model_id, said, said, said, f"s{session}")
            )
        return records

    async def add_users(self, conn: Connection, count: int, size: int = FACTS_PER_USER, prefix: str = "u") -> list[str]:
        users = [f"{prefix}{self.users + i}" for i in range(count)]
        self.users += count
        await conn.copy_records_to_table("users", records=[(u,) for u in users], columns=["user_id"])
        batch: list[tuple[Any, ...]] = []
        for user in users:
            batch += self._records(user, size)
            if len(batch) >= 50_000:
                await conn.copy_records_to_table("facts", records=batch, columns=COLUMNS)
                batch = []
        if batch:
            await conn.copy_records_to_table("facts", records=batch, columns=COLUMNS)
        return users


async def timed(call: Callable[[int], Awaitable[Any]], calls: int, warmup: int = 6) -> dict[str, Any]:
    for i in range(warmup):
        await call(i)
    samples = []
    for i in range(warmup, warmup + calls):
        begin = time.perf_counter()
        await call(i)
        samples.append(time.perf_counter() - begin)
    return summarize_ms(samples)


def exact_args(user: str, vector: np.ndarray, text: str, model: str, limit: int = 10) -> list[Any]:
    return [user, [""], vector, text, model, limit, 0.0, None]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--totals", default="10000,100000", help="table sizes (facts) to time at")
    parser.add_argument("--heavy", default="1000,10000,100000", help="current facts of each heavy user")
    parser.add_argument("--full", action="store_true", help="also 1,000,000 facts (10,000 users)")
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--grpc", action="store_true", help="also time the GetContext RPC at each size")
    parser.add_argument("--ef-search", default="100,200,400")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each heavy user's statements")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    totals = [int(t) for t in args.totals.split(",")] + ([1_000_000] if args.full else [])
    heavy_sizes = [int(h) for h in args.heavy.split(",") if h]  # --heavy "": the table sizes only
    clock = {"start": time.perf_counter()}
    model = load_default_model()
    sentences, vectors, questions, question_vectors = pool(model)
    clock["pool"] = time.perf_counter()
    report: dict[str, Any] = {
        "benchmark": "search_scale",
        "pool_sentences": len(sentences),
        "questions": len(questions),
    }
    rng = random.Random(3)

    async with bench_service(preloaded_model=model) as bench, bench.core.db.connection() as conn:
        model_id = bench.core.embedder.model_id
        dimensions = int(vectors.shape[1])
        loader = Loader(sentences, vectors, model_id)
        users: list[str] = []

        def question(i: int) -> tuple[np.ndarray, str]:
            j = i % len(questions)
            return question_vectors[j], questions[j]

        async def time_users(sample: Sequence[str]) -> dict[str, Any]:
            async def call(i: int) -> None:
                vector, text = question(i)
                await conn.fetch(ranking.SEARCH_SQL, *exact_args(sample[i % len(sample)], vector, text, model_id))

            return await timed(call, args.queries)

        by_total: dict[str, Any] = {}
        for total in totals:
            missing = (total - len(users) * FACTS_PER_USER) // FACTS_PER_USER
            started = time.perf_counter()
            users += await loader.add_users(conn, missing)
            await conn.execute("VACUUM ANALYZE facts")
            entry: dict[str, Any] = {"users": len(users), "load_s": round(time.perf_counter() - started, 1)}
            # A different user each call (their pages mostly outside shared_buffers once the table outgrows
            # it), then 10 users over and over (their pages cached): the table's size against the cache's.
            entry["sql"] = await time_users(rng.sample(users, min(len(users), 200)))
            entry["sql_same_10_users"] = await time_users(rng.sample(users, 10))
            if args.grpc:
                sample = rng.sample(users, min(len(users), 200))

                async def rpc(i: int, sample: list[str] = sample) -> None:
                    _, text = question(i)
                    await bench.stub.GetContext(pb.GetContextRequest(user_id=sample[i % len(sample)], query=text))

                entry["grpc"] = await timed(rpc, args.queries)
            by_total[str(total)] = entry
            print(json.dumps({str(total): entry}), file=sys.stderr)
        report["per_user_100_facts"] = by_total
        first, last = str(totals[0]), str(totals[-1])
        report["p50_ratio_last_vs_first"] = {
            key: round(by_total[last][key]["p50_ms"] / by_total[first][key]["p50_ms"], 2)
            for key in ("sql", "sql_same_10_users")
        }
        clock["totals"] = time.perf_counter()
        if not heavy_sizes:
            text = json.dumps(report, indent=2)
            if args.out:
                args.out.write_text(text)
            print(text)
            return

        heavy = {}
        for size in heavy_sizes:
            [user] = await loader.add_users(conn, 1, size=size, prefix=f"heavy{size}-")
            heavy[size] = user
        await conn.execute("VACUUM ANALYZE facts")
        rows = await conn.fetchval("SELECT count(*) FROM facts")
        report["facts_with_heavy_users"] = rows
        clock["heavy_loaded"] = time.perf_counter()

        exact: dict[int, dict[str, Any]] = {}
        exact_top: dict[int, list[list[str]]] = {}
        exact_dense: dict[int, list[set[str]]] = {}
        n_queries = max(20, args.queries // 2)
        for size, user in heavy.items():
            tops: list[list[str]] = []

            async def call(i: int, user: str = user, tops: list[list[str]] = tops) -> None:
                vector, text = question(i)
                found = await conn.fetch(ranking.SEARCH_SQL, *exact_args(user, vector, text, model_id))
                if i >= 6:
                    tops.append([r["fact_key"] for r in found])

            exact[size] = await timed(call, n_queries)
            exact_top[size] = tops
            dense = []
            for i in range(6, 6 + n_queries):
                vector, _ = question(i)
                found = await conn.fetch(
                    "SELECT fact_key FROM facts WHERE user_id = $1 AND valid_to IS NULL AND embedding_model = $2 "
                    "ORDER BY embedding <=> $3 LIMIT 10",
                    user, model_id, vector,
                )  # fmt: skip
                dense.append({r["fact_key"] for r in found})
            exact_dense[size] = dense
            print(json.dumps({"exact": size, **exact[size]}), file=sys.stderr)
        clock["heavy_exact"] = time.perf_counter()

        started = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '4GB'")
        await conn.execute(ranking.ann_index_sql(model_id, dimensions), timeout=7200)
        report["hnsw_build_s"] = round(time.perf_counter() - started, 1)
        await conn.execute("ANALYZE facts")
        ann_sql = ranking.ann_search_sql(model_id, dimensions)
        await conn.execute("SET hnsw.iterative_scan = relaxed_order; SET hnsw.ef_search = 200")
        without_gin = {}  # the candidates' statement before a GIN index on search_text exists
        for size, user in heavy.items():

            async def plain(i: int, user: str = user, size: int = size) -> None:
                vector, text = question(i)
                await conn.fetch(ann_sql, user, [""], vector, text, 10, 0.0, size)

            without_gin[str(size)] = await timed(plain, max(10, args.queries // 4))
        report["ann_ef200_without_gin"] = without_gin
        print(json.dumps({"without_gin": without_gin}), file=sys.stderr)
        started = time.perf_counter()
        await conn.execute(
            "CREATE INDEX IF NOT EXISTS facts_search_text ON facts USING gin (search_text)", timeout=7200
        )
        report["gin_build_s"] = round(time.perf_counter() - started, 1)
        await conn.execute("ANALYZE facts")
        clock["indexes"] = time.perf_counter()

        curve: dict[str, Any] = {}
        for size, user in heavy.items():
            n = await conn.fetchval(
                "SELECT count(*) FROM facts WHERE user_id = $1 AND valid_to IS NULL AND embedding_model = $2",
                user, model_id,
            )  # fmt: skip
            row: dict[str, Any] = {"exact": exact[size]}
            for ef in [int(e) for e in args.ef_search.split(",")]:
                await conn.execute(f"SET hnsw.ef_search = {ef}")
                tops = []

                async def ann(i: int, user: str = user, n: int = n, tops: list[list[str]] = tops) -> None:
                    vector, text = question(i)
                    found = await conn.fetch(ann_sql, user, [""], vector, text, 10, 0.0, n)
                    if i >= 6:
                        tops.append([r["fact_key"] for r in found])

                timing = await timed(ann, n_queries)
                nearest_recall = []
                for i in range(6, 6 + n_queries):
                    vector, _ = question(i)
                    found = await conn.fetch(
                        f"SELECT fact_key FROM facts f WHERE f.user_id = $1 AND f.agent_id = ANY($2::text[]) "
                        f"AND f.valid_to IS NULL AND f.embedding_model = '{model_id}' "
                        f"ORDER BY f.embedding::vector({dimensions}) <=> $3::vector({dimensions}) LIMIT 10",
                        user, [""], vector,
                    )  # fmt: skip
                    nearest_recall.append(len(exact_dense[size][i - 6] & {r["fact_key"] for r in found}) / 10)
                overlap = [len(set(a) & set(b)) / max(1, len(b)) for a, b in zip(tops, exact_top[size], strict=True)]
                same_first = [bool(a and b and a[0] == b[0]) for a, b in zip(tops, exact_top[size], strict=True)]
                row[f"ann_ef{ef}"] = {
                    **timing,
                    "nearest_recall@10": round(float(np.mean(nearest_recall)), 4),
                    "top10_overlap_with_exact": round(float(np.mean(overlap)), 4),
                    "same_first_as_exact": round(float(np.mean(same_first)), 4),
                }
                print(json.dumps({"ann": size, "ef": ef, **row[f"ann_ef{ef}"]}), file=sys.stderr)
            plan = await conn.fetch("EXPLAIN " + ann_sql, user, [""], question(0)[0], question(0)[1], 10, 0.0, n)
            if args.explain:
                for sql, values in [
                    (ann_sql, [user, [""], question(0)[0], question(0)[1], 10, 0.0, n]),
                    (ranking.SEARCH_SQL, exact_args(user, question(0)[0], question(0)[1], model_id)),
                ]:
                    analyzed = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + sql, *values)
                    print("\n".join(r[0] for r in analyzed), file=sys.stderr)
            row["ann_uses_hnsw"] = any(ranking.ann_index_name(model_id, dimensions) in r[0] for r in plan)
            row["user_share_of_table"] = round(n / rows, 4)
            curve[str(size)] = row
        report["heavy_user"] = curve
        await conn.execute("RESET hnsw.ef_search")
        clock["heavy_ann"] = time.perf_counter()

        report["per_user_100_facts_with_indexes"] = await time_users(rng.sample(users, min(len(users), 200)))
        clock["after"] = time.perf_counter()

    steps = list(clock)
    report["seconds"] = {b: round(clock[b] - clock[a], 1) for a, b in itertools.pairwise(steps)}
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
