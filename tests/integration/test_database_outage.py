"""PostgreSQL goes away and comes back under load: fast UNAVAILABLE, honest health, no turn lost.

A server process with its in-process worker runs against a PostgreSQL of the test's own,
which is crashed (`pg_ctl restart -m immediate`), stopped, and started again while
clients keep talking. A client that retries UNAVAILABLE with the same request id (as
the Python client does) must see every turn it queued extracted in the end.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from voxbridge.memory.v1 import memory_service_pb2 as pb
from voxbridge.memory.v1 import memory_service_pb2_grpc

from tests.support.own_postgres import OwnPostgres, own_postgres
from tests.support.processes import free_port, kill, service_env, start, terminate, wait_serving

NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
SERVING = health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def postgres() -> Iterator[OwnPostgres]:
    with own_postgres() as server:
        yield server


def launch(postgres: OwnPostgres, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = service_env({"MEMORY_DATABASE_URL": postgres.url, "MEMORY_POLL_SECONDS": "0.2"})
    return start(["serve", "--listen", f"127.0.0.1:{port}"], env, log)


def health_of(channel: grpc.Channel) -> int | None:
    try:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=2)
        return int(answer.status)
    except grpc.RpcError:
        return None


def wait_health(channel: grpc.Channel, wanted: int, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if health_of(channel) == wanted:
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"health did not become {health_pb2.HealthCheckResponse.ServingStatus.Name(wanted)}")


def test_a_server_started_before_its_database_stands_by_then_serves(postgres: OwnPostgres, tmp_path: Path) -> None:
    postgres.stop()
    port = free_port()
    process = launch(postgres, port, tmp_path / "server.log")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            wait_health(channel, NOT_SERVING, 90)  # alive, listening, and honest: not ready
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            with pytest.raises(grpc.RpcError) as caught:
                stub.GetContext(pb.GetContextRequest(user_id="u", query="hi"), timeout=5)
            assert caught.value.code() is grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
            assert "database" in (caught.value.details() or "")  # type: ignore[attr-defined]
            assert process.poll() is None

            postgres.start()
            wait_serving(f"127.0.0.1:{port}", process, timeout=90)
            stub.QueueExtraction(pb.QueueExtractionRequest(user_id="u", user_message="I live in Lyon"), timeout=10)
    finally:
        assert terminate(process) == 0, (tmp_path / "server.log").read_text()[-3000:]


@dataclass
class Load:
    """Bot-like clients: queue a turn (retrying UNAVAILABLE with its request id), then ask for context."""

    address: str
    statuses: Counter[str] = field(default_factory=Counter)
    slowest_failure: float = 0.0
    accepted: set[str] = field(default_factory=set)
    stop: threading.Event = field(default_factory=threading.Event)
    recent: list[str] = field(default_factory=list)

    def run(self, client: int) -> None:
        with grpc.insecure_channel(self.address) as channel:
            stub = memory_service_pb2_grpc.MemoryServiceStub(channel)
            turn = 0
            while not self.stop.is_set():
                turn += 1
                request_id = f"c{client}-t{turn}"
                queue = pb.QueueExtractionRequest(
                    user_id=f"user-{client}", agent_id="bot", user_message=f"My number {turn} is {turn * 7}",
                    ai_response="Noted.", request_id=request_id,
                )  # fmt: skip
                while not self._call(lambda queue=queue: stub.QueueExtraction(queue, timeout=5)):
                    time.sleep(0.2)  # the client backs off, then retries the same turn
                self.accepted.add(request_id)
                context = pb.GetContextRequest(user_id=f"user-{client}", agent_id="bot", query="my numbers")
                self._call(lambda context=context: stub.GetContext(context, timeout=5))
                time.sleep(0.25)  # a turn every few hundred ms per client: the worker keeps up

    def _call(self, send: object) -> bool:
        started = time.monotonic()
        try:
            send()  # type: ignore[operator]
            code = "OK"
        except grpc.RpcError as error:
            code = error.code().name  # type: ignore[attr-defined]
            self.slowest_failure = max(self.slowest_failure, time.monotonic() - started)
        self.statuses[code] += 1
        self.recent = [*self.recent[-19:], code]
        return code == "OK"


def test_a_database_crash_and_outage_under_load_lose_no_turn(postgres: OwnPostgres, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    process = launch(postgres, port, log)
    load = Load(f"127.0.0.1:{port}")
    clients = [threading.Thread(target=load.run, args=(i,), daemon=True) for i in range(3)]
    try:
        wait_serving(load.address, process)
        for client in clients:
            client.start()
        time.sleep(3)
        assert load.statuses["OK"] > 0

        postgres.crash_restart()  # every pooled and listening connection is cut at once
        time.sleep(5)
        assert load.recent[-5:] == ["OK"] * 5, load.statuses  # the pool healed by itself

        with grpc.insecure_channel(load.address) as channel:
            postgres.stop()
            noticed = wait_health(channel, NOT_SERVING, 30)
            time.sleep(1)
            postgres.start()
            recovered = wait_health(channel, SERVING, 30)
        time.sleep(3)
        load.stop.set()
        for client in clients:
            client.join(30)
        assert load.recent[-5:] == ["OK"] * 5, load.statuses
        print(f"outage: statuses {dict(load.statuses)}, NOT_SERVING after {noticed:.1f}s, "
              f"SERVING {recovered:.1f}s after the restart, slowest failure {load.slowest_failure:.2f}s")  # fmt: skip

        # Only deliberate answers, and fast ones: a bot gets UNAVAILABLE at once, not after its deadline.
        assert set(load.statuses) <= {"OK", "UNAVAILABLE"}, load.statuses
        assert load.statuses["UNAVAILABLE"] > 0
        assert load.slowest_failure < 3.0

        # Every accepted turn is there and gets extracted by the worker, which survived the outage too.
        deadline = time.monotonic() + 180
        while True:
            rows = dict(postgres.query("SELECT status, count(*) FROM extraction_tasks GROUP BY status"))
            if rows.get("completed", 0) == len(load.accepted) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rows == {"completed": len(load.accepted)}, (rows, len(load.accepted))
        stored = {row[0] for row in postgres.query("SELECT request_id FROM extraction_tasks")}
        assert load.accepted <= stored
    finally:
        load.stop.set()
        code = terminate(process)
        if code != 0:
            kill(process)
        assert code == 0, log.read_text()[-4000:]
