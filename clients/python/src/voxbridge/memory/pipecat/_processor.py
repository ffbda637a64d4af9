"""UserMemoryProcessor: the user's memories in the LLM context before each reply, each finished turn queued."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from typing import Any

from pipecat.frames.frames import (
    CancelFrame,
    EndFrame,
    Frame,
    LLMContextAssistantTurnFrame,
    LLMContextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from voxbridge.memory.client import Context, MemoryClient

DEFAULT_INSTRUCTIONS = (
    "What you remember about this user from earlier conversations, most relevant first. "
    "Use it when it helps your answer; do not recite it."
)
_BLOCK_TAG = "<user_memories>"


class UserMemoryProcessor(FrameProcessor):
    """Gives the LLM what the service remembers about the user, and hands each finished turn to the service.

    Place it between the user context aggregator and the LLM service of a cascaded pipeline (STT → LLM → TTS):

    * **Before each reply** (each `LLMContextFrame` going to the LLM with a user message in it), it calls
      GetContext once with what the user just said, bounded by the client's deadline (`deadline`, default
      `context_timeout`, 100 ms), and puts the rendered facts in the context as ONE system message, just before
      that user message. The message it added for the previous turn is removed first, so memories never pile up
      and the rest of the conversation stays as it was (a prompt cache keeps its prefix). When nothing relevant
      is found the block is removed; when the service is down or slow (a degraded context) the previous block
      stays, since what it says is still true, and the reply goes ahead without waiting any longer.
    * **After each reply** (the assistant aggregator's `LLMContextAssistantTurnFrame`, which travels upstream
      through this processor), it queues the turn — the user's message and the assistant's reply — for
      extraction with `queue_extraction_soon`: in the background, dated when the user finished speaking,
      with this conversation's `session_id`. The pipeline never waits for it. User messages the bot did not
      answer in between (it was interrupted before it said anything) join the next turn; what the user said
      last before the call ended is queued with an empty reply.

    Speculative inference (`LLMContextFrame.speculation`) gets the memory block too (a second GetContext for
    the same words is answered from the previous one) but its turn is only queued once confirmed. The
    processor never closes the client: one MemoryClient serves every conversation of a bot process.
    """

    def __init__(
        self,
        memory: MemoryClient,
        *,
        user_id: str,
        agent_id: str = "",
        session_id: str | None = None,
        limit: int = 5,
        min_relevance: float = 0.0,
        deadline: float | None = None,
        instructions: str = DEFAULT_INSTRUCTIONS,
        queue_turns: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._memory = memory
        self.user_id = user_id
        self.agent_id = agent_id
        self.session_id = session_id if session_id is not None else uuid.uuid4().hex  # one per conversation
        self._limit = limit
        self._min_relevance = min_relevance
        self._deadline = deadline
        self._lead = f"{instructions}\n" if instructions else ""  # the block: instructions, then the rendered facts
        self._queue_turns = queue_turns
        self.last_context: Context | None = None  # what the latest GetContext returned
        self.lookups = 0  # GetContext calls made
        self.queued: list[asyncio.Task[str | None]] = []  # turns handed over: each task's result is the task id
        self._last_query: str | None = None
        self._pending: tuple[object, str, datetime] | None = None  # (message, text, when): said, not yet queued
        self._answered: object | None = None  # the user message whose turn was queued last
        self._handled: set[int] = set()  # broadcast frames seen (their sibling may come by too)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame) and direction == FrameDirection.DOWNSTREAM:
            await self._before_reply(frame)
        elif isinstance(frame, LLMContextAssistantTurnFrame):
            if frame.broadcast_sibling_id not in self._handled:
                self._handled = {frame.id}
                self._queue_pending(frame.text)
        elif isinstance(frame, (EndFrame, CancelFrame)):
            self._queue_pending("")
        await self.push_frame(frame, direction)

    def is_memory_message(self, message: Any) -> bool:
        """Whether a context message is a memory block this processor added."""
        return (
            isinstance(message, dict)
            and message.get("role") == "system"
            and isinstance(message.get("content"), str)
            and message["content"].startswith(self._lead + _BLOCK_TAG)
        )

    async def _before_reply(self, frame: LLMContextFrame) -> None:
        context = frame.context
        found = _last_user_message(context)
        if found is None:
            return  # the bot speaks first (a greeting): nothing said to search with
        message, text = found
        if not frame.speculation and message is not self._answered:
            if self._pending is None:
                self._pending = (message, text, datetime.now(UTC))
            elif self._pending[0] is not message:  # more words before any reply: one turn for extraction
                self._pending = (message, f"{self._pending[1]}\n{text}", self._pending[2])
        memory = await self._lookup(text)
        if memory.degraded:
            return
        block = {"role": "system", "content": self._lead + memory.rendered}

        def replace(messages: list[Any]) -> list[Any]:
            kept = [m for m in messages if not self.is_memory_message(m)]
            if memory.rendered:
                at = next(i for i in range(len(kept) - 1, -1, -1) if kept[i] is message)
                kept.insert(at, block)
            return kept

        context.transform_messages(replace)

    async def _lookup(self, text: str) -> Context:
        previous = self.last_context
        if previous is not None and not previous.degraded and text == self._last_query:
            return previous
        self.lookups += 1
        self.last_context = await self._memory.get_context(
            self.user_id,
            text,
            agent_id=self.agent_id,
            limit=self._limit,
            min_relevance=self._min_relevance,
            deadline=self._deadline,
        )
        self._last_query = text
        return self.last_context

    def _queue_pending(self, reply: str) -> None:
        if self._pending is None:
            return  # the bot spoke without a user turn before it (a greeting), or the turn went already
        message, text, said_at = self._pending
        self._pending, self._answered = None, message
        if self._queue_turns:
            queued = self._memory.queue_extraction_soon(
                self.user_id,
                text,
                reply,
                agent_id=self.agent_id,
                session_id=self.session_id,
                occurred_at=said_at,
            )
            self.queued.append(queued)


def _last_user_message(context: LLMContext) -> tuple[object, str] | None:
    """The latest user message of the context and its text (text parts of a multi-part message joined)."""
    for message in reversed(context.get_messages()):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            text = content
        elif isinstance(content, list):
            text = " ".join(
                part["text"]
                for part in content
                if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
            )
        else:
            text = ""
        return (message, text) if text.strip() else None
    return None
