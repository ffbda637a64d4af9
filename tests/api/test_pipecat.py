"""The Pipecat integration on text frames, with Pipecat's own test runner, against the real service."""

from __future__ import annotations

import asyncio
from typing import Any

from pipecat.frames.frames import (
    Frame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMRunFrame,
    LLMTextFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.tests.utils import SleepFrame, run_test
from pipecat.turns.user_turn_strategies import ExternalUserTurnStrategies
from pipecat.utils.time import time_now_iso8601
from voxbridge.memory.client import MemoryClient
from voxbridge.memory.pipecat import UserMemoryProcessor
from voxbridge.memory.v1 import memory_service_pb2 as pb

from tests.support.grpc_proxy import recording_proxy
from tests.support.harness import Service
from tests.support.processes import free_port
from tests.support.rpc import new_fact

SYSTEM = {"role": "system", "content": "You are a friendly cooking assistant."}
PAUSE = 2.0  # between spoken turns: the previous reply has been given long before


class ScriptedLlm(FrameProcessor):
    """An LLM service stand-in: records the context of each run and answers with the next scripted reply."""

    def __init__(self, replies: list[str]) -> None:
        super().__init__()
        self.replies = replies
        self.runs: list[list[dict[str, Any]]] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            self.runs.append([dict(m) for m in frame.context.get_messages() if isinstance(m, dict)])
            await self.push_frame(LLMFullResponseStartFrame())
            await self.push_frame(LLMTextFrame(self.replies[len(self.runs) - 1]))
            await self.push_frame(LLMFullResponseEndFrame())
        else:
            await self.push_frame(frame, direction)


def said(text: str) -> list[Frame]:
    """A user turn as text frames (what an STT service and a turn detector would send), then a pause."""
    return [
        UserStartedSpeakingFrame(),
        TranscriptionFrame(text, "caller", time_now_iso8601()),
        UserStoppedSpeakingFrame(),
        SleepFrame(PAUSE),
    ]


def pipeline(memory_processor: UserMemoryProcessor, llm: ScriptedLlm) -> tuple[Pipeline, LLMContext]:
    context = LLMContext(messages=[dict(SYSTEM)])
    aggregators = LLMContextAggregatorPair(
        context, user_params=LLMUserAggregatorParams(user_turn_strategies=ExternalUserTurnStrategies())
    )
    return Pipeline([aggregators.user(), memory_processor, llm, aggregators.assistant()]), context


def memory_blocks(messages: list[dict[str, Any]]) -> list[int]:
    return [i for i, m in enumerate(messages) if m["role"] == "system" and "<user_memories>" in m["content"]]


async def test_each_reply_gets_one_fresh_memory_block_and_each_turn_is_queued(service: Service) -> None:
    await service.stub.CreateFact(new_fact("alice", text="My son is allergic to nuts"))
    await service.stub.CreateFact(new_fact("alice", fact_key="name", fact_value="Alice"))
    memory = MemoryClient(service.address)
    processor = UserMemoryProcessor(memory, user_id="alice", agent_id="chef-bot", session_id="call-1", deadline=10)
    llm = ScriptedLlm(["Hello! What shall we cook?", "Better not: nuts.", "You are Alice.", "Bye!"])
    bot, context = pipeline(processor, llm)

    frames = [LLMRunFrame(), SleepFrame(PAUSE), *said("Can my son eat peanut butter?"), *said("What is my name?")]
    await run_test(bot, frames_to_send=frames)
    await memory.close()  # waits for the turns queued in the background

    greeting, first, second = llm.runs
    assert greeting == [SYSTEM]  # the bot spoke first: nothing said yet, nothing looked up
    assert processor.lookups == 2
    for run, question, fact in ((first, "peanut butter", "allergic to nuts"), (second, "my name", "name: Alice")):
        [block] = memory_blocks(run)  # one block, never piled up
        assert run[block + 1]["role"] == "user" and question in run[block + 1]["content"]
        assert block == len(run) - 2  # right before what the user just said
        assert fact in run[block]["content"].splitlines()[2]  # the most relevant fact first
    assert second[: len(first) - 2] == first[: len(first) - 2]  # the conversation itself is untouched
    assert [m["role"] for m in context.get_messages() if isinstance(m, dict)][-3:] == ["system", "user", "assistant"]

    listed = await service.stub.ListExtractions(pb.ListExtractionsRequest(user_id="alice"))
    turns = sorted(listed.tasks, key=lambda t: t.occurred_at.ToDatetime())
    assert [(t.user_message, t.ai_response) for t in turns] == [
        ("Can my son eat peanut butter?", "Better not: nuts."),
        ("What is my name?", "You are Alice."),
    ]
    assert {(t.agent_id, t.session_id) for t in turns} == {("chef-bot", "call-1")}


async def test_the_bot_answers_without_memory_when_the_service_is_down() -> None:
    memory = MemoryClient(f"127.0.0.1:{free_port()}", queue_retry_seconds=0.5)  # nothing listens
    processor = UserMemoryProcessor(memory, user_id="alice")
    llm = ScriptedLlm(["Sure, here is a recipe."])
    bot, _ = pipeline(processor, llm)
    await run_test(bot, frames_to_send=said("Give me a recipe"))
    await memory.close()
    [run] = llm.runs
    assert run == [SYSTEM, {"role": "user", "content": "Give me a recipe"}]
    assert processor.last_context is not None and processor.last_context.degraded


async def test_a_failed_lookup_keeps_the_previous_block(service: Service) -> None:
    await service.stub.CreateFact(new_fact("alice", text="I am vegetarian"))
    async with recording_proxy(service.address) as proxy:
        memory = MemoryClient(proxy.address)
        processor = UserMemoryProcessor(memory, user_id="alice", deadline=10, instructions="")
        llm = ScriptedLlm(["Try a risotto.", "Try a curry."])
        bot, _ = pipeline(processor, llm)
        conversation = asyncio.ensure_future(
            run_test(bot, frames_to_send=[*said("What should I cook tonight?"), *said("And tomorrow?")])
        )
        while not llm.runs:  # the first reply is out; the next turn comes a pause later
            await asyncio.sleep(0.02)
        proxy.fail_next["GetContext"] = 100  # the service stops answering GetContext: more attempts than retries
        await conversation
        await memory.close()
    first, second = llm.runs
    assert processor.last_context is not None and processor.last_context.reason == "UNAVAILABLE"
    [kept] = memory_blocks(second)  # what the service said a turn ago is still true: it stays
    assert second[kept] == first[memory_blocks(first)[0]] and second[kept]["content"].startswith("<user_memories>")
    assert kept == 1  # where it was, before the first question
