"""Input limits and checks shared by every use case; violations become InvalidArgument."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

from memory_service.errors import FieldViolation, InvalidArgument

MAX_ID_LENGTH = 256
MAX_REQUEST_ID_LENGTH = 128
MAX_KEY_LENGTH = 200
MAX_VALUE_LENGTH = 2_000
MAX_TEXT_LENGTH = 4_000
MAX_QUERY_LENGTH = 4_000
MAX_MESSAGE_LENGTH = 16_000
DEFAULT_CONTEXT_LIMIT = 5
MAX_CONTEXT_LIMIT = 50
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
DEFAULT_IMPORTANCE = 0.5
MAX_DISPLAY_NAME_LENGTH = 200
MAX_RETENTION_DAYS = 36_500

# Callers' clocks drift: a time this far ahead of ours is taken as "now", further is refused.
CLOCK_SKEW = timedelta(minutes=5)
EARLIEST_TIME = datetime(1900, 1, 1, tzinfo=UTC)

_WHITESPACE = re.compile(r"\s+")


def normalize_key(key: str) -> str:
    """Keys compare without regard to case or spacing: " Favorite  Food" is "favorite food"."""
    return _WHITESPACE.sub(" ", key).strip().lower()


class RequestChecker:
    """Collects every violation of a request, so one error lists them all."""

    def __init__(self) -> None:
        self.violations: list[FieldViolation] = []

    def fail(self, field: str, description: str) -> None:
        self.violations.append(FieldViolation(field, description))

    def identifier(self, field: str, value: str, *, required: bool = True, max_length: int = MAX_ID_LENGTH) -> str:
        """An opaque id: any characters but NUL, not blank, within max_length."""
        if not value or not value.strip():
            if required:
                self.fail(field, "is required")
            elif value:
                self.fail(field, "must not be blank")
            return value
        self._common(field, value, max_length)
        return value

    def text(self, field: str, value: str, *, max_length: int, required: bool = False) -> str:
        """Free text: trimmed, within max_length, no NUL characters."""
        value = value.strip()
        if not value:
            if required:
                self.fail(field, "is required")
            return value
        self._common(field, value, max_length)
        return value

    def uuid(self, field: str, value: str) -> UUID | None:
        if not value:
            self.fail(field, "is required")
            return None
        try:
            return UUID(value)
        except ValueError:
            self.fail(field, f"must be a UUID such as 6f1c2a8e-2b7d-4d8e-9a51-3c1d0e5f7a90, got {value[:64]!r}")
            return None

    def importance(self, field: str, value: float | None) -> float:
        if value is None:
            return DEFAULT_IMPORTANCE
        if not 0.0 <= value <= 1.0:  # also rejects NaN
            self.fail(field, f"must be between 0 and 1, got {value}")
            return DEFAULT_IMPORTANCE
        return value

    def past_time(self, field: str, value: datetime | None) -> datetime | None:
        """A time that already happened (when a turn was said, since when a fact holds); None stays None."""
        if value is None:
            return None
        now = datetime.now(UTC)
        if value > now + CLOCK_SKEW:
            self.fail(field, f"must not be in the future, got {value.isoformat()}")
            return None
        if value < EARLIEST_TIME:
            self.fail(field, f"must not be before {EARLIEST_TIME:%Y-%m-%d}, got {value.isoformat()}")
            return None
        return min(value, now)

    def bounded_count(self, field: str, value: int, *, default: int, maximum: int, clamp: bool) -> int:
        """0 means the default; negatives are invalid; above maximum clamps or fails."""
        if value < 0:
            self.fail(field, f"must not be negative, got {value}")
            return default
        if value == 0:
            return default
        if value > maximum:
            if clamp:
                return maximum
            self.fail(field, f"must be at most {maximum}, got {value}")
            return maximum
        return value

    def raise_if_invalid(self) -> None:
        if self.violations:
            raise InvalidArgument(self.violations)

    def _common(self, field: str, value: str, max_length: int) -> None:
        if len(value) > max_length:
            self.fail(field, f"must be at most {max_length} characters, got {len(value)}")
        if "\x00" in value:
            self.fail(field, "must not contain NUL characters")
