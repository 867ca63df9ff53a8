"""Ingest PubMed XML files into the store: streaming, batched, resumable, idempotent.

Each batch of records is applied and the file's checkpoint advanced in one transaction. A rerun
after ``kill -9`` skips exactly the records already committed, so the store ends as an
uninterrupted run would leave it. A malformed record is reported and skipped; a file that cannot
be read at all (truncated gzip, not XML) keeps what was read before the damage and is reported.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from litfeed.errors import InvalidInput, ParseError
from litfeed.models import Deletion, Paper, RecordError
from litfeed.pubmed.parse import iter_records
from litfeed.service.parse_worker import Batch, Item, local_batches, worker_batches
from litfeed.store import Store, ingest_log
from litfeed.store import papers as store_papers
from litfeed.store.papers import BatchCounts

XML_SUFFIXES = (".xml", ".xml.gz")
#: below this size a child parser process costs more to start than it saves
PIPELINE_MIN_BYTES = 4 << 20

ProgressFn = Callable[[str, int], None]  # (file name, records just processed)


@dataclass
class IngestSummary:
    files: int = 0
    counts: BatchCounts = field(default_factory=BatchCounts)
    errors: list[RecordError] = field(default_factory=list)
    #: files that could not be read to the end (truncated, not XML): the CLI exits 2
    failed_files: list[str] = field(default_factory=list)

    def merge(self, other: IngestSummary) -> None:
        self.files += other.files
        self.counts.add(other.counts)
        self.errors.extend(other.errors)
        self.failed_files.extend(other.failed_files)

    def to_json(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "added": self.counts.added,
            "updated": self.counts.updated,
            "deleted": self.counts.deleted,
            "unchanged": self.counts.unchanged,
            "errors": [e.to_json() for e in self.errors],
        }


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files named directly, plus the PubMed XML files inside named folders, in name order."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*")
                              if p.is_file() and p.name.endswith(XML_SUFFIXES)))
        elif path.is_file():
            out.append(path)
        else:
            raise InvalidInput(f"{path}: no such file or folder")
    return out


def fingerprint(path: Path) -> str:
    """Identify a file by name, size and the digest of its first MiB (cheap, move-proof)."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = hashlib.sha1(fh.read(1 << 20)).hexdigest()
    return f"{path.name}:{size}:{head}"


def _apply(store: Store, file_id: int, batch: list[Item], done: int,
           summary: IngestSummary) -> int:
    records = [r for r in batch if not isinstance(r, RecordError)]
    errors = [r for r in batch if isinstance(r, RecordError)]
    with store.transaction() as conn:
        counts = store_papers.apply_batch(conn, records)
        ingest_log.advance(conn, file_id, done, counts, len(errors))
    summary.counts.add(counts)
    summary.errors.extend(errors)
    return len(batch)


def _run(store: Store, batches: Callable[[int], Iterator[Batch]], *, name: str,
         fingerprint_: str, source: str, progress: ProgressFn | None) -> IngestSummary:
    """Apply batches with checkpoints: the shared core of files, worker files and fetches."""
    summary = IngestSummary(files=1)
    with store.transaction() as conn:
        checkpoint = ingest_log.begin_file(conn, fingerprint_, name, source)
    try:
        for done, batch in batches(checkpoint.records_done):
            applied = _apply(store, checkpoint.id, batch, done, summary)
            if progress:
                progress(name, applied)
    except ParseError as exc:
        summary.errors.append(RecordError(file=name, pmid=None, line=None, message=exc.message))
        summary.failed_files.append(name)
        return summary
    with store.transaction() as conn:
        ingest_log.finish_file(conn, checkpoint.id)
    return summary


def ingest_records(store: Store, records: Iterator[Paper | Deletion | RecordError], *,
                   name: str, fingerprint_: str, source: str = "file", batch_size: int = 500,
                   progress: ProgressFn | None = None) -> IngestSummary:
    """Apply one in-process stream of records (an efetch response, say) with checkpoints."""
    return _run(store, lambda skip: local_batches(records, skip=skip, batch_size=batch_size),
                name=name, fingerprint_=fingerprint_, source=source, progress=progress)


def ingest_file(store: Store, path: Path, *, batch_size: int = 500,
                progress: ProgressFn | None = None, source: str = "file",
                workers: int = 1) -> IngestSummary:
    """Ingest one file; with ``workers`` ≥ 1 a big file is parsed in a child process."""
    try:
        fp = fingerprint(path)
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read ({exc.strerror})") from exc

    def batches(skip: int) -> Iterator[Batch]:
        if workers >= 1 and size >= PIPELINE_MIN_BYTES:
            return worker_batches(path, skip=skip, batch_size=batch_size)
        return local_batches(iter_records(path), skip=skip, batch_size=batch_size)

    return _run(store, batches, name=str(path), fingerprint_=fp, source=source,
                progress=progress)


def ingest_paths(store: Store, paths: Iterable[Path], *, batch_size: int = 2000,
                 progress: ProgressFn | None = None, workers: int = 1,
                 on_file: Callable[[Path], None] | None = None) -> IngestSummary:
    """Ingest files and folders in name order (update files must apply in sequence)."""
    summary = IngestSummary()
    for path in expand_paths(paths):
        if on_file:
            on_file(path)
        summary.merge(ingest_file(store, path, batch_size=batch_size, progress=progress,
                                  workers=workers))
    return summary
