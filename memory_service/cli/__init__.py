"""memory-service serve | worker | migrate | tasks ...: the only reader of os.environ.

Operator commands (tasks, and later export, erasures, tokens, import) live in
their own modules beside this one; each registers its sub-commands with a
`run(args, settings)` coroutine, run against the configured (or embedded) database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from memory_service.cli import importing, privacy, tasks, tokens
from memory_service.cli.common import OperatorCommand
from memory_service.config import ConfigError, Settings
from memory_service.errors import MemoryServiceError
from memory_service.extraction.mem0_logic import disable_mem0_phone_home
from memory_service.logging_setup import configure_logging


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="memory-service", description="VoxBridge Memory: long-term memory for voice and chat agents"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, then serve gRPC (with an in-process extraction worker)")
    serve.add_argument("--listen", help="HOST:PORT to listen on (MEMORY_LISTEN, default 127.0.0.1:50051)")
    serve.add_argument(
        "--no-worker", action="store_true", help="do not run an in-process worker (MEMORY_RUN_WORKER=false)"
    )

    worker = commands.add_parser("worker", help="run a standalone extraction worker")
    worker.add_argument("--concurrency", type=int, help="tasks at once (MEMORY_WORKER_CONCURRENCY, default 4)")

    commands.add_parser("migrate", help="apply database migrations and exit")
    operator_commands = [
        *tasks.register(commands),
        *privacy.register(commands),
        *importing.register(commands),
        *tokens.register(commands),
    ]

    for sub in (serve, worker, commands.choices["migrate"], *operator_commands):
        sub.add_argument(
            "--data-dir", type=Path, help="where the embedded database lives (MEMORY_DATA_DIR, default ./data)"
        )
    return parser


def settings_from(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    settings = Settings.from_environ(
        environ,
        listen=getattr(args, "listen", None),
        data_dir=args.data_dir.expanduser().absolute() if args.data_dir else None,
        run_worker=False if getattr(args, "no_worker", False) else None,
    )
    concurrency = getattr(args, "concurrency", None)
    if concurrency is not None:
        if concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        from dataclasses import replace

        settings = replace(settings, worker=replace(settings.worker, concurrency=concurrency))
    return settings


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    environ = dict(os.environ)
    try:
        settings = settings_from(args, environ)
    except ConfigError as exc:
        print(f"memory-service: configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    # Users' memories are private and must never leave the machine through Mem0's telemetry.
    disable_mem0_phone_home(settings.data_dir / "mem0")

    # grpc's fork handlers only log noise when pgserver spawns pg_ctl; we never fork a gRPC process.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "false")
    from memory_service import app

    try:
        if args.command == "migrate":
            print(f"migrated {asyncio.run(app.migrate_only(settings))}")
            return 0
        operate: OperatorCommand | None = getattr(args, "operate", None)
        if operate is not None:
            return asyncio.run(operate(args, settings))
        runner = app.serve if args.command == "serve" else app.work
        return asyncio.run(_until_signalled(runner, settings))
    except ConfigError as exc:  # settings that only prove impossible at start (MEMORY_EMBEDDING_BACKEND=onnx)
        print(f"memory-service: configuration error: {exc}", file=sys.stderr)
        return 2
    except MemoryServiceError as exc:  # what an RPC would answer with a status: a message, not a traceback
        print(f"memory-service: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _until_signalled(
    runner: Callable[[Settings, asyncio.Event], Coroutine[Any, Any, None]], settings: Settings
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runner(settings, stop)
    return 0
