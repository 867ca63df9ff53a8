"""Readers and writers on SQLite while a real ``litfeed ingest`` runs.

A ``litfeed serve --workers 2`` (two writer processes) answers readers who open papers, search,
react and save, while a third process ingests 6,000 real PubMed records (three batches of 2,000,
each one write transaction, then the search index) and a fourth
(``litfeed react`` / ``litfeed save``) writes from the command line. Nothing may fail
("database is locked" must never reach a reader), and every write must be there afterwards.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from reliability_support import (
    first_records,
    litfeed_env,
    live_server,
    run_litfeed,
    start_litfeed,
)

from factories import fast
from litfeed.config import Settings
from litfeed.service import accounts, library
from litfeed.service import search as search_service
from litfeed.service.ingest import ingest_paths
from litfeed.service.papers import stats
from litfeed.store import Store
from testkit import need_shared_data

pytestmark = pytest.mark.slow

BIG_FILE = ("pubmed-xml", "pubmed21n1298.xml.gz")
SMALL_FOLDER = ("pubmed-xml", "efetch-2025-metapub")
RECORDS = 6_000
READERS = 4
PASSWORD = "a long passphrase for the concurrency test"
WORDS = ("cancer", "therapy", "covid", "children", "risk", "gene*", "trial", "heart")


@dataclass
class Reader:
    email: str
    client: httpx.Client
    errors: list[str] = field(default_factory=list)
    reactions: dict[str, str] = field(default_factory=dict)
    saved: set[str] = field(default_factory=set)
    requests: int = 0

    def call(self, method: str, path: str, **kwargs: object) -> httpx.Response | None:
        self.requests += 1
        try:
            r = self.client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError as exc:
            self.errors.append(f"{method} {path}: {type(exc).__name__}: {exc}")
            return None
        if r.status_code >= 400:
            self.errors.append(f"{method} {path}: {r.status_code} {r.text[:300]}")
            return None
        return r


def read_and_write(reader: Reader, pmids: list[str], stop: threading.Event, seed: int) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        pmid = rng.choice(pmids)
        reader.call("GET", f"/api/papers/{pmid}")
        reader.call("GET", "/api/search", params={"q": rng.choice(WORDS), "size": 20})
        value = rng.choice(("like", "dislike"))
        if reader.call("PUT", f"/api/papers/{pmid}/reaction", json={"value": value}):
            reader.reactions[pmid] = value
        if rng.random() < 0.5 and reader.call("PUT", f"/api/saved/{pmid}",
                                              json={"collection": "Concurrency"}):
            reader.saved.add(pmid)
        if reader.saved:
            reader.call("GET", "/api/saved", params={"collection": "Concurrency"})
        reader.call("GET", f"/papers/{rng.choice(pmids)}")


def cli_writer(env: dict[str, str], email: str, pmids: list[str], stop: threading.Event,
               out: dict[str, object]) -> None:
    """A separate process per write, as a cron job or an admin would."""
    errors: list[str] = []
    liked: set[str] = set()
    for pmid in pmids:
        if stop.is_set():
            break
        done = run_litfeed("react", email, pmid, "like", env=env, timeout=120)
        if done.code != 0:
            errors.append(f"react {pmid}: {done.stderr.strip()}")
        else:
            liked.add(pmid)
    out["errors"], out["liked"] = errors, liked


def test_readers_and_writers_while_an_ingest_runs(tmp_path: Path) -> None:
    big = first_records(need_shared_data(*BIG_FILE), RECORDS, tmp_path / "slice.xml")
    small = need_shared_data(*SMALL_FOLDER)
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'litfeed.db'}"
    settings = fast(Settings(data_dir=data, database_url=url))
    store = Store.open(settings)
    ingest_paths(store, [small])
    search_service.refresh(store, settings)
    before = stats(store)["papers"]
    with store.read() as conn:
        from litfeed.store import schema as s

        pmids = sorted(conn.execute(s.papers.select().with_only_columns(s.papers.c.pmid))
                       .scalars())
    emails = [f"reader{i}@hospital.example" for i in range(READERS + 1)]
    users = {e: accounts.register(store, settings, email=e, password=PASSWORD, by_admin=True)
             for e in emails}
    env = litfeed_env(data, url)

    with live_server(env, workers=2) as base:
        readers = []
        for email in emails[:READERS]:
            client = httpx.Client(base_url=base, timeout=60)
            login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            readers.append(Reader(email, client))
        ingest = start_litfeed("ingest", str(big), "--json", env=env)
        stop = threading.Event()
        threads = [threading.Thread(target=read_and_write, args=(r, pmids, stop, i))
                   for i, r in enumerate(readers)]
        cli_result: dict[str, object] = {}
        threads.append(threading.Thread(target=cli_writer, args=(
            env, emails[READERS], pmids[:40], stop, cli_result)))
        for t in threads:
            t.start()
        out, err = ingest.communicate(timeout=1200)
        stop.set()
        for t in threads:
            t.join(timeout=300)
        for r in readers:
            r.client.close()

    assert ingest.returncode == 0, err
    errors = [e for r in readers for e in r.errors] + list(cli_result["errors"])  # type: ignore[arg-type]
    assert errors == [], f"{len(errors)} failed request(s), first: {errors[:5]}"
    assert sum(r.requests for r in readers) > READERS * 10, "the readers barely ran"

    summary = httpx.Response(200, content=out).json()
    assert summary["errors"] == []
    assert stats(store)["papers"] == before + summary["added"] - summary["deleted"]
    for r in readers:
        uid = users[r.email].id
        for pmid, value in r.reactions.items():
            found = library.find_reaction(store, uid, pmid)
            assert found is not None and found.value == value, (r.email, pmid)
        for pmid in r.saved:
            assert "Concurrency" in library.saved_in(store, uid, pmid), (r.email, pmid)
    liked = cli_result["liked"]
    assert liked, "the command-line writer made no write"
    for pmid in liked:  # type: ignore[attr-defined]
        found = library.find_reaction(store, users[emails[READERS]].id, pmid)
        assert found is not None and found.value == "like"
    check = run_litfeed("check", "--json", env=env)
    assert check.code == 0, check.stdout + check.stderr
    assert check.json()["indexed"] == check.json()["papers"]
    store.close()
