"""The <user_memories> block: one function, one format."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from memory_service.domain import Fact, FactSource, ScoredFact
from memory_service.service.rendering import render_context


def fact(key: str, value: str, text: str, since: datetime) -> Fact:
    now = datetime.now(UTC)
    return Fact(uuid4(), "u", "", key, value, text, 0.5, FactSource.MANUAL, "m", None, None, since, None, now, now)


def test_block_format_shows_what_each_fact_says_and_since_when() -> None:
    block = render_context(
        [
            ScoredFact(fact("name", "Alice", "name: Alice", datetime(2026, 3, 2, tzinfo=UTC)), 0.923),
            ScoredFact(fact("", "", "Likes cheese pizza", datetime(2025, 12, 31, 23, 59, tzinfo=UTC)), 0.5),
            # A keyed fact whose text was edited shows its text, never a stale value.
            ScoredFact(fact("location", "", "I live in Rome", datetime(2026, 11, 1, tzinfo=UTC)), 0.4),
        ]
    )
    assert block == (
        "<user_memories>\n"
        "- name: Alice (since 2026-03-02; relevance: 0.92)\n"
        "- Likes cheese pizza (since 2025-12-31; relevance: 0.50)\n"
        "- I live in Rome (since 2026-11-01; relevance: 0.40)\n"
        "</user_memories>"
    )


def test_nothing_renders_as_empty() -> None:
    assert render_context([]) == ""
