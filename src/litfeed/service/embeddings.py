"""Paper embeddings: computed incrementally into the store, served from an in-RAM index.

``embed_pending`` embeds papers that have no vector for the current model version, or whose
content changed since (the stored ``content_hash`` no longer matches), a chunk per transaction,
so a killed run resumes where it stopped and never embeds a paper twice. One embedder runs at a
time per data directory (a lock file).

``vector_index`` gives this process's :class:`VectorIndex` of every stored vector. It is rebuilt
from the store when the store's signature (vector count, newest change) moves on — deleted
papers lose their vectors by cascade, so the index never returns them — and saved beside the
store so the next process starts from the file instead of the database.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import orjson
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.engine import Connection

from litfeed.config import Settings
from litfeed.errors import StorageError
from litfeed.models import Paper
from litfeed.rank.embeddings import Embedder, OnnxEmbedder, iter_embeddings, paper_text
from litfeed.rank.vectors import VectorIndex
from litfeed.store import Store
from litfeed.store import schema as s
from litfeed.store.papers import bulk_insert

CHUNK = 256
_embedders: dict[Path, OnnxEmbedder] = {}
_indexes: dict[tuple[str, str], tuple[tuple[int, int], VectorIndex]] = {}
_checked: dict[tuple[str, str], float] = {}
RECHECK_SECONDS = 1.0
_lock = threading.Lock()


def model_dir(settings: Settings) -> Path:
    return settings.model_dir or settings.data_dir / "models"


def default_embedder(settings: Settings) -> OnnxEmbedder:
    """The int8 MiniLM, exported into the data directory on first use; one per process."""
    key = model_dir(settings)
    with _lock:
        if key not in _embedders:
            _embedders[key] = OnnxEmbedder.load(key, quantized=True)
        return _embedders[key]


@contextmanager
def _exclusive(path: Path) -> Iterator[bool]:
    """Hold ``path``'s lock if no one else does; yields False when another embedder runs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _pending(conn: Connection, embedder: Embedder, after: str, limit: int, *,
             only_stale: bool = False) -> list[tuple[str, str, str]]:
    """(pmid, doc, content_hash) of papers after ``after`` that need a (new) vector; with
    ``only_stale``, only those whose vector was computed from older content."""
    e = s.embeddings
    p = s.papers
    wanted = (and_(e.c.pmid.is_not(None), e.c.content_hash != p.c.content_hash) if only_stale
              else or_(e.c.pmid.is_(None), e.c.content_hash != p.c.content_hash,
                       e.c.model_version != embedder.version))
    rows = conn.execute(
        select(p.c.pmid, p.c.doc, p.c.content_hash)
        .select_from(p.outerjoin(e, and_(e.c.pmid == p.c.pmid, e.c.model == embedder.name)))
        .where(p.c.pmid > after)
        .where(wanted)
        .order_by(p.c.pmid).limit(limit))
    return [(r.pmid, r.doc, r.content_hash) for r in rows]


def count_pending(store: Store, embedder_name: str, embedder_version: str) -> int:
    e, p = s.embeddings, s.papers
    with store.read() as conn:
        return int(conn.execute(
            select(func.count()).select_from(
                p.outerjoin(e, and_(e.c.pmid == p.c.pmid, e.c.model == embedder_name)))
            .where(or_(e.c.pmid.is_(None), e.c.content_hash != p.c.content_hash,
                       e.c.model_version != embedder_version))).scalar() or 0)


def embed_pending(store: Store, settings: Settings, *, embedder: Embedder | None = None,
                  limit: int | None = None, progress: Callable[[int], None] | None = None,
                  only_stale: bool = False) -> dict[str, Any]:
    """Embed every paper that lacks a current vector; ``{"embedded", "model", "dim"}``.
    ``only_stale``: just the papers whose content changed after they were embedded.

    :raise StorageError: another ``litfeed embed`` is running on this data directory.
    """
    model = embedder or default_embedder(settings)
    embedded = 0
    with _exclusive(settings.data_dir / "embed.lock") as mine:
        if not mine:
            raise StorageError("another `litfeed embed` is running on this data directory; "
                               "it will embed these papers too")
        after = ""
        while limit is None or embedded < limit:
            want = CHUNK if limit is None else min(CHUNK, limit - embedded)
            with store.read() as conn:
                batch = _pending(conn, model, after, want, only_stale=only_stale)
            if not batch:
                break
            after = batch[-1][0]
            hashes = {pmid: digest for pmid, _, digest in batch}
            items = ((pmid, paper_text(Paper.from_doc(orjson.loads(doc))))
                     for pmid, doc, _ in batch)
            for pmids, vectors in iter_embeddings(model, items, chunk_size=len(batch)):
                _write(store, model, pmids, vectors, hashes)
                embedded += len(pmids)
                if progress:
                    progress(len(pmids))
    return {"embedded": embedded, "model": model.name, "dim": model.dim}


def _write(store: Store, model: Embedder, pmids: list[str], vectors: np.ndarray,
           hashes: dict[str, str]) -> None:
    e = s.embeddings
    with store.transaction() as conn:
        # the delete first: it opens the write transaction (SQLite's write lock) before the
        # papers are read, so no ingest can slip in between the read and the insert
        conn.execute(delete(e).where(e.c.model == model.name).where(e.c.pmid.in_(pmids)))
        # a paper deleted since it was read must not come back as an orphan vector, nor one
        # replaced meanwhile (an ingest racing this run) get the vector of its old content:
        # it stays pending, for the next run
        current = conn.execute(select(s.papers.c.pmid, s.papers.c.content_hash)
                               .where(s.papers.c.pmid.in_(pmids))).all()
        alive = {pmid for pmid, digest in current if hashes[pmid] == digest}
        bulk_insert(conn, e, ("pmid", "model", "model_version", "content_hash", "dim", "vector"),
                     [(pmid, model.name, model.version, hashes[pmid], model.dim,
                       np.asarray(vec, dtype="<f4").tobytes())
                      for pmid, vec in zip(pmids, vectors, strict=True) if pmid in alive])
    _checked.clear()  # this process sees its own new vectors at once


def start_background_embed(settings: Settings) -> None:
    """``litfeed embed`` in a detached process, so the app is usable while it works."""
    log = settings.data_dir / "embed.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir),
           "LITFEED_DATABASE_URL": settings.database_url}
    with open(log, "ab") as out:
        subprocess.Popen([sys.executable, "-m", "litfeed", "embed", "--quiet"], env=env,
                         stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                         start_new_session=True)


# --- the in-RAM index ----------------------------------------------------------------------


def _signature(conn: Connection, model: str) -> tuple[int, int]:
    count = conn.execute(select(func.count()).select_from(s.embeddings)
                         .where(s.embeddings.c.model == model)).scalar() or 0
    seq = conn.execute(select(func.max(s.paper_changes.c.seq))).scalar() or 0
    return int(count), int(seq)


def _build(conn: Connection, model: str, version: str, dim: int) -> VectorIndex:
    index = VectorIndex(dim, model=model, version=version)
    e = s.embeddings
    rows = conn.execute(select(e.c.pmid, e.c.vector).where(e.c.model == model)
                        .order_by(e.c.pmid)).all()
    for start in range(0, len(rows), 50_000):
        part = rows[start:start + 50_000]
        matrix = np.frombuffer(b"".join(r.vector for r in part), dtype="<f4").reshape(-1, dim)
        index.add([r.pmid for r in part], matrix)
    return index


def forget_indexes() -> None:
    """Drop this process's vector indexes (after a restore, or between tests)."""
    _indexes.clear()
    _checked.clear()


def vector_index(store: Store, settings: Settings, *, model: str | None = None,
                 version: str = "", dim: int = 384) -> VectorIndex:
    """Every stored vector of ``model`` (default: MiniLM), current with the store.

    The store is asked whether it moved on at most every ``RECHECK_SECONDS``; callers that
    must never show a deleted paper (related papers, the feed) filter their results against
    the store, which they read anyway for titles.
    """
    from litfeed.rank import onnx_export

    name = model or onnx_export.MODEL_NAME
    key = (store.url, name)
    cached = _indexes.get(key)
    now = time.monotonic()
    if cached and now - _checked.get(key, 0.0) < RECHECK_SECONDS:
        return cached[1]  # the store is asked at most every RECHECK_SECONDS, not per request
    _checked[key] = now
    with store.read() as conn:
        signature = _signature(conn, name)
        if cached and cached[0] == signature:
            return cached[1]
        path = settings.data_dir / "vectors" / f"{name.replace('/', '_')}.vec"
        # the saved file's "version" names the store state it was built from
        tag = f"{store.url}|{signature[0]}|{signature[1]}"
        index: VectorIndex | None = None
        if path.exists():
            try:
                loaded = VectorIndex.load(path)
                if loaded.version == tag:
                    index = loaded
            except Exception:  # a damaged or old file is only a cache: rebuild it
                index = None
        if index is None:
            index = _build(conn, name, tag, dim)
            with contextlib.suppress(OSError):  # read-only data directory: serve from RAM
                index.save(path)
    _indexes[key] = (signature, index)
    return index
