"""Shared fixtures: a fresh store on each backend, the shared data folder, a CLI runner.

Every test that takes ``store`` runs twice: on SQLite (a fresh file copied from a migrated
template) and on PostgreSQL (a throwaway database on the local server, created once per
session, emptied between tests, dropped at the end).
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.store import schema as s
from testkit import (
    CliResult,
    pg_database,
)

# Tests never leave a background embedder behind, and share one exported model.
os.environ["LITFEED_EMBED_AFTER_INGEST"] = "false"
os.environ.setdefault("LITFEED_MODEL_DIR", str(Path.home() / ".cache" / "litfeed-test-models"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "litfeed.db"
    store = Store.from_url(f"sqlite:///{path}")
    store.close()
    return path


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
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
            "LITFEED_DATABASE_URL": settings.database_url,
            "LITFEED_EMBED_AFTER_INGEST": "false"}


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




@pytest.fixture(autouse=True)
def _fresh_vector_cache() -> Iterator[None]:
    """Each test starts with a fresh database, so no process-wide vector index may carry over
    (the PostgreSQL test database keeps its URL between tests)."""
    from litfeed.service import embeddings

    embeddings.forget_indexes()
    yield
