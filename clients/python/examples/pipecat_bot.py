"""The scripted conversation of voice_bot.py, through a Pipecat pipeline with UserMemoryProcessor.

    .venv/bin/python clients/python/examples/pipecat_bot.py [--target 127.0.0.1:50051] [--user USER_ID] [--deadline S]

Text frames stand in for speech (what an STT service and a turn detector would send); a rule-based processor
stands in for the LLM service and prints what it was given. UserMemoryProcessor puts the user's memories in the
context before each reply and queues each finished turn for extraction. Needs the client's `pipecat` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import uuid
from typing import Any

from loguru import logger
from pipecat.frames.frames import (
    EndFrame,
    Frame,
    LLMContextAssistantTurnFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from pipecat.utils.time import time_now_iso8601
from pipecat.workers.runner import WorkerRunner
from voice_bot import AGENT, SCRIPT, wait_until_remembered  # type: ignore[import-not-found]
from voxbridge.memory.client import MemoryClient
from voxbridge.memory.pipecat import UserMemoryProcessor


class RuleBasedLlm(FrameProcessor):
    """Stands in for an LLM service: prints the memory block it was given and answers by a few rules."""

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            messages: list[Any] = [m for m in frame.context.get_messages() if isinstance(m, dict)]
            memories = next((m["content"] for m in messages if "<user_memories>" in str(m.get("content"))), "")
            print("  context:", memories.replace("\n", "\n    ") if memories else "(nothing yet)")
            question = messages[-1]["content"].lower()
            if "peanut" in question:
                reply = (
                    "Better not: you told me your son is allergic to nuts."
                    if "allergic to nuts" in memories
                    else "A peanut sauce is quick: peanut butter, soy sauce, lime and chili."
                )
            elif "allergic" in question:
                reply = "Thanks for telling me, I'll keep that in mind."
            else:
                reply = "Lovely! What would you like to cook?"
            print(f"bot> {reply}")
            await self.push_frame(LLMFullResponseStartFrame())
            await self.push_frame(LLMTextFrame(reply))
            await self.push_frame(LLMFullResponseEndFrame())
        else:
            await self.push_frame(frame, direction)


class TurnDone(FrameProcessor):
    """Says when a turn is over: the assistant aggregator's turn frame travels upstream, through the memory
    processor (which queues the turn) and then here."""

    def __init__(self, done: asyncio.Queue[str]) -> None:
        super().__init__()
        self._done = done

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextAssistantTurnFrame) and direction == FrameDirection.UPSTREAM:
            self._done.put_nowait(frame.text)
        await self.push_frame(frame, direction)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default=os.environ.get("MEMORY_TARGET", "127.0.0.1:50051"))
    parser.add_argument("--user", default=f"example-{uuid.uuid4().hex[:8]}", help="default: a new user each run")
    parser.add_argument("--deadline", type=float, default=0.1, help="GetContext's deadline in seconds (0.1)")
    args = parser.parse_args()
    logging.basicConfig(format="[%(name)s: %(message)s]", level=logging.WARNING)
    logger.remove()  # Pipecat's own debug log
    logger.add(lambda message: print(message, end=""), level="WARNING")

    settings = {**os.environ, "MEMORY_TARGET": args.target}
    async with MemoryClient.from_env(settings, context_timeout=args.deadline) as memory:
        if not await memory.wait_ready(5):
            print(f"[memory service not reachable at {args.target}: the bot answers without memory]")
        print(f"[user {args.user}, agent {AGENT}]")
        context = LLMContext(messages=[{"role": "system", "content": "You are a friendly cooking assistant."}])
        aggregators = LLMContextAggregatorPair(
            context, user_params=LLMUserAggregatorParams(user_turn_strategies=ExternalUserTurnStrategies())
        )
        processor = UserMemoryProcessor(memory, user_id=args.user, agent_id=AGENT)
        turn_done: asyncio.Queue[str] = asyncio.Queue()
        pipeline = Pipeline(
            [aggregators.user(), TurnDone(turn_done), processor, RuleBasedLlm(), aggregators.assistant()]
        )
        worker = PipelineWorker(pipeline, cancel_on_idle_timeout=False)
        runner = WorkerRunner(handle_sigint=False)
        await runner.add_workers(worker)
        running = asyncio.ensure_future(runner.run())

        for user_text in SCRIPT:
            if user_text is None:
                await wait_until_remembered(memory, args.user, processor.queued)  # the turns it queued so far
                continue
            print(f"\nuser> {user_text}")
            await worker.queue_frames(
                [
                    UserStartedSpeakingFrame(),
                    TranscriptionFrame(user_text, args.user, time_now_iso8601()),
                    UserStoppedSpeakingFrame(),
                ]
            )
            await asyncio.wait_for(turn_done.get(), 30)
        await worker.queue_frame(EndFrame())
        await running


if __name__ == "__main__":
    asyncio.run(main())
