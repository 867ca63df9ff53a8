"""NLM distribution listing, MD5-verified downloads and pending order, against a local server."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest

from litfeed.errors import InvalidInput, NetworkError, ParseError
from litfeed.pubmed.eutils import Retry
from litfeed.pubmed.updates import (
    RemoteFile,
    download,
    list_remote_files,
    parse_md5,
    pending,
)

ROOT = Path(__file__).resolve().parents[2]
LISTING = ROOT / "tests" / "fixtures" / "pubmed-ftp" / "updatefiles-index.html"
REAL_GZ = ROOT / ".." / "shared" / "data" / "pubmed-xml" / "efetch-2025-metapub" / "1000.xml.gz"
NAME = "pubmed25n1275.xml.gz"


@pytest.fixture
def http():
    with httpx.Client(timeout=5) as client:
        yield client


@pytest.fixture
def payload() -> bytes:
    if not REAL_GZ.is_file():
        pytest.skip(f"real PubMed XML not found at {REAL_GZ}")
    return REAL_GZ.read_bytes()


def serve_file(server, body: bytes, md5_text: str) -> RemoteFile:
    server.routes[f"/pubmed/updatefiles/{NAME}"] = [server.Reply(200, body)]
    server.routes[f"/pubmed/updatefiles/{NAME}.md5"] = [server.Reply(200, md5_text.encode())]
    url = f"{server.url}/pubmed/updatefiles/{NAME}"
    return RemoteFile(name=NAME, url=url, md5_url=url + ".md5")


def md5_line(body: bytes, name: str = NAME) -> str:
    return f"MD5({name})= {hashlib.md5(body).hexdigest()}\n"


def test_listing_keeps_only_data_files_sorted_by_number(server, http):
    server.routes["/pubmed/updatefiles/"] = [server.Reply(200, LISTING.read_bytes())]
    files = list_remote_files(server.url + "/pubmed/", "updatefiles", client=http)
    base = f"{server.url}/pubmed/updatefiles/"
    assert files == [
        RemoteFile(f"pubmed25n{n}.xml.gz", f"{base}pubmed25n{n}.xml.gz",
                   f"{base}pubmed25n{n}.xml.gz.md5")
        for n in (1275, 1276, 1277)
    ]
    assert server.paths() == ["/pubmed/updatefiles/"]


def test_listing_resolves_absolute_hrefs_and_orders_by_year_then_number(server, http):
    html = (
        f"<a href='{server.url}/pubmed/baseline/pubmed25n0002.xml.gz'>b</a>\n"
        '<a href="/pubmed/baseline/pubmed25n0001.xml.gz">a</a>\n'
        "<A HREF=pubmed24n1219.xml.gz>old</A>\n"
        '<a href="pubmed25n0001.xml.gz">duplicate</a> <a href="../">up</a>\n'
    )
    server.routes["/pubmed/baseline/"] = [server.Reply(200, html.encode())]
    files = list_remote_files(server.url + "/pubmed", "baseline", client=http)
    assert [f.name for f in files] == [
        "pubmed24n1219.xml.gz", "pubmed25n0001.xml.gz", "pubmed25n0002.xml.gz"]
    assert [f.url for f in files] == [
        f"{server.url}/pubmed/baseline/{f.name}" for f in files]


def test_listing_rejects_unknown_kind(server, http):
    with pytest.raises(InvalidInput, match="updatefiles, baseline"):
        list_remote_files(server.url, "daily", client=http)  # type: ignore[arg-type]


def test_listing_failure_is_a_network_error(server, http):
    server.routes["/pubmed/updatefiles/"] = [server.Reply(503, b"down")]
    sleeps: list[float] = []
    with pytest.raises(NetworkError, match=r"failed after 2 tries.*HTTP 503"):
        list_remote_files(server.url + "/pubmed/", "updatefiles", client=http,
                          retry=Retry(tries=2), sleep=sleeps.append)
    assert len(server.requests) == 2 and sleeps == [1.0]


def test_download_verifies_md5_and_leaves_only_the_file(server, http, payload, tmp_path):
    remote = serve_file(server, payload, md5_line(payload))
    path = download(remote, tmp_path / "updates", client=http)
    assert path == tmp_path / "updates" / NAME
    assert path.read_bytes() == payload
    assert sorted(p.name for p in path.parent.iterdir()) == [NAME]


def test_download_md5_mismatch_raises_and_removes_partial(server, http, payload, tmp_path):
    remote = serve_file(server, payload, f"MD5({NAME})= {'0' * 32}\n")
    with pytest.raises(NetworkError, match=re.escape(f"MD5 mismatch for {NAME}")):
        download(remote, tmp_path, client=http)
    assert list(tmp_path.iterdir()) == []


def test_download_skips_a_verified_file_and_replaces_a_corrupt_one(server, http, payload,
                                                                   tmp_path):
    remote = serve_file(server, payload, md5_line(payload))
    download(remote, tmp_path, client=http)
    server.requests.clear()
    download(remote, tmp_path, client=http)
    assert server.paths() == [f"/pubmed/updatefiles/{NAME}.md5"]

    (tmp_path / NAME).write_bytes(payload[:100])
    server.requests.clear()
    path = download(remote, tmp_path, client=http)
    assert path.read_bytes() == payload
    assert server.paths() == [f"/pubmed/updatefiles/{NAME}.md5", f"/pubmed/updatefiles/{NAME}"]


def test_download_retries_a_server_error(server, http, payload, tmp_path):
    remote = serve_file(server, payload, md5_line(payload))
    server.routes[f"/pubmed/updatefiles/{NAME}"] = [
        server.Reply(503, b"busy", {"Retry-After": "3"}), server.Reply(200, payload)]
    sleeps: list[float] = []
    path = download(remote, tmp_path, client=http, sleep=sleeps.append)
    assert path.read_bytes() == payload
    assert sleeps == [3.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == [NAME]


def test_download_refuses_an_unreadable_checksum_file(server, http, payload, tmp_path):
    remote = serve_file(server, payload, "<html>Not Found</html>")
    with pytest.raises(ParseError, match="no MD5 line"):
        download(remote, tmp_path, client=http)
    assert list(tmp_path.iterdir()) == []


def test_parse_md5_formats():
    digest = "0123456789abcdef0123456789ABCDEF"
    assert parse_md5(f"MD5({NAME})= {digest}\n", NAME) == digest.lower()
    assert parse_md5(f"{digest}  {NAME}\n", NAME) == digest.lower()
    with pytest.raises(ParseError, match=re.escape("names 'pubmed25n1276.xml.gz'")):
        parse_md5(f"MD5(pubmed25n1276.xml.gz)= {digest}", NAME)


def test_pending_keeps_order_and_drops_applied():
    files = [RemoteFile(f"pubmed25n{n}.xml.gz", f"u{n}", f"m{n}") for n in (1275, 1276, 1277)]
    assert pending(files, {"pubmed25n1276.xml.gz"}) == [files[0], files[2]]
    assert pending(files, set()) == files
    assert pending(files, {f.name for f in files}) == []
