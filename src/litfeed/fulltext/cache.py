"""The cache the Unpaywall client reads through: text values with a time-to-live.

The client only needs ``get``/``put``; the store will provide a persistent implementation
(so a restart does not re-ask Unpaywall for every paper). :class:`MemoryCache` serves tests and
single-process use.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol


class Cache(Protocol):
    def get(self, key: str) -> str | None:
        """The stored value, or None if absent or expired."""
        ...

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        """Store ``value`` until ``ttl_seconds`` from now."""
        ...


class MemoryCache:
    """A thread-safe in-process cache; the oldest entry goes first when ``max_entries`` is hit."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at, value = entry
            if self._clock() >= expires_at:
                del self._entries[key]
                return None
            return value

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (self._clock() + ttl_seconds, value)
            while len(self._entries) > self._max_entries:
                del self._entries[next(iter(self._entries))]

    def __len__(self) -> int:
        return len(self._entries)
