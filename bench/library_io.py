"""What library import/export adds and costs: the title key on the ingest path, matching an
import against a store, and the paper page's Cite block.

Prints three small tables. Uses the real records in ../shared/data/pubmed-xml (the 2021 update
file, about 20,000 papers, ingested into a temporary SQLite store). Run from the project root:

    PYTHONPATH=src python bench/library_io.py
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path

from litfeed.formats.match import title_key
from litfeed.models import Paper
from litfeed.pubmed.parse import iter_records
from litfeed.service import accounts, library_io
from litfeed.service.ingest import ingest_paths
from litfeed.store import Store
from litfeed.store.papers import prepare

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pubmed-xml"
UPDATE_FILE = DATA / "pubmed21n1298.xml.gz"


def per_call_us(fn, items, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            fn(item)
        best = min(best, time.perf_counter() - start)
    return best / len(items) * 1e6


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    papers = [r for r in iter_records(UPDATE_FILE) if isinstance(r, Paper)]
    ascii_share = sum(p.title.isascii() for p in papers) / len(papers)
    key_us = per_call_us(lambda p: title_key(p.title), papers)
    prepare_us = per_call_us(prepare, papers)
    print(f"\ningest path, {len(papers)} real records ({ascii_share:.0%} ASCII titles)")
    print(f"{'prepare() per paper':<32}{prepare_us:>8.1f} µs")
    print(f"{'  of which title_key':<32}{key_us:>8.1f} µs ({key_us / prepare_us:.0%})")

    with tempfile.TemporaryDirectory() as folder:
        store = Store.from_url(f"sqlite:///{folder}/bench.db")
        start = time.perf_counter()
        ingest_paths(store, [UPDATE_FILE])
        ingest_s = time.perf_counter() - start
        from litfeed.config import Settings
        settings = Settings(data_dir=Path(folder), database_url=store.url,
                            argon2_time_cost=1, argon2_memory_kib=1024)
        user = accounts.register(store, settings, email="b@example.org", password="x1" * 6)
        rng = random.Random(7)
        sample = rng.sample(papers, 1000)
        by_doi = [p for p in sample if p.doi][:300]
        by_title = [p for p in sample if p.year][300:600]
        files = {
            "PMIDs": "\n".join(p.pmid for p in sample),
            "DOIs": "\n".join(p.doi or "" for p in by_doi),
            "titles (RIS, no ids)": "".join(
                f"TY  - JOUR\nTI  - {p.title}\nPY  - {p.year}\nER  - \n\n" for p in by_title),
        }
        print(f"\nimport matching, SQLite store of {len(papers)} papers "
              f"(ingested in {ingest_s:.1f} s)")
        print(f"{'entries by':<22}{'n':>6}{'matched':>9}{'ms/entry':>10}")
        for name, text in files.items():
            start = time.perf_counter()
            report = library_io.import_library(store, user.id, text, collection=name)
            ms = (time.perf_counter() - start) * 1000 / max(report.entries, 1)
            print(f"{name:<22}{report.entries:>6}{report.matched:>9}{ms:>10.2f}")

        cite_papers = sample[:50]
        start = time.perf_counter()
        for p in cite_papers:
            library_io.citations_for(p)
        cold = (time.perf_counter() - start) * 1000 / len(cite_papers)
        start = time.perf_counter()
        for p in cite_papers:
            library_io.citations_for(p)
        warm = (time.perf_counter() - start) * 1000 / len(cite_papers)
        print("\nCite block (AMA + Vancouver + APA, text and HTML), per paper")
        print(f"{'first view':<22}{cold:>8.1f} ms")
        print(f"{'later views (cached)':<22}{warm:>8.3f} ms")
        store.close()


if __name__ == "__main__":
    main()
