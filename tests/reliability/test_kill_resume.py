"""kill -9 in the middle of ``litfeed embed`` and of ``litfeed reindex``, then the same command
again: the result is what an uninterrupted run leaves.

Real processes are killed once they have visibly made progress (vectors committed, an index
checkpoint moved, the index cleared for a rebuild), never at a guessed moment.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from reliability_support import (
    first_records,
    kill9,
    litfeed_env,
    run_litfeed,
    start_litfeed,
    wait_for,
)
from sqlalchemy import func, select

from litfeed.config import Settings
from litfeed.service import embeddings as embed_service
from litfeed.service import search as search_service
from litfeed.service.ingest import ingest_paths
from litfeed.store import Store
from litfeed.store import schema as s
from testkit import backend_url, need_shared_data

pytestmark = pytest.mark.slow

SOURCE = ("pubmed-xml", "pubmed21n1298.xml.gz")
EMBED_RECORDS = 400  # two chunks of 256 (the unit `litfeed embed` commits)
INDEX_RECORDS = 12_000  # three chunks of 5,000 changes (the unit `litfeed reindex` commits)
QUERIES = ("cancer", "covid* AND children", "therapy[ti]", "randomized controlled trial[pt]",
           "heart OR cardiac", "risk NOT mortality")


def pmids_of(store: Store) -> set[str]:
    with store.read() as conn:
        return set(conn.execute(select(s.papers.c.pmid)).scalars())


def vectors_of(store: Store) -> dict[str, np.ndarray]:
    e = s.embeddings
    with store.read() as conn:
        rows = conn.execute(select(e.c.pmid, e.c.vector)).all()
    return {r.pmid: np.frombuffer(r.vector, dtype="<f4") for r in rows}


def embedded_count(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(s.embeddings)).scalar() or 0)


# --- embedding ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def embed_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("embed-corpus")
    return first_records(need_shared_data(*SOURCE), EMBED_RECORDS, folder / "papers.xml")


@pytest.fixture(scope="module")
def embed_reference(embed_corpus: Path, tmp_path_factory: pytest.TempPathFactory
                    ) -> dict[str, np.ndarray]:
    """The vectors an uninterrupted ``litfeed embed`` writes."""
    folder = tmp_path_factory.mktemp("embed-reference")
    with backend_url("sqlite", folder) as url:
        store = Store.from_url(url)
        ingest_paths(store, [embed_corpus])
        settings = Settings(data_dir=folder, database_url=url)
        embed_service.embed_pending(store, settings)
        vectors = vectors_of(store)
        assert set(vectors) == pmids_of(store)
        store.close()
    return vectors


@pytest.fixture(params=["sqlite", "postgresql"])
def embed_url(request: pytest.FixtureRequest, tmp_path: Path, embed_corpus: Path
              ) -> Iterator[str]:
    with backend_url(request.param, tmp_path / "db") as url:
        store = Store.from_url(url)
        ingest_paths(store, [embed_corpus])
        store.close()
        yield url


def test_embedding_killed_midway_resumes_to_the_uninterrupted_result(
        embed_url: str, embed_reference: dict[str, np.ndarray], tmp_path: Path) -> None:
    store = Store.from_url(embed_url)
    papers = pmids_of(store)
    env = litfeed_env(tmp_path / "data", embed_url)
    proc = start_litfeed("embed", "--quiet", "--json", env=env)
    wait_for(lambda: embedded_count(store) >= embed_service.CHUNK, proc,
             "the first committed chunk of vectors")
    kill9(proc)
    at_kill = embedded_count(store)
    assert 0 < at_kill < len(papers), "the kill must land mid-run"

    rerun = run_litfeed("embed", "--quiet", "--json", env=env)
    assert rerun.code == 0, rerun.stderr
    # nothing committed before the kill is embedded again
    assert rerun.json()["embedded"] == len(papers) - at_kill
    vectors = vectors_of(store)
    assert set(vectors) == papers
    with store.read() as conn:
        rows = conn.execute(select(func.count()).select_from(s.embeddings)).scalar()
    assert rows == len(papers)
    assert set(vectors) == set(embed_reference)
    for pmid, vector in vectors.items():  # same model, same chunks: the same vectors
        assert float(vector @ embed_reference[pmid]) > 0.9999, pmid
    check = run_litfeed("check", "--json", env=env)
    assert check.json()["not_embedded"] == 0 and check.json()["embedded"] == len(papers)
    some = sorted(papers)[len(papers) // 2]
    related = run_litfeed("related", some, "--json", env=env)
    assert related.code == 0 and related.json()["results"], related.stderr
    store.close()


# --- reindexing --------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def index_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store of 12,000 records (ingested once per module)."""
    folder = tmp_path_factory.mktemp("index-template")
    url = f"sqlite:///{folder / 'litfeed.db'}"
    store = Store.from_url(url)
    slice_ = first_records(need_shared_data(*SOURCE), INDEX_RECORDS, folder / "papers.xml")
    ingest_paths(store, [slice_])
    store.close()
    return folder / "litfeed.db"


@pytest.fixture
def behind(index_template: Path, tmp_path: Path) -> tuple[Settings, Store]:
    """A copy of the template whose search index has applied none of its 12,000 changes
    (as on an app server that was offline during an ingest)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(index_template, data / "litfeed.db")
    url = f"sqlite:///{data / 'litfeed.db'}"
    settings, store = Settings(data_dir=data, database_url=url), Store.from_url(url)
    with search_service.open_index(settings) as index:
        index.commit(checkpoint=f"{store.url}|0")
    return settings, store


def checkpoint(settings: Settings) -> str | bool | None:
    """The index's recorded checkpoint; False while the file is absent or being replaced."""
    try:
        meta = json.loads((search_service.index_path(settings) / "litfeed-search.json")
                          .read_text("utf-8"))
    except (OSError, ValueError):
        return False
    value = meta.get("checkpoint")
    return value if isinstance(value, str) or value is None else False


def applied(settings: Settings) -> int:
    value = checkpoint(settings)
    return int(value.rpartition("|")[2]) if isinstance(value, str) else -1


def assert_index_matches(settings: Settings, store: Store) -> None:
    """Every stored paper indexed once, nothing else; searches count what the store holds."""
    env = litfeed_env(settings.data_dir, settings.database_url)
    with search_service.open_index(settings) as index:
        assert index.pmids() == pmids_of(store)
        assert index.count() == len(pmids_of(store))
    check = run_litfeed("check", "--json", env=env)
    assert check.code == 0 and check.json()["findings"] == [], check.stdout + check.stderr
    found = run_litfeed("search", QUERIES[1], "--json", env=env)
    assert found.code == 0 and found.json()["total"] > 0, found.stderr


def reference_totals(settings: Settings, store: Store, tmp_path: Path) -> dict[str, int]:
    """What an index built in one uninterrupted run answers to each query."""
    clean = Settings(data_dir=tmp_path / "reference", database_url=settings.database_url)
    search_service.refresh(store, clean, rebuild=True)
    totals = {}
    with search_service.open_index(clean) as index:
        for query in QUERIES:
            totals[query] = index.search(query, limit=0).total
    return totals


def totals(settings: Settings) -> dict[str, int]:
    with search_service.open_index(settings) as index:
        return {q: index.search(q, limit=0).total for q in QUERIES}


def test_reindex_killed_between_chunks_resumes(behind: tuple[Settings, Store],
                                               tmp_path: Path) -> None:
    settings, store = behind
    env = litfeed_env(settings.data_dir, settings.database_url)
    assert applied(settings) == 0
    proc = start_litfeed("reindex", "--json", env=env)
    wait_for(lambda: applied(settings) > 0, proc, "a committed index chunk")
    kill9(proc)
    with store.read() as conn:
        latest = int(conn.execute(select(func.max(s.paper_changes.c.seq))).scalar() or 0)
    assert 0 < applied(settings) < latest, "the kill must land between chunks"

    rerun = run_litfeed("reindex", "--json", env=env)
    assert rerun.code == 0, rerun.stderr
    assert rerun.json()["papers"] == len(pmids_of(store))
    assert applied(settings) == latest
    assert_index_matches(settings, store)
    assert totals(settings) == reference_totals(settings, store, tmp_path)
    store.close()


def test_full_reindex_killed_midway_rebuilds(behind: tuple[Settings, Store],
                                             tmp_path: Path) -> None:
    settings, store = behind
    env = litfeed_env(settings.data_dir, settings.database_url)
    search_service.refresh(store, settings)  # a complete index
    assert isinstance(checkpoint(settings), str)
    proc = start_litfeed("reindex", "--full", "--json", env=env)
    wait_for(lambda: checkpoint(settings) is None, proc, "the index cleared for the rebuild")
    kill9(proc)
    assert checkpoint(settings) is None, "the kill must land before the rebuild's commit"
    broken = run_litfeed("check", "--json", env=env)
    assert broken.code == 1
    assert broken.json()["findings"][0] == ("the search index is not built, or its rebuild did "
                                            "not finish")

    rerun = run_litfeed("reindex", "--json", env=env)  # no --full: it knows it must rebuild
    assert rerun.code == 0, rerun.stderr
    assert_index_matches(settings, store)
    assert totals(settings) == reference_totals(settings, store, tmp_path)
    store.close()
