"""Timestamps on the wire: the hot path's own conversion says what protobuf's FromDatetime says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from google.protobuf import timestamp_pb2

from memory_service.grpc_api.convert import timestamp


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 2, 14, 3, 11, 123456, tzinfo=UTC),
        datetime(1960, 5, 3, 1, 2, 3, 456789, tzinfo=UTC),  # before the epoch: negative seconds, positive nanos
        datetime(2026, 3, 2, 5, 0, tzinfo=timezone(timedelta(hours=2))),  # another zone
        datetime(2020, 1, 1, 12, 0, 0, 1),  # naive: UTC
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_same_as_from_datetime(value: datetime) -> None:
    expected = timestamp_pb2.Timestamp()
    expected.FromDatetime(value)
    assert timestamp(value) == expected


def test_none_stays_unset() -> None:
    assert timestamp(None) is None
