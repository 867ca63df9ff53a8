"""Paper embeddings: computed incrementally into the store, served from an in-RAM index.

``embed_pending`` embeds papers that have no vector for the current model version, or whose
content changed since (the stored ``content_hash`` no longer matches), a chunk per transaction,
so a killed run resumes where it stopped and never embeds a paper twice. One embedder runs at a
time per data directory (a lock file).

``vector_index`` gives this process's :class:`VectorIndex` of every stored vector, kept current
by following two logs by sequence number: ``embedding_changes`` (every vector write) and
``paper_changes`` (a deleted paper loses its vector by cascade). Catching up reads only the
PMIDs those logs name since the index's position, so at a million vectors a new paper costs
a few milliseconds, not a rebuild. The index is saved beside the store (``vectors/``) with its
log position; a new process loads the file and catches up from there. ``litfeed embed`` saves
it after a run, building the HNSW graph there (minutes at a million vectors) rather than in
the web server; a server that must build one does so on a thread and searches exactly
meanwhile.
"""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
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

log = logging.getLogger(__name__)

CHUNK = 256
RECHECK_SECONDS = 1.0
#: a catch-up naming more PMIDs than this runs on a thread while the index serves as it was
CATCHUP_INLINE = 2_000
_TAG = "v2"  # the saved file's version: "v2|<store url>|<paper_changes seq>|<embedding seq>"
_embedders: dict[Path, OnnxEmbedder] = {}
_checked: dict[tuple[str, str], float] = {}
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
                  only_stale: bool = False, save_index: bool = True) -> dict[str, Any]:
    """Embed every paper that lacks a current vector; ``{"embedded", "model", "dim"}``.
    ``only_stale``: just the papers whose content changed after they were embedded.

    ``save_index``: when anything was embedded, bring the saved vector index up to date
    (building its HNSW graph if it needs one), so servers load it instead of building it.

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
                write_vectors(store, model, pmids, vectors, hashes)
                embedded += len(pmids)
                if progress:
                    progress(len(pmids))
        if embedded and save_index:
            save_vector_index(store, settings, model=model.name, dim=model.dim)
    return {"embedded": embedded, "model": model.name, "dim": model.dim}


def write_vectors(store: Store, model: Embedder, pmids: Sequence[str], vectors: np.ndarray,
                  hashes: dict[str, str]) -> None:
    """Store ``model``'s vectors of these papers (replacing older ones) and log the writes.

    Papers deleted meanwhile are skipped. The embedder's lock makes this the only writer of
    vectors, so the log's sequence numbers commit in order.
    """
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
        bulk_insert(conn, s.embedding_changes, ("pmid", "model"),
                    [(pmid, model.name) for pmid in pmids if pmid in alive])
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


@dataclass
class _Held:
    """This process's index of one model, and the log positions it reflects."""

    index: VectorIndex
    positions: tuple[int, int]  # (paper_changes seq, embedding_changes seq)
    path: Path
    catching_up: threading.Thread | None = None


_indexes: dict[tuple[str, str], _Held] = {}


def index_path(settings: Settings, model: str) -> Path:
    return settings.data_dir / "vectors" / f"{model.replace('/', '_')}.vec"


def _positions(conn: Connection) -> tuple[int, int]:
    """The heads of the two logs (primary-key maxima: cheap at any size)."""
    papers = conn.execute(select(func.max(s.paper_changes.c.seq))).scalar() or 0
    vectors = conn.execute(select(func.max(s.embedding_changes.c.seq))).scalar() or 0
    return int(papers), int(vectors)


def _tag(url: str, positions: tuple[int, int]) -> str:
    return f"{_TAG}|{url}|{positions[0]}|{positions[1]}"


def _parse_tag(tag: str, url: str) -> tuple[int, int] | None:
    """The log positions in a saved index's tag, or None when it is not this store's."""
    head, _, rest = tag.partition("|")
    owner, _, numbers = rest.rpartition("|")
    owner, _, papers = owner.rpartition("|")
    if head != _TAG or owner != url or not papers.isdigit() or not numbers.isdigit():
        return None
    return int(papers), int(numbers)


def _new_index(settings: Settings, dim: int, model: str) -> VectorIndex:
    return VectorIndex(dim, model=model, ann_threshold=settings.ann_threshold,
                       background_ann=True)


def _build(conn: Connection, index: VectorIndex) -> None:
    e = s.embeddings
    rows = conn.execute(select(e.c.pmid, e.c.vector).where(e.c.model == index.model)
                        .order_by(e.c.pmid)).all()
    for start in range(0, len(rows), 50_000):
        part = rows[start:start + 50_000]
        matrix = np.frombuffer(b"".join(r.vector for r in part),
                               dtype="<f4").reshape(-1, index.dim)
        index.add([r.pmid for r in part], matrix)


def _save_quietly(index: VectorIndex, path: Path, *, with_ann: bool = True) -> None:
    try:
        index.save(path, with_ann=with_ann)
    except OSError as exc:  # a read-only data directory: serve from RAM
        log.warning("cannot save the vector index to %s: %s", path, exc)


def _open(store: Store, settings: Settings, name: str, dim: int,
          positions: tuple[int, int]) -> _Held:
    """The saved index if it is this store's and not ahead of it; else one built from the
    store (saved at once without a graph; the graph follows on a thread, then a second save)."""
    path = index_path(settings, name)
    if path.exists():
        try:
            loaded = VectorIndex.load(path, ann_threshold=settings.ann_threshold,
                                      background_ann=True)
            saved = _parse_tag(loaded.version, store.url)
            if saved is not None and saved[0] <= positions[0] and saved[1] <= positions[1]:
                return _Held(loaded, saved, path)
        except Exception:  # a damaged or old file is only a cache: rebuild it
            log.warning("the vector index at %s is unusable; rebuilding it", path)
    index = _new_index(settings, dim, name)
    with store.read() as conn:  # read after the positions: catching up again is harmless
        _build(conn, index)
    index.version = _tag(store.url, positions)
    _save_quietly(index, path, with_ann=False)
    if index.uses_ann:
        index.start_ann_build(then=lambda: _save_quietly(index, path))
    return _Held(index, positions, path)


def _catch_up(store: Store, held: _Held, positions: tuple[int, int]) -> None:
    """Apply what the logs say happened between ``held.positions`` and ``positions``: vectors
    written are (re)read, papers changed lose their vector if the store no longer has one."""
    index = held.index
    e = s.embeddings
    before = held.positions
    with store.read() as conn:
        written = list(dict.fromkeys(conn.execute(
            select(s.embedding_changes.c.pmid)
            .where(s.embedding_changes.c.model == index.model)
            .where(s.embedding_changes.c.seq > before[1])
            .where(s.embedding_changes.c.seq <= positions[1])).scalars()))
        changed = set(conn.execute(
            select(s.paper_changes.c.pmid)
            .where(s.paper_changes.c.seq > before[0])
            .where(s.paper_changes.c.seq <= positions[0])).scalars())
        present: dict[str, bytes] = {}
        for start in range(0, len(written), 500):
            chunk = written[start:start + 500]
            for row in conn.execute(select(e.c.pmid, e.c.vector).where(e.c.model == index.model)
                                    .where(e.c.pmid.in_(chunk))):
                present[row.pmid] = row.vector
        suspects = [p for p in changed if p in index and p not in present]
        kept: set[str] = set()
        for start in range(0, len(suspects), 500):
            kept.update(conn.execute(select(e.c.pmid).where(e.c.model == index.model)
                                     .where(e.c.pmid.in_(suspects[start:start + 500])))
                        .scalars())
    if present:
        pmids = list(present)
        index.add(pmids, np.frombuffer(b"".join(present[p] for p in pmids),
                                       dtype="<f4").reshape(-1, index.dim))
    index.delete([p for p in written if p not in present] + [p for p in suspects
                                                               if p not in kept])
    index.version = _tag(store.url, positions)
    held.positions = positions


def _catch_up_behind(store: Store, held: _Held, positions: tuple[int, int]) -> None:
    try:
        _catch_up(store, held, positions)
    except Exception:  # the next check tries again from the same position
        log.exception("catching the vector index up failed")
    finally:
        held.catching_up = None


def _pending_changes(store: Store, held: _Held, positions: tuple[int, int]) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(s.paper_changes)
                                .where(s.paper_changes.c.seq > held.positions[0])
                                .where(s.paper_changes.c.seq <= positions[0])).scalar() or 0) \
            + positions[1] - held.positions[1]


def forget_indexes() -> None:
    """Drop this process's vector indexes (after a restore, or between tests)."""
    _indexes.clear()
    _checked.clear()


def vector_index(store: Store, settings: Settings, *, model: str | None = None,
                 version: str = "", dim: int = 384) -> VectorIndex:
    """Every stored vector of ``model`` (default: MiniLM), current with the store.

    The logs are looked at most every ``RECHECK_SECONDS``; a large catch-up (after an ingest)
    runs on a thread, the index answering as it was meanwhile. So callers that must never
    show a deleted paper (related papers, the feed) filter results against the store, which
    they read anyway for titles. ``version`` is accepted for compatibility and unused.
    """
    from litfeed.rank import onnx_export

    name = model or onnx_export.MODEL_NAME
    key = (store.url, name)
    held = _indexes.get(key)
    now = time.monotonic()
    if held and now - _checked.get(key, 0.0) < RECHECK_SECONDS:
        return held.index  # the store is asked at most every RECHECK_SECONDS, not per request
    with _lock:
        held = _indexes.get(key)
        _checked[key] = now
        with store.read() as conn:
            positions = _positions(conn)
        if held is None:
            held = _indexes[key] = _open(store, settings, name, dim, positions)
        if held.positions != positions and held.catching_up is None:
            if _pending_changes(store, held, positions) <= CATCHUP_INLINE:
                _catch_up(store, held, positions)
            else:
                held.catching_up = threading.Thread(
                    target=_catch_up_behind, args=(store, held, positions), daemon=True,
                    name="litfeed-vector-catch-up")
                held.catching_up.start()
        return held.index


def save_vector_index(store: Store, settings: Settings, *, model: str | None = None,
                      dim: int = 384) -> VectorIndex:
    """Bring the saved index of ``model`` up to date with the store, with its HNSW graph when
    it is large enough to need one (built here, synchronously: ``litfeed embed``'s job)."""
    index = vector_index(store, settings, model=model, dim=dim)
    held = _indexes[(store.url, index.model)]
    if held.catching_up is not None:  # a large catch-up: wait for it, then take the rest
        held.catching_up.join()
        _checked.pop((store.url, index.model), None)
        vector_index(store, settings, model=model, dim=dim)
    index.wait_for_ann()
    index.save(held.path)
    return index
