"""Helpers shared by the full-text tests: sample papers, recorded Unpaywall bodies, a local
Unpaywall stand-in and a fake clock. (A uniquely named module, not conftest, so tests can
import it without clashing with other packages' conftest files.)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from litfeed.fulltext.unpaywall import UnpaywallRecord
from litfeed.models import Author, Journal, Paper

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "unpaywall"
STATUSES = ("gold", "green", "bronze", "hybrid", "closed")
SLOW_SECONDS = 0.5


def load_fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def record(name: str) -> UnpaywallRecord:
    return UnpaywallRecord.from_json(load_fixture(name))


def make_paper(**changes: Any) -> Paper:
    """A realistic MEDLINE citation; override any field."""
    base: dict[str, Any] = {
        "pmid": "27000001",
        "title": "Example therapy & outcomes: a randomised trial",
        "doi": "10.5555/litfeed.closed",
        "pmcid": None,
        "journal": Journal(title="The Example Journal of Medicine", iso_abbrev="Ex J Med",
                           issn="0028-4793", volume="374", issue="11", pages="1023-34"),
        "authors": (Author(last="Doe", fore="Jane", initials="J"),
                    Author(last="Roe", fore="Richard", initials="R")),
        "published": "2016-03-17",
        "year": 2016,
    }
    base.update(changes)
    return Paper(**base)


@dataclass
class FakeUnpaywall:
    """What the local server saw; ``url`` is its /v2/ base."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]]

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        doi = unquote(parts.path.removeprefix("/v2/"))
        query = parse_qs(parts.query)
        self.seen.append({"doi": doi, "query": query, "path": parts.path})
        if not query.get("email"):
            return self._send(422, json.dumps({"error": True, "message": "email required"}))
        slug = doi.removeprefix("10.5555/litfeed.")
        if slug in STATUSES:
            return self._send(200, (FIXTURES / f"{slug}.json").read_text())
        if slug == "error500":
            return self._send(500, "<html>Internal Server Error</html>", "text/html")
        if slug == "ratelimited":
            return self._send(429, json.dumps({"error": True, "message": "slow down"}))
        if slug == "badjson":
            return self._send(200, '{"doi": "10.5555/litfeed.badjson", "oa_locations": [')
        if slug == "notadoiobject":
            return self._send(200, json.dumps(["not", "an", "object"]))
        if slug == "slow":
            time.sleep(SLOW_SECONDS)
            return self._send(200, (FIXTURES / "gold.json").read_text())
        return self._send(404, (FIXTURES / "404.json").read_text())

    def _send(self, status: int, body: str, content_type: str = "application/json") -> None:
        data = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test); nothing to report

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@contextmanager
def serve_unpaywall() -> Iterator[FakeUnpaywall]:
    """A real HTTP server on 127.0.0.1 in a thread, serving the recorded bodies; reserved
    DOIs (10.5555/litfeed.error500, .ratelimited, .badjson, .notadoiobject, .slow) fail the
    ways the real service can, and any other DOI gets Unpaywall's 404 body."""
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (_Handler,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield FakeUnpaywall(url=f"http://127.0.0.1:{server.server_address[1]}/v2/",
                            requests=seen)
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class FakeClock:
    """A monotonic clock that only moves when told to (or when ``sleep`` is called)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds
