"""Real abstracts for the rank tests, from ../shared/data/sysrev-screening (see its SOURCE.md)."""

from __future__ import annotations

import csv
import gzip

from testkit import need_shared_data


def read_abstracts(review: str) -> dict[str, str]:
    """PMID -> "title\\nabstract" for the records of one review that have an abstract."""
    path = need_shared_data("sysrev-screening", f"{review}.csv.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {
            row["pubmedID"]: f"{row['title']}\n{row['abstract']}"
            for row in csv.DictReader(f)
            if row["abstract"].strip()
        }
