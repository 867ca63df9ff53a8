"""Request rate limits: per client address (every request) and per account (signed-in ones).

Each limit is a token bucket: a client may burst up to N requests, and gets N per minute back,
continuously. Over the limit the answer is 429 with ``Retry-After`` and the API's error JSON.

The buckets live in the memory of each app process, on purpose. Counting every request in the
database would add a write to every read (on SQLite, one lock all workers queue behind), which
turns the limiter itself into the bottleneck it is meant to protect; and what it guards against,
one client monopolising the server, is a per-process matter. The price: behind a load balancer
with P app processes a client can make up to P times the limit. docs/deploy.md says how to size
the limits per process and how to set a global one at the reverse proxy. The rare requests whose
abuse matters across processes are counted in the database instead: failed logins and
registrations (:mod:`litfeed.service.accounts`).

IPv6 clients are counted per /64 network (one household, one hosting customer), since a single
machine can hold billions of addresses there.
"""

from __future__ import annotations

import ipaddress
import json
import math
import threading
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from litfeed.errors import RateLimited

#: paths no limit applies to: static assets (a page pulls several) and the health check
EXEMPT_PREFIXES = ("/static/", "/docs-assets/", "/favicon.ico", "/sw.js",
                   "/manifest.webmanifest", "/api/health")


class TokenBuckets:
    """Token buckets by key: ``per_minute`` tokens at most, refilled at ``per_minute/60`` a
    second. Thread-safe; keys idle long enough to be full again are forgotten."""

    PRUNE_EVERY = 10_000

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when)
        self._lock = threading.Lock()
        self._takes = 0

    def take(self, key: str) -> float:
        """Spend one token of ``key``: 0.0 when there was one, else the seconds until there is
        (nothing is spent then)."""
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - when) * self.rate)
            self._takes += 1
            if self._takes >= self.PRUNE_EVERY:
                self._prune(now)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        self._takes = 0
        full_after = self.capacity / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}

    def __len__(self) -> int:
        return len(self._buckets)


def client_key(host: str | None) -> str:
    """The key an address is counted under: itself, or its /64 network for IPv6."""
    if not host:
        return "-"
    if ":" in host:
        try:
            return str(ipaddress.IPv6Network(f"{host}/64", strict=False))
        except ValueError:
            return host
    return host


def retry_after(wait: float) -> int:
    return max(1, math.ceil(wait))


def check_user(buckets: TokenBuckets | None, user_id: int) -> None:
    """Count one request of account ``user_id``.

    :raise RateLimited: the account is over its per-minute limit.
    """
    if buckets is None:
        return
    wait = buckets.take(f"user:{user_id}")
    if wait:
        raise RateLimited(f"too many requests for this account (over {int(buckets.capacity)} a "
                          f"minute); try again in {retry_after(wait)} s",
                          retry_after=retry_after(wait))


class RateLimitMiddleware:
    """Pure ASGI: counts each request against its client address before any routing."""

    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.buckets = TokenBuckets(per_minute) if per_minute > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.buckets.take(client_key(client[0] if client else None))
        if not wait:
            await self.app(scope, receive, send)
            return
        seconds = retry_after(wait)
        message = (f"too many requests from your address (over {int(self.buckets.capacity)} a "
                   f"minute); try again in {seconds} s")
        if path.startswith("/api") or path == "/openapi.json":
            body = json.dumps({"error": "rate_limited", "message": message}).encode()
            content_type = b"application/json"
        else:
            body, content_type = message.encode(), b"text/plain; charset=utf-8"
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", content_type),
                                (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(seconds).encode())]})
        await send({"type": "http.response.body", "body": body})
