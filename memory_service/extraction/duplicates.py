"""When a new fact only repeats a known one: the same words, or close in meaning with no detail changed.

Two tests, both blind to case:
- the same statement: equal once case, whitespace and punctuation are ignored
  ("I love hiking!" and "i love hiking"). Verbatim mode skips only these.
- a paraphrase: embedding similarity at or above the threshold, and the same
  salient tokens (numbers, number words, names, days, negations) on both sides.
  Embeddings alone cannot tell "Has a meeting on Monday" from "... on Tuesday"
  (cosine 0.95 with all-MiniLM-L6-v2) or "two cats" from "three cats" (0.88):
  the sentences are alike except for the very detail that matters.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
_NUMBER_WORDS = frozenset(
    "zero one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty "
    "hundred thousand million first second third once twice half dozen".split()
)
_NEGATIONS = frozenset("not no never none nobody nothing neither nor longer stopped quit without".split())
_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july "
    "august september october november december today tomorrow yesterday".split()
)


def normalized(text: str) -> str:
    """The words of a text in lower case, one space apart: what "the same statement" compares."""
    return " ".join(token.lower() for token in _TOKEN.findall(text))


def same_statement(a: str, b: str) -> bool:
    return normalized(a) == normalized(b)


def _names(text: str) -> set[str]:
    """Capitalised words past the first: names of people, places, pets (lower-cased)."""
    return {token.lower() for index, token in enumerate(_TOKEN.findall(text)) if index > 0 and token[0].isupper()}


def salient_tokens(text: str, names: frozenset[str] = frozenset()) -> frozenset[str]:
    """The tokens whose difference changes what a fact says; `names` adds names seen in the other text."""
    known_names = _names(text) | names
    salient: set[str] = set()
    for token in _TOKEN.findall(text):
        lower = token.lower()
        if (
            any(ch.isdigit() for ch in token)
            or lower in _NUMBER_WORDS
            or lower in _NEGATIONS
            or lower in _CALENDAR
            or lower.endswith("n't")
            or lower in known_names
        ):
            salient.add(lower)
    return frozenset(salient)


def is_paraphrase(new_text: str, known_text: str, similarity: float, threshold: float) -> bool:
    if same_statement(new_text, known_text):
        return True
    # A name capitalised on one side only ("berlin" / "Berlin") is still a name on both.
    names = frozenset(_names(new_text) | _names(known_text))
    return similarity >= threshold and salient_tokens(new_text, names) == salient_tokens(known_text, names)
