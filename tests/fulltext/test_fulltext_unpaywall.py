"""Unpaywall: parsing the recorded bodies, and the client against a local HTTP server."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fulltext_support import FakeClock, FakeUnpaywall, load_fixture, record

from litfeed.config import Settings
from litfeed.errors import ConfigError
from litfeed.fulltext.cache import MemoryCache
from litfeed.fulltext.unpaywall import (
    OaLocation,
    UnpaywallClient,
    UnpaywallRecord,
    client_from_settings,
)

DAY = 24 * 3600


# --- parsing --------------------------------------------------------------------------------

def test_gold_record() -> None:
    gold = record("gold")
    assert (gold.doi, gold.is_oa, gold.oa_status, gold.journal_is_oa) == (
        "10.5555/litfeed.gold", True, "gold", True)
    assert gold.publisher == "Example Open Press"
    assert gold.best_oa_location == OaLocation(
        url="https://openjournal.example.org/articles/10.5555/litfeed.gold.pdf",
        url_for_pdf="https://openjournal.example.org/articles/10.5555/litfeed.gold.pdf",
        url_for_landing_page="https://openjournal.example.org/articles/10.5555/litfeed.gold",
        host_type="publisher", version="published", license="cc-by", is_best=True,
        evidence="open (via page says license)")
    assert [loc.host_type for loc in gold.oa_locations] == ["publisher", "repository"]


@pytest.mark.parametrize(("status", "is_oa", "versions"), [
    ("gold", True, ["published", "published"]),
    ("green", True, ["accepted", "submitted"]),
    ("bronze", True, ["published"]),
    ("hybrid", True, ["published", "accepted", "submitted"]),
    ("closed", False, []),
])
def test_each_status_parses(status: str, is_oa: bool, versions: list[str]) -> None:
    parsed = record(status)
    assert (parsed.oa_status, parsed.is_oa) == (status, is_oa)
    assert [loc.version for loc in parsed.oa_locations] == versions


def test_closed_record_has_no_best_location() -> None:
    assert record("closed").best_oa_location is None


def test_odd_shapes_are_tolerated_or_refused() -> None:
    odd = UnpaywallRecord.from_json({"doi": "10.5555/x", "oa_locations": [None, "x", {
        "url": 5, "version": "draftVersion", "host_type": "mirror", "is_best": "yes"}]})
    assert odd.oa_locations == (OaLocation(url=None),)
    bad_shapes: list[Any] = [[], "x", None, {"oa_status": "gold"}, {"doi": ""}]
    for bad in bad_shapes:
        with pytest.raises(ValueError):
            UnpaywallRecord.from_json(bad)


# --- the client -------------------------------------------------------------------------------

@pytest.fixture()
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def make_client(server: FakeUnpaywall, http: httpx.Client, clock: FakeClock | None = None,
                cache: Any = None, **options: Any) -> UnpaywallClient:
    clock = clock or FakeClock()
    options.setdefault("min_interval", 0.0)
    return UnpaywallClient(server.url, "librarian@example.edu", client=http,
                           cache=cache if cache is not None else MemoryCache(clock=clock),
                           clock=clock, sleep=clock.sleep, **options)


@pytest.mark.parametrize("status", ["gold", "green", "bronze", "hybrid", "closed"])
def test_lookup_returns_the_record(fake_unpaywall: FakeUnpaywall, http: httpx.Client,
                                   status: str) -> None:
    found = make_client(fake_unpaywall, http).lookup(f"10.5555/litfeed.{status}")
    assert found == UnpaywallRecord.from_json(load_fixture(status))
    [request] = fake_unpaywall.requests
    assert request["path"] == f"/v2/10.5555/litfeed.{status}"
    assert request["query"] == {"email": ["librarian@example.edu"]}


def test_doi_is_normalised_before_asking(fake_unpaywall: FakeUnpaywall,
                                         http: httpx.Client) -> None:
    found = make_client(fake_unpaywall, http).lookup("https://doi.org/10.5555/litfeed.gold")
    assert found is not None and found.oa_status == "gold"


def test_not_a_doi_is_never_sent(fake_unpaywall: FakeUnpaywall, http: httpx.Client) -> None:
    client = make_client(fake_unpaywall, http)
    assert client.lookup(None) is None
    assert client.lookup("not-a-doi") is None
    assert fake_unpaywall.requests == []


def test_answers_are_cached_until_the_ttl_passes(fake_unpaywall: FakeUnpaywall,
                                                 http: httpx.Client) -> None:
    clock = FakeClock()
    client = make_client(fake_unpaywall, http, clock, ttl_seconds=7 * DAY)
    first = client.lookup("10.5555/litfeed.gold")
    clock.advance(7 * DAY - 1)
    assert client.lookup("10.5555/LITFEED.GOLD") == first  # DOIs are case-insensitive
    assert len(fake_unpaywall.requests) == 1
    clock.advance(1)
    assert client.lookup("10.5555/litfeed.gold") == first
    assert len(fake_unpaywall.requests) == 2


def test_unknown_doi_is_none_and_remembered_for_a_shorter_time(
    fake_unpaywall: FakeUnpaywall, http: httpx.Client
) -> None:
    clock = FakeClock()
    client = make_client(fake_unpaywall, http, clock, not_found_ttl_seconds=DAY)
    assert client.lookup("10.5555/litfeed.missing") is None
    assert client.lookup("10.5555/litfeed.missing") is None
    assert len(fake_unpaywall.requests) == 1
    clock.advance(DAY)
    assert client.lookup("10.5555/litfeed.missing") is None
    assert len(fake_unpaywall.requests) == 2


@pytest.mark.parametrize("slug", ["error500", "ratelimited"])
def test_server_trouble_degrades_quietly_and_backs_off(
    fake_unpaywall: FakeUnpaywall, http: httpx.Client, caplog: pytest.LogCaptureFixture,
    slug: str,
) -> None:
    clock = FakeClock()
    client = make_client(fake_unpaywall, http, clock, failure_backoff=60)
    with caplog.at_level(logging.WARNING, logger="litfeed.fulltext.unpaywall"):
        assert client.lookup(f"10.5555/litfeed.{slug}") is None
    assert "HTTP" in caplog.text
    # while backing off nothing is sent, not even for other DOIs
    assert client.lookup("10.5555/litfeed.gold") is None
    assert len(fake_unpaywall.requests) == 1
    clock.advance(60)
    assert client.lookup("10.5555/litfeed.gold") is not None
    # the failure itself was not cached
    assert client.lookup(f"10.5555/litfeed.{slug}") is None
    assert len(fake_unpaywall.requests) == 3


@pytest.mark.parametrize("slug", ["badjson", "notadoiobject"])
def test_unreadable_bodies_are_none_and_not_cached(
    fake_unpaywall: FakeUnpaywall, http: httpx.Client, caplog: pytest.LogCaptureFixture,
    slug: str,
) -> None:
    client = make_client(fake_unpaywall, http)
    assert client.lookup(f"10.5555/litfeed.{slug}") is None
    assert client.lookup(f"10.5555/litfeed.{slug}") is None
    assert len(fake_unpaywall.requests) == 2
    assert "unreadable response" in caplog.text


def test_a_timeout_is_none(fake_unpaywall: FakeUnpaywall, http: httpx.Client,
                           caplog: pytest.LogCaptureFixture) -> None:
    client = make_client(fake_unpaywall, http, timeout=0.05)
    assert client.lookup("10.5555/litfeed.slow") is None
    assert "failed" in caplog.text


def test_no_server_at_all_is_none() -> None:
    with httpx.Client() as other:
        gone = UnpaywallClient("http://127.0.0.1:9/v2/", "a@example.edu", client=other,
                               cache=MemoryCache(), timeout=1.0)
        assert gone.lookup("10.5555/litfeed.gold") is None


def test_requests_are_spaced_by_min_interval(fake_unpaywall: FakeUnpaywall,
                                             http: httpx.Client) -> None:
    clock = FakeClock()
    client = make_client(fake_unpaywall, http, clock, min_interval=1.0, max_wait=5.0)
    for status in ("gold", "green", "bronze"):
        assert client.lookup(f"10.5555/litfeed.{status}") is not None
    assert clock.sleeps == [1.0, 1.0]
    # cache hits do not wait
    assert client.lookup("10.5555/litfeed.gold") is not None
    assert clock.sleeps == [1.0, 1.0]
    clock.advance(10)
    assert client.lookup("10.5555/litfeed.hybrid") is not None
    assert clock.sleeps == [1.0, 1.0]


def test_a_request_that_would_wait_too_long_is_skipped(fake_unpaywall: FakeUnpaywall,
                                                       http: httpx.Client,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    clock = FakeClock()
    client = make_client(fake_unpaywall, http, clock, min_interval=5.0, max_wait=1.0)
    assert client.lookup("10.5555/litfeed.gold") is not None
    assert client.lookup("10.5555/litfeed.green") is None
    assert len(fake_unpaywall.requests) == 1 and clock.sleeps == []
    assert "rate limit" in caplog.text
    clock.advance(5)
    assert client.lookup("10.5555/litfeed.green") is not None


class BrokenCache:
    def get(self, key: str) -> str | None:
        raise OSError("disk full")

    def put(self, key: str, value: str, ttl_seconds: float) -> None:
        raise OSError("disk full")


def test_a_broken_cache_does_not_hide_links(fake_unpaywall: FakeUnpaywall,
                                            http: httpx.Client) -> None:
    client = make_client(fake_unpaywall, http, cache=BrokenCache())
    found = client.lookup("10.5555/litfeed.gold")
    assert found is not None and found.oa_status == "gold"


def test_an_unreadable_cache_entry_is_refetched(fake_unpaywall: FakeUnpaywall,
                                                http: httpx.Client) -> None:
    cache = MemoryCache()
    cache.put("unpaywall:v2:10.5555/litfeed.gold", "{truncated", 100)
    found = make_client(fake_unpaywall, http, cache=cache).lookup("10.5555/litfeed.gold")
    assert found is not None
    assert json.loads(cache.get("unpaywall:v2:10.5555/litfeed.gold") or "")["doi"] == \
        "10.5555/litfeed.gold"


def test_client_needs_a_contact_email(http: httpx.Client) -> None:
    with pytest.raises(ConfigError, match="UNPAYWALL_EMAIL"):
        UnpaywallClient("https://api.unpaywall.org/v2/", "", client=http, cache=MemoryCache())


def test_client_from_settings_only_when_email_configured(http: httpx.Client) -> None:
    assert client_from_settings(Settings(), client=http, cache=MemoryCache()) is None
    client = client_from_settings(Settings(unpaywall_email="lib@example.edu",
                                           unpaywall_url="https://api.unpaywall.org/v2"),
                                  client=http, cache=MemoryCache())
    assert client is not None
    assert (client.email, client.base_url) == ("lib@example.edu", "https://api.unpaywall.org/v2/")


# --- the in-memory cache ------------------------------------------------------------------------

def test_memory_cache_expires_and_evicts_the_oldest() -> None:
    clock = FakeClock()
    cache = MemoryCache(clock=clock, max_entries=2)
    cache.put("a", "1", 10)
    assert cache.get("a") == "1"
    clock.advance(10)
    assert cache.get("a") is None
    cache.put("a", "1", 100)
    cache.put("b", "2", 100)
    cache.put("c", "3", 100)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, "2", "3")
