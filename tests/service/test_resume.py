"""kill -9 in the middle of an ingest, then the same command again: exactly the store an
uninterrupted run leaves. A real ``litfeed ingest`` process is killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from litfeed.service.ingest import ingest_paths
from litfeed.store import Store
from litfeed.store import schema as s
from testkit import backend_url, need_shared_data

SOURCE = "pubmed21n1298.xml.gz"


def store_fingerprint(store: Store) -> dict[str, object]:
    with store.read() as conn:
        papers = conn.execute(select(s.papers.c.pmid, s.papers.c.version,
                                     s.papers.c.content_hash).order_by(s.papers.c.pmid)).all()
        counts = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                  for t in (s.authors, s.mesh_terms, s.identifiers, s.publication_types,
                            s.deleted_papers, s.journals)}
    return {"papers": [tuple(r) for r in papers], **counts}


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    path = need_shared_data("pubmed-xml", SOURCE)
    with backend_url("sqlite", tmp_path_factory.mktemp("reference")) as url:
        store = Store.from_url(url)
        ingest_paths(store, [path])
        fp = store_fingerprint(store)
        store.close()
    return fp


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with backend_url(request.param, tmp_path / "resume") as url:
        yield url


def _records_done(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.max(s.ingest_files.c.records_done))).scalar() or 0)


def test_kill_mid_file_then_rerun_matches_uninterrupted(
        empty_url: str, reference: dict[str, object], tmp_path: Path) -> None:
    path = need_shared_data("pubmed-xml", SOURCE)
    cmd = [sys.executable, "-m", "litfeed", "ingest", str(path), "--db", empty_url]
    env = {**os.environ, "LITFEED_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    store = Store.from_url(empty_url)
    deadline = time.monotonic() + 120
    while _records_done(store) < 3000:
        assert proc.poll() is None, "ingest ended before it could be killed"
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = _records_done(store)
    assert 0 < done < 20808, "the kill must land mid-file"

    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    assert store_fingerprint(store) == reference
    store.close()
