"""The embedder protocol every provider meets, and the priorities callers ask for."""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Protocol

from memory_service.domain import Vector


class Priority(IntEnum):
    """Interactive work (GetContext) is embedded first, then extraction, then bulk imports."""

    INTERACTIVE = 0
    BACKGROUND = 1
    BULK = 2  # imports: full batches for throughput, only when nothing else waits


class Embedder(Protocol):
    @property
    def model_id(self) -> str:
        """Stored with every vector; only vectors of the active model_id are compared."""
        ...

    async def embed(
        self,
        texts: Sequence[str],
        priority: Priority = Priority.INTERACTIVE,
        *,
        owner: str | None = None,
        deadline: float | None = None,
    ) -> list[Vector]:
        """One vector per text, in order; `owner` (a user id) lets the embedder cache them for that user.

        deadline: the time.monotonic() value by which the caller needs them; an embedder that cannot make it
        raises ResourceExhausted (reason OVERLOADED) at once instead of computing what nobody will read.
        """
        ...

    def forget_owner(self, owner: str) -> int:
        """Drops whatever is cached of a user's texts."""
        ...

    async def reload(self) -> None:
        """Picks up a model switch that happened elsewhere (a no-op for a fixed model)."""
        ...
