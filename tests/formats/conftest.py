"""Fixtures for the format tests: hand-made samples and real parsed records."""

from __future__ import annotations

import pytest
from formats_support import REAL_PMIDS, load_real_papers, sample_papers

from litfeed.models import Paper


@pytest.fixture
def papers() -> list[Paper]:
    return sample_papers()


@pytest.fixture(scope="session")
def real_papers() -> list[Paper]:
    """Papers parsed from the shared efetch files by litfeed.pubmed.parse."""
    loaded = load_real_papers()
    if isinstance(loaded, str):
        pytest.skip(loaded)
    assert len(loaded) == len(REAL_PMIDS)
    return loaded


@pytest.fixture(params=["samples", "real"])
def any_papers(request: pytest.FixtureRequest) -> list[Paper]:
    """Each round trip runs on the hand-made samples and on real parsed records."""
    if request.param == "samples":
        return sample_papers()
    papers: list[Paper] = request.getfixturevalue("real_papers")
    return papers
