"""Backoff grows with every attempt even with jitter."""

from __future__ import annotations

import itertools

from memory_service.extraction.worker import retry_delay


def test_delays_grow_strictly_despite_jitter() -> None:
    for _ in range(200):
        delays = [retry_delay(attempt, 1.0) for attempt in (1, 2, 3, 4)]
        assert all(later > earlier for earlier, later in itertools.pairwise(delays))
        assert 1.0 <= delays[0] <= 1.5
