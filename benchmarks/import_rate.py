"""Bulk import rate: `memory-service import` of conversational facts, with the local model and with a remote one.

    python benchmarks/import_rate.py [--facts 5000] [--users 50]

The same JSON lines file is imported twice into fresh databases: once embedded
by the local default model (all-MiniLM-L6-v2 on ONNX Runtime, this machine's
CPU), once by an embeddings endpoint that answers at once (the test suite's
fake OpenAI-compatible server), which shows what the write path itself
sustains. Alongside, the model alone: texts per second embedding the same texts
in batches of 32, on as many threads as the import uses (all cores). Prints JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg

from memory_service.config import Settings
from memory_service.db.dsn import with_database
from memory_service.embeddings import open_embedder
from memory_service.embeddings.onnx_runtime import available_cores
from tests.support.database import postgres_server
from tests.support.fake_embeddings import FakeEmbeddings

ROOT = Path(__file__).resolve().parents[1]
SUBJECTS = ["my sister", "my dog", "our flat", "my boss", "the garden", "my bike", "the piano", "my doctor"]
EVENTS = ["moved to", "talked about", "started", "stopped", "visited", "fixed", "bought", "forgot"]
THINGS = ["Lisbon", "a new job", "the old car", "jazz lessons", "the dentist", "a trip to Rome", "tomatoes"]


def facts_file(path: Path, facts: int, users: int) -> None:
    rng = random.Random(3)
    with path.open("w") as out:
        for i in range(facts):
            text = f"{rng.choice(SUBJECTS).capitalize()} {rng.choice(EVENTS)} {rng.choice(THINGS)} ({i})"
            out.write(json.dumps({"user_id": f"user-{i * users // facts}", "text": text}) + "\n")


async def import_into(admin_url: str, file: Path, env: dict[str, str]) -> dict[str, Any]:
    name = f"import_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="vbm-import-") as data_dir:
            process_env = {k: v for k, v in os.environ.items() if not k.startswith("MEMORY_")}
            process_env |= {
                "MEMORY_DATABASE_URL": with_database(admin_url, name),
                "MEMORY_DATA_DIR": data_dir,
                "MEMORY_LOG_LEVEL": "WARNING",
                **env,
            }
            began = time.monotonic()
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "memory_service", "import", str(file), "--batch", "1000",
                cwd=ROOT, env=process_env, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            out, _ = await process.communicate()
            assert process.returncode == 0
            report = json.loads(out)
            report["with_start_up_seconds"] = round(time.monotonic() - began, 1)
            return dict(report)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def model_alone(texts: list[str], threads: int) -> float:
    settings = Settings.from_environ(
        {
            "MEMORY_DATA_DIR": tempfile.mkdtemp(prefix="vbm-import-model-"),
            "MEMORY_EMBEDDING_ONNX_THREADS": str(threads),
        }
    )
    async with open_embedder(settings.embedding, cache_dir=settings.model_cache_dir) as embedder:
        began = time.perf_counter()
        for start in range(0, len(texts), 32):
            await embedder.embed(texts[start : start + 32], owner=None)
        return round(len(texts) / (time.perf_counter() - began), 1)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--facts", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="vbm-import-") as scratch, postgres_server() as admin_url:
        file = Path(scratch) / "facts.jsonl"
        facts_file(file, args.facts, args.users)
        texts = [json.loads(line)["text"] for line in file.read_text().splitlines()]
        local = await import_into(admin_url, file, {})
        with FakeEmbeddings(dimensions=384) as remote:
            fast = await import_into(
                admin_url,
                file,
                {
                    "MEMORY_EMBEDDING_PROVIDER": "openai",
                    "MEMORY_EMBEDDING_MODEL": "fake-embed",
                    "MEMORY_EMBEDDING_BASE_URL": remote.base_url,
                },
            )
        ceiling = await model_alone(texts[:2000], available_cores())
    print(
        json.dumps(
            {
                "facts": args.facts,
                "users": args.users,
                "local_model_import": local,
                "instant_remote_embeddings_import": fast,
                "local_model_alone_texts_per_second_batch_32": ceiling,
                "model_threads": available_cores(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
