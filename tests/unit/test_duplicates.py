"""Paraphrases are duplicates; facts that differ in a name, number, day or negation are not."""

from __future__ import annotations

import pytest

from memory_service.extraction.duplicates import is_paraphrase, same_statement

THRESHOLD = 0.85


@pytest.mark.parametrize(
    ("new", "known", "similarity"),
    [
        ("Enjoys hiking in the mountains", "Loves hiking in the mountains", 0.89),
        ("Owns a dog called Biscuit", "Has a dog named Biscuit", 0.86),
        ("i love hiking in the mountains!", "I love hiking in the mountains", 0.97),
    ],
)
def test_paraphrases(new: str, known: str, similarity: float) -> None:
    assert is_paraphrase(new, known, similarity, THRESHOLD)


@pytest.mark.parametrize(
    ("new", "known", "similarity"),
    [
        ("Has a meeting on Tuesday", "Has a meeting on Monday", 0.95),
        ("Has three cats", "Has two cats", 0.88),
        ("Is 31 years old", "Is 30 years old", 0.87),
        ("Doesn't like coffee", "Likes coffee", 0.9),
        ("Is no longer vegan", "Is vegan", 0.9),
        ("Has a dog named Rex", "Has a dog named Biscuit", 0.9),
        ("Likes jazz", "Likes rock music", 0.6),
    ],
)
def test_different_facts(new: str, known: str, similarity: float) -> None:
    assert not is_paraphrase(new, known, similarity, THRESHOLD)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("I love hiking!", "i love   hiking"),
        ("My son is 5 years old.", "my son is 5 years old"),
        ("Ich wohne in München", "ich wohne in münchen!"),
    ],
)
def test_the_same_statement_ignores_case_spacing_and_punctuation(a: str, b: str) -> None:
    assert same_statement(a, b)
    assert is_paraphrase(a, b, 0.0, THRESHOLD)  # whatever the embedding says


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("My son is 5 years old", "My son is allergic to nuts"),
        ("My favourite food is sushi", "My favourite food is not spicy"),
        ("I live in Berlin", "I live in Bonn"),
    ],
)
def test_different_statements_are_not_the_same(a: str, b: str) -> None:
    assert not same_statement(a, b)


def test_names_compare_without_regard_to_case() -> None:
    assert is_paraphrase("Lives in berlin now", "Lives in Berlin now", 0.99, THRESHOLD)
    assert not is_paraphrase("Lives in berlin", "Lives in Bonn", 0.9, THRESHOLD)
