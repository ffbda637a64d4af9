"""Derives a (fact_key, fact_value) pair from a fact sentence, so versions of one attribute share a key.

"Name is John", "My name is John" and "The user's name is John" all become
("name", "John"); "Lives in Berlin" becomes ("location", "Berlin"). A sentence
that is not a short attribute statement keeps the whole sentence as its value
and its normalised text as its key: it is its own attribute.
"""

from __future__ import annotations

import re

from memory_service.validation import MAX_KEY_LENGTH, normalize_key

_OWNER = r"(?:(?:the\s+)?user'?s|my|his|her|their|our)"
_ATTRIBUTE = re.compile(
    rf"^(?:{_OWNER}\s+)?(?P<key>[^\W\d_][\w' -]{{0,48}}?)\s+(?:is|are|was|were)\s+(?P<value>.+)$",
    re.IGNORECASE | re.UNICODE,
)
_RELATION = re.compile(
    r"^(?:(?:the\s+)?user\s+|i\s+|i'm\s+|i\s+am\s+)?"
    r"(?P<verb>lives?\s+in|living\s+in|is\s+based\s+in|based\s+in|moved\s+to|works?\s+(?:at|for)|"
    r"works?\s+as(?:\s+an?)?|is\s+called|am\s+called|(?:is|am)\s+named|goes\s+by)\s+(?P<value>.+)$",
    re.IGNORECASE | re.UNICODE,
)
_RELATION_KEYS = {
    "live in": "location",
    "lives in": "location",
    "living in": "location",
    "is based in": "location",
    "based in": "location",
    "moved to": "location",
    "work at": "employer",
    "works at": "employer",
    "work for": "employer",
    "works for": "employer",
    "is called": "name",
    "am called": "name",
    "is named": "name",
    "am named": "name",
    "goes by": "name",
}
# A key never starts with these: "It is raining", "This is great" are not attributes.
_NOT_KEYS = {
    "i",
    "it",
    "he",
    "she",
    "they",
    "we",
    "you",
    "this",
    "that",
    "there",
    "here",
    "what",
    "who",
    "which",
    "where",
    "when",
    "why",
    "how",
    "user",
    "the user",
    "today",
    "everything",
    "nothing",
    "is",
    "am",
    "are",
    "was",
    "were",
}
# A value that runs on into another clause is a sentence, not an attribute.
_CLAUSE = re.compile(r"[,;:.!?]|\b(?:and i|but|because|so|which|who|although|though|while)\b", re.IGNORECASE)
_MAX_VALUE_WORDS = 8
_NAMED = re.compile(r"^(?:called|named)\s+(?P<value>.+)$", re.IGNORECASE)


def derive_key_value(text: str) -> tuple[str, str]:
    sentence = text.strip().rstrip(".!?").strip()
    match = _RELATION.match(sentence)
    if match:
        verb = normalize_key(match["verb"])
        key = _RELATION_KEYS.get(verb) or ("occupation" if verb.startswith("work") else None)
        value = match["value"].strip()
        if key and _is_attribute_value(value):
            return key, value
    match = _ATTRIBUTE.match(sentence)
    if match:
        key = normalize_key(match["key"])
        value = match["value"].strip()
        named = _NAMED.match(value)
        if named:  # "My dog is called Biscuit" -> ("dog name", "Biscuit")
            key, value = f"{key} name", named["value"]
        if key.split(" ")[0] not in _NOT_KEYS and key not in _NOT_KEYS and _is_attribute_value(value):
            return key, value
    return normalize_key(sentence)[:MAX_KEY_LENGTH], text.strip()


def _is_attribute_value(value: str) -> bool:
    return bool(value) and len(value.split()) <= _MAX_VALUE_WORDS and not _CLAUSE.search(value)
