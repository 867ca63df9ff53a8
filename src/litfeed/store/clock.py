"""Timestamps as the store keeps them: always UTC, always timezone-aware when read back.

SQLite has no timezone type, so an aware datetime goes in and a naive one comes out; every
store function that returns a time passes it through :func:`as_utc` so callers can compare
times from either backend.
"""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
