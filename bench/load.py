"""Load benchmark: N simulated readers against ``litfeed serve --workers W`` for S seconds, on
SQLite and on PostgreSQL. Prints, per endpoint, the requests, errors and p50/p95 latency, and
the overall throughput. Target: zero errors.

Each reader has an account (made through the service before the clock starts, as an admin's
``litfeed user add`` would). After ``--warmup`` seconds of the same load (each worker process
builds its feed candidates and opens its search index on first use), the clock starts and each
reader logs in through the API, then repeats a
visit as fast as the server answers (closed loop, no think time unless ``--think``): open the
feed, search, open two papers (the JSON and the paper page), react to one, save one to a
collection (every other visit). All readers write, so the database sees concurrent writers
from every worker process.

The corpus is one shared PubMed file (default ``pubmed21n1298.xml.gz``, ~20,000 papers),
ingested once into ``.bench-data/load/sqlite`` and the PostgreSQL database
``litfeed_bench_load``, with its search index built and the first ``--embed`` papers embedded
(the feed ranks embedded papers only); ``--fresh`` rebuilds them. The server runs with the API
request limits off (every simulated reader comes from 127.0.0.1, and without think time asks
faster than a person); ``--env KEY=VALUE`` passes more settings to it, e.g.
``--env LITFEED_RATE_API_PER_USER=1200`` to measure with the limit on.

Usage: python bench/load.py [--readers 20] [--seconds 60] [--workers 4]
                            [--backends sqlite,postgresql] [--think 0] [--fresh]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
PUBMED = (ROOT / ".." / "shared" / "data" / "pubmed-xml").resolve()
BENCH_DIR = ROOT / ".bench-data" / "load"
PG_ADMIN = os.environ.get("LITFEED_BENCH_PG_ADMIN",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "litfeed_bench_load"
PASSWORD = "load bench reader passphrase"
SAMPLE = 2_000
QUERIES = ("cancer", "covid-19", "heart failure", "diabetes[ti]", "randomized controlled trial[pt]",
           "child* AND asthma", "depression OR anxiety", "stroke", "vaccine", "obesity",
           "kidney", "sepsis", "dementia", "hypertension AND 2021[dp]", "surgery[ti]")
#: the server's settings for a load run: every reader comes from one address, and a reader
#: without think time asks faster than a person can, so the request limits are off
SERVER_ENV = {"LITFEED_RATE_API_PER_IP": "0", "LITFEED_RATE_API_PER_USER": "0",
              "LITFEED_EMBED_AFTER_INGEST": "false"}
ENDPOINTS = ("login", "feed", "search", "paper", "paper page", "react", "save")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the corpus --------------------------------------------------------------------------------

def database_url(backend: str, fresh: bool) -> str:
    if backend == "sqlite":
        folder = BENCH_DIR / "sqlite"
        if fresh:
            shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / 'litfeed.db'}"
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if fresh:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)'))
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                            {"n": PG_NAME}).scalar():
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"


def data_dir(backend: str) -> Path:
    return BENCH_DIR / backend


def model_dir() -> Path:
    """One exported model for both backends and the server (exported once, before the clock)."""
    return Path(os.environ.get("LITFEED_MODEL_DIR") or BENCH_DIR / "models")


def prepare(backend: str, url: str, source: Path, embed: int, readers: int
            ) -> tuple[list[str], list[str], int]:
    """Corpus, search index, vectors and reader accounts; returns (emails, pmids, papers)."""
    from sqlalchemy import func, select

    from litfeed.config import Settings
    from litfeed.service import accounts, search
    from litfeed.service import embeddings as embed_service
    from litfeed.service.ingest import ingest_paths
    from litfeed.service.papers import stats
    from litfeed.store import Store
    from litfeed.store import schema as s

    settings = Settings(database_url=url, data_dir=data_dir(backend), model_dir=model_dir())
    store = Store.from_url(url)
    if stats(store)["papers"] == 0:
        log(f"  ingesting {source.name} (once)…")
        started = time.perf_counter()
        ingest_paths(store, [source])
        log(f"  {stats(store)['papers']} papers in {time.perf_counter() - started:.0f} s")
    log("  bringing the search index up to date…")
    search.refresh(store, settings)
    with store.read() as conn:
        embedded = conn.execute(select(func.count()).select_from(s.embeddings)).scalar() or 0
    if embedded < embed:
        log(f"  embedding {embed - embedded} papers for the feed (once)…")
        embed_service.embed_pending(store, settings, limit=embed - embedded)
    embed_service.default_embedder(settings)  # exported now, not during the measurement
    # new readers each run, so every run starts from readers with no history (a reader's
    # reactions make their feed model costlier to train); hashed at the server's own cost
    run = time.strftime("%Y%m%d%H%M%S")
    emails = [f"reader{i}.{run}@load.bench" for i in range(readers)]
    for email in emails:
        accounts.register(store, settings, email=email, password=PASSWORD, by_admin=True)
    with store.read() as conn:  # readers open papers that have vectors and those that do not
        pmids = list(conn.execute(select(s.papers.c.pmid).order_by(func.random())
                                  .limit(SAMPLE)).scalars())
    papers = int(stats(store)["papers"])
    store.close()
    return emails, pmids, papers


# --- the server --------------------------------------------------------------------------------

def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(backend: str, url: str, port: int, workers: int, extra: dict[str, str]
                 ) -> subprocess.Popen[bytes]:
    env = {**os.environ, **SERVER_ENV, **extra, "LITFEED_DATABASE_URL": url,
           "LITFEED_DATA_DIR": str(data_dir(backend)), "LITFEED_MODEL_DIR": str(model_dir())}
    cmd = [sys.executable, "-m", "litfeed", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise SystemExit(f"litfeed serve exited: {tail}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("litfeed serve did not answer /api/health within 120 s")


def stop_server(proc: subprocess.Popen[bytes]) -> str:
    """Stop the server; returns the tracebacks it logged (a 500 leaves one)."""
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    text = err.decode(errors="replace")
    return "\n".join(line for line in text.splitlines()
                     if "Traceback" in line or "Error" in line)[-3000:]


# --- the readers -------------------------------------------------------------------------------

@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    messages: list[str] = field(default_factory=list)


async def timed(tally: Tally, name: str, call: Awaitable[httpx.Response],
                ok: tuple[int, ...] = (200,)) -> httpx.Response | None:
    started = time.perf_counter()
    try:
        response = await call
    except httpx.HTTPError as exc:
        tally.errors[name] += 1
        tally.latencies[name].append((time.perf_counter() - started) * 1000)
        if len(tally.messages) < 20:
            tally.messages.append(f"{name}: {type(exc).__name__} {exc}")
        return None
    tally.latencies[name].append((time.perf_counter() - started) * 1000)
    if response.status_code not in ok:
        tally.errors[name] += 1
        if len(tally.messages) < 20:
            tally.messages.append(f"{name}: {response.status_code} {response.text[:200]}")
        return None
    return response


async def reader(base: str, email: str, pmids: list[str], until: float, think: float,
                 tally: Tally, seed: int) -> None:
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        login = await timed(tally, "login", client.post(
            "/api/auth/login", json={"email": email, "password": PASSWORD}))
        if login is None:
            return
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        visit = 0
        while time.monotonic() < until:
            visit += 1
            await timed(tally, "feed", client.get("/api/feed", params={"since": "all"}))
            await timed(tally, "search", client.get(
                "/api/search", params={"q": rng.choice(QUERIES), "size": 20}))
            first, second = rng.sample(pmids, 2)
            await timed(tally, "paper", client.get(f"/api/papers/{first}"))
            await timed(tally, "paper page", client.get(f"/papers/{second}"))
            await timed(tally, "react", client.put(
                f"/api/papers/{first}/reaction",
                json={"value": rng.choice(("like", "like", "dislike"))}))
            if visit % 2 == 0:
                await timed(tally, "save", client.put(
                    f"/api/saved/{second}", json={"collection": "Load test"}))
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))


async def run_readers(base: str, emails: list[str], pmids: list[str], seconds: float,
                      think: float) -> tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    until = started + seconds
    await asyncio.gather(*(reader(base, email, pmids, until, think, tally, i)
                           for i, email in enumerate(emails)))
    return tally, time.monotonic() - started


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def report(backend: str, papers: int, tally: Tally, elapsed: float) -> list[str]:
    lines = []
    total = sum(len(v) for v in tally.latencies.values())
    errors = sum(tally.errors.values())
    for name in ENDPOINTS:
        values = tally.latencies.get(name, [])
        lines.append(f"{backend:<11} {name:<11} {len(values):>8} {tally.errors.get(name, 0):>7} "
                     f"{percentile(values, 50):>8.0f} {percentile(values, 95):>8.0f} "
                     f"{len(values) / elapsed:>7.1f}")
    lines.append(f"{backend:<11} {'all':<11} {total:>8} {errors:>7} {'':>8} {'':>8} "
                 f"{total / elapsed:>7.1f}   ({papers} papers)")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--readers", type=int, default=20, help="simulated readers")
    parser.add_argument("--seconds", type=float, default=60, help="measured time per backend")
    parser.add_argument("--workers", type=int, default=4, help="litfeed serve --workers")
    parser.add_argument("--warmup", type=float, default=20,
                        help="unmeasured seconds of the same load first (0: none)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean pause between visits, seconds (0: closed loop)")
    parser.add_argument("--source", type=Path, default=PUBMED / "pubmed21n1298.xml.gz",
                        help="the PubMed file to load")
    parser.add_argument("--embed", type=int, default=2_000,
                        help="papers to embed for the feed (once)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="more settings for the server (repeatable)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the corpus databases")
    args = parser.parse_args()
    if not args.source.exists():
        raise SystemExit(f"the corpus {args.source} is absent")
    extra = dict(item.split("=", 1) for item in args.env)
    rows: list[str] = []
    problems: list[str] = []
    for backend in args.backends.split(","):
        log(f"{backend}:")
        url = database_url(backend, args.fresh)
        emails, pmids, papers = prepare(backend, url, args.source, args.embed, args.readers)
        port = free_port()
        server = start_server(backend, url, port, args.workers, extra)
        try:
            if args.warmup:  # every worker builds its feed pool and opens its index first
                log(f"  warming up for {args.warmup:.0f} s (not measured)…")
                asyncio.run(run_readers(f"http://127.0.0.1:{port}", emails, pmids,
                                        args.warmup, args.think))
            log(f"  {args.readers} readers for {args.seconds:.0f} s against "
                f"{args.workers} workers…")
            tally, elapsed = asyncio.run(run_readers(f"http://127.0.0.1:{port}", emails, pmids,
                                                     args.seconds, args.think))
        finally:
            logged = stop_server(server)
        rows += report(backend, papers, tally, elapsed)
        problems += [f"{backend}: {m}" for m in tally.messages]
        if logged:
            problems.append(f"{backend} server log:\n{logged}")
    load = os.getloadavg()
    print(f"\nlitfeed load bench — {args.readers} readers x {args.seconds:.0f} s, "
          f"litfeed serve --workers {args.workers}, {os.cpu_count()} CPUs, think "
          f"{args.think:g} s, load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    header = (f"{'backend':<11} {'endpoint':<11} {'requests':>8} {'errors':>7} {'p50 ms':>8} "
              f"{'p95 ms':>8} {'req/s':>7}")
    print(header)
    print("-" * len(header))
    for line in rows:
        print(line)
    if problems:
        print("\nerrors:")
        for line in problems:
            print(f"  {line}")
    print("\ntarget: 0 errors" + (" — MISSED" if problems else " — ok"))


if __name__ == "__main__":
    main()
