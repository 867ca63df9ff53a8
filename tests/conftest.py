"""Shared fixtures: a fresh store on each backend, the shared data folder, a CLI runner.

Every test that takes ``store`` runs twice: on SQLite (a fresh file copied from a migrated
template) and on PostgreSQL (a throwaway database on the local server, created once per
session, emptied between tests, dropped at the end).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.store import schema as s

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
PUBMED_DIR = SHARED_DATA / "pubmed-xml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_ADMIN_URL = os.environ.get("LITFEED_TEST_PG_ADMIN",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def need_shared_data(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data {path} is absent (it lives beside the project in ../shared)")
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "litfeed.db"
    store = Store.from_url(f"sqlite:///{path}")
    store.close()
    return path


@contextmanager
def pg_database() -> Iterator[str]:
    """A throwaway, migrated PostgreSQL database on the local server; dropped afterwards."""
    from sqlalchemy import create_engine

    name = f"litfeed_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there: say so, don't fail every test
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is not reachable: {exc}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        Store.from_url(url).close()
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


@contextmanager
def backend_url(backend: str, folder: Path) -> Iterator[str]:
    """A fresh, migrated store URL on ``backend`` (for module-scoped fixtures)."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / 'litfeed.db'}"
        Store.from_url(url).close()
        yield url
    else:
        with pg_database() as url:
            yield url


def _empty_pg(url: str) -> None:
    store = Store.from_url(url)
    names = ", ".join(f'"{t.name}"' for t in s.metadata.sorted_tables)
    with store.transaction() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    store.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty, migrated store on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "litfeed.db"
        path.parent.mkdir()
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("pg_url")
    _empty_pg(url)
    return url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=db_url)


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    st = Store.open(settings)
    yield st
    st.close()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for running the CLI against the test store."""
    return {"LITFEED_DATA_DIR": str(settings.data_dir),
            "LITFEED_DATABASE_URL": settings.database_url}


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
            ) -> Callable[..., CliResult]:
    """Run ``litfeed ARGS`` in-process against the given environment; returns code and output."""
    from litfeed.cli import main

    def run(*args: str, env: dict[str, str] | None = None, stdin: str | None = None
            ) -> CliResult:
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        if stdin is not None:
            monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        out, err = capsys.readouterr()
        return CliResult(code, out, err)

    return run


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)
