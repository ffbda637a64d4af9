"""The one place that renders facts as the <user_memories> block an LLM prompt embeds."""

from __future__ import annotations

from collections.abc import Sequence

from memory_service.domain import Fact, ScoredFact


def fact_line(fact: Fact) -> str:
    """ "name: Alice" for attribute facts; the sentence itself when the fact has no separate value."""
    if fact.fact_value and fact.fact_value != fact.text:
        return f"{fact.fact_key}: {fact.fact_value}"
    return fact.text


def render_context(facts: Sequence[ScoredFact]) -> str:
    """The block, or "" when there is nothing to say (so a prompt can omit it)."""
    if not facts:
        return ""
    lines = [f"- {_single_line(fact_line(s.fact))} (relevance: {s.relevance:.2f})" for s in facts]
    return "<user_memories>\n" + "\n".join(lines) + "\n</user_memories>"


def _single_line(text: str) -> str:
    # A fact's own newlines or tags must not break the block's structure.
    return " ".join(text.split()).replace("</user_memories>", "</ user_memories>")
