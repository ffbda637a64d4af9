"""The <user_memories> block: one function, one format."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from memory_service.domain import Fact, FactSource, ScoredFact
from memory_service.service.rendering import render_context


def fact(key: str, value: str, text: str) -> Fact:
    now = datetime.now(UTC)
    return Fact(uuid4(), "u", "", key, value, text, 0.5, FactSource.MANUAL, "m", None, None, now, None, now, now)


def test_block_format() -> None:
    block = render_context(
        [
            ScoredFact(fact("name", "Alice", "name: Alice"), 0.923),
            ScoredFact(fact("likes cheese pizza", "Likes cheese pizza", "Likes cheese pizza"), 0.5),
        ]
    )
    assert block == (
        "<user_memories>\n- name: Alice (relevance: 0.92)\n- Likes cheese pizza (relevance: 0.50)\n</user_memories>"
    )


def test_nothing_renders_as_empty() -> None:
    assert render_context([]) == ""
