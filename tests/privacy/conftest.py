"""Privacy fixtures: a store with three papers (both backends), fast password hashing, the app."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from privacy_support import PMIDS

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.app import create_app
from testkit import CliResult


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return fast(settings)


@pytest.fixture
def stocked(store: Store) -> Store:
    add_papers(store, [make_paper(PMIDS[0], doi="10.1000/one"),
                       make_paper(PMIDS[1], title="A review of reviews", published="2020-01"),
                       make_paper(PMIDS[2], title="Sleep and mood", published="2019-05")])
    return store


@pytest.fixture
def app(fast_settings: Settings, stocked: Store) -> FastAPI:
    return create_app(fast_settings, stocked)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def run(run_cli: Callable[..., CliResult], cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """``litfeed ARGS`` against the test store."""

    def invoke(*args: str, stdin: str | None = None) -> CliResult:
        return run_cli(*args, env=cli_env, stdin=stdin)

    return invoke
