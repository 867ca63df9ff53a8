"""Parse a PubMed file in a child process while the parent writes to the database.

Parsing and preparing rows (``store.papers.prepare``) is CPU work that needs no database, so on
a machine with two or more cores ingest runs as a two-stage pipeline. The child is a plain
``python -m litfeed.service.parse_worker`` process that streams batches, already prepared and
encoded with orjson (several times cheaper than pickle on both ends), through a pipe: the
pipe's buffer is the back-pressure, and when the parent dies (``kill -9``) the child's next
write fails and it exits, leaving nothing behind.
"""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from litfeed.errors import ParseError
from litfeed.models import Deletion, Paper, RecordError
from litfeed.pubmed.parse import iter_records
from litfeed.store.papers import PreparedPaper, prepare

Item = PreparedPaper | Deletion | RecordError
Batch = tuple[int, list[Item]]  # (records done in the file after this batch, the batch)


def local_batches(records: Iterator[Paper | Deletion | RecordError], *, skip: int,
                  batch_size: int) -> Iterator[Batch]:
    """Batches from an in-process record stream, skipping the first ``skip`` records.

    :raise ParseError: after yielding the records read before the damage.
    """
    done = 0
    pending: list[Item] = []
    try:
        for rec in records:
            done += 1
            if done <= skip:
                continue
            pending.append(prepare(rec) if isinstance(rec, Paper) else rec)
            if len(pending) >= batch_size:
                yield done, pending
                pending = []
    except ParseError:
        if pending:
            yield done, pending
        raise
    if pending:
        yield done, pending


_FRAME = struct.Struct("<Q")


def _encode(item: Item) -> tuple[Any, ...]:
    if isinstance(item, PreparedPaper):
        return ("P", *item)
    if isinstance(item, Deletion):
        return ("D", item.pmid)
    return ("E", item.file, item.pmid, item.line, item.message)


def _decode(row: list[Any]) -> Item:
    tag = row[0]
    if tag == "P":
        # JSON has no tuples: row groups come back as lists, which the driver's executemany takes
        return PreparedPaper(*row[1:])
    if tag == "D":
        return Deletion(row[1])
    return RecordError(file=row[1], pmid=row[2], line=row[3], message=row[4])


def _send(out: BinaryIO, kind: str, done: int, payload: Any) -> None:
    body = orjson.dumps([kind, done, payload])
    out.write(_FRAME.pack(len(body)))
    out.write(body)
    out.flush()


def _receive(stream: IO[bytes]) -> tuple[str, int, Any]:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    body = stream.read(size)
    if len(body) < size:
        raise EOFError
    kind, done, payload = orjson.loads(body)
    return kind, done, payload


def child_main(path: str, skip: int, batch_size: int) -> int:
    """The child's whole life: stream ``(kind, done, payload)`` messages on stdout."""
    out = sys.stdout.buffer
    done = 0
    try:
        for done, batch in local_batches(iter_records(Path(path)), skip=skip,
                                         batch_size=batch_size):
            _send(out, "batch", done, [_encode(item) for item in batch])
        _send(out, "end", done, None)
    except ParseError as exc:
        _send(out, "parse_error", done, exc.message)
    except (BrokenPipeError, KeyboardInterrupt):
        return 1  # the writer is gone
    except Exception as exc:  # reported by the parent as an error naming the file
        _send(out, "crash", done, f"{type(exc).__name__}: {exc}")
    return 0


def worker_batches(path: Path, *, skip: int, batch_size: int) -> Iterator[Batch]:
    """Like :func:`local_batches` over ``iter_records(path)``, parsed in a child process.

    :raise ParseError: when the file turns out damaged (after the batches read before it).
    """
    cmd = [sys.executable, "-m", "litfeed.service.parse_worker", str(path), str(skip),
           str(batch_size)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None  # we asked for a pipe
    try:
        while True:
            try:
                kind, done, payload = _receive(proc.stdout)
            except EOFError:
                raise RuntimeError(f"the parser process for {path} died "
                                   f"(exit code {proc.wait()})") from None
            if kind == "batch":
                yield done, [_decode(row) for row in payload]
            elif kind == "end":
                return
            elif kind == "parse_error":
                raise ParseError(payload)
            else:
                raise RuntimeError(f"parsing {path} failed: {payload}")
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
