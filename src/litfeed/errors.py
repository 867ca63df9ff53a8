"""The small error vocabulary. Each error knows its HTTP status and CLI exit code.

Library code raises these; the web layer renders them with one exception handler as
``{"error": code, "message": text}`` and the CLI turns them into a one-line message and an
exit code.
"""

from __future__ import annotations


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


class ConfigError(LitfeedError):
    code = "config_error"
    status = 500
    exit_code = 2


class NetworkError(LitfeedError):
    """An outside service (NCBI, Unpaywall, SMTP) failed after retries."""

    code = "network_error"
    status = 502
    exit_code = 1
