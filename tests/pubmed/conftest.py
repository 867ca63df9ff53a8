"""A real local HTTP server standing in for NCBI, a fake clock for the rate limiter, and paths
to the real NLM files (../shared/data/pubmed-xml) and the hand-written fixtures.

Tests script each path's replies (a list consumed in order, the last one repeated, or a function
of the request) and then read back what the client actually sent.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest


@dataclass
class Seen:
    """One request as the server received it; ``params`` merges the query and a form body."""

    method: str
    path: str
    params: dict[str, str]
    at: float | None


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


DROP = Reply(status=0)  # close the connection without answering

Route = list[Reply] | Callable[[Seen], Reply]


class FakeClock:
    """time.monotonic and time.sleep in one: sleeping moves the clock, instantly."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class LocalServer:
    # Exposed here so test modules need not import conftest.
    Reply = Reply
    DROP = DROP

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Seen] = []
        self.clock: Callable[[], float] | None = None
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def _reply(self, seen: Seen) -> Reply:
        route = self.routes.get(seen.path)
        if route is None:
            return Reply(404, b"not found")
        if callable(route):
            return route(seen)
        return route.pop(0) if len(route) > 1 else route[0]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve(b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self._serve(self.rfile.read(length))

            def _serve(self, body: bytes) -> None:
                parts = urlsplit(self.path)
                params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                params.update({k: v[-1] for k, v in parse_qs(body.decode()).items()})
                seen = Seen(self.command, parts.path, params,
                            server.clock() if server.clock else None)
                server.requests.append(seen)
                reply = server._reply(seen)
                if reply is DROP:
                    self.close_connection = True
                    return
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


ROOT = Path(__file__).resolve().parents[2]
PUBMED_DATA = ROOT / ".." / "shared" / "data" / "pubmed-xml"


@pytest.fixture(scope="session")
def real_file() -> Callable[[str], Path]:
    """A file from the shared real-data folder; skips the test when the folder is absent."""

    def find(name: str) -> Path:
        path = PUBMED_DATA / name
        if not path.exists():
            pytest.skip(f"real PubMed data not available: {path} (see shared/data/pubmed-xml)")
        return path

    return find


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return ROOT / "tests" / "fixtures" / "pubmed"
