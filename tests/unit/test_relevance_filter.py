"""The cheap filter that skips turns with nothing memorable, before any LLM call."""

from __future__ import annotations

import pytest

from memory_service.extraction.relevance import NO_WORDS, NOTHING_MEMORABLE, skip_reason


@pytest.mark.parametrize(
    "message", ["ok", "Thanks!", "ok thanks", "lol", "hmm ok", "Yes please", "bye, see you later!"]
)
def test_fillers_are_skipped(message: str) -> None:
    assert skip_reason(message) == NOTHING_MEMORABLE


@pytest.mark.parametrize("message", ["", "   ", "👍", "...", "?!"])
def test_wordless_turns_are_skipped(message: str) -> None:
    assert skip_reason(message) == NO_WORDS


@pytest.mark.parametrize(
    "message", ["I'm vegan", "ok my name is Sam", "thanks, I live in Oslo", "No peanuts please, I'm allergic"]
)
def test_turns_with_content_pass(message: str) -> None:
    assert skip_reason(message) is None
