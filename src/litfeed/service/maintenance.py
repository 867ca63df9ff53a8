"""Backups, restores and consistency checks.

SQLite is copied with SQLite's online backup API (a consistent snapshot while readers and
writers keep working); PostgreSQL with ``pg_dump`` in its custom format and ``pg_restore``.
The search index and the vector cache are derived data: they are not in the backup, and a
restore removes this machine's copies so they are rebuilt from the restored database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from sqlalchemy.engine import make_url

from litfeed.config import Settings
from litfeed.errors import InvalidInput, StorageError
from litfeed.store import Store


def _sqlite_file(store: Store) -> Path:
    database = store.engine.url.database
    if not database or database == ":memory:":
        raise InvalidInput("an in-memory database cannot be backed up")
    if database.startswith("file:"):  # a URI (the read-only opening of a read-only directory)
        return Path(unquote(database[len("file:"):].partition("?")[0]))
    return Path(database)


def _open_source(store: Store) -> sqlite3.Connection:
    """The SQLite file to copy from, opened as the store opened it (read-only when it is)."""
    path = _sqlite_file(store)
    if store.read_only:
        return sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
    return sqlite3.connect(path)


def _pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    """libpq connection options for pg_dump/pg_restore; the password travels in the env."""
    u = make_url(url)
    args = ["--dbname", u.database or "", "--host", u.host or "127.0.0.1",
            "--port", str(u.port or 5432)]
    if u.username:
        args += ["--username", u.username]
    env = {**os.environ}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return args, env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    try:
        subprocess.run(cmd, env=env, check=True, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise StorageError(f"{cmd[0]} is not installed; install PostgreSQL's client tools") from exc
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["no message"]
        raise StorageError(f"{cmd[0]} failed: {last[0]}") from exc


def backup(store: Store, path: Path) -> dict[str, Any]:
    """Write a consistent copy of the database to ``path`` (the file must not exist yet)."""
    if path.exists():
        raise InvalidInput(f"{path} exists; choose a new file name (nothing was overwritten)")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    try:
        if store.dialect == "sqlite":
            source = _open_source(store)
            target = sqlite3.connect(tmp)
            try:
                with target:
                    source.backup(target, pages=4096)
            finally:
                target.close()
                source.close()
        else:
            args, env = _pg_env(store.engine.url.render_as_string(hide_password=False))
            _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(tmp), *args], env)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"cannot write the backup {path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return {"backup": str(path), "backend": store.dialect, "bytes": path.stat().st_size}


def restore(store: Store, settings: Settings, path: Path) -> dict[str, Any]:
    """Replace the database's contents with the backup at ``path``; derived data is dropped."""
    if not path.is_file():
        raise InvalidInput(f"{path}: no such backup file")
    if store.dialect == "sqlite":
        with open(path, "rb") as fh:
            if fh.read(16) != b"SQLite format 3\x00":
                raise InvalidInput(f"{path} is not a SQLite backup")
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        store.engine.dispose()
        target = sqlite3.connect(_sqlite_file(store))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    else:
        with open(path, "rb") as fh:
            if fh.read(5) != b"PGDMP":
                raise InvalidInput(f"{path} is not a pg_dump custom-format backup")
        store.engine.dispose()
        args, env = _pg_env(store.engine.url.render_as_string(hide_password=False))
        _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
              *args, str(path)], env)
    _drop_derived(settings)
    return {"restored": str(path), "backend": store.dialect}


def _drop_derived(settings: Settings) -> None:
    """The search index and vector cache of the old contents; both rebuild on next use."""
    from litfeed.service import embeddings

    for name in ("search", "vectors"):
        shutil.rmtree(settings.data_dir / name, ignore_errors=True)
    embeddings.forget_indexes()


def check(store: Store, settings: Settings, *, repair: bool = False) -> dict[str, Any]:
    """See :func:`litfeed.service.consistency.check` (kept here: the operator's commands)."""
    from litfeed.service import consistency

    return consistency.check(store, settings, repair=repair)
