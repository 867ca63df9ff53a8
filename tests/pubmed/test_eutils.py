"""EutilsClient against a local HTTP server serving real PubMed efetch records."""

from __future__ import annotations

import gzip
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from litfeed.errors import InvalidInput, NetworkError
from litfeed.pubmed.eutils import EutilsClient, Retry, parse_retry_after

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "eutils"
EFETCH_DIR = ROOT / ".." / "shared" / "data" / "pubmed-xml" / "efetch-2025-metapub"
ESEARCH = json.loads((FIXTURES / "esearch-asthma.json").read_text())
ASTHMA_IDS: list[str] = ESEARCH["esearchresult"]["idlist"]


@pytest.fixture(scope="module")
def records() -> dict[str, list[bytes]]:
    """PMID -> the serialised records of that PMID's real efetch response (empty if none)."""
    if not EFETCH_DIR.is_dir():
        pytest.skip(f"real efetch records not found at {EFETCH_DIR}")
    found: dict[str, list[bytes]] = {}
    for path in sorted(EFETCH_DIR.glob("*.xml.gz")):
        root = etree.fromstring(gzip.decompress(path.read_bytes()))
        found[path.name.removesuffix(".xml.gz")] = [etree.tostring(child) for child in root]
    return found


def esearch_route(server):
    """Serve the fixture's idlist sliced by retstart/retmax, as NCBI pages."""

    def route(seen):
        start, size = int(seen.params["retstart"]), int(seen.params["retmax"])
        result = {**ESEARCH["esearchresult"], "retstart": str(start), "retmax": str(size),
                  "idlist": ASTHMA_IDS[start:start + size]}
        body = json.dumps({"header": ESEARCH["header"], "esearchresult": result}).encode()
        return server.Reply(200, body, {"Content-Type": "application/json"})

    return route


def efetch_route(server, records):
    """Answer like efetch: one PubmedArticleSet holding the real records of the ids asked for."""

    def route(seen):
        parts = [b'<?xml version="1.0" ?>\n<PubmedArticleSet>']
        for pmid in seen.params["id"].split(","):
            parts.extend(records.get(pmid, []))
        parts.append(b"</PubmedArticleSet>")
        return server.Reply(200, b"\n".join(parts), {"Content-Type": "text/xml"})

    return route


def pmids_in(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    return [el.text for el in root.iter("PMID") if el.getparent().tag in
            {"MedlineCitation", "BookDocument"}]


def make_client(server, clock, **kwargs) -> EutilsClient:
    kwargs.setdefault("api_key", None)
    kwargs.setdefault("email", None)
    return EutilsClient(server.url + "/eutils/", clock=clock, sleep=clock.sleep, **kwargs)


def test_esearch_returns_ids_and_sends_key_email_tool(server, clock):
    server.routes["/eutils/esearch.fcgi"] = esearch_route(server)
    with make_client(server, clock, api_key="SECRETKEY", email="me@example.org",
                     tool="litfeed-test") as client:
        assert client.esearch("asthma AND 2025[dp]", retmax=100) == ASTHMA_IDS
    (seen,) = server.requests
    assert seen.method == "GET"
    assert seen.params == {"db": "pubmed", "term": "asthma AND 2025[dp]", "retmode": "json",
                           "retstart": "0", "retmax": "100", "api_key": "SECRETKEY",
                           "email": "me@example.org", "tool": "litfeed-test"}


def test_esearch_without_key_or_email_sends_only_tool(server, clock):
    server.routes["/eutils/esearch.fcgi"] = esearch_route(server)
    with make_client(server, clock) as client:
        client.esearch("asthma", retmax=2)
    params = server.requests[0].params
    assert params["tool"] == "litfeed"
    assert "api_key" not in params and "email" not in params


def test_esearch_pages_with_retstart_and_stops_at_retmax(server, clock):
    server.routes["/eutils/esearch.fcgi"] = esearch_route(server)
    with make_client(server, clock) as client:
        assert client.esearch("asthma", retmax=7, page_size=3) == ASTHMA_IDS
        pages = [(s.params["retstart"], s.params["retmax"]) for s in server.requests]
        assert pages == [("0", "3"), ("3", "3"), ("6", "1")]
        server.requests.clear()
        assert client.esearch("asthma", retmax=5, page_size=3) == ASTHMA_IDS[:5]
        assert [(s.params["retstart"], s.params["retmax"]) for s in server.requests] == [
            ("0", "3"), ("3", "2")]
        server.requests.clear()
        # Fewer hits than asked for: stop once NCBI's count is reached.
        assert client.esearch("asthma", retmax=50, page_size=4) == ASTHMA_IDS
        assert len(server.requests) == 2


def test_esearch_reports_ncbi_error_message(server, clock):
    error = {"esearchresult": {"ERROR": "Search Backend failed: retstart cannot be larger "
                                        "than 9998"}}
    server.routes["/eutils/esearch.fcgi"] = [
        server.Reply(200, json.dumps(error).encode(), {"Content-Type": "application/json"})]
    with make_client(server, clock) as client, pytest.raises(NetworkError,
                                                             match="retstart cannot be larger"):
        client.esearch("asthma", retmax=10)


def test_esearch_rejects_non_json(server, clock):
    server.routes["/eutils/esearch.fcgi"] = [server.Reply(200, b"<html>maintenance</html>")]
    with make_client(server, clock) as client, pytest.raises(NetworkError, match="not ESearch"):
        client.esearch("asthma", retmax=10)


def test_efetch_yields_one_body_per_batch_of_real_records(server, clock, records):
    server.routes["/eutils/efetch.fcgi"] = efetch_route(server, records)
    wanted = ["1000", "100000", "10440612", "20301546", "37909814"]
    with make_client(server, clock, email="me@example.org") as client:
        bodies = list(client.efetch(wanted, batch=2))
    assert len(bodies) == 3
    assert [pmids_in(body) for body in bodies] == [
        ["1000", "100000"], ["10440612", "20301546"], []]  # 37909814 is an empty efetch set
    assert [s.params["id"] for s in server.requests] == [
        "1000,100000", "10440612,20301546", "37909814"]
    assert {s.method for s in server.requests} == {"GET"}
    for seen in server.requests:
        assert seen.params["db"] == "pubmed" and seen.params["retmode"] == "xml"
        assert seen.params["email"] == "me@example.org"


def test_efetch_posts_long_id_lists(server, clock, records):
    server.routes["/eutils/efetch.fcgi"] = efetch_route(server, records)
    pmids = sorted(records, key=int)
    with make_client(server, clock, api_key="K") as client:
        bodies = list(client.efetch(pmids, batch=150))
    # 150 ids make a long form body; the 66 left fit in a URL.
    assert [s.method for s in server.requests] == ["POST", "GET"]
    assert server.requests[0].params["id"] == ",".join(pmids[:150])
    assert server.requests[0].params["api_key"] == "K"
    fetched = [pmid for body in bodies for pmid in pmids_in(body)]
    # 216 files: 214 articles, 1 book article, 1 empty set.
    assert len(fetched) == 215
    assert set(fetched) == set(pmids) - {"37909814"}


def test_efetch_rejects_bad_pmids_before_any_request(server, clock):
    with make_client(server, clock) as client:
        with pytest.raises(InvalidInput, match="'12a'"):
            list(client.efetch(["123", "12a"]))
        assert list(client.efetch([])) == []
    assert server.requests == []


def test_rate_limit_without_key_is_three_per_second(server, clock, records):
    server.clock = clock
    server.routes["/eutils/efetch.fcgi"] = efetch_route(server, records)
    with make_client(server, clock) as client:
        list(client.efetch(["1000", "100000", "10440612", "1234567"], batch=1))
    times = [s.at for s in server.requests]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert gaps == pytest.approx([1 / 3] * 3)


def test_rate_limit_with_key_is_ten_per_second(server, clock):
    server.clock = clock
    server.routes["/eutils/esearch.fcgi"] = esearch_route(server)
    with make_client(server, clock, api_key="K") as client:
        for _ in range(3):
            client.esearch("asthma", retmax=1)
        clock.now += 5  # idle longer than the interval: the next call must not wait
        sleeps_before = len(clock.sleeps)
        client.esearch("asthma", retmax=1)
    times = [s.at for s in server.requests]
    assert [b - a for a, b in itertools.pairwise(times[:3])] == pytest.approx([0.1, 0.1])
    assert len(clock.sleeps) == sleeps_before


def test_retries_429_and_503_then_succeeds(server, clock):
    Reply = server.Reply
    server.routes["/eutils/esearch.fcgi"] = [
        Reply(429, b'{"error":"API rate limit exceeded"}', {"Retry-After": "7"}),
        Reply(503, b"busy"),
        Reply(200, (FIXTURES / "esearch-asthma.json").read_bytes()),
    ]
    with make_client(server, clock, retry=Retry(tries=4, backoff=1.0)) as client:
        assert client.esearch("asthma", retmax=10) == ASTHMA_IDS
    assert len(server.requests) == 3
    # Retry-After honoured on the 429; then exponential backoff (1 s, 2 s, ...) -> 2 s.
    assert clock.sleeps == [7.0, 2.0]


def test_retries_dropped_connection(server, clock):
    server.routes["/eutils/esearch.fcgi"] = [
        server.DROP, server.Reply(200, (FIXTURES / "esearch-asthma.json").read_bytes())]
    with make_client(server, clock) as client:
        assert client.esearch("asthma", retmax=10) == ASTHMA_IDS
    assert len(server.requests) == 2


def test_gives_up_after_max_tries_without_leaking_key(server, clock):
    server.routes["/eutils/efetch.fcgi"] = [server.Reply(503, b"Service Unavailable")]
    with make_client(server, clock, api_key="SECRETKEY", retry=Retry(tries=3)) as client, \
            pytest.raises(NetworkError) as raised:
        list(client.efetch(["1000"]))
    assert len(server.requests) == 3
    assert clock.sleeps == [1.0, 2.0]
    message = str(raised.value)
    assert "failed after 3 tries" in message and "HTTP 503" in message
    assert "SECRETKEY" not in message


def test_other_4xx_fails_at_once_naming_the_status(server, clock):
    server.routes["/eutils/efetch.fcgi"] = [server.Reply(400, b'{"error":"Invalid id"}')]
    with make_client(server, clock) as client, \
            pytest.raises(NetworkError, match=r"HTTP 400 Bad Request.*Invalid id"):
        list(client.efetch(["1000"]))
    assert len(server.requests) == 1


def test_parse_retry_after_accepts_seconds_and_dates():
    now = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("Sat, 01 Mar 2025 12:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Sat, 01 Mar 2025 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None
