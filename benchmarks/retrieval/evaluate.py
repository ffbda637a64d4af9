"""Recall of each ranking variant on the synthetic conversations, tuned on dev users, reported on held-out users.

    python benchmarks/retrieval/evaluate.py [--dataset benchmarks/retrieval/data/dataset.json] [--out results.json]

Loads the data set (generated first if missing) into a fresh embedded PostgreSQL
with the project's schema plus store.SCHEMA_ADDITIONS, embeds every memory and
question with all-MiniLM-L6-v2 (cached per data set), tunes the fused variants'
constants on the dev split (numpy over the legs fetched once per question), then
runs every variant as one SQL statement per question and prints JSON: recall@5/10/20
and MRR per split, overall and per category; SQL latency at 500 facts per user (and
the final ranking at 10,000); and recall through the real GetContext RPC.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import itertools
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from voxbridge.memory.v1 import memory_service_pb2 as pb

from benchmarks.harness import Bench, bench_service
from benchmarks.retrieval import analysis, dataset, latency, ranking, relevance, store, tuning
from benchmarks.retrieval import variants as v
from benchmarks.retrieval.embed import embed_all, load_default_model
from benchmarks.retrieval.metrics import question_scores, summarize
from memory_service.db import Database

LIMIT = 20
# The tuned variant ranking.py writes out: creation order needs no session columns (see README).
FINAL_VARIANT = "zfusion_locality_created_gap_recency_dated"
CONCURRENCY = 2  # the machine has two cores


class Run:
    """The loaded data set, its vectors and the database: runs a variant for many questions."""

    def __init__(self, db: Database, model_id: str, data: dict[str, Any], question_vectors: np.ndarray) -> None:
        self.db = db
        self.model_id = model_id
        self.questions = data["questions"]
        self.vectors = {q["id"]: vec for q, vec in zip(self.questions, question_vectors, strict=True)}
        split_of = {u["user_id"]: u["split"] for u in data["users"]}
        self.split = {q["id"]: split_of[q["user_id"]] for q in self.questions}
        self._gate = asyncio.Semaphore(CONCURRENCY)

    def args(self, variant: v.Variant, question: dict[str, Any], limit: int = LIMIT) -> list[Any]:
        values = {
            "user_id": question["user_id"],
            "agent_ids": [""],
            "vector": self.vectors[question["id"]],
            "text": question["text"],
            "model": self.model_id,
            "limit": limit,
        }
        return [values[name] for name in variant.args]

    async def fetch(self, variant: v.Variant, question: dict[str, Any]) -> list[Any]:
        async with self._gate, self.db.connection() as conn:
            return list(await conn.fetch(variant.sql, *self.args(variant, question)))

    async def ranked(self, variant: v.Variant, questions: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
        results = await asyncio.gather(*(self.fetch(variant, q) for q in questions))
        return {q["id"]: [r["memory_id"] for r in rows] for q, rows in zip(questions, results, strict=True)}

    async def legs(self, questions: Sequence[dict[str, Any]]) -> dict[str, tuning.Legs]:
        """Every question's candidates with both lexical legs, for tuning."""
        plain = await asyncio.gather(*(self.fetch(v.features("plain_search_text"), q) for q in questions))
        dated = await asyncio.gather(*(self.fetch(v.features("dated_search_text"), q) for q in questions))
        out = {}
        for q, rows, rows_dated in zip(questions, plain, dated, strict=True):
            columns = {name: [r[name] for r in rows] for name in dict(rows[0])}
            lexical_dated = {r["memory_id"]: r["lexical"] for r in rows_dated}
            out[q["id"]] = tuning.Legs.from_rows(
                columns, [lexical_dated[i] for i in columns["memory_id"]], q["evidence"]
            )
        return out

    async def final(
        self, questions: Sequence[dict[str, Any]]
    ) -> tuple[dict[str, list[str]], list[tuple[float, bool]], dict[str, dict[str, float]]]:
        """ranking.search() itself: its top LIMIT, (relevance, is evidence) of the held-out top 10, relevance by key."""
        out, scored, printed = {}, [], {}
        for q in questions:
            async with self.db.connection() as conn:
                found = await ranking.search(
                    conn, q["user_id"], agent_ids=("",), query_vector=self.vectors[q["id"]], query_text=q["text"],
                    embedding_model=self.model_id, limit=LIMIT, min_relevance=0,
                )  # fmt: skip
            out[q["id"]] = [s.fact.fact_key for s in found]
            printed[q["id"]] = {s.fact.fact_key: s.relevance for s in found}
            if self.split[q["id"]] == "heldout":
                scored += [(s.relevance, s.fact.fact_key in q["evidence"]) for s in found[:10]]
        return out, scored, printed

    def report(self, ranked: dict[str, list[str]], splits: Sequence[str] = dataset.SPLITS) -> dict[str, Any]:
        """Metrics per split: dev and held-out."""
        out = {}
        for split in splits:
            rows = [
                (q["category"], question_scores(ranked[q["id"]], q["evidence"]))
                for q in self.questions
                if self.split[q["id"]] == split
            ]
            out[split] = summarize(rows)
        return out


def tune_all(dev: Sequence[tuning.Legs]) -> dict[str, v.Fusion]:
    """The fused variants, each tuned on the dev questions only."""
    dated = v.Fusion(column="dated_search_text")
    return {
        "zfusion": tuning.tune(dev, v.Fusion(), locality=False, recency=False),
        "zfusion_dated": tuning.tune(dev, dated, locality=False, recency=False),
        "zfusion_locality_session": tuning.tune(dev, v.Fusion(locality="session"), locality=True, recency=False),
        "zfusion_locality_created": tuning.tune(dev, v.Fusion(locality="created"), locality=True, recency=False),
        "zfusion_locality_created_gap": tuning.tune(
            dev, v.Fusion(locality="created_gap"), locality=True, recency=False
        ),
        "zfusion_locality_session_recency": tuning.tune(dev, v.Fusion(locality="session"), locality=True, recency=True),
        "zfusion_locality_session_recency_dated": tuning.tune(
            dev, dated.with_(locality="session"), locality=True, recency=True
        ),
        "zfusion_locality_created_gap_recency_dated": tuning.tune(
            dev, dated.with_(locality="created_gap"), locality=True, recency=True
        ),
    }


async def relevance_study(
    run: Run, model: Any, data: dict[str, Any], memory_vectors: np.ndarray, sql_relevance: dict[str, dict[str, float]]
) -> dict[str, Any]:
    """Fits the printed relevance on dev users (as they are and subsampled), reports it on held-out users."""
    questions = run.questions
    rows, vector_of, asked = relevance.subsample(data["memories"], questions)
    users = {s: [u["user_id"] for u in data["users"] if u["split"] == s] for s in dataset.SPLITS}
    off_rows, off_vector_of, off_users = relevance.small_users(data["memories"], users["dev"] + users["heldout"])
    async with run.db.connection() as conn:
        await store.load_memories(conn, rows + off_rows, memory_vectors[vector_of + off_vector_of], run.model_id)
    utterances = {"dev": relevance.OFF_TOPIC_DEV, "heldout": relevance.OFF_TOPIC}
    off_vectors = {
        s: model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        for s, texts in utterances.items()
    }

    async def one(user: str, vector: np.ndarray, text: str, evidence: Sequence[str], size: str) -> relevance.Ranked:
        async with run._gate, run.db.connection() as conn:
            return await relevance.features(conn, user, vector, text, run.model_id, evidence, size)

    jobs = [(q, "full") for q in questions] + [(q, str(size)) for q, size in asked]
    ranked = await asyncio.gather(
        *(one(q["user_id"], run.vectors[q["id"]], q["text"], q["evidence"], size) for q, size in jobs)
    )
    split = {s: [r for (q, _), r in zip(jobs, ranked, strict=True) if run.split[q["id"]] == s] for s in dataset.SPLITS}
    off_topic = {}
    for s in dataset.SPLITS:  # each split's users hear their own utterances
        jobs_off = [(u, "full") for u in users[s]] + [
            (u, str(size)) for u, size in off_users if u.split("~")[0] in users[s]
        ]
        off_topic[s] = await asyncio.gather(
            *(
                one(u, vec, text, (), size)
                for u, size in jobs_off
                for text, vec in zip(utterances[s], off_vectors[s], strict=True)
            )
        )
    fitted = relevance.fit([*split["dev"], *off_topic["dev"]])  # no memory answers an off-topic utterance
    shipped = relevance.shipped()
    # The SQL's printed relevance against the numpy replica, on the held-out users as they are.
    gaps = [
        abs(sql_relevance[q["id"]][key] - float(value))
        for (q, size), r in zip(jobs, ranked, strict=True)
        if size == "full" and q["id"] in sql_relevance
        for key, value in zip(r.keys[:10], relevance.printed(r, shipped)[:10], strict=False)
        if key in sql_relevance[q["id"]]
    ]
    return {
        "features": [relevance.FEATURES[c] for c in relevance.CHOSEN],
        "fitted_on_dev": [round(float(t), 3) for t in fitted],
        "shipped": [float(t) for t in shipped],
        "shipped_matches_fit": bool(np.allclose(fitted, shipped, atol=2e-3)),
        "sql_vs_numpy_max_abs_diff": round(max(gaps), 6) if gaps else None,
        "heldout_top10": relevance.report(split["heldout"], shipped),
        "dev_top10": relevance.report(split["dev"], shipped),
        "off_topic_heldout_users": relevance.off_topic_report(off_topic["heldout"], shipped),
        "feature_sets": relevance.compare_features(
            [*split["dev"], *off_topic["dev"]], split["heldout"], off_topic["heldout"]
        ),
    }


async def through_get_context(bench: Bench, questions: Sequence[dict[str, Any]]) -> dict[str, list[str]]:
    """Top LIMIT memory ids of each question from the GetContext RPC (query embedded by the service)."""
    answers = {}
    for q in questions:
        response = await bench.stub.GetContext(pb.GetContextRequest(user_id=q["user_id"], query=q["text"], limit=LIMIT))
        answers[q["id"]] = [s.fact.fact_key for s in response.facts]
    return answers


async def measure_latency(
    run: Run, data: dict[str, Any], vectors: np.ndarray, variants: dict[str, v.Variant]
) -> dict[str, Any]:
    """p50 of each variant's SQL for a user with 500 facts; the final ranking at 10,000 facts too."""
    out: dict[str, Any] = {}
    sample = data["questions"][::7][:60]
    async with run.db.connection() as conn:
        for size in (500, 10_000):
            user = f"latency-{size}"
            await latency.add_user(conn, user, size, data["memories"], vectors, run.model_id)
            queries = [{**q, "user_id": user} for q in sample]

            async def final(i: int, user: str = user, queries: list[dict[str, Any]] = queries) -> None:
                q = queries[i % len(queries)]
                await ranking.search(conn, user, agent_ids=("",), query_vector=run.vectors[q["id"]],
                                     query_text=q["text"], embedding_model=run.model_id, limit=10, min_relevance=0)  # fmt: skip

            timings: dict[str, Any] = {"final_ranking_py": await latency.time_calls(final, 50)}
            for mode in ("force_generic_plan", "force_custom_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                timings[f"final_ranking_py_{mode}"] = await latency.time_calls(final, 30)
            await conn.execute("RESET plan_cache_mode")
            # Every variant at 500 facts; at 10,000 the final's tuned twin and today's search, for the ratio.
            for name, variant in variants.items():
                if size == 500 or name in ("today_search", "dense_cosine", FINAL_VARIANT):

                    async def call(
                        i: int, variant: v.Variant = variant, queries: list[dict[str, Any]] = queries
                    ) -> None:
                        await conn.fetch(variant.sql, *run.args(variant, queries[i % len(queries)], limit=10))

                    timings[name] = await latency.time_calls(call, 50 if size == 500 else 20)
            out[f"facts_{size}"] = {name: t["p50_ms"] for name, t in timings.items()}
            out[f"facts_{size}_detail"] = timings
    return out


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=dataset.DEFAULT_PATH)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    clock = {"start": time.perf_counter()}
    if not args.dataset.exists():
        args.dataset.parent.mkdir(parents=True, exist_ok=True)
        args.dataset.write_text(json.dumps(dataset.generate(50, 7), indent=1))
    raw = args.dataset.read_bytes()
    data = json.loads(raw)
    digest = hashlib.sha256(raw).hexdigest()[:16]
    model = load_default_model()
    texts = [m["text"] for m in data["memories"]] + [q["text"] for q in data["questions"]]
    vectors = embed_all(model, texts, args.dataset.parent / f"embeddings-{digest}.npy")
    memory_vectors, question_vectors = vectors[: len(data["memories"])], vectors[len(data["memories"]) :]
    clock["embedded"] = time.perf_counter()

    async with bench_service(preloaded_model=model) as bench:
        run = Run(bench.core.db, bench.core.embedder.model_id, data, question_vectors)
        async with run.db.connection() as conn:
            await store.add_schema(conn)
            await store.load_memories(conn, data["memories"], memory_vectors, run.model_id)
        clock["loaded"] = time.perf_counter()

        legs = await run.legs(run.questions)
        split_legs = {s: [legs[q["id"]] for q in run.questions if run.split[q["id"]] == s] for s in dataset.SPLITS}
        tuned = tune_all(split_legs["dev"])
        chosen = tuned[FINAL_VARIANT]
        shipped = chosen.with_(dense_weight=ranking.DENSE_WEIGHT, prev_weight=ranking.PREV_WEIGHT,
                               gap_minutes=float(ranking.GAP_MINUTES), next_weight=0.0, recency_weight=0.0)  # fmt: skip
        clock["tuned"] = time.perf_counter()

        fixed = [v.dense(), v.ts_rank(), v.ts_rank(cover_density=True), v.bm25(), v.bm25("dated_search_text")]
        fixed += [v.today(), v.rrf(60)]
        variants = {x.name: x for x in fixed} | {name: v.fused(c, name) for name, c in tuned.items()}
        ranked, agreement = {}, {}
        for name, variant in variants.items():
            ranked[name] = await run.ranked(variant, run.questions)
            if name in tuned:  # does the numpy replica rank like the SQL? (top-10 sets)
                same = [set(ranked[name][i][:10]) == set(tuning.ranked(legs[i], tuned[name], 10)) for i in legs]
                agreement[name] = round(float(np.mean(same)), 4)
        ranked["final_ranking_py"], scored, printed = await run.final(run.questions)
        results = {name: run.report(r) for name, r in ranked.items()}
        heldout = [q for q in run.questions if run.split[q["id"]] == "heldout"]
        intervals = {
            name: analysis.paired_interval(heldout, r, ranked["today_search"])
            for name, r in ranked.items()
            if name != "today_search"
        }
        clock["variants"] = time.perf_counter()

        relevance_fit = await relevance_study(run, model, data, memory_vectors, printed)
        clock["relevance"] = time.perf_counter()

        get_context = {"service": await through_get_context(bench, heldout)}
        clock["get_context"] = time.perf_counter()

        latency_ms = {} if args.skip_latency else await measure_latency(run, data, memory_vectors, variants)
        clock["latency"] = time.perf_counter()

    steps = list(clock)
    report = {
        "benchmark": "retrieval_eval",
        "dataset": {"path": str(args.dataset), "sha256_16": digest, **dataset.summary(data)},
        "headline_heldout": {
            name: {key: r["heldout"]["overall"][key] for key in ("recall@5", "recall@10", "recall@20", "mrr")}
            for name, r in results.items()
        },
        "heldout_recall@10_vs_today": intervals,
        "tuned_on_dev": {name: vars(c) for name, c in tuned.items()},
        "final_variant": FINAL_VARIANT,
        "relevance": relevance_fit,
        "final_dense_weight_curve": {
            split: analysis.dense_weight_curve(split_legs[split], chosen) for split in dataset.SPLITS
        },
        "numpy_sql_top10_agreement": agreement,
        # ranking.py ships the tuned variant's constants but DENSE_WEIGHT (see its docstring): the replica at them
        "final_ranking_py_constants": vars(shipped),
        "final_ranking_py_agrees_with_replica_top10": round(
            float(
                np.mean(
                    [set(ranked["final_ranking_py"][i][:10]) == set(tuning.ranked(legs[i], shipped, 10)) for i in legs]
                )
            ),
            4,
        ),
        "results": results,
        "get_context_heldout": {
            name: run.report(r, ["heldout"])["heldout"]["overall"] for name, r in get_context.items()
        },
        "relevance_calibration_heldout_top10": analysis.calibration(scored),
        "latency_p50_ms": {k: val for k, val in latency_ms.items() if not k.endswith("_detail")},
        "latency_detail": {k: val for k, val in latency_ms.items() if k.endswith("_detail")},
        "seconds": {b: round(clock[b] - clock[a], 1) for a, b in itertools.pairwise(steps)},
    }
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
