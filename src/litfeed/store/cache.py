"""A persistent cache in the ``cache_entries`` table: text values with a time-to-live.

:class:`StoreCache` implements ``litfeed.fulltext.cache.Cache`` (``get``/``put``), so the
Unpaywall client's answers survive restarts and are shared by every worker process. Expiry is
absolute unix time, so it means the same in every process. An expired row is never returned;
rows are purged now and then on write (``ix_cache_entries_expires_at`` keeps that cheap), so the
table holds roughly what is alive plus what expired since the last purge.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from litfeed.store import Store
from litfeed.store import schema as s

_t = s.cache_entries
MAX_KEY = 400  # the column's width
PURGE_EVERY = 100  # writes between two purges of expired rows


def get_entry(conn: Connection, key: str, now: float) -> str | None:
    row = conn.execute(select(_t.c.value).where(_t.c.key == key, _t.c.expires_at > now)).first()
    return None if row is None else str(row.value)


def put_entry(conn: Connection, key: str, value: str, expires_at: float) -> None:
    """Insert or replace (one statement on both backends: no read-then-write race)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(_t).values(key=key, value=value, expires_at=expires_at)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=[_t.c.key],
        set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at}))


def purge_expired(conn: Connection, now: float) -> int:
    """Delete every expired row; how many went."""
    return int(conn.execute(delete(_t).where(_t.c.expires_at <= now)).rowcount or 0)


class StoreCache:
    """``Cache`` over the store. ``namespace`` prefixes keys so two users of the table never
    collide; ``clock`` is unix time (injectable for tests)."""

    def __init__(self, store: Store, *, namespace: str = "",
                 clock: Callable[[], float] = time.time,
                 purge_every: int = PURGE_EVERY) -> None:
        self._store = store
        self._namespace = namespace
        self._clock = clock
        self._purge_every = purge_every
        self._writes = 0
        self._lock = threading.Lock()

    def _key(self, key: str) -> str:
        full = self._namespace + key
        if len(full) > MAX_KEY:
            raise ValueError(f"cache key is {len(full)} characters; at most {MAX_KEY} fit")
        return full

    def get(self, key: str) -> str | None:
        """The value, or None if absent or expired."""
        with self._store.read() as conn:
            return get_entry(conn, self._key(key), self._clock())

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        """Store ``value`` until ``ttl_seconds`` from now (replacing any earlier value)."""
        now = self._clock()
        with self._lock:
            self._writes += 1
            purge = self._writes % self._purge_every == 0
        with self._store.transaction() as conn:
            put_entry(conn, self._key(key), value, now + ttl_seconds)
            if purge:
                purge_expired(conn, now)

    def purge(self) -> int:
        """Delete every expired row now; how many went."""
        with self._store.transaction() as conn:
            return purge_expired(conn, self._clock())
