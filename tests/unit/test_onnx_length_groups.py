"""How the ONNX encoder splits a batch into model calls: by length, so short texts are not padded to long ones."""

from __future__ import annotations

from memory_service.embeddings.onnx_runtime import CALL_OVERHEAD_TOKENS, CHUNK_SIZE, length_groups


def covered(groups: list[slice], count: int) -> list[int]:
    return [i for group in groups for i in range(count)[group]]


def test_groups_cover_every_text_once_in_order() -> None:
    lengths = sorted([8, 9, 9, 11, 12, 14, 16, 23, 23, 40, 120, 256] * 5)
    groups = length_groups(lengths)
    assert covered(groups, len(lengths)) == list(range(len(lengths)))
    assert all(0 < g.stop - g.start <= CHUNK_SIZE for g in groups)


def test_short_texts_are_not_padded_to_a_long_one() -> None:
    lengths = [8] * 20 + [256]
    assert length_groups(lengths) == [slice(0, 20), slice(20, 21)]


def test_similar_lengths_share_one_call() -> None:
    # Splitting would save less padding than the cost of another call.
    lengths = [10, 10, 11, 11, 12, 12]
    assert CALL_OVERHEAD_TOKENS > (12 - 10) * 2
    assert length_groups(lengths) == [slice(0, 6)]


def test_no_call_takes_more_than_the_chunk_size() -> None:
    lengths = [16] * (CHUNK_SIZE * 2 + 3)
    groups = length_groups(lengths)
    assert len(groups) == 3  # as few calls as the chunk size allows
    assert max(g.stop - g.start for g in groups) <= CHUNK_SIZE
    assert covered(groups, len(lengths)) == list(range(len(lengths)))


def test_nothing_to_split() -> None:
    assert length_groups([]) == []
