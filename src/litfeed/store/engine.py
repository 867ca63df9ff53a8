"""Engines for the two backends: SQLite (embedded default) and PostgreSQL.

SQLite gets WAL (readers never block the writer), a busy timeout so concurrent writers wait
instead of failing, foreign keys on, and ``synchronous=NORMAL`` (durable at each checkpoint,
safe with WAL).

A SQLite file in a directory this process cannot write (a read-only mount, or permissions) is
opened read-only, so what is stored can still be read, searched's papers shown and backed up;
every write then fails with the store's "read-only" message instead of the file failing to open.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from litfeed.errors import ConfigError, StorageError

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    # the busy timeout first: switching to WAL reads the file, which can meet a writer
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _read_only_url(path: Path) -> str:
    """A URL that reads ``path`` without writing beside it (no -wal or -shm file can be made).

    ``immutable`` skips SQLite's locking, which is safe only because nothing can write there
    either; a non-empty -wal holds committed changes that ``immutable`` would not see, so then
    the file is refused instead of being read stale.

    :raise StorageError: no database yet, or one with changes not yet checkpointed.
    """
    if not path.exists():
        raise StorageError(f"the data directory {path.parent} is read-only, so the database "
                           f"{path.name} cannot be created there; make it writable or set "
                           "LITFEED_DATA_DIR")
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise StorageError(f"the data directory {path.parent} is read-only and {wal.name} "
                           "holds changes not yet written into the database; make the "
                           "directory writable once so they can be applied")
    return f"sqlite:///file:{quote(str(path.resolve()))}?mode=ro&immutable=1&uri=true"


def is_read_only(engine: Engine) -> bool:
    """True for a SQLite file opened read-only because its directory cannot be written."""
    return engine.dialect.name == "sqlite" and engine.url.query.get("mode") == "ro"


def make_engine(url: str) -> Engine:
    """Create the engine for ``url``; creates the SQLite file's folder when missing."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise ConfigError(f"database URL {url!r} is not valid: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not parsed.query.get("uri"):
            path = Path(database).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"cannot create data directory {path.parent}: {exc}") from exc
            if not os.access(path.parent, os.W_OK):
                url = _read_only_url(path)
        engine = create_engine(url, poolclass=NullPool if database == ":memory:" else None,
                               connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    raise ConfigError(f"database URL {url!r}: unsupported backend {backend!r}; "
                      "expected sqlite:/// or postgresql+psycopg://")
