"""The one place that renders facts as the <user_memories> block an LLM prompt embeds."""

from __future__ import annotations

from collections.abc import Sequence

from memory_service.domain import Fact, ScoredFact


def fact_line(fact: Fact) -> str:
    """What the fact says now: its text, which every edit keeps in step with its key and value."""
    return fact.text


def render_context(facts: Sequence[ScoredFact]) -> str:
    """The block, or "" when there is nothing to say (so a prompt can omit it).

    Each line carries the date the fact became true, so the LLM can resolve two
    current facts that disagree ("lives in Berlin" since 2024, "moved to Rome"
    since 2026) in favour of the newer one, and its relevance to the utterance.
    """
    if not facts:
        return ""
    lines = [
        f"- {_single_line(fact_line(s.fact))} (since {s.fact.valid_from.date().isoformat()}; relevance: {s.relevance:.2f})"
        for s in facts
    ]
    return "<user_memories>\n" + "\n".join(lines) + "\n</user_memories>"


def _single_line(text: str) -> str:
    # A fact's own newlines or tags must not break the block's structure.
    return " ".join(text.split()).replace("</user_memories>", "</ user_memories>")
