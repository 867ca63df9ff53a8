"""Unpaywall (https://unpaywall.org/products/api): where a free, legal copy of a DOI lives.

Only used when ``UNPAYWALL_EMAIL`` is set (Unpaywall asks every caller for a contact address).
Unpaywall is an extra, not a dependency: :meth:`UnpaywallClient.lookup` answers from the cache
when it can, spaces its requests ``min_interval`` apart, and on any failure — timeout, 5xx,
429, malformed JSON, unknown DOI — logs and returns None, so the page falls back to the links
litfeed knows offline (DOI, PubMed, PMC, the reader's institution).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from litfeed.config import Settings
from litfeed.errors import ConfigError
from litfeed.fulltext.cache import Cache
from litfeed.fulltext.identifiers import normalize_doi
from litfeed.fulltext.links import Host, Version

log = logging.getLogger(__name__)

#: Unpaywall's ``version`` values, shortened to the words litfeed shows.
VERSIONS: dict[str, Version] = {
    "publishedVersion": "published",
    "acceptedVersion": "accepted",
    "submittedVersion": "submitted",
}
_NOT_FOUND = "null"  # cached for a DOI Unpaywall does not know, so we do not ask again soon


def _str(value: Any) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class OaLocation:
    """One OA Location object; ``version`` is "published", "accepted" or "submitted"."""

    url: str | None
    url_for_pdf: str | None = None
    url_for_landing_page: str | None = None
    host_type: Host | None = None
    version: Version | None = None
    license: str | None = None
    is_best: bool = False
    evidence: str | None = None
    repository_institution: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OaLocation:
        host_type: Host | None = None
        if data.get("host_type") == "publisher":
            host_type = "publisher"
        elif data.get("host_type") == "repository":
            host_type = "repository"
        return cls(
            url=_str(data.get("url")),
            url_for_pdf=_str(data.get("url_for_pdf")),
            url_for_landing_page=_str(data.get("url_for_landing_page")),
            host_type=host_type,
            version=VERSIONS.get(data.get("version") or ""),
            license=_str(data.get("license")),
            is_best=data.get("is_best") is True,
            evidence=_str(data.get("evidence")),
            repository_institution=_str(data.get("repository_institution")),
        )


@dataclass(frozen=True, slots=True)
class UnpaywallRecord:
    """The parts of Unpaywall's DOI object that litfeed shows."""

    doi: str
    is_oa: bool
    oa_status: str | None  # gold, hybrid, bronze, green, closed
    best_oa_location: OaLocation | None
    oa_locations: tuple[OaLocation, ...] = ()
    publisher: str | None = None
    journal_is_oa: bool = False

    @classmethod
    def from_json(cls, data: Any) -> UnpaywallRecord:
        """Parse a DOI object. :raise ValueError: if it is not one."""
        if not isinstance(data, dict) or not _str(data.get("doi")):
            raise ValueError("not an Unpaywall DOI object (no 'doi')")
        best = data.get("best_oa_location")
        locations = data.get("oa_locations")
        return cls(
            doi=str(data["doi"]).strip(),
            is_oa=data.get("is_oa") is True,
            oa_status=_str(data.get("oa_status")),
            best_oa_location=OaLocation.from_json(best) if isinstance(best, dict) else None,
            oa_locations=tuple(
                OaLocation.from_json(loc) for loc in (locations if isinstance(locations, list)
                                                      else ()) if isinstance(loc, dict)
            ),
            publisher=_str(data.get("publisher")),
            journal_is_oa=data.get("journal_is_oa") is True,
        )


class UnpaywallClient:
    """Looks DOIs up on Unpaywall's v2 API through a cache, politely, never raising.

    Answers are cached for ``ttl_seconds`` (a week: OA status changes slowly), unknown DOIs for
    ``not_found_ttl_seconds``; failures are never cached.

    ``client`` is an ``httpx.Client`` the caller owns (and closes). ``clock`` and ``sleep``
    are injectable so tests can check spacing without waiting. A request that would have to
    wait more than ``max_wait`` seconds for its slot is skipped rather than holding a page up;
    after a timeout, 5xx or 429 no request is made for ``failure_backoff`` seconds.
    """

    def __init__(
        self,
        base_url: str,
        email: str,
        *,
        client: httpx.Client,
        cache: Cache,
        ttl_seconds: float = 7 * 24 * 3600,
        not_found_ttl_seconds: float = 24 * 3600,
        min_interval: float = 1.0,  # ≤ 86,400 a day, under Unpaywall's 100,000 a day
        max_wait: float = 2.0,
        failure_backoff: float = 60.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not email or "@" not in email:
            raise ConfigError(
                f"UNPAYWALL_EMAIL={email!r} is not an email address; Unpaywall requires one"
            )
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.email = email
        self._client = client
        self._cache = cache
        self._ttl = ttl_seconds
        self._not_found_ttl = not_found_ttl_seconds
        self._min_interval = min_interval
        self._max_wait = max_wait
        self._failure_backoff = failure_backoff
        self._timeout = timeout
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = float("-inf")
        self._backoff_until = float("-inf")

    def lookup(self, doi: str | None) -> UnpaywallRecord | None:
        """The record for ``doi``, or None (not a DOI, not in Unpaywall, or Unpaywall failed)."""
        normalized = normalize_doi(doi)
        if normalized is None:
            return None
        try:
            return self._lookup(normalized)
        except Exception:  # a bug here must cost the reader a link, not the page
            log.exception("unpaywall: unexpected error looking up %s", normalized)
            return None

    def _lookup(self, doi: str) -> UnpaywallRecord | None:
        key = f"unpaywall:v2:{doi.lower()}"
        cached = self._cache_get(key)
        if cached == _NOT_FOUND:
            return None
        if cached is not None:
            try:
                return UnpaywallRecord.from_json(json.loads(cached))
            except ValueError:
                log.warning("unpaywall: ignoring unreadable cache entry for %s", doi)
        if not self._take_slot(doi):
            return None
        try:
            response = self._client.get(
                self.base_url + quote(doi, safe="/"),
                params={"email": self.email},
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            self._fail(f"unpaywall: request for {doi} failed: {exc!r}")
            return None
        if response.status_code == 404:
            log.info("unpaywall: %s is not in Unpaywall", doi)
            self._cache_put(key, _NOT_FOUND, self._not_found_ttl)
            return None
        if response.status_code != 200:
            message = f"unpaywall: HTTP {response.status_code} for {doi}"
            if response.status_code >= 500 or response.status_code == 429:
                self._fail(message)
            else:
                log.warning(message)
            return None
        try:
            record = UnpaywallRecord.from_json(response.json())
        except ValueError as exc:
            log.warning("unpaywall: unreadable response for %s: %s", doi, exc)
            return None
        self._cache_put(key, response.text, self._ttl)
        return record

    def _take_slot(self, doi: str) -> bool:
        """Reserve the next request slot, sleeping until it comes; False to skip the request."""
        now = self._clock()
        with self._lock:
            if now < self._backoff_until:
                log.info("unpaywall: skipping %s, backing off after a failure", doi)
                return False
            slot = max(now, self._next_slot)
            wait = slot - now
            if wait > self._max_wait:
                log.warning("unpaywall: rate limit reached, skipping %s", doi)
                return False
            self._next_slot = slot + self._min_interval
        if wait > 0:
            self._sleep(wait)
        return True

    def _fail(self, message: str) -> None:
        log.warning("%s; no requests for %ss", message, self._failure_backoff)
        with self._lock:
            self._backoff_until = self._clock() + self._failure_backoff

    def _cache_get(self, key: str) -> str | None:
        try:
            return self._cache.get(key)
        except Exception:  # the cache is an optimisation; a broken one must not hide links
            log.exception("unpaywall: cache read failed for %s", key)
            return None

    def _cache_put(self, key: str, value: str, ttl: float) -> None:
        try:
            self._cache.put(key, value, ttl)
        except Exception:
            log.exception("unpaywall: cache write failed for %s", key)


def client_from_settings(
    settings: Settings, *, client: httpx.Client, cache: Cache, **options: Any
) -> UnpaywallClient | None:
    """The client when ``UNPAYWALL_EMAIL`` is configured, else None (offline links only)."""
    if not settings.unpaywall_email:
        return None
    return UnpaywallClient(
        settings.unpaywall_url, settings.unpaywall_email, client=client, cache=cache, **options
    )
