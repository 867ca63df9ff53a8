"""Ingest benchmark: records/s and peak RSS for parsing alone, ingest into SQLite and into
PostgreSQL, with pubmed_parser's ``parse_medline_xml`` on the same files as the reference.

Each measurement runs in a fresh process so peak RSS (ru_maxrss) is its own.
Usage: python bench/ingest.py [--files F…] [--pg-admin URL]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "pubmed-xml").resolve()
DEFAULT_FILES = [DATA / "pubmed20n0014.xml.gz", DATA / "pubmed21n1298.xml.gz"]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _peak_mb() -> float:
    """The larger of this process's and its children's (the parser process's) peak RSS."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, child) / 1024


def run_one(mode: str, file: Path, url: str | None) -> dict[str, float]:
    start = time.perf_counter()
    if mode == "pubmed_parser":
        import pubmed_parser

        records = sum(1 for _ in pubmed_parser.parse_medline_xml(str(file)))
    elif mode == "parse":
        from litfeed.pubmed.parse import iter_records

        records = sum(1 for _ in iter_records(file))
    else:
        from litfeed.service.ingest import ingest_paths
        from litfeed.store import Store

        assert url is not None
        store = Store.from_url(url)
        start = time.perf_counter()  # schema creation is not ingest
        summary = ingest_paths(store, [file])
        c = summary.counts
        records = c.added + c.updated + c.deleted + c.unchanged + len(summary.errors)
    seconds = time.perf_counter() - start
    return {"records": records, "seconds": seconds, "rate": records / seconds,
            "peak_mb": _peak_mb()}


def measure(mode: str, file: Path, url: str | None = None) -> dict[str, float]:
    cmd = [sys.executable, __file__, "--one", mode, str(file)] + (["--url", url] if url else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def pg_database(admin_url: str) -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"litfeed_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin_url.rsplit("/", 1)[0] + f"/{name}", name


def drop_pg(admin_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", nargs="*", type=Path, default=DEFAULT_FILES)
    parser.add_argument("--pg-admin", default=PG_ADMIN)
    parser.add_argument("--one", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]), args.url)))
        return

    rows = []
    for file in args.files:
        for mode in ("pubmed_parser", "parse", "sqlite", "postgresql"):
            if mode == "sqlite":
                tmp = tempfile.mkdtemp(prefix="litfeed-bench-")
                result = measure(mode, file, f"sqlite:///{tmp}/bench.db")
            elif mode == "postgresql":
                url, name = pg_database(args.pg_admin)
                try:
                    result = measure(mode, file, url)
                finally:
                    drop_pg(args.pg_admin, name)
            else:
                result = measure(mode, file)
            rows.append((file.name, mode, result))
            print(f"  {file.name:24} {mode:14} {result['rate']:9,.0f} rec/s", file=sys.stderr)

    print(f"\n{'file':24} {'what':22} {'records':>8} {'seconds':>8} {'rec/s':>9} {'peak MB':>8}")
    for name, mode, r in rows:
        label = {"pubmed_parser": "pubmed_parser (parse)", "parse": "litfeed parse only",
                 "sqlite": "litfeed ingest SQLite", "postgresql": "litfeed ingest PG"}[mode]
        print(f"{name:24} {label:22} {r['records']:>8,.0f} {r['seconds']:>8.1f} "
              f"{r['rate']:>9,.0f} {r['peak_mb']:>8.0f}")
    print()
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(the pipelined ingest needs two free cores)")
    for file in args.files:
        ref = next(r for n, m, r in rows if n == file.name and m == "pubmed_parser")
        lite = next(r for n, m, r in rows if n == file.name and m == "sqlite")
        ratio = lite["rate"] / ref["rate"]
        verdict = "meets" if ratio >= 1.5 else "MISSES"
        print(f"{file.name}: SQLite ingest / pubmed_parser parse = {ratio:.2f}x "
              f"({verdict} the 1.5x target); peak {lite['peak_mb']:.0f} MB "
              f"({'under' if lite['peak_mb'] < 500 else 'OVER'} 500 MB)")


if __name__ == "__main__":
    main()
