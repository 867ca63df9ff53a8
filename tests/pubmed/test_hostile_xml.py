"""Hostile XML is inert in every entry point: files (plain, gzip, parsed in a child process),
efetch answers, and uploads to the import endpoint.

Each document tries one trick: an external entity naming a local file, an external DTD (by
path and by URL), a parameter entity, XInclude, "billion laughs" and quadratic blow-up. A
local HTTP server counts requests, so "never touches the network" is observed, not assumed;
secrets in local files carry marker strings that must never appear in a parsed record.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import pytest

from litfeed.config import Settings
from litfeed.errors import ParseError
from litfeed.models import Paper, RecordError
from litfeed.pubmed import iter_records, iter_records_from
from litfeed.service import papers as papers_service
from litfeed.service.fetch import fetch_pmids
from litfeed.service.ingest import ingest_file
from litfeed.service.parse_worker import worker_batches
from litfeed.store import Store

MARKERS = ("FILESECRET", "DTDSECRET", "NETSECRET", "lollollol", "AAAAAAAAAAAAAAAA")

RECORD = """<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">
<PMID Version="1">{pmid}</PMID><Article PubModel="Print">
<ArticleTitle>Title {title}</ArticleTitle>
<Abstract><AbstractText>Abstract {abstract}</AbstractText></Abstract>
<AuthorList><Author ValidYN="Y"><LastName>Doe{author}</LastName><ForeName>Jo</ForeName></Author>
</AuthorList></Article></MedlineCitation></PubmedArticle>"""


class _Hits(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []  # every path requested, across handler instances

    def do_GET(self) -> None:
        type(self).hits.append(self.path)
        body = b'<!ENTITY net "NETSECRET">' if self.path.endswith(".dtd") else b"NETSECRET"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def hostile_documents(tmp: Path, net: str) -> dict[str, bytes]:
    secret = tmp / "secret.txt"
    secret.write_text("FILESECRET")
    dtd = tmp / "evil.dtd"
    dtd.write_text('<!ENTITY dtd "DTDSECRET">')
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    big = "A" * 50_000

    def doc(doctype: str, **fields: str) -> bytes:
        values = {"pmid": "4000001", "title": "", "abstract": "", "author": "", **fields}
        return (f'<?xml version="1.0"?>\n{doctype}\n<PubmedArticleSet>'
                f"{RECORD.format(**values)}</PubmedArticleSet>").encode()

    return {
        "file entity": doc(f'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{secret.as_uri()}">]>',
                           title="&x;", author="&x;"),
        "network entity": doc(f'<!DOCTYPE PubmedArticleSet [<!ENTITY x SYSTEM "{net}/e">]>',
                              abstract="&x;"),
        "external DTD by path": doc(f'<!DOCTYPE PubmedArticleSet SYSTEM "{dtd}">',
                                    title="&dtd;"),
        "external DTD by URL": doc(
            f'<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMed//EN" "{net}/pubmed.dtd">',
            title="&net;"),
        "parameter entity": doc(
            f'<!DOCTYPE PubmedArticleSet [<!ENTITY % p SYSTEM "{net}/param.dtd"> %p;]>',
            abstract="&net;"),
        "xinclude": doc("", title=f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                                  f'href="{secret.as_uri()}" parse="text"/>'),
        "billion laughs": doc(f'<!DOCTYPE PubmedArticleSet [<!ENTITY l0 "lol">{laughs}]>',
                              title="&l9;", abstract="&l9;"),
        "quadratic blow-up": doc(f'<!DOCTYPE PubmedArticleSet [<!ENTITY a "{big}">]>',
                                 abstract="&a;" * 2000),
    }


@pytest.fixture
def documents(tmp_path: Path, server: str) -> Iterator[dict[str, bytes]]:
    _Hits.hits.clear()
    yield hostile_documents(tmp_path, server)
    assert _Hits.hits == [], f"the parser fetched {_Hits.hits}"


def dump(record: object) -> str:
    if isinstance(record, Paper | RecordError):
        return json.dumps(record.to_json())
    return repr(record)  # the child process's prepared rows


def assert_inert(records: list[object], name: str) -> None:
    dumped = "".join(dump(r) for r in records)
    for marker in MARKERS:
        assert marker not in dumped, (name, marker)
    assert len(dumped) < 20_000, (name, len(dumped))  # nothing was expanded


def parse_all(read: Iterator[object]) -> list[object]:
    records: list[object] = []
    with contextlib.suppress(ParseError):  # refusing the file outright is inert too
        records.extend(read)
    return records


def test_files_streams_and_gzip_are_inert(documents: dict[str, bytes], tmp_path: Path) -> None:
    for name, body in documents.items():
        plain, packed = tmp_path / "plain.xml", tmp_path / "packed.xml"
        plain.write_bytes(body)
        packed.write_bytes(gzip.compress(body))  # a gzip file named .xml
        for records in (parse_all(iter_records(plain)), parse_all(iter_records(packed)),
                        parse_all(iter_records_from(io.BytesIO(body), "efetch"))):
            assert_inert(records, name)
        # the record still parses, with the references dropped
        papers = [r for r in parse_all(iter_records(plain)) if isinstance(r, Paper)]
        if papers:
            assert papers[0].pmid == "4000001" and papers[0].title.startswith("Title")


def test_the_child_process_parser_is_inert(documents: dict[str, bytes], tmp_path: Path) -> None:
    for name, body in documents.items():
        path = tmp_path / "worker.xml"
        path.write_bytes(body)
        records: list[object] = []
        try:
            for _done, batch in worker_batches(path, skip=0, batch_size=10):
                records.extend(batch)
        except ParseError:
            pass
        assert_inert(records, name)
        assert all(not isinstance(r, Paper) for r in records)  # prepared rows, not papers


def test_ingest_and_efetch_store_nothing_hostile(documents: dict[str, bytes], tmp_path: Path,
                                                 store: Store, settings: Settings) -> None:
    for name, body in documents.items():
        path = tmp_path / f"{name.replace(' ', '_')}.xml"
        path.write_bytes(body)
        try:
            ingest_file(store, path)
        except ParseError:
            continue
        assert_inert([papers_service.get_paper(store, "4000001")], f"ingest: {name}")

    def efetch(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=documents["file entity"])

    with httpx.Client(transport=httpx.MockTransport(efetch)) as http:
        fetch_pmids(store, settings, ["4000001"], http=http)
    assert_inert([papers_service.get_paper(store, "4000001")], "efetch")
