"""A scripted conversation against a running VoxBridge Memory service, as a voice bot would hold it.

    .venv/bin/python clients/python/examples/voice_bot.py [--target 127.0.0.1:50051] [--user USER_ID] [--deadline S]

Before each reply the bot asks for the user's memories (GetContext, 100 ms deadline, never raises) and prints
them; the "LLM" is a tiny rule-based stand-in, so nothing leaves the machine. After each reply the turn is
queued for extraction in the background. Halfway through, the bot waits (watching extraction events) until the
service has turned the first turns into facts, so the last question is answered from memory.

The connection comes from MEMORY_TARGET, MEMORY_TOKEN, MEMORY_TLS_CA, MEMORY_TLS_CERT and MEMORY_TLS_KEY (the
same settings as the gateway); --target wins over MEMORY_TARGET.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import uuid

from voxbridge.memory.client import Context, MemoryClient
from voxbridge.memory.v1 import extraction_pb2

AGENT = "chef-bot"
SCRIPT = [
    "Hi! I'm planning dinner for my family tonight.",
    "My son is allergic to nuts.",
    None,  # the bot waits here until those turns are remembered
    "Can I make a peanut sauce for him?",
]
FINISHED = {
    extraction_pb2.EXTRACTION_EVENT_TYPE_COMPLETED,
    extraction_pb2.EXTRACTION_EVENT_TYPE_FAILED,
    extraction_pb2.EXTRACTION_EVENT_TYPE_SKIPPED,
}


def fake_llm(memories: Context, user_text: str) -> str:
    """A stand-in for the LLM call: the prompt would be the system prompt + memories.rendered + user_text."""
    if "peanut" in user_text.lower():
        if "allergic to nuts" in memories.rendered:
            return "Better not: you told me your son is allergic to nuts. How about a sesame-free tahini-style dip?"
        return "A peanut sauce is quick: peanut butter, soy sauce, lime and a little chili."
    if "allergic" in user_text.lower():
        return "Thanks for telling me, I'll keep that in mind."
    return "Lovely! What would you like to cook?"


async def wait_until_remembered(memory: MemoryClient, user_id: str, turns: list[asyncio.Task[str | None]]) -> None:
    task_ids = {task_id for task_id in await asyncio.gather(*turns) if task_id}
    print(f"[waiting for {len(task_ids)} turn(s) to be extracted]")
    try:
        async with asyncio.timeout(60), memory.watch_extractions(user_id) as events:
            async for event in events:
                if event.task_id in task_ids and event.type in FINISHED:
                    task_ids.discard(event.task_id)
                    name = extraction_pb2.ExtractionEventType.Name(event.type).removeprefix("EXTRACTION_EVENT_TYPE_")
                    print(f"[event {event.event_id}: task {event.task_id} {name.lower()}]")
                if not task_ids:
                    return
    except TimeoutError:
        print("[extraction is still pending; is a worker running?]")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=os.environ.get("MEMORY_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--user", default=f"example-{uuid.uuid4().hex[:8]}", help="default: a new user each run")
    parser.add_argument("--deadline", type=float, default=0.1, help="GetContext's deadline in seconds (0.1)")
    args = parser.parse_args()
    logging.basicConfig(format="[%(name)s: %(message)s]", level=logging.WARNING)

    settings = {**os.environ, "MEMORY_TARGET": args.target}
    async with MemoryClient.from_env(settings, context_timeout=args.deadline) as memory:
        if not await memory.wait_ready(5):
            print(f"[memory service not reachable at {args.target}: the bot answers without memory]")
        print(f"[user {args.user}, agent {AGENT}]")
        queued: list[asyncio.Task[str | None]] = []
        for user_text in SCRIPT:
            if user_text is None:
                await wait_until_remembered(memory, args.user, queued)
                continue
            print(f"\nuser> {user_text}")
            memories = await memory.get_context(args.user, user_text, agent_id=AGENT)
            if memories.degraded:
                print(f"  context: (skipped: {memories.reason})")
            else:
                print("  context:", memories.rendered.replace("\n", "\n    ") if memories.rendered else "(nothing yet)")
            reply = fake_llm(memories, user_text)
            print(f"bot> {reply}")
            queued.append(memory.queue_extraction_soon(args.user, user_text, reply, agent_id=AGENT))
    # Leaving the block waited for the last turn to be queued.


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
