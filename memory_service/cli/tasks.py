"""memory-service tasks list | requeue: the extraction queue, for operators."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from memory_service.cli.common import database, print_json_line
from memory_service.config import Settings
from memory_service.domain import ExtractionTask, TaskStatus
from memory_service.service.queue import QueueService


def register(commands: Any) -> list[argparse.ArgumentParser]:
    tasks = commands.add_parser("tasks", help="list extraction tasks, queue failed ones again")
    actions = tasks.add_subparsers(dest="tasks_command", required=True)

    listing = actions.add_parser("list", help="tasks newest first, as JSON lines (never the turns' words)")
    listing.add_argument(
        "--status", action="append", choices=[s.value for s in TaskStatus], help="only these statuses (repeatable)"
    )
    listing.add_argument("--user-id", default="", help="only this user's tasks")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(operate=list_tasks)

    requeue = actions.add_parser("requeue", help="queue failed tasks again with a fresh attempt budget")
    requeue.add_argument("task_ids", nargs="*", help="only these tasks")
    requeue.add_argument("--user-id", default="", help="all failed tasks of this user")
    requeue.add_argument("--all", action="store_true", help="all failed tasks of every user")
    requeue.set_defaults(operate=requeue_tasks)
    return [listing, requeue]


def summary(task: ExtractionTask) -> dict[str, Any]:
    """What an operator needs to see of a task: ids, state and errors, not what the user said."""
    return {
        "task_id": str(task.id),
        "user_id": task.user_id,
        "agent_id": task.agent_id,
        "status": task.status.value,
        "attempts": task.attempts,
        "error_reason": task.error_reason,
        "error": task.error,
        "occurred_at": task.occurred_at.isoformat(),
        "created_at": task.created_at.isoformat(),
        "finished_at": task.finished_at.isoformat() if task.finished_at else None,
    }


async def list_tasks(args: argparse.Namespace, settings: Settings) -> int:
    statuses = [TaskStatus(s) for s in args.status or []]
    async with database(settings) as db:
        queue = QueueService(db)
        remaining, token = max(args.limit, 0), ""
        while remaining > 0:
            page = await queue.list_page(args.user_id, statuses, page_size=min(remaining, 500), page_token=token)
            for task in page.items:
                print_json_line(summary(task))
            remaining -= len(page.items)
            token = page.next_page_token
            if not token:
                break
    return 0


async def requeue_tasks(args: argparse.Namespace, settings: Settings) -> int:
    if not (args.task_ids or args.user_id or args.all):
        print("memory-service: name task ids, --user-id, or --all (every failed task of every user)", file=sys.stderr)
        return 2
    async with database(settings) as db:
        requeued = await QueueService(db).requeue(args.user_id, args.task_ids)
    for task in requeued:
        print_json_line(summary(task))
    print(f"requeued {len(requeued)} failed task(s)", file=sys.stderr)
    return 0
