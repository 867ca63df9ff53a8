"""Real abstracts from ../shared/data/sysrev-screening (see its SOURCE.md); skip when absent."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "sysrev-screening"


def read_abstracts(review: str) -> dict[str, str]:
    """PMID -> "title\\nabstract" for the records of one review that have an abstract."""
    path = DATA / f"{review}.csv.gz"
    if not path.is_file():
        pytest.skip(f"real abstracts not available: {path} is missing")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {
            row["pubmedID"]: f"{row['title']}\n{row['abstract']}"
            for row in csv.DictReader(f)
            if row["abstract"].strip()
        }
