"""A full disk and a read-only data directory: a one-line error (exit 1, HTTP 503), nothing
already stored is lost, and once space or permission is back the same command goes on.

The faults are real (see reliability_support): a tmpfs of a few megabytes that the kernel
reports full (ENOSPC), a read-only bind mount (EROFS), and for PostgreSQL a database set to
``default_transaction_read_only`` (what a hot standby answers).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from reliability_support import (
    fill,
    first_records,
    litfeed_env,
    read_only,
    run_litfeed,
    small_disk,
)
from sqlalchemy import create_engine, func, select, text

from factories import fast
from litfeed.config import Settings
from litfeed.service import accounts, library
from litfeed.service import search as search_service
from litfeed.service.ingest import ingest_paths
from litfeed.store import Store
from litfeed.store import schema as s
from litfeed.web.app import create_app
from testkit import PG_ADMIN_URL, CliResult, backend_url, need_shared_data

SOURCE = ("pubmed-xml", "pubmed21n1298.xml.gz")
SMALL = ("pubmed-xml", "efetch-2025-metapub")
PASSWORD = "a long passphrase for the fault tests"


def fingerprint(store: Store) -> dict[str, Any]:
    """Everything an ingest writes, in a comparable form."""
    with store.read() as conn:
        papers = conn.execute(select(s.papers.c.pmid, s.papers.c.version,
                                     s.papers.c.content_hash).order_by(s.papers.c.pmid)).all()
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                  for t in (s.authors, s.mesh_terms, s.identifiers, s.publication_types,
                            s.deleted_papers, s.journals)}
    return {"papers": [tuple(r) for r in papers], **counts}


def one_line_error(result: CliResult, *words: str) -> str:
    """The failed command's message: one line on stderr, no traceback, naming the cause."""
    assert result.code == 1, (result.code, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def consistent(env: dict[str, str]) -> dict[str, Any]:
    """``litfeed check``: the database passes SQLite's integrity check and agrees with the
    search index."""
    check = run_litfeed("check", "--json", env=env)
    assert check.code == 0, check.stdout + check.stderr
    report: dict[str, Any] = check.json()
    assert report["findings"] == [], report
    return report


def truncate_wal(store: Store) -> None:
    """Shrink SQLite's write-ahead log to nothing, so the next write needs new disk space (a
    WAL keeps its size and a small write could otherwise reuse it)."""
    with store.read() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


# --- full disk ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_ingest_on_a_full_disk_keeps_what_was_stored_and_resumes(tmp_path: Path) -> None:
    small = need_shared_data(*SMALL)
    slice_ = first_records(need_shared_data(*SOURCE), 5_000, tmp_path / "slice.xml")
    with backend_url("sqlite", tmp_path / "reference") as url:  # the uninterrupted result
        reference_store = Store.from_url(url)
        ingest_paths(reference_store, [small])
        ingest_paths(reference_store, [slice_])
        reference = fingerprint(reference_store)
        reference_store.close()

    with small_disk(tmp_path / "disk", megabytes=40) as resize:
        data = tmp_path / "disk" / "data"
        url = f"sqlite:///{data / 'litfeed.db'}"
        env = litfeed_env(data, url)
        assert run_litfeed("ingest", str(small), env=env).code == 0
        store = Store.from_url(url)
        before = fingerprint(store)

        full = run_litfeed("ingest", str(slice_), env=env)
        one_line_error(full, "disk is full", "intact")
        after = fingerprint(store)
        assert set(before["papers"]) <= set(after["papers"]), "a stored paper was lost"
        assert len(after["papers"]) < len(reference["papers"]), "the disk filled too late"
        with store.read() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"

        resize(400)  # the operator frees space
        again = run_litfeed("ingest", str(slice_), "--json", env=env)
        assert again.code == 0, again.stderr
        assert fingerprint(store) == reference
        report = consistent(env)
        assert report["indexed"] == report["papers"] == len(reference["papers"])
        store.close()


@pytest.mark.slow
def test_embedding_on_a_full_disk_keeps_its_vectors_and_resumes(tmp_path: Path) -> None:
    corpus = first_records(need_shared_data(*SOURCE), 300, tmp_path / "papers.xml")
    with small_disk(tmp_path / "disk", megabytes=24):
        data = tmp_path / "disk" / "data"
        url = f"sqlite:///{data / 'litfeed.db'}"
        env = litfeed_env(data, url)
        store = Store.from_url(url)
        ingest_paths(store, [corpus])
        search_service.refresh(store, Settings(data_dir=data, database_url=url))
        first = run_litfeed("embed", "--limit", "256", "--json", "--quiet", env=env)
        assert first.code == 0, first.stderr
        e = s.embeddings
        with store.read() as conn:
            kept = dict(conn.execute(select(e.c.pmid, e.c.vector)).all())
        truncate_wal(store)
        filler = fill(tmp_path / "disk")

        full = run_litfeed("embed", "--quiet", env=env)
        one_line_error(full, "disk is full")
        with store.read() as conn:
            assert dict(conn.execute(select(e.c.pmid, e.c.vector)).all()) == kept

        filler.unlink()
        rest = run_litfeed("embed", "--json", "--quiet", env=env)
        assert rest.code == 0, rest.stderr
        with store.read() as conn:
            papers = conn.execute(select(func.count()).select_from(s.papers)).scalar()
            vectors = dict(conn.execute(select(e.c.pmid, e.c.vector)).all())
        assert rest.json()["embedded"] == papers - len(kept)
        assert len(vectors) == papers
        assert all(np.array_equal(np.frombuffer(vectors[p], "<f4"), np.frombuffer(v, "<f4"))
                   for p, v in kept.items())
        assert consistent(env)["not_embedded"] == 0
        store.close()


@pytest.fixture
def reader_app(tmp_path: Path) -> Iterator[tuple[TestClient, Store, int, list[str]]]:
    """The web app on a 24 MB disk with a few papers and a signed-in reader."""
    with small_disk(tmp_path / "disk", megabytes=24):
        data = tmp_path / "disk" / "data"
        settings = fast(Settings(data_dir=data, database_url=f"sqlite:///{data / 'litfeed.db'}"))
        store = Store.open(settings)
        ingest_paths(store, [need_shared_data("pubmed-xml", "pubmed24-dtd-4records.xml.gz")])
        with store.read() as conn:
            pmids = sorted(conn.execute(select(s.papers.c.pmid)).scalars())
        user = accounts.register(store, settings, email="reader@hospital.example",
                                 password=PASSWORD, by_admin=True)
        with TestClient(create_app(settings, store)) as client:
            login = client.post("/api/auth/login", json={"email": user.email,
                                                          "password": PASSWORD})
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            yield client, store, user.id, pmids
        store.close()


def test_web_writes_on_a_full_disk_answer_503_and_reads_go_on(
        reader_app: tuple[TestClient, Store, int, list[str]], tmp_path: Path) -> None:
    client, store, user_id, pmids = reader_app
    liked, other = pmids[0], pmids[1]
    assert client.put(f"/api/papers/{liked}/reaction", json={"value": "like"}).status_code == 200
    truncate_wal(store)
    filler = fill(tmp_path / "disk")

    refused = client.put(f"/api/papers/{other}/reaction", json={"value": "dislike"})
    assert refused.status_code == 503, refused.text
    assert refused.json()["error"] == "storage_error"
    assert "disk is full" in refused.json()["message"]
    saving = client.put(f"/api/saved/{other}", json={"collection": "Reading list"})
    assert saving.status_code == 503 and saving.json()["error"] == "storage_error"
    page = client.get(f"/api/papers/{liked}")  # reading needs no space
    assert page.status_code == 200 and page.json()["reaction"] == "like"
    assert client.get("/api/health").status_code == 200

    filler.unlink()
    again = client.put(f"/api/papers/{other}/reaction", json={"value": "dislike"})
    assert again.status_code == 200, again.text
    assert library.find_reaction(store, user_id, liked).value == "like"  # type: ignore[union-attr]
    assert library.find_reaction(store, user_id, other).value == "dislike"  # type: ignore[union-attr]


# --- read-only ---------------------------------------------------------------------------------

@pytest.mark.slow
def test_read_only_data_directory(tmp_path: Path) -> None:
    data = tmp_path / "data"
    url = f"sqlite:///{data / 'litfeed.db'}"
    settings = fast(Settings(data_dir=data, database_url=url))
    store = Store.open(settings)
    ingest_paths(store, [need_shared_data(*SMALL)])
    search_service.refresh(store, settings)
    user = accounts.register(store, settings, email="reader@hospital.example",
                             password=PASSWORD, by_admin=True)
    _, token = accounts.create_token(store, user.id, "script")
    pmid = sorted(fingerprint(store)["papers"])[0][0]
    library.react(store, user.id, pmid, "like")
    before = fingerprint(store)
    store.close()  # a clean close folds the write-ahead log into the file
    env = litfeed_env(data, url)

    with read_only(data):
        stats = run_litfeed("stats", "--json", env=env)
        assert stats.code == 0, stats.stderr
        assert stats.json()["papers"] == len(before["papers"])
        assert run_litfeed("show", pmid, env=env).code == 0
        backup = run_litfeed("backup", str(tmp_path / "copy.db"), env=env)
        assert backup.code == 0, backup.stderr
        one_line_error(run_litfeed("ingest", str(need_shared_data(*SOURCE)), env=env),
                       "read-only", "nothing was changed")
        one_line_error(run_litfeed("react", user.email, pmid, "dislike", env=env), "read-only")
        one_line_error(run_litfeed("search", "cancer", env=env), "read-only")
        one_line_error(run_litfeed("user", "add", "new@hospital.example", env=env),
                       "read-only")

        app_store = Store.open(settings)
        assert app_store.read_only
        with TestClient(create_app(settings, app_store)) as client:
            auth = {"Authorization": f"Bearer {token}"}
            paper = client.get(f"/api/papers/{pmid}", headers=auth)
            assert paper.status_code == 200 and paper.json()["reaction"] == "like"
            refused = client.put(f"/api/papers/{pmid}/reaction", json={"value": "dislike"},
                                 headers=auth)
            assert refused.status_code == 503, refused.text
            assert refused.json()["error"] == "storage_error"
            assert "read-only" in refused.json()["message"]
            found = client.get("/api/search", params={"q": "cancer"})
            assert found.status_code == 503 and "read-only" in found.json()["message"]
        app_store.close()

    store = Store.open(settings)
    assert not store.read_only
    assert fingerprint(store) == before
    assert library.find_reaction(store, user.id, pmid).value == "like"  # type: ignore[union-attr]
    copy = Store.from_url(f"sqlite:///{tmp_path / 'copy.db'}")
    assert fingerprint(copy) == before
    copy.close()
    assert run_litfeed("react", user.email, pmid, "dislike", env=env).code == 0
    consistent(env)
    store.close()


def test_read_only_postgresql_answers_503_and_loses_nothing(tmp_path: Path) -> None:
    """A database that refuses writes (a hot standby, or read-only by the DBA's choice)."""
    with backend_url("postgresql", tmp_path) as url:
        data = tmp_path / "data"
        settings = fast(Settings(data_dir=data, database_url=url))
        store = Store.open(settings)
        ingest_paths(store, [need_shared_data("pubmed-xml", "pubmed24-dtd-4records.xml.gz")])
        user = accounts.register(store, settings, email="reader@hospital.example",
                                 password=PASSWORD, by_admin=True)
        _, token = accounts.create_token(store, user.id, "script")
        pmid = fingerprint(store)["papers"][0][0]
        library.react(store, user.id, pmid, "like")
        before = fingerprint(store)
        store.close()
        name = url.rsplit("/", 1)[1]
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        env = litfeed_env(data, url)
        try:
            one_line_error(run_litfeed("react", user.email, pmid, "dislike", env=env),
                           "read-only")
            app_store = Store.open(settings)
            with TestClient(create_app(settings, app_store)) as client:
                auth = {"Authorization": f"Bearer {token}"}
                assert client.get(f"/api/papers/{pmid}", headers=auth).json()["reaction"] == "like"
                refused = client.put(f"/api/papers/{pmid}/reaction", json={"value": "dislike"},
                                     headers=auth)
                assert refused.status_code == 503, refused.text
                assert "read-only" in refused.json()["message"]
            app_store.close()
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'ALTER DATABASE "{name}" RESET default_transaction_read_only'))
            admin.dispose()
        store = Store.open(settings)
        assert fingerprint(store) == before
        assert library.find_reaction(store, user.id, pmid).value == "like"  # type: ignore[union-attr]
        store.close()
