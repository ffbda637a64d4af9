"""Deriving (fact_key, fact_value) from a fact sentence, so versions of one attribute share a key."""

from __future__ import annotations

import pytest

from memory_service.extraction.fact_keys import derive_key_value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name is John", ("name", "John")),
        ("My name is Alice.", ("name", "Alice")),
        ("The user's name is Bob", ("name", "Bob")),
        ("User's favourite color is blue", ("favourite color", "blue")),
        ("Favourite movies are Inception and Interstellar", ("favourite movies", "Inception and Interstellar")),
        ("Lives in Berlin", ("location", "Berlin")),
        ("I live in San Francisco", ("location", "San Francisco")),
        ("I moved to Paris", ("location", "Paris")),
        ("Works at Google", ("employer", "Google")),
        ("works as a nurse", ("occupation", "nurse")),
        ("My dog is called Biscuit", ("dog name", "Biscuit")),
    ],
)
def test_attribute_sentences_get_a_shared_key(text: str, expected: tuple[str, str]) -> None:
    assert derive_key_value(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Is a Software engineer",
        "Likes cheese pizza",
        "It is raining today",
        "My name is Alice and I love hiking",
        "Had a meeting with John at 3pm",
        "This is a very long thing that is said about nothing in particular, really",
    ],
)
def test_other_sentences_are_their_own_attribute(text: str) -> None:
    key, value = derive_key_value(text)
    assert value == text and key == " ".join(text.lower().split())
