"""The model cache in the data directory: files derived from the packaged model, built once.

Two processes may start together (``litfeed serve`` and ``litfeed embed``), and a build may be
killed half way; so a build holds an exclusive lock, and each file appears by atomic rename or
not at all.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def exclusive(lock_file: Path) -> Iterator[None]:
    """Hold an advisory lock on ``lock_file`` (created if missing) for the ``with`` body."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with lock_file.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary path beside ``target``, then rename it into place.

    The temporary name keeps ``target``'s suffix, for writers that look at it (onnx, numpy).
    """
    tmp = target.with_name(f".{target.stem}.{os.getpid()}.tmp{target.suffix}")
    try:
        write(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
