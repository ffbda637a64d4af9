"""Admission limits: a token bucket per caller, and a bound on calls and streams in flight per server.

Past a limit a call is refused at once with RESOURCE_EXHAUSTED and a RetryInfo,
rather than queued: one caller's burst must not become everyone's latency.
Limits are per server process; N replicas admit N times as much.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

MAX_TRACKED_CALLERS = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """rate calls per second on average, bursts up to burst, per key (a token's name, or a peer)."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, key: str, now: float | None = None) -> float | None:
        """None when the call may go; else the seconds until it could."""
        if not self.enabled:
            return None
        now = time.monotonic() if now is None else now
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.burst, now)
            if len(self._buckets) > MAX_TRACKED_CALLERS:
                self._buckets.popitem(last=False)  # the longest idle caller starts afresh
        else:
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            self._buckets.move_to_end(key)
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return None
        return (1 - bucket.tokens) / self.rate


class Slots:
    """How many unary calls and how many streams may be in flight at once."""

    def __init__(self, calls: int, streams: int) -> None:
        self.calls = calls
        self.streams = streams
        self._in_flight = {False: 0, True: 0}

    def enter(self, stream: bool) -> bool:
        limit = self.streams if stream else self.calls
        if self._in_flight[stream] >= limit:
            return False
        self._in_flight[stream] += 1
        return True

    def leave(self, stream: bool) -> None:
        self._in_flight[stream] -= 1

    def in_flight(self, stream: bool) -> int:
        return self._in_flight[stream]
