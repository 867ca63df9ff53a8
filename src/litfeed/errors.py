"""The small error vocabulary. Each error knows its HTTP status and CLI exit code.

Library code raises these; the web layer renders them with one exception handler as
``{"error": code, "message": text}`` and the CLI turns them into a one-line message and an
exit code.
"""

from __future__ import annotations

import errno
import os


class LitfeedError(Exception):
    """Base class: ``code`` is the machine-readable error, the message says what was wrong."""

    code = "error"
    status = 400
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(LitfeedError):
    """The caller sent something we cannot use (bad query, malformed body, unknown format)."""

    code = "invalid_input"
    status = 400
    exit_code = 2


class QuerySyntaxError(InvalidInput):
    """A search query that does not parse; ``position`` is the 0-based character offset."""

    code = "query_syntax"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at position {position}")
        self.position = position


class ParseError(InvalidInput):
    """An input file that cannot be read at all (truncated gzip, not XML, unknown format)."""

    code = "parse_error"


class Incomplete(InvalidInput):
    """A record that is well formed but lacks what it needs to be complete (a CME learning cycle
    without its clinical question, sources or application): 422, unlike a malformed value."""

    code = "incomplete"
    status = 422


class NotFound(LitfeedError):
    code = "not_found"
    status = 404
    exit_code = 1


class Conflict(LitfeedError):
    code = "conflict"
    status = 409


class Unauthorized(LitfeedError):
    code = "unauthorized"
    status = 401


class Forbidden(LitfeedError):
    code = "forbidden"
    status = 403


class RateLimited(LitfeedError):
    code = "rate_limited"
    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StorageError(LitfeedError):
    """The store cannot be written (full disk, read-only data directory); nothing was lost."""

    code = "storage_error"
    status = 503
    exit_code = 1


#: the errno values of a file system that cannot take a write: full, over quota, over the
#: file-size limit, read-only, or not ours to write
UNWRITABLE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS,
                               errno.EACCES, errno.EPERM})


def storage_error_from_os(exc: OSError) -> StorageError | None:
    """The one-line :class:`StorageError` for a write the file system refused, else None
    (library code translates its own writes; this is the safety net of the CLI and the web app
    for the ones it does not)."""
    if exc.errno not in UNWRITABLE_ERRNOS:
        return None
    where = f" {exc.filename}" if exc.filename else ""
    why = os.strerror(exc.errno) if exc.errno is not None else str(exc)
    return StorageError(f"cannot write{where}: {why}; nothing already stored was lost. "
                        "Free some space or fix the permissions, then try again.")


class ConfigError(LitfeedError):
    code = "config_error"
    status = 500
    exit_code = 2


class NetworkError(LitfeedError):
    """An outside service (NCBI, Unpaywall, SMTP) failed after retries."""

    code = "network_error"
    status = 502
    exit_code = 1
