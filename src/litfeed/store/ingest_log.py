"""The ingest log: one row per input file, with the checkpoint that makes ingest resumable.

The checkpoint (``records_done``) is written in the same transaction as the batch it covers,
so after a crash the store and the checkpoint always agree and a rerun skips exactly the
records already applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from litfeed.store import schema as s
from litfeed.store.papers import BatchCounts


@dataclass(frozen=True)
class FileCheckpoint:
    id: int
    status: str
    records_done: int


def begin_file(conn: Connection, fingerprint: str, name: str, source: str = "file"
               ) -> FileCheckpoint:
    """Find or create the log row for a file; a finished file starts again from record 0."""
    row = conn.execute(select(s.ingest_files).where(s.ingest_files.c.fingerprint == fingerprint)
                       ).first()
    now = datetime.now(UTC)
    if row is None:
        result = conn.execute(insert(s.ingest_files).values(
            fingerprint=fingerprint, name=name, source=source, status="running", records_done=0,
            started_at=now))
        key = result.inserted_primary_key
        assert key is not None  # an INSERT always has one
        return FileCheckpoint(id=int(key[0]), status="running",
                              records_done=0)
    if row.status == "done":
        conn.execute(update(s.ingest_files).where(s.ingest_files.c.id == row.id).values(
            status="running", records_done=0, added=0, updated=0, deleted=0, unchanged=0,
            errors=0, started_at=now, finished_at=None, name=name))
        return FileCheckpoint(id=row.id, status="running", records_done=0)
    return FileCheckpoint(id=row.id, status=row.status, records_done=row.records_done)


def advance(conn: Connection, file_id: int, records_done: int, counts: BatchCounts,
            errors: int) -> None:
    t = s.ingest_files
    conn.execute(update(t).where(t.c.id == file_id).values(
        records_done=records_done,
        added=t.c.added + counts.added, updated=t.c.updated + counts.updated,
        deleted=t.c.deleted + counts.deleted, unchanged=t.c.unchanged + counts.unchanged,
        errors=t.c.errors + errors))


def finish_file(conn: Connection, file_id: int) -> None:
    conn.execute(update(s.ingest_files).where(s.ingest_files.c.id == file_id).values(
        status="done", finished_at=datetime.now(UTC)))


def applied_update_names(conn: Connection, kind: str) -> set[str]:
    return set(conn.execute(select(s.applied_updates.c.name)
                            .where(s.applied_updates.c.kind == kind)).scalars())


def mark_update_applied(conn: Connection, name: str, kind: str) -> None:
    conn.execute(insert(s.applied_updates).values(name=name, kind=kind,
                                                  applied_at=datetime.now(UTC)))
