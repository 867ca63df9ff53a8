"""Search latency and indexing cost: through the index, the service and the HTTP API, against
plain SQLite FTS5, in the same run.

Loads the shared PubMed records (pubmed20n0014 + pubmed21n1298, ~50k papers), replicates them
with fresh PMIDs up to ``--scale`` papers, stores them in a SQLite litfeed store, builds the
Tantivy index from the store the way the app does (``service.search.refresh``: read the change
log, decode each stored paper, index it with its arrival time), builds the FTS5 baseline, then
runs the fixed queries below (``--repeat`` timed runs each after one warm-up) four ways:

- ``index``: ``SearchIndex.search`` (parse, translate, top 20 with total count, PMIDs and
  snippets);
- ``service``: ``service.search.search`` (the above plus the freshness check against the store
  and the rows of the 20 hits), what the CLI and the API call;
- ``http``: ``GET /api/search?q=…&sort=…`` on a real ``litfeed serve`` (uvicorn) subprocess on
  127.0.0.1, over one keep-alive connection with httpx (JSON parsed on the client);
- ``fts5``: one ``fts5(title, abstract, subjects, authors, journal, mesh, pt,
  tokenize='porter unicode61')`` table ranked by ``bm25(fts, 3, 1, 1, ...)`` with a
  ``snippet()`` per hit and a ``count(*)``, the same AST translated to an FTS5 MATCH string
  (fielded terms become column filters, looser than the exact-value matching of the Tantivy
  index; totals are printed so that can be seen).

It prints p50/p95 per query class and overall, index sizes and indexing rates.

    PYTHONPATH=src python bench/search.py --scale 200000 --workdir /tmp/lfbench
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import httpx

from litfeed.config import Settings
from litfeed.models import AbstractSection, Author, MeshTerm, Paper
from litfeed.search.index import Sort
from litfeed.search.query import And, DateRange, Node, Not, Or, Phrase, Term, parse_query
from litfeed.search.schema import author_values, mesh_values, normalize_value
from litfeed.search.translate import STOPWORDS
from litfeed.service import search as search_service
from litfeed.store import Store
from litfeed.store import papers as store_papers

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "pubmed-xml"
FILES = ("pubmed20n0014.xml.gz", "pubmed21n1298.xml.gz")
ENGINE_PATHS = {"tantivy": "search", "fts5": "fts.db", "store": "litfeed.db"}
STORE_BATCH = 2_000
FRESH_PMID_BASE = 90_000_000  # above any real PMID, so replicas never collide

# (class, query, sort)
QUERIES: list[tuple[str, str, Sort]] = [
    *(("rare", q, "relevance") for q in (
        "esketamine", "mucormycosis", "tocilizumab", "anhedonia", "hidradenitis",
        "pheochromocytoma", "sarcopenia", "neurogenesis")),
    *(("common", q, "relevance") for q in (
        "treatment", "patients", "study", "cells", "children", "risk", "cancer", "disease")),
    *(("or_common", q, "relevance") for q in (
        "treatment OR patients", "cancer OR tumor OR neoplasm", "children OR adolescents",
        "risk OR outcome", "cells OR tissue", "covid OR sars-cov-2 OR coronavirus")),
    *(("and_common", q, "relevance") for q in (
        "treatment patients", "cancer AND survival", "children AND risk",
        "patients AND treatment AND outcome")),
    *(("phrase", q, "relevance") for q in (
        '"breast cancer"', '"randomized controlled trial"', '"heart failure"',
        '"quality of life"', '"public health"', '"machine learning"')),
    *(("fielded", q, "relevance") for q in (
        "cancer[ti]", "covid-19[tiab]", "smith j[au]", "humans[mh]", "review[pt]",
        "lancet[ta]", "depression[majr]", "randomized controlled trial[pt]")),
    *(("date", q, "relevance") for q in (
        "treatment AND 2021[dp]", "cancer AND 2015:2021[dp]", "patients AND 1979[dp]",
        "covid-19 AND 2021/03[dp]", '"heart failure" AND 2020:2021[dp]',
        "children[ti] AND 1978:1980[dp]")),
    *(("truncation", q, "relevance") for q in (
        "neurogen*", "immun* AND therap*", "(covid* OR coronavirus) AND vaccin*",
        "depress* NOT anxiety")),
    *(("sort_date", q, "date") for q in ("patients", "cancer", "depression[ti]")),
]


# ---------------------------------------------------------------- corpus


def load_base(synthetic: int) -> list[Paper]:
    if synthetic:
        return synthetic_papers(synthetic)
    try:
        from litfeed.pubmed.parse import iter_records
    except ImportError:
        sys.exit("litfeed.pubmed.parse is missing (parser branch); run with --synthetic 50000")
    papers: dict[str, Paper] = {}
    for name in FILES:
        for record in iter_records(DATA / name):
            if isinstance(record, Paper):
                papers[record.pmid] = record
    return list(papers.values())


def synthetic_papers(n: int) -> list[Paper]:
    """Zipf-ish random text, for running the bench without the parser or the data."""
    rng = random.Random(7)
    vocab = [f"w{i}" for i in range(30_000)] + ["treatment", "patients", "cancer", "study"]
    weights = [1 / (i + 1) for i in range(len(vocab))]

    def text(k: int) -> str:
        return " ".join(rng.choices(vocab, weights, k=k))

    return [
        Paper(
            pmid=str(i + 1), title=text(12), abstract=(AbstractSection(None, text(180), ""),),
            year=rng.randint(1975, 2021), published=str(rng.randint(1975, 2021)),
            authors=(Author(last="Smith", initials="J"),), mesh=(MeshTerm("Humans"),),
            publication_types=("Journal Article",),
        )
        for i in range(n)
    ]


def replicate(base: list[Paper], scale: int) -> Iterator[Paper]:
    """``base`` then copies with fresh PMIDs until ``scale`` papers."""
    for k in range(scale):
        paper = base[k % len(base)]
        yield paper if k < len(base) else dataclasses.replace(
            paper, pmid=str(FRESH_PMID_BASE + k))


# ---------------------------------------------------------------- store and index


def settings_for(work: Path) -> Settings:
    return Settings(data_dir=work, database_url=f"sqlite:///{work / ENGINE_PATHS['store']}")


def build_store(settings: Settings, papers: Iterable[Paper]) -> float:
    """Write the papers into a litfeed store (the ingest write path, without the XML)."""
    start = time.perf_counter()
    store = Store.open(settings)
    batch: list[Paper] = []
    for paper in papers:
        batch.append(paper)
        if len(batch) == STORE_BATCH:
            with store.transaction() as conn:
                store_papers.apply_batch(conn, batch)
            batch = []
    if batch:
        with store.transaction() as conn:
            store_papers.apply_batch(conn, batch)
    store.close()
    return time.perf_counter() - start


def build_index(settings: Settings) -> float:
    """Index the store as the app does after an ingest (``litfeed reindex``)."""
    start = time.perf_counter()
    store = Store.open(settings)
    search_service.refresh(store, settings, rebuild=True)
    store.close()
    return time.perf_counter() - start


# ---------------------------------------------------------------- HTTP


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(settings: Settings, port: int) -> subprocess.Popen[bytes]:
    """``litfeed serve`` on 127.0.0.1 with this store, answering once /api/health does."""
    env = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir),
           "LITFEED_DATABASE_URL": settings.database_url}
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen(
        [sys.executable, "-m", "litfeed", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--no-access-log"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            sys.exit(f"litfeed serve exited: {err[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    proc.kill()
    sys.exit("litfeed serve did not answer within 120 s")


# ---------------------------------------------------------------- FTS5

FTS_COLUMNS = ("title", "abstract", "subjects", "authors", "journal", "mesh", "pt")
FTS_WORD_COLUMNS = {None: "{title abstract subjects}", "tiab": "{title abstract}",
                    "ti": "title", "ab": "abstract"}
FTS_VALUE_COLUMNS = {"au": "authors", "ta": "journal", "mh": "mesh", "majr": "mesh", "pt": "pt"}


def fts_row(paper: Paper) -> tuple[object, ...]:
    journal = paper.journal
    every, _ = mesh_values(paper)
    return (
        int(paper.pmid), paper.title, paper.abstract_text,
        " ; ".join([*paper.keywords, *(m.descriptor for m in paper.mesh)]),
        " ; ".join(author_values(paper)),
        " ; ".join(v for v in (journal.title, journal.iso_abbrev, journal.medline_ta) if v),
        " ; ".join(every), " ; ".join(paper.publication_types),
    )


def build_fts(path: Path, papers: Iterable[Paper], commit_every: int) -> float:
    start = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("CREATE TABLE meta(pmid INTEGER PRIMARY KEY, pubdate INTEGER)")
    db.execute("CREATE INDEX meta_pubdate ON meta(pubdate)")
    db.execute(f"CREATE VIRTUAL TABLE fts USING fts5({', '.join(FTS_COLUMNS)}, "
               "tokenize='porter unicode61 remove_diacritics 2')")
    from litfeed.search.schema import pubdate

    batch: list[Paper] = []

    def flush() -> None:
        with db:
            db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                           [(int(p.pmid), pubdate(p)) for p in batch])
            db.executemany(f"INSERT INTO fts(rowid, {', '.join(FTS_COLUMNS)}) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [fts_row(p) for p in batch])

    for paper in papers:
        batch.append(paper)
        if len(batch) == commit_every:
            flush()
            batch = []
    flush()
    db.execute("INSERT INTO fts(fts) VALUES ('optimize')")
    db.commit()
    db.close()
    return time.perf_counter() - start


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def to_fts(node: Node) -> str | None:
    """An FTS5 MATCH expression for the text part of ``node`` (dates are handled in SQL)."""
    if isinstance(node, Term | Phrase):
        text = node.text if isinstance(node, Term) else " ".join(node.words)
        if isinstance(node, Term) and node.field in FTS_WORD_COLUMNS and not node.prefix \
                and text.lower() in STOPWORDS:
            return None
        star = "*" if node.prefix or (isinstance(node, Term) and node.field == "au") else ""
        column = FTS_WORD_COLUMNS.get(node.field) or FTS_VALUE_COLUMNS[str(node.field)]
        return f"{column} : {_fts_string(normalize_value(text))}{star}"
    if isinstance(node, Or):
        parts = [p for p in map(to_fts, node.items) if p]
        return "(" + " OR ".join(parts) + ")" if parts else None
    if isinstance(node, And):
        positive = [p for p in (to_fts(i) for i in node.items if not isinstance(i, Not)) if p]
        negative = [p for p in (to_fts(i.item) for i in node.items if isinstance(i, Not)) if p]
        if not positive:
            return None
        expr = "(" + " AND ".join(positive) + ")"
        for neg in negative:
            expr = f"({expr} NOT {neg})"
        return expr
    raise ValueError(f"not supported in the FTS5 baseline: {node}")


def fts_query(node: Node) -> tuple[str, str, list[object]]:
    """(MATCH expression, extra SQL condition on ``meta``, its parameters); dates must be
    top-level AND terms."""
    items = node.items if isinstance(node, And) else (node,)
    dates = [i for i in items if isinstance(i, DateRange)]
    rest = [i for i in items if not isinstance(i, DateRange)]
    match = to_fts(rest[0] if len(rest) == 1 else And(tuple(rest)))
    if match is None:
        raise ValueError("nothing to match")
    cond, params = "", list[object]()
    for d in dates:
        cond += " AND meta.pubdate BETWEEN ? AND ?"
        params += [d.start, d.end]
    return match, cond, params


def fts_search(db: sqlite3.Connection, node: Node, sort: str) -> int:
    """Top 20 with snippets, and the total; FTS5 drives the join (CROSS JOIN keeps SQLite
    from starting at the date index and re-running MATCH per row)."""
    match, cond, params = fts_query(node)
    source = "fts CROSS JOIN meta ON meta.pmid = fts.rowid" if cond or sort == "date" else "fts"
    order = "meta.pubdate DESC" if sort == "date" else "bm25(fts, 3.0, 1.0, 1.0, 0, 0, 0, 0)"
    rows = db.execute(
        f"SELECT fts.rowid, snippet(fts, 1, '<b>', '</b>', '…', 24) FROM {source} "
        f"WHERE fts MATCH ?{cond} ORDER BY {order} LIMIT 20", [match, *params]).fetchall()
    total = db.execute(f"SELECT count(*) FROM {source} WHERE fts MATCH ?{cond}",
                       [match, *params]).fetchone()[0]
    del rows
    return int(total)


# ---------------------------------------------------------------- timing


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def du(path: Path) -> int:
    if path.is_file():
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=100_000, help="papers to index")
    ap.add_argument("--repeat", type=int, default=7, help="timed runs per query")
    ap.add_argument("--commit-every", type=int, default=100_000, help="FTS5 batch size")
    ap.add_argument("--synthetic", type=int, default=0, help="use N random papers as the base")
    ap.add_argument("--no-fts", action="store_true", help="skip the FTS5 baseline")
    ap.add_argument("--no-http", action="store_true", help="skip the HTTP API")
    ap.add_argument("--workdir", type=Path, default=None, help="keep the store and indexes here")
    ap.add_argument("--reuse", action="store_true",
                    help="query the store and indexes already in --workdir instead of building")
    args = ap.parse_args()
    if args.reuse and not args.workdir:
        ap.error("--reuse needs --workdir")

    work = Path(args.workdir or tempfile.mkdtemp(prefix="litfeed-bench-")).resolve()
    settings = settings_for(work)
    seconds: dict[str, float] = {}
    if not args.reuse:
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        t0 = time.perf_counter()
        base = load_base(args.synthetic)
        print(f"loaded {len(base)} base papers in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        seconds["store"] = build_store(settings, replicate(base, args.scale))
        print(f"stored in {seconds['store']:.1f} s", file=sys.stderr)
        seconds["tantivy"] = build_index(settings)
        print(f"indexed tantivy in {seconds['tantivy']:.1f} s", file=sys.stderr)
        if not args.no_fts:
            seconds["fts5"] = build_fts(work / ENGINE_PATHS["fts5"],
                                        replicate(base, args.scale), args.commit_every)
            print(f"indexed fts5 in {seconds['fts5']:.1f} s", file=sys.stderr)
        del base

    store = Store.open(settings)
    index = search_service.open_index(settings)
    db = sqlite3.connect(work / ENGINE_PATHS["fts5"]) if not args.no_fts else None
    nodes = [parse_query(q) for _, q, _ in QUERIES]
    port = free_port()
    server = None if args.no_http else start_server(settings, port)
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)

    def via_index(k: int) -> int:
        return index.search(nodes[k], sort=QUERIES[k][2]).total

    def via_service(k: int) -> int:
        _, q, sort = QUERIES[k]
        request = search_service.SearchRequest(query=q, sort=sort)
        return int(search_service.search(store, index, request)["total"])

    def via_http(k: int) -> int:
        _, q, sort = QUERIES[k]
        r = http.get("/api/search", params={"q": q, "sort": sort})
        r.raise_for_status()
        return int(r.json()["total"])

    def via_fts(k: int) -> int:
        assert db is not None
        return fts_search(db, nodes[k], QUERIES[k][2])

    runners: dict[str, Callable[[int], int]] = {"index": via_index, "service": via_service}
    if server:
        runners["http"] = via_http
    if db is not None:
        runners["fts5"] = via_fts
    engines = list(runners)
    try:
        totals = {e: [runners[e](k) for k in range(len(QUERIES))] for e in engines}  # warm-up
        samples: dict[str, list[list[float]]] = {e: [[] for _ in QUERIES] for e in engines}
        floor: list[float] = []  # the HTTP round trip without a search: a missing /api route
        for rep in range(args.repeat):
            # rotate which engine goes first, so none always runs right after FTS5 has
            # walked its 2.6 GB (or after the HTTP server took the CPU)
            order = engines[rep % len(engines):] + engines[:rep % len(engines)]
            for k in range(len(QUERIES)):
                for engine in order:
                    start = time.perf_counter()
                    runners[engine](k)
                    samples[engine][k].append((time.perf_counter() - start) * 1000)
                if server:
                    start = time.perf_counter()
                    http.get("/api/no-such-route")
                    floor.append((time.perf_counter() - start) * 1000)
    finally:
        http.close()
        if server:
            server.terminate()
            server.wait(timeout=30)
    for engine in ("service", "http"):
        if engine in totals:
            assert totals[engine] == totals["index"], f"{engine} totals differ from the index"

    load = os.getloadavg()[0]
    papers = index.count()
    print(f"\n## search latency, {papers:,} papers, {len(QUERIES)} queries x "
          f"{args.repeat} runs (ms); {os.cpu_count()} CPUs, load average {load:.1f}\n")
    head = "| class | queries | " + " | ".join(f"{e} p50 | {e} p95" for e in engines) + " |"
    print(head)
    print("|" + "---|" * (2 + 2 * len(engines)))
    classes = list(dict.fromkeys(c for c, _, _ in QUERIES))
    for cls in [*classes, "overall"]:
        ks = [k for k, (c, _, _) in enumerate(QUERIES) if cls in (c, "overall")]
        cells = []
        for engine in engines:
            values = [v for k in ks for v in samples[engine][k]]
            cells.append(f"{percentile(values, 0.5):.2f} | {percentile(values, 0.95):.2f}")
        print(f"| {cls} | {len(ks)} | " + " | ".join(cells) + " |")
    if floor:
        print(f"\nHTTP round trip without a search (GET of a missing /api route, same "
              f"connection): p50 {percentile(floor, 0.5):.2f} ms, p95 "
              f"{percentile(floor, 0.95):.2f} ms")

    print("\n## per query: median ms (total hits)\n")
    print("| query | " + " | ".join(engines) + " |")
    print("|---|" + "---|" * len(engines))
    for k, (_, q, sort) in enumerate(QUERIES):
        label = q + (" (by date)" if sort == "date" else "")
        cells = [f"{statistics.median(samples[e][k]):.2f} ({totals[e][k]:,})" for e in engines]
        print(f"| `{label}` | " + " | ".join(cells) + " |")

    print("\n## indexing\n")
    print("| what | papers | seconds | papers/s | size MB |")
    print("|---|---|---|---|---|")
    what = {"store": "SQLite store (apply_batch)", "tantivy": "Tantivy index from the store",
            "fts5": "FTS5 table"}
    for name in ("store", "tantivy", "fts5"):
        if name == "fts5" and db is None:
            continue
        size = du(work / ENGINE_PATHS[name])
        took = seconds.get(name)
        rate = f"{took:.1f} | {papers / took:,.0f}" if took else "(reused) | -"
        print(f"| {what[name]} | {papers:,} | {rate} | {size / 1e6:,.0f} |")
    index.close()
    store.close()
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
