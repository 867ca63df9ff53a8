"""Paths to the real NLM files (../shared/data/pubmed-xml) and the hand-written fixtures."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBMED_DATA = ROOT / ".." / "shared" / "data" / "pubmed-xml"


@pytest.fixture(scope="session")
def real_file() -> Callable[[str], Path]:
    """A file from the shared real-data folder; skips the test when the folder is absent."""

    def find(name: str) -> Path:
        path = PUBMED_DATA / name
        if not path.exists():
            pytest.skip(f"real PubMed data not available: {path} (see shared/data/pubmed-xml)")
        return path

    return find


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return ROOT / "tests" / "fixtures" / "pubmed"
