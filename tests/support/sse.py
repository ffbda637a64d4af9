"""A Server-Sent Events reader over httpx, as a browser's EventSource parses the stream."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Frame:
    event: str
    data: Any
    id: str | None = None
    retry: int | None = None


async def frames(response: httpx.Response) -> AsyncIterator[Frame]:
    event, data, frame_id, retry = "message", "", None, None
    async for line in response.aiter_lines():
        if line == "":
            if data:
                yield Frame(event, json.loads(data), frame_id, retry)
            event, data, frame_id, retry = "message", "", None, None
        elif line.startswith(":"):
            continue  # a comment
        else:
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "event":
                event = value
            elif name == "data":
                data = f"{data}\n{value}" if data else value
            elif name == "id":
                frame_id = value
            elif name == "retry":
                retry = int(value)


class EventStream:
    """Reads an open text/event-stream response frame by frame, across several reads."""

    def __init__(self, response: httpx.Response) -> None:
        self._frames = frames(response)

    async def read(self, count: int, *, skip: tuple[str, ...] = ("heartbeat",)) -> list[Frame]:
        """The next `count` frames, heartbeats left out."""
        seen: list[Frame] = []
        async for frame in self._frames:
            if frame.event not in skip:
                seen.append(frame)
                if len(seen) == count:
                    break
        return seen


async def read_frames(response: httpx.Response, count: int, *, skip: tuple[str, ...] = ("heartbeat",)) -> list[Frame]:
    """The first `count` frames of a response, heartbeats left out."""
    return await EventStream(response).read(count, skip=skip)
