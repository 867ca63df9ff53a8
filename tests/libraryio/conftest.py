"""Fixtures for the library files tests: a store holding real PubMed records and two readers.

The papers are the real efetch records the reference-manager fixtures in
tests/fixtures/formats/ point at (SPINK1 15764155, the EFLM guideline 38534005, the 1981 MMWR
note 6789123), ingested through the real pipeline, plus hand-made ones for what they lack.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from libraryio_support import REAL_PMIDS, Readers, ingest_real

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.service import accounts
from litfeed.store import Store
from litfeed.web.app import create_app
from testkit import CliResult


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    return fast(settings)


@pytest.fixture
def stocked(store: Store) -> Store:
    """The three real records, plus 90000099: a paper only a title + year can find."""
    ingest_real(store, REAL_PMIDS)
    add_papers(store, [make_paper("90000099", title="Mutations of SPINK1 revisited.",
                                  published="2005-05")])
    return store


@pytest.fixture
def readers(stocked: Store, fast_settings: Settings) -> Readers:
    made = [accounts.register(stocked, fast_settings, email=e, password="a long password")
            for e in ("ana@example.org", "ben@example.org")]
    return Readers(ana=made[0], ben=made[1])


@pytest.fixture
def run(run_cli: Callable[..., CliResult], cli_env: dict[str, str]) -> Callable[..., CliResult]:
    """``litfeed ARGS`` against the test store."""

    def invoke(*args: str, stdin: str | None = None) -> CliResult:
        return run_cli(*args, env=cli_env, stdin=stdin)

    return invoke


@pytest.fixture
def client(fast_settings: Settings, stocked: Store, readers: Readers) -> Iterator[TestClient]:
    with TestClient(create_app(fast_settings, stocked)) as c:
        yield c


@pytest.fixture
def login(client: TestClient) -> Callable[[str], dict[str, Any]]:
    """Sign ``client`` in as one of the readers; returns the login answer (csrf_token…)."""

    def sign_in(email: str) -> dict[str, Any]:
        r = client.post("/api/auth/login", json={"email": email, "password": "a long password"})
        assert r.status_code == 200, r.text
        data: dict[str, Any] = r.json()
        return data

    return sign_in
