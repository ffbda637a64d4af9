"""A cheap filter for turns with nothing to remember ("ok", "thanks!"), applied before any LLM call."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
# Acknowledgements, greetings and fillers: a turn made only of these says nothing about the user.
_FILLER = frozenset(
    """
    ok okay k kk okey alright right sure yes yeah yep yup ya no nope nah
    thanks thank thx ty you cheers cool nice great awesome perfect good fine wow
    hi hello hey heya yo bye goodbye cya later see night morning evening afternoon
    lol lmao haha hahaha hehe hmm hm mm uh um uhh umm ah oh ooh ahh
    please pls plz sorry welcome np problem got it gotcha understood noted indeed exactly
    a the so and well very much too really just
    """.split()
)
NOTHING_MEMORABLE = "nothing memorable"
NO_WORDS = "no words"


def skip_reason(user_message: str) -> str | None:
    """Why a turn can be skipped without calling the LLM, or None when it may hold a fact."""
    words = [w.lower() for w in _WORD.findall(user_message)]
    if not words:
        return NO_WORDS
    if all(word in _FILLER for word in words):
        return NOTHING_MEMORABLE
    return None
