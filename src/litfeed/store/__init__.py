"""Storage: the only package that imports a database driver.

``Store`` owns the engine and hands out scoped transactions; the functions in
``store.papers``, ``store.ingest_log`` and friends take the connection they run on.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from litfeed.config import Settings
from litfeed.errors import StorageError
from litfeed.store import migrate
from litfeed.store.engine import make_engine


def _storage_error(exc: OperationalError) -> StorageError | None:
    """Translate the failures an operator can fix (full disk, read-only files) into one message."""
    message = str(exc.orig) if exc.orig is not None else str(exc)
    lowered = message.lower()
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return StorageError(f"the database is read-only ({message}); nothing was changed. "
                            "Check the permissions of the data directory.")
    if "disk is full" in lowered or "no space" in lowered:
        return StorageError(f"the disk is full ({message}); the last batch was rolled back and "
                            "everything committed before it is intact.")
    if "unable to open database" in lowered:
        return StorageError(f"cannot open the database ({message}); check LITFEED_DATA_DIR.")
    return None


class Store:
    """A database plus its schema, ready to use."""

    def __init__(self, engine: Engine, schema_version: str) -> None:
        self.engine = engine
        self.schema_version = schema_version
        # SQLite has one writer at a time; threads of one process queue here, woken at once,
        # instead of in SQLite's busy handler, which sleeps 1-100 ms between tries (the web
        # app's write latency under concurrent requests). Re-entrant: harmless if nested.
        self._write_lock: threading.RLock | None = (
            threading.RLock() if engine.dialect.name == "sqlite" else None)

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """Connect and create or upgrade the schema (every command does this on first use)."""
        return cls.from_url(settings.database_url)

    @classmethod
    def from_url(cls, url: str) -> Store:
        engine = make_engine(url)
        try:
            version = migrate.upgrade(engine)
        except OperationalError as exc:
            raise (_storage_error(exc) or exc) from exc
        return cls(engine, version)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=True)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One explicit transaction: committed when the block ends, rolled back on error."""
        try:
            with self._write_lock or nullcontext(), self.engine.begin() as conn:
                yield conn
        except OperationalError as exc:
            translated = _storage_error(exc)
            if translated is not None:
                raise translated from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            yield conn

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
