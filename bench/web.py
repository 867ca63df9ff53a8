"""Web benchmark: p50/p95/p99 latency, throughput and errors for the paper page and the
reaction endpoint, 32 concurrent clients for 30 s each, on SQLite and on PostgreSQL, with the
shared PubMed corpus (~51k papers) loaded. Target: p95 <= 50 ms, zero errors.

The load comes from wrk (Debian package ``wrk``); the app runs as ``litfeed serve`` in its own
processes. Each request picks a random PMID among 2,000 and a random signed-in reader among 32
(a session cookie for the page, a Bearer token for the API), so caches and locks see realistic
spread. The corpus databases are kept in .bench-data/web (SQLite) and ``litfeed_bench_web``
(PostgreSQL) between runs; ``--fresh`` rebuilds them.

Usage: python bench/web.py [--duration 30] [--clients 32] [--workers 2]
                           [--backends sqlite,postgresql] [--scenarios page,reaction,anon]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "pubmed-xml").resolve()
BENCH_DIR = ROOT / ".bench-data" / "web"
PG_ADMIN = os.environ.get("LITFEED_BENCH_PG_ADMIN",
                          "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_NAME = "litfeed_bench_web"
MIN_PAPERS = 50_000
READERS = 32
SAMPLE = 2_000

LUA = r"""
-- one of: page (signed-in paper page), anon (anonymous paper page), reaction (PUT, Bearer)
local pmids, cookies, tokens, mode = {}, {}, {}, "page"
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  mode = args[2]
  for line in io.lines(args[1]) do
    local kind, value = line:match("^(%a+) (.+)$")
    if kind == "pmid" then table.insert(pmids, value)
    elseif kind == "cookie" then table.insert(cookies, value)
    elseif kind == "token" then table.insert(tokens, value) end
  end
  math.randomseed(os.time() * 100 + tid)
end

function request()
  local pmid = pmids[math.random(#pmids)]
  if mode == "reaction" then
    local value = (math.random(2) == 1) and "like" or "dislike"
    return wrk.format("PUT", "/api/papers/" .. pmid .. "/reaction",
      {["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
       ["Content-Type"] = "application/json"}, '{"value":"' .. value .. '"}')
  elseif mode == "anon" then
    return wrk.format("GET", "/papers/" .. pmid)
  end
  return wrk.format("GET", "/papers/" .. pmid,
    {["Cookie"] = "litfeed_session=" .. cookies[math.random(#cookies)]})
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "seconds": %.3f, "p50": %.3f, "p95": %.3f, "p99": %.3f, ' ..
    '"max": %.3f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


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
            conn.execute(text(f'DROP DATABASE IF EXISTS "{PG_NAME}"'))
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": PG_NAME}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{PG_NAME}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{PG_NAME}"


def prepare(url: str, workdir: Path) -> tuple[Path, int]:
    """Load the corpus when missing, make the readers, write wrk's data file."""
    from sqlalchemy import func, select

    from litfeed.config import Settings
    from litfeed.errors import NotFound
    from litfeed.service import accounts
    from litfeed.service.papers import stats
    from litfeed.store import Store
    from litfeed.store import schema as s

    store = Store.from_url(url)
    papers = int(stats(store)["papers"])
    if papers < MIN_PAPERS:
        from litfeed.service.ingest import ingest_paths

        log(f"  loading the shared corpus from {DATA} (once)…")
        start = time.perf_counter()
        ingest_paths(store, [DATA])
        papers = int(stats(store)["papers"])
        log(f"  {papers} papers in {time.perf_counter() - start:.0f} s")
    settings = replace(Settings(database_url=url, data_dir=workdir), argon2_time_cost=1,
                       argon2_memory_kib=1024)
    # the server's search index is built before the clock starts, as `litfeed ingest` does;
    # otherwise the first related-papers block builds it during the measurement
    from litfeed.service import search

    log("  building the search index…")
    search.refresh(store, settings)
    lines: list[str] = []
    for i in range(READERS):
        email = f"bench{i}@bench.local"
        try:
            user = accounts.get_user_by_email(store, email)
        except NotFound:
            user = accounts.register(store, settings, email=email, password="bench password",
                                     by_admin=True)
        lines.append(f"cookie {accounts.start_session(store, settings, user.id).cookie}")
        lines.append(f"token {accounts.create_token(store, user.id, 'bench')[1]}")
    with store.read() as conn:
        pmids = list(conn.execute(select(s.papers.c.pmid).order_by(func.random())
                                  .limit(SAMPLE)).scalars())
    store.close()
    lines += [f"pmid {p}" for p in pmids]
    data = workdir / "data.txt"
    data.write_text("\n".join(lines) + "\n")
    return data, papers


def start_server(url: str, port: int, workers: int, workdir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LITFEED_DATABASE_URL": url, "LITFEED_DATA_DIR": str(workdir),
           # wrk hammers from one address as 32 readers: no rate limit may shape the figures
           "LITFEED_RATE_API_PER_IP": "0", "LITFEED_RATE_API_PER_USER": "0"}
    cmd = [sys.executable, "-c", "from litfeed.cli import main; main()", "serve",
           "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
           "--no-access-log"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"litfeed serve exited: {proc.stderr.read().decode()[-2000:]}"
                             if proc.stderr else "litfeed serve exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("litfeed serve did not answer /api/health within 60 s")


def wrk(port: int, script: Path, data: Path, mode: str, clients: int, duration: int
        ) -> dict[str, Any]:
    cmd = ["wrk", "-t2", f"-c{clients}", f"-d{duration}s", "--timeout", "5s", "-s", str(script),
           f"http://127.0.0.1:{port}", "--", str(data), mode]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT "):])
    return result


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="litfeed serve --workers")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--scenarios", default="page,reaction,anon")
    parser.add_argument("--fresh", action="store_true", help="rebuild the corpus databases")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if not DATA.is_dir():
        raise SystemExit(f"the shared corpus {DATA} is absent")
    random.seed(1)
    labels = {"page": "paper page (signed in)", "anon": "paper page (anonymous)",
              "reaction": "PUT reaction (token)"}
    rows: list[tuple[str, str, dict[str, Any]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        script = workdir / "bench.lua"
        script.write_text(LUA)
        for backend in args.backends.split(","):
            log(f"{backend}:")
            url = database_url(backend, args.fresh)
            data, papers = prepare(url, workdir)
            port = free_port()
            server = start_server(url, port, args.workers, workdir)
            try:
                for mode in args.scenarios.split(","):
                    log(f"  {labels[mode]}: {args.clients} clients for {args.duration} s…")
                    result = wrk(port, script, data, mode, args.clients, args.duration)
                    log(f"    {json.dumps(result)}")
                    rows.append((backend, labels[mode], result))
            finally:
                server.terminate()
                server.wait(timeout=30)
            log(f"  ({papers} papers)")
    load = os.getloadavg()
    print(f"\nlitfeed web bench — {args.clients} clients x {args.duration} s per row, "
          f"litfeed serve --workers {args.workers}, {os.cpu_count()} CPUs, "
          f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    header = (f"{'backend':<11} {'endpoint':<24} {'requests':>9} {'req/s':>7} {'p50 ms':>7} "
              f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>7}  target p95<=50ms, 0 errors")
    print(header)
    print("-" * len(header))
    for backend, label, r in rows:
        errors = r["errors"] + r["non2xx"]
        verdict = "ok" if r["p95"] <= 50 and errors == 0 else "MISSED"
        print(f"{backend:<11} {label:<24} {r['requests']:>9} {r['requests'] / r['seconds']:>7.0f} "
              f"{r['p50']:>7.1f} {r['p95']:>7.1f} {r['p99']:>7.1f} {errors:>7}  {verdict}")


if __name__ == "__main__":
    main()
