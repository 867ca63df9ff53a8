"""Web fixtures: the app on the test store (both backends), clients, readers, sample papers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from webhelpers import sign_up

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.app import create_app


@pytest.fixture
def web_settings(settings: Settings) -> Settings:
    return fast(settings)


@pytest.fixture
def papers(store: Store) -> list[str]:
    """Three papers: an RCT (100), a retracted one (101), an older review (102)."""
    add_papers(store, [
        make_paper("100", published="2021-03", doi="10.1000/rct", pmcid="PMC100"),
        make_paper("101", title="A retracted trial", published="2020-01", retracted=True,
                   publication_types=("Journal Article", "Retracted Publication")),
        make_paper("102", title="A review of reviews", published="2019",
                   publication_types=("Review", "Systematic Review")),
    ])
    return ["100", "101", "102"]


@pytest.fixture
def app(web_settings: Settings, store: Store, papers: list[str]) -> FastAPI:
    return create_app(web_settings, store)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def new_client(app: FastAPI) -> Iterator[Callable[..., TestClient]]:
    """Makes more clients (each its own cookie jar), all closed at the end."""
    made: list[TestClient] = []

    def make(**kwargs: Any) -> TestClient:
        c = TestClient(app, **kwargs)
        c.__enter__()
        made.append(c)
        return c

    yield make
    for c in made:
        c.__exit__(None, None, None)


@pytest.fixture
def reader(client: TestClient) -> dict[str, Any]:
    """``client`` signed in as reader@example.org."""
    return sign_up(client, "reader@example.org")
