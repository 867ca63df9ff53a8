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
from sqlalchemy.exc import DBAPIError

from litfeed.config import Settings
from litfeed.errors import StorageError
from litfeed.store import migrate
from litfeed.store.engine import SQLITE_BUSY_TIMEOUT_MS, is_read_only, make_engine


def _storage_error(exc: DBAPIError) -> StorageError | None:
    """Translate the failures an operator can fix (full disk, read-only files, a database
    that stays busy) into one message; None for anything else (a bug, a constraint)."""
    message = str(exc.orig) if exc.orig is not None else str(exc)
    message = message.strip().splitlines()[0] if message.strip() else type(exc).__name__
    lowered = message.lower()
    if "readonly" in lowered or "read-only" in lowered or "read only" in lowered:
        return StorageError(f"the database is read-only ({message}); nothing was changed. "
                            "Check the permissions of the data directory (or, for "
                            "PostgreSQL, that this is the primary, not a replica).")
    if "disk is full" in lowered or "no space" in lowered or "disk full" in lowered:
        return StorageError(f"the disk is full ({message}); the last batch was rolled back and "
                            "everything committed before it is intact. Free some space and "
                            "run the command again: it goes on where it stopped.")
    if "disk i/o error" in lowered:
        return StorageError(f"the database could not be written ({message}): a full disk, a "
                            "file-size limit or a failing disk; nothing committed was lost.")
    if "database is locked" in lowered or "database table is locked" in lowered:
        return StorageError(f"the database stayed busy ({message}): another process held its "
                            f"write lock for over {SQLITE_BUSY_TIMEOUT_MS // 1000} s; "
                            "try again.")
    if "unable to open database" in lowered:
        return StorageError(f"cannot open the database ({message}); check LITFEED_DATA_DIR.")
    return None


def _translated(exc: DBAPIError) -> Exception:
    return _storage_error(exc) or exc


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
        """:raise StorageError: the database cannot be opened or upgraded (read-only, full)."""
        engine = make_engine(url)
        try:
            if is_read_only(engine):
                version = migrate.current_revision(engine) or ""
                if version != migrate.head_revision():
                    raise StorageError(
                        f"the database {engine.url.database} is read-only and its schema "
                        f"({version or 'none'}) needs an upgrade to {migrate.head_revision()}; "
                        "make the data directory writable and run `litfeed init`")
            else:
                version = migrate.upgrade(engine)
        except DBAPIError as exc:
            engine.dispose()
            raise _translated(exc) from exc
        except StorageError:
            engine.dispose()
            raise
        return cls(engine, version)

    @property
    def read_only(self) -> bool:
        """Opened read-only because the data directory cannot be written (reads still work)."""
        return is_read_only(self.engine)

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
        except DBAPIError as exc:
            translated = _storage_error(exc)
            if translated is not None:
                raise translated from exc
            raise

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            translated = _storage_error(exc)
            if translated is not None:
                raise translated from exc
            raise

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        self.engine.dispose()
