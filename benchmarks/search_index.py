"""Why GetContext scans one user's facts exactly instead of using a global HNSW index (ARCHITECTURE.md).

    python benchmarks/search_index.py [--users 100] [--facts-per-user 1000] [--queries 100]

Builds a scratch table of random unit vectors (384 dimensions, like all-MiniLM-L6-v2)
for many users, then answers "top 10 of this user's facts" three ways:
  exact         btree on user_id, exact cosine over that user's rows (what the service does)
  hnsw          a global HNSW index, user filter applied after the index scan (pgvector's default)
  hnsw_iter     the same with pgvector 0.8's iterative scan (hnsw.iterative_scan = relaxed_order)
and prints recall@10 against the exact answer and latency, as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.harness import bench_service, summarize_ms

DIMENSIONS = 384


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--facts-per-user", type=int, default=1000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    rng = np.random.default_rng(7)

    async with bench_service() as bench, bench.core.db.connection() as conn:
        await conn.execute(
            f"""CREATE TABLE bench_vectors (id bigserial PRIMARY KEY, user_id text NOT NULL,
                                            embedding vector({DIMENSIONS}) NOT NULL)"""
        )
        started = time.perf_counter()
        for user in range(args.users):
            vectors = rng.standard_normal((args.facts_per_user, DIMENSIONS)).astype(np.float32)
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
            await conn.copy_records_to_table(
                "bench_vectors", records=[(f"user-{user}", v) for v in vectors], columns=["user_id", "embedding"]
            )
        await conn.execute("CREATE INDEX bench_vectors_user ON bench_vectors (user_id)")
        load_s = time.perf_counter() - started
        started = time.perf_counter()
        await conn.execute("SET maintenance_work_mem = '512MB'")
        await conn.execute("CREATE INDEX bench_vectors_hnsw ON bench_vectors USING hnsw (embedding vector_cosine_ops)")
        hnsw_build_s = time.perf_counter() - started
        await conn.execute("ANALYZE bench_vectors")

        queries = rng.standard_normal((args.queries, DIMENSIONS)).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        users = [f"user-{rng.integers(args.users)}" for _ in range(args.queries)]
        query_sql = """SELECT id FROM bench_vectors WHERE user_id = $1 ORDER BY embedding <=> $2 LIMIT 10"""

        async def run(hide_index: str, settings: list[str]) -> tuple[list[list[int]], list[float], str]:
            """Answers every query with one index hidden (dropped in a transaction that is rolled back)."""
            transaction = conn.transaction()
            await transaction.start()
            try:
                await conn.execute(f"DROP INDEX {hide_index}")
                for setting in settings:
                    await conn.execute(setting)
                plan = "\n".join(r[0] for r in await conn.fetch("EXPLAIN " + query_sql, users[0], queries[0]))
                answers, latencies = [], []
                for user, vector in zip(users, queries, strict=True):
                    begin = time.perf_counter()
                    rows = await conn.fetch(query_sql, user, vector)
                    latencies.append(time.perf_counter() - begin)
                    answers.append([r["id"] for r in rows])
            finally:
                await transaction.rollback()
            return answers, latencies, plan

        exact, exact_latency, exact_plan = await run("bench_vectors_hnsw", [])
        assert "bench_vectors_user" in exact_plan, exact_plan
        results: dict[str, object] = {"exact": {"latency": summarize_ms(exact_latency), "recall_at_10": 1.0}}
        for name, settings in (
            ("hnsw", []),
            ("hnsw_iter", ["SET LOCAL hnsw.iterative_scan = relaxed_order"]),
        ):
            answers, latencies, plan = await run("bench_vectors_user", settings)
            assert "bench_vectors_hnsw" in plan, plan
            recall = np.mean([len(set(a) & set(e)) / 10 for a, e in zip(answers, exact, strict=True)])
            found = np.mean([len(a) for a in answers])
            results[name] = {
                "latency": summarize_ms(latencies),
                "recall_at_10": round(float(recall), 3),
                "mean_results_returned": round(float(found), 1),
            }

    print(
        json.dumps(
            {
                "benchmark": "search_index",
                "users": args.users,
                "facts_per_user": args.facts_per_user,
                "rows": args.users * args.facts_per_user,
                "load_seconds": round(load_s, 1),
                "hnsw_build_seconds": round(hnsw_build_s, 1),
                **results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
