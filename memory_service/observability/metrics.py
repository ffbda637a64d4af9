"""Every Prometheus series the service exports, in one place.

Labels are bounded on purpose: methods, status codes, reasons, priorities, never a
user id or any text (the exposition port needs no token, and a label per user would
grow without bound). Each process (server or worker) has its own registry and port;
series that describe the whole cluster (the queue, a model switch) are read from
the database by a refresher (observability/exposition.py), so every process reports
the same value and dashboards take max().
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

REGISTRY = CollectorRegistry(auto_describe=True)
# The process's own: resident memory, CPU seconds, open files, Python's GC and version.
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)
GCCollector(registry=REGISTRY)

# Latencies of the hot path are milliseconds; extraction and LLM calls are seconds.
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
SLOW_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)

# --- RPCs
rpc_duration = Histogram(
    "memory_rpc_duration_seconds",
    "Time from a call's arrival to its answer (streams: to their end), by method and status code.",
    ["method", "code"],
    buckets=FAST_BUCKETS,
    registry=REGISTRY,
)
rpc_in_flight = Gauge(
    "memory_rpc_in_flight", "Calls being served now (kind: unary or stream).", ["kind"], registry=REGISTRY
)

# --- the queue (cluster-wide, from the database)
queue_tasks = Gauge("memory_queue_tasks", "Extraction tasks by status, cluster-wide.", ["status"], registry=REGISTRY)
queue_oldest_pending_age = Gauge(
    "memory_queue_oldest_pending_age_seconds",
    "Age of the oldest task waiting to be processed, cluster-wide (0 when none waits).",
    registry=REGISTRY,
)

# --- extraction (workers)
extraction_duration = Histogram(
    "memory_extraction_duration_seconds",
    "One extraction attempt, from claim to its outcome, by outcome (completed, skipped, failed, retrying).",
    ["outcome"],
    buckets=SLOW_BUCKETS,
    registry=REGISTRY,
)
extraction_failures = Counter(
    "memory_extraction_failures_total",
    "Failed extraction attempts by reason (LLM_UNAVAILABLE, LLM_BAD_ANSWER, DATABASE_UNAVAILABLE, ...).",
    ["reason"],
    registry=REGISTRY,
)
llm_duration = Histogram(
    "memory_llm_request_duration_seconds",
    "LLM chat calls, by result (ok or the failure class).",
    ["result"],
    buckets=SLOW_BUCKETS,
    registry=REGISTRY,
)
llm_tokens = Counter(
    "memory_llm_tokens_total", "Tokens the LLM reported using, by kind (prompt, completion).", ["kind"],
    registry=REGISTRY,
)  # fmt: skip

# --- embeddings
embedding_batch_size = Histogram(
    "memory_embedding_batch_size",
    "Texts per model call, by the priority of the batch.",
    ["priority"],
    buckets=BATCH_BUCKETS,
    registry=REGISTRY,
)
embedding_queue_wait = Histogram(
    "memory_embedding_queue_wait_seconds",
    "Time a text waited for its model call, by priority.",
    ["priority"],
    buckets=FAST_BUCKETS,
    registry=REGISTRY,
)
embedding_duration = Histogram(
    "memory_embedding_duration_seconds",
    "One model call (a whole batch).",
    buckets=FAST_BUCKETS,
    registry=REGISTRY,
)
embedding_shed = Counter(
    "memory_embedding_shed_texts_total",
    "Interactive texts not embedded because their callers' deadlines would pass first, by how "
    "(refused: at once, RESOURCE_EXHAUSTED OVERLOADED; dropped: from the queue, uncomputed).",
    ["how"],
    registry=REGISTRY,
)
embedding_cache = Counter(
    "memory_embedding_cache_requests_total",
    "Texts looked up in the embedding cache, by result (hit, miss).",
    ["result"],
    registry=REGISTRY,
)

# --- the database pool (this process)
pool_acquire_wait = Histogram(
    "memory_db_pool_acquire_seconds",
    "Time spent waiting for a pooled connection.",
    buckets=FAST_BUCKETS,
    registry=REGISTRY,
)
pool_waiters = Gauge("memory_db_pool_waiters", "Callers waiting for a pooled connection now.", registry=REGISTRY)

database_up = Gauge(
    "memory_database_up",
    "1 when this process's last check of the database succeeded (refresher and health monitor), else 0.",
    registry=REGISTRY,
)

# --- events and watchers
events_appended = Counter(
    "memory_events_appended_total",
    "Extraction events appended to the event log by this process, by type (inside transactions that may "
    "still roll back).",
    ["type"],
    registry=REGISTRY,
)
events_relayed = Counter(
    "memory_events_relayed_total",
    "Events this process's relay moved from the outbox into the event log (numbered, visible to watchers).",
    registry=REGISTRY,
)
event_relay_leader = Gauge(
    "memory_event_relay_leader", "1 while this process is the cluster's event relay.", registry=REGISTRY
)
event_outbox_pending = Gauge(
    "memory_event_outbox_pending",
    "Committed events waiting for the relay, cluster-wide (stays near 0; growing: no relay runs).",
    registry=REGISTRY,
)
watchers = Gauge("memory_watchers", "Open WatchExtractions streams on this process.", registry=REGISTRY)
event_hub_lag = Gauge(
    "memory_event_hub_lag_seconds",
    "How old the newest event was when this process handed it to its watchers.",
    registry=REGISTRY,
)

# --- re-embedding after a model switch (cluster-wide, from the database)
reembedding_facts = Gauge(
    "memory_reembedding_facts",
    "During an embedding model switch: current facts (total) and those with a vector of the new model (done).",
    ["state"],
    registry=REGISTRY,
)
reembedding_active = Gauge(
    "memory_reembedding_active", "1 while an embedding model switch is in progress.", registry=REGISTRY
)


class PoolCollector(Collector):
    """The pool's size and idle connections, read at scrape time (plain integers: safe from the HTTP thread)."""

    def __init__(self) -> None:
        self.pool: object | None = None

    def collect(self) -> list[GaugeMetricFamily]:
        family = GaugeMetricFamily("memory_db_pool_connections", "Pooled connections by state.", labels=["state"])
        pool = self.pool
        if pool is not None:
            size = int(pool.get_size())  # type: ignore[attr-defined]
            idle = int(pool.get_idle_size())  # type: ignore[attr-defined]
            family.add_metric(["open"], size)
            family.add_metric(["idle"], idle)
            family.add_metric(["in_use"], size - idle)
            family.add_metric(["max"], int(pool.get_max_size()))  # type: ignore[attr-defined]
        return [family]


pool_collector = PoolCollector()
REGISTRY.register(pool_collector)
