"""memory-service import FILE: facts in bulk from JSON lines (plain objects, or the fact records of an export)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from memory_service.cli.common import print_json_line
from memory_service.config import Settings
from memory_service.service.facts import MAX_BATCH, FactInput

BATCH = 500


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


def batches(lines: Iterator[str], default_user: str, size: int) -> Iterator[tuple[str, list[FactInput]]]:
    """Consecutive facts of one user, at most size at a time."""
    user, batch = "", list[FactInput]()
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            fact = fact_of(json.loads(raw), default_user)
        except (ValueError, TypeError, AttributeError) as exc:
            raise SystemExit(f"memory-service: line {number} is not a fact: {exc}") from exc
        if fact is None:
            continue
        if batch and (fact.user_id != user or len(batch) >= size):
            yield user, batch
            batch = []
        user = fact.user_id
        batch.append(fact)
    if batch:
        yield user, batch


async def import_facts(args: argparse.Namespace, settings: Settings) -> int:
    from memory_service import app

    size = min(max(args.batch, 1), MAX_BATCH)
    lines = sys.stdin if str(args.file) == "-" else args.file.open(encoding="utf-8")
    stored = 0
    async with app.open_core(settings) as core:
        facts = app.fact_service(core)
        began = time.monotonic()
        for user, batch in batches(iter(lines), args.user_id, size):
            stored += len(await facts.create_batch(user, batch))
        seconds = time.monotonic() - began
    print_json_line(
        {
            "facts": stored,
            "seconds": round(seconds, 2),
            "facts_per_second": round(stored / seconds, 1) if seconds else None,
        }
    )
    return 0
