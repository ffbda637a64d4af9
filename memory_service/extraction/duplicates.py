"""When a new fact only repeats a known one: close in meaning, and no different names, numbers or negations.

Embeddings alone cannot tell "Has a meeting on Monday" from "... on Tuesday"
(cosine 0.95 with all-MiniLM-L6-v2) or "two cats" from "three cats" (0.88): the
sentences are alike except for the very detail that matters. So a paraphrase
must pass both tests: similarity at or above the threshold, and the same
salient tokens (numbers, number words, capitalised names, negations) on both sides.
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


def salient_tokens(text: str) -> frozenset[str]:
    """The tokens whose difference changes what a fact says."""
    salient: set[str] = set()
    for index, token in enumerate(_TOKEN.findall(text)):
        lower = token.lower()
        if (
            any(ch.isdigit() for ch in token)
            or lower in _NUMBER_WORDS
            or lower in _NEGATIONS
            or lower in _CALENDAR
            or lower.endswith("n't")
            or (index > 0 and token[0].isupper())
        ):
            salient.add(lower)
    return frozenset(salient)


def is_paraphrase(new_text: str, known_text: str, similarity: float, threshold: float) -> bool:
    return similarity >= threshold and salient_tokens(new_text) == salient_tokens(known_text)
