"""memory-service import FILE: facts in bulk from JSON lines (plain objects, or the fact records of an export)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from memory_service.cli.common import print_json_line
from memory_service.config import Settings
from memory_service.embeddings.onnx_runtime import available_cores
from memory_service.errors import MemoryServiceError
from memory_service.service.facts import MAX_BATCH, FactInput, FactService

BATCH = 500
# Batches stored at once: one is embedded while another is written, and a remote endpoint gets several requests.
IN_FLIGHT = 4


def register(commands: Any) -> list[argparse.ArgumentParser]:
    importing = commands.add_parser(
        "import",
        help="store facts in bulk from a JSON lines file (see README); one transaction per batch of one user",
    )
    importing.add_argument("file", type=Path, help="JSON lines; '-' reads standard input")
    importing.add_argument("--user-id", default="", help="the user of lines that name none")
    importing.add_argument("--batch", type=int, default=BATCH, help=f"facts per transaction, at most {MAX_BATCH}")
    importing.set_defaults(operate=import_facts)
    return [importing]


def fact_of(line: dict[str, Any], default_user: str) -> FactInput | None:
    """A plain object, or an export's {"fact": {...}} record (current versions only: history stays history)."""
    record = line.get("fact", line)
    if "header" in line or ("fact" in line and record.get("valid_to")):
        return None
    if not any(key in record for key in ("text", "fact_key")):
        return None  # settings, tasks, events of an export
    valid_from = record.get("valid_from")
    return FactInput(
        user_id=str(record.get("user_id") or default_user),
        agent_id=str(record.get("agent_id", "")),
        fact_key=str(record.get("fact_key", "")),
        fact_value=str(record.get("fact_value", "")),
        text=str(record.get("text", "")),
        importance=float(record["importance"]) if "importance" in record else None,
        valid_from=datetime.fromisoformat(valid_from.replace("Z", "+00:00")) if valid_from else None,
        session_id=str(record.get("session_id", "")),
    )


@dataclass(frozen=True)
class Batch:
    user_id: str
    facts: list[FactInput]
    lines: str  # where in the file, for messages: "4-5"


def batches(lines: Iterator[str], default_user: str, size: int) -> Iterator[Batch]:
    """Consecutive facts of one user, at most size at a time."""
    user, facts, first, last = "", list[FactInput](), 0, 0
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            fact = fact_of(json.loads(raw), default_user)
        except (ValueError, TypeError, AttributeError) as exc:
            raise SystemExit(f"memory-service: line {number} is not a fact: {exc}") from exc
        if fact is None:
            continue
        if facts and (fact.user_id != user or len(facts) >= size):
            yield Batch(user, facts, f"{first}-{last}")
            facts = []
        if not facts:
            first = number
        user, last = fact.user_id, number
        facts.append(fact)
    if facts:
        yield Batch(user, facts, f"{first}-{last}")


async def import_facts(args: argparse.Namespace, settings: Settings) -> int:
    from memory_service import app

    size = min(max(args.batch, 1), MAX_BATCH)
    if settings.embedding.onnx_threads == 0:
        # A batch job has no request path to keep a core free for (the server's default): on 2 cores the
        # model embedded 501 texts/s with both against 295 with one.
        # The environment is where the embedder takes its process knobs from (its model comes from the database).
        threads = available_cores()
        settings = replace(
            settings,
            embedding=replace(settings.embedding, onnx_threads=threads),
            environ={**settings.environ, "MEMORY_EMBEDDING_ONNX_THREADS": str(threads)},
        )
    lines = sys.stdin if str(args.file) == "-" else args.file.open(encoding="utf-8")
    async with app.open_core(settings) as core:
        began = time.monotonic()
        stored = await store_all(app.fact_service(core), batches(iter(lines), args.user_id, size))
        seconds = time.monotonic() - began
    print_json_line(
        {
            "facts": stored,
            "seconds": round(seconds, 2),
            "facts_per_second": round(stored / seconds, 1) if seconds else None,
        }
    )
    return 0


async def store_all(facts: FactService, user_batches: Iterable[Batch]) -> int:
    """Stores the batches, IN_FLIGHT at a time, one user's batches in file order (a later key supersedes).

    When a batch fails, nothing more is read, the batches already under way finish (each is its own
    transaction; a later batch of the failed one's user is skipped), and the command exits saying which lines
    were not stored.
    """
    stored = 0
    running: dict[asyncio.Task[int], Batch] = {}
    failures: list[tuple[Batch, BaseException]] = []

    async def store(batch: Batch, after: asyncio.Task[int] | None) -> int:
        if after is not None:
            await asyncio.wait([after])
            if after.cancelled() or after.exception() is not None:
                return 0
        return len(await facts.create_batch(batch.user_id, batch.facts))

    def settle(done: set[asyncio.Task[int]]) -> None:
        nonlocal stored
        for task in done:
            batch = running.pop(task)
            if task.cancelled():
                continue
            error = task.exception()
            if error is None:
                stored += task.result()
            else:
                failures.append((batch, error))

    try:
        for batch in user_batches:
            while len(running) >= IN_FLIGHT and not failures:
                settle((await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED))[0])
            if failures:
                break
            after = next((task for task, b in reversed(running.items()) if b.user_id == batch.user_id), None)
            running[asyncio.create_task(store(batch, after))] = batch
    finally:
        if running:
            settle((await asyncio.wait(running))[0])
    if failures:
        batch, error = failures[0]
        if not isinstance(error, MemoryServiceError):
            raise error
        raise SystemExit(
            f"memory-service: lines {batch.lines} (user {batch.user_id!r}) were not stored: {error}. "
            f"{stored} facts of other batches were stored."
        )
    return stored
