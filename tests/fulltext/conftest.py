"""Fixtures for the full-text tests (helpers live in fulltext_support.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fulltext_support import FakeUnpaywall, serve_unpaywall


@pytest.fixture(scope="module")
def unpaywall_server() -> Iterator[FakeUnpaywall]:
    with serve_unpaywall() as server:
        yield server


@pytest.fixture()
def fake_unpaywall(unpaywall_server: FakeUnpaywall) -> FakeUnpaywall:
    """The module's server with its request log emptied for this test."""
    unpaywall_server.requests.clear()
    return unpaywall_server
