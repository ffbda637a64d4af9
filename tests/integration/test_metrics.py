"""/metrics of a server process and of a worker process: every documented series exists and moves.

The two run as real processes (as in production, each with its own port) on one
database; the worker's LLM is the test suite's OpenAI-compatible HTTP server.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from tests.support.fake_llm import FakeLlm, facts_reply
from tests.support.processes import free_port, kill, service_env, start, terminate, wait_serving
from tests.support.rpc import new_fact

SERVER_SERIES = {
    "memory_rpc_duration_seconds", "memory_rpc_in_flight", "memory_queue_tasks",
    "memory_queue_oldest_pending_age_seconds", "memory_embedding_batch_size", "memory_embedding_queue_wait_seconds",
    "memory_embedding_duration_seconds", "memory_embedding_cache_requests_total", "memory_db_pool_connections",
    "memory_db_pool_waiters", "memory_db_pool_acquire_seconds", "memory_events_appended_total", "memory_watchers",
    "memory_event_hub_lag_seconds", "memory_reembedding_facts", "memory_reembedding_active", "memory_database_up",
    "process_resident_memory_bytes", "memory_events_relayed_total", "memory_event_relay_leader",
    "memory_event_outbox_pending",
}  # fmt: skip
WORKER_SERIES = {
    "memory_extraction_duration_seconds", "memory_extraction_failures_total", "memory_llm_request_duration_seconds",
    "memory_llm_tokens_total", "memory_queue_tasks", "memory_db_pool_connections", "memory_events_appended_total",
}  # fmt: skip

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(port: int) -> tuple[set[str], Samples]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    families: set[str] = set()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        families.add(family.name if family.type != "counter" else family.name + "_total")
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return families, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    return sum(v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls))


@pytest.fixture
def processes(database_url: str, fake_llm: FakeLlm, tmp_path: Path) -> Iterator[tuple[str, int, int]]:
    grpc_port, server_metrics, worker_metrics = free_port(), free_port(), free_port()
    common = {"MEMORY_DATABASE_URL": database_url, "MEMORY_METRICS_REFRESH_SECONDS": "1", "MEMORY_POLL_SECONDS": "0.2"}
    server = start(
        ["serve", "--no-worker", "--listen", f"127.0.0.1:{grpc_port}"],
        service_env({**common, "MEMORY_METRICS_LISTEN": f"127.0.0.1:{server_metrics}"}),
        tmp_path / "server.log",
    )
    worker_env = {
        **common,
        "MEMORY_METRICS_LISTEN": f"127.0.0.1:{worker_metrics}",
        "MEMORY_LLM_BASE_URL": fake_llm.base_url,
        "MEMORY_LLM_MODEL": "fake-model",
        "MEMORY_LLM_API_KEY": "sk-test",
        "MEMORY_RETRY_BASE_SECONDS": "0.1",
    }
    worker = start(["worker"], service_env(worker_env), tmp_path / "worker.log")
    try:
        wait_serving(f"127.0.0.1:{grpc_port}", server)
        yield f"127.0.0.1:{grpc_port}", server_metrics, worker_metrics
    finally:
        for process in (server, worker):
            if terminate(process) != 0:
                kill(process)


def test_a_server_and_a_worker_expose_every_series_and_they_move(
    processes: tuple[str, int, int], fake_llm: FakeLlm
) -> None:
    address, server_port, worker_port = processes
    replies = iter([facts_reply("Likes trains"), facts_reply("Lives in Oslo")])
    fake_llm.script.on_facts = lambda call: next(replies, facts_reply())
    deadline = time.monotonic() + 60
    while True:  # the worker loads its model after the server is up
        try:
            _, before_worker = scrape(worker_port)
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    _, before_server = scrape(server_port)

    with grpc.insecure_channel(address) as channel:
        stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
        watch = stub.WatchExtractions(pb.WatchExtractionsRequest(user_id="alice"), timeout=60)
        seen: list[object] = []

        def read() -> None:
            with contextlib.suppress(grpc.RpcError):  # ends CANCELLED below
                seen.extend(watch)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        stub.CreateFact(new_fact("alice", fact_key="pet", fact_value="a cat"))
        for query in ("my pet?", "my pet?", "where do I live?"):
            stub.GetContext(pb.GetContextRequest(user_id="alice", query=query), timeout=30)
        with pytest.raises(grpc.RpcError):
            stub.GetContext(pb.GetContextRequest(user_id="", query="nobody"), timeout=30)
        for message in ("I like trains", "I live in Oslo"):
            stub.QueueExtraction(pb.QueueExtractionRequest(user_id="alice", user_message=message), timeout=10)
        while True:
            families, during = scrape(server_port)
            _, worker_now = scrape(worker_port)
            completed = value(worker_now, "memory_extraction_duration_seconds_count", outcome="completed")
            if completed >= 2 and value(during, "memory_queue_tasks", status="completed") >= 2:
                break
            assert time.monotonic() < deadline, "the extractions did not complete"
            time.sleep(0.5)
        assert value(during, "memory_watchers") == 1  # the open watch
        watch.cancel()
        reader.join(10)

    families, after_server = scrape(server_port)
    worker_families, after_worker = scrape(worker_port)
    assert families >= SERVER_SERIES, SERVER_SERIES - families
    assert worker_families >= WORKER_SERIES, WORKER_SERIES - worker_families

    def moved(before: Samples, after: Samples, name: str, by: float = 1, **labels: str) -> None:
        change = value(after, name, **labels) - value(before, name, **labels)
        assert change >= by, f"{name}{labels} moved by {change}, expected at least {by}"

    moved(before_server, after_server, "memory_rpc_duration_seconds_count", 3, method="GetContext", code="OK")
    moved(before_server, after_server, "memory_rpc_duration_seconds_count", method="GetContext",
          code="INVALID_ARGUMENT")  # fmt: skip
    moved(before_server, after_server, "memory_rpc_duration_seconds_count", method="WatchExtractions", code="CANCELLED")
    moved(before_server, after_server, "memory_embedding_batch_size_count", priority="interactive")
    moved(before_server, after_server, "memory_embedding_cache_requests_total", result="hit")  # the repeated query
    moved(before_server, after_server, "memory_events_appended_total", 2, type="queued")
    moved(before_server, after_server, "memory_db_pool_acquire_seconds_count", 5)
    assert value(after_server, "memory_db_pool_connections", state="open") >= 1
    assert value(after_server, "memory_queue_tasks", status="completed") >= 2

    moved(before_worker, after_worker, "memory_extraction_duration_seconds_count", 2, outcome="completed")
    moved(before_worker, after_worker, "memory_llm_request_duration_seconds_count", 2, result="ok")
    moved(before_worker, after_worker, "memory_llm_tokens_total", 2, kind="prompt")
    moved(before_worker, after_worker, "memory_events_appended_total", 2, type="completed")
    moved(before_worker, after_worker, "memory_embedding_batch_size_count", priority="background")
    # One of the two processes relays every event of both: queued (server), processing and completed (worker).
    assert value(after_server, "memory_event_relay_leader") + value(after_worker, "memory_event_relay_leader") == 1
    relayed = sum(value(after, "memory_events_relayed_total") - value(before, "memory_events_relayed_total")
                  for before, after in ((before_server, after_server), (before_worker, after_worker)))  # fmt: skip
    assert relayed >= 4, relayed  # the last completed events may still be on their way
