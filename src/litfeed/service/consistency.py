"""``litfeed check``: do the database, this machine's search index and the vectors agree?

The database is the truth; the search index and the vectors are derived from it, so every
disagreement is repaired towards the database:

* the database itself: SQLite's ``integrity_check`` and ``foreign_key_check`` (reported only:
  a damaged database is restored from a backup, not patched);
* the search index: it belongs to another database or is ahead of this one (rebuilt), it is
  behind the change log (caught up), or it lacks stored papers / holds papers no longer stored
  although its checkpoint says it is current (rebuilt);
* the vectors: vectors of papers no longer stored, or of the wrong length (deleted; ``litfeed
  embed`` makes missing ones again), vectors computed from a paper's older content — an update
  that raced an embedding run — (re-embedded now), and this machine's vector cache files that
  are damaged or were left half-written by a killed process (deleted; rebuilt on next use).

Papers that simply have no vector yet are not a disagreement: ``not_embedded`` counts them,
and ``litfeed embed`` (started after every ingest) works through them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from sqlalchemy import and_, delete, func, select, text

from litfeed.config import Settings
from litfeed.errors import StorageError
from litfeed.store import Store
from litfeed.store import schema as s


class _Report:
    def __init__(self, repair: bool) -> None:
        self.repair = repair
        self.findings: list[str] = []
        self.repaired: list[str] = []
        self.unrepaired = 0

    def problem(self, finding: str, fixed: str | None = None) -> None:
        """Record a finding; ``fixed`` says what the repair did (None: not repaired)."""
        self.findings.append(finding)
        if fixed is None:
            self.unrepaired += 1
        else:
            self.repaired.append(fixed)


def check(store: Store, settings: Settings, *, repair: bool = False) -> dict[str, Any]:
    """Verify the database, the search index and the vectors agree; repair what can be.

    Returns ``{"ok", "papers", "indexed", "embedded", "not_embedded", "stale_vectors",
    "findings", "repaired"}``; ``ok`` is False when something is wrong and was not repaired.

    :raise StorageError: a repair could not write (read-only or full disk); nothing was lost.
    """
    report = _Report(repair)
    _check_database(store, report)
    stored = _stored_pmids(store)
    indexed = _check_index(store, settings, stored, report)
    vectors = _check_vectors(store, settings, report)
    _check_vector_cache(settings, report)
    return {"ok": report.unrepaired == 0, "papers": len(stored), "indexed": indexed,
            **vectors, "findings": report.findings, "repaired": report.repaired}


def _stored_pmids(store: Store) -> set[str]:
    with store.read() as conn:
        return set(conn.execute(select(s.papers.c.pmid)).scalars())


def _check_database(store: Store, report: _Report) -> None:
    if store.dialect != "sqlite":
        return  # PostgreSQL checks its own pages; its constraints cannot be switched off
    with store.read() as conn:
        verdict = conn.execute(text("PRAGMA integrity_check")).scalar()
        broken = conn.execute(text("PRAGMA foreign_key_check")).all()
    if verdict != "ok":
        report.problem(f"SQLite integrity check: {verdict} (restore the latest backup)")
    tables: dict[str, int] = {}
    for row in broken:
        if row[0] != "embeddings":  # orphan vectors are counted and repaired below
            tables[row[0]] = tables.get(row[0], 0) + 1
    for table, n in sorted(tables.items()):
        report.problem(f"{n} row(s) of {table} refer to rows that do not exist")


def _check_index(store: Store, settings: Settings, stored: set[str], report: _Report) -> int:
    from litfeed.service import search

    with search.open_index(settings) as index:
        applied = search.checkpoint_of(store, index)
        latest = search.latest_change(store)
        rebuilt = False
        never_written = index.checkpoint() is None and not stored and index.count() == 0
        if (applied is None and not never_written) or (applied or 0) > latest:
            why = ("is not built, or its rebuild did not finish" if index.checkpoint() is None
                   else "was built from another database" if applied is None
                   else "is ahead of the database (a restored backup)")
            if report.repair:
                search.sync_index(store, index, rebuild=True)
                rebuilt = True
            report.problem(f"the search index {why}",
                           "search index rebuilt" if rebuilt else None)
        elif applied is not None and applied < latest:
            if report.repair:
                search.sync_index(store, index)
            report.problem(f"the search index is {latest - applied} change(s) behind the "
                           "database (`litfeed reindex` catches it up)",
                           "search index caught up" if report.repair else None)
        indexed = index.pmids()
        missing, extra = stored - indexed, indexed - stored
        if missing or extra:
            # after the checks above, a difference means documents were lost or left behind
            # although the checkpoint claims otherwise: only a rebuild is sure to fix that
            fixed = None
            if report.repair and not rebuilt:
                search.sync_index(store, index, rebuild=True)
                indexed = index.pmids()
                fixed = "search index rebuilt"
            report.problem(f"search index: {len(missing)} paper(s) missing, {len(extra)} that "
                           "are no longer stored", fixed)
        return len(indexed)


def _check_vectors(store: Store, settings: Settings, report: _Report) -> dict[str, int]:
    from litfeed.rank import onnx_export
    from litfeed.service import embeddings

    e, p = s.embeddings, s.papers
    with store.read() as conn:
        orphans = conn.execute(
            select(func.count()).select_from(e.outerjoin(p, p.c.pmid == e.c.pmid))
            .where(p.c.pmid.is_(None))).scalar() or 0
        malformed = conn.execute(
            select(func.count()).select_from(e)
            .where(func.length(e.c.vector) != e.c.dim * 4)).scalar() or 0
        stale = conn.execute(
            select(func.count()).select_from(e.join(p, p.c.pmid == e.c.pmid))
            .where(e.c.content_hash != p.c.content_hash)).scalar() or 0
    if orphans:
        fixed = None
        if report.repair:
            with store.transaction() as conn:
                conn.execute(delete(e).where(e.c.pmid.not_in(select(p.c.pmid))))
            fixed = "orphan vectors deleted"
        report.problem(f"{orphans} vector(s) of papers that are no longer stored", fixed)
    if malformed:
        fixed = None
        if report.repair:
            with store.transaction() as conn:
                conn.execute(delete(e).where(func.length(e.c.vector) != e.c.dim * 4))
            fixed = "malformed vectors deleted (`litfeed embed` makes them again)"
        report.problem(f"{malformed} vector(s) of the wrong length", fixed)
    if stale:
        fixed, note = None, ""
        if report.repair:
            try:
                done = embeddings.embed_pending(store, settings, only_stale=True)
                fixed = f"{done['embedded']} stale vector(s) embedded again"
            except StorageError as exc:  # e.g. another embedder runs: it re-embeds them
                note = f" (not re-embedded: {exc.message})"
        report.problem(f"{stale} vector(s) computed from an older version of their paper"
                       + note, fixed)
    with store.read() as conn:
        embedded = conn.execute(select(func.count()).select_from(e)
                                .where(e.c.model == onnx_export.MODEL_NAME)).scalar() or 0
        waiting = conn.execute(
            select(func.count()).select_from(
                p.outerjoin(e, and_(e.c.pmid == p.c.pmid, e.c.model == onnx_export.MODEL_NAME)))
            .where(e.c.pmid.is_(None))).scalar() or 0
        still_stale = conn.execute(
            select(func.count()).select_from(e.join(p, p.c.pmid == e.c.pmid))
            .where(e.c.content_hash != p.c.content_hash)).scalar() or 0
    if report.repair and (orphans or malformed or stale):
        embeddings.forget_indexes()  # this process's in-RAM index saw the old vectors
    return {"embedded": int(embedded), "not_embedded": int(waiting) + int(still_stale),
            "stale_vectors": int(still_stale)}


def _check_vector_cache(settings: Settings, report: _Report) -> None:
    """Cache files under ``vectors/`` that cannot be loaded, and temporary files of a save
    that was killed (the saving process no longer exists)."""
    from litfeed.rank.vectors import VectorIndex

    folder = settings.data_dir / "vectors"
    if not folder.is_dir():
        return
    damaged: list[Path] = []
    for path in sorted(folder.glob("*.vec")):
        try:
            VectorIndex.load(path, mmap=True)
        except Exception:  # any failure to load means the cache file is useless
            damaged.append(path)
    leftovers = [path for path in folder.glob(".*.tmp") if not _writer_alive(path)]
    for paths, what in ((damaged, "damaged vector cache file(s)"),
                        (leftovers, "temporary file(s) left by a killed vector-cache save")):
        if not paths:
            continue
        fixed = None
        if report.repair:
            for path in paths:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            fixed = f"{len(paths)} {what} removed"
        report.problem(f"{len(paths)} {what}: {', '.join(p.name for p in paths[:3])}", fixed)


def _writer_alive(tmp: Path) -> bool:
    """``.NAME.PID.tmp``: is process PID (the one writing it) still running?"""
    pid = tmp.name.rsplit(".", 2)[-2] if tmp.name.count(".") >= 3 else ""
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
