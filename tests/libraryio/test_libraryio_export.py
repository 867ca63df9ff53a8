"""Export a reader's library: the CLI and API files read back by well-kept parsers."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import bibtexparser
import rispy
from fastapi.testclient import TestClient
from libraryio_support import EFLM, MMWR, SPINK, TITLE_ONLY, Readers

from litfeed.service import library
from litfeed.store import Store
from testkit import CliResult


def save_reading_list(store: Store, readers: Readers) -> None:
    for pmid in (SPINK, EFLM, MMWR):
        library.save(store, readers.ana.id, pmid, "Reading list")
    library.save(store, readers.ana.id, TITLE_ONLY, "Other")
    library.save(store, readers.ben.id, TITLE_ONLY, "Reading list")


def test_cli_export_of_a_collection_reads_back_in_bibtex_and_ris(
        stocked: Store, readers: Readers, run: Callable[..., CliResult]) -> None:
    save_reading_list(stocked, readers)
    bib = run("export", "ana@example.org", "--format", "bibtex", "--collection", "Reading list")
    assert bib.code == 0, bib.stderr
    entries = bibtexparser.parse_string(bib.stdout).entries
    assert sorted(e["pmid"] for e in entries) == sorted([SPINK, EFLM, MMWR])
    spink = next(e for e in entries if e["pmid"] == SPINK)
    assert spink["doi"] == "10.1080/00365520510011560"
    assert spink["journal"] == "Scandinavian journal of gastroenterology"

    ris = run("export", "ana@example.org", "--format", "ris", "--collection", "Reading list")
    assert ris.code == 0, ris.stderr
    records = rispy.loads(ris.stdout)
    assert sorted(r["accession_number"] for r in records) == sorted([SPINK, EFLM, MMWR])
    eflm = next(r for r in records if r["accession_number"] == EFLM)
    assert eflm["doi"] == "10.1515/cclm-2024-0070"
    assert "Kouri, Timo T" in eflm["authors"]


def test_cli_export_other_formats_and_the_whole_library(
        stocked: Store, readers: Readers, run: Callable[..., CliResult]) -> None:
    save_reading_list(stocked, readers)
    items = json.loads(run("export", "ana@example.org", "--format", "csljson").stdout)
    # the whole library: every paper of every collection once, none of Ben's
    assert sorted(i["PMID"] for i in items) == sorted([SPINK, EFLM, MMWR, TITLE_ONLY])
    rows = list(csv.DictReader(io.StringIO(
        run("export", "ana@example.org", "--format", "csv", "--collection", "Other")
        .stdout.lstrip("\ufeff"))))
    assert [r["pmid"] for r in rows] == [TITLE_ONLY]
    nbib = run("export", "ana@example.org", "--format", "nbib", "--pmid", MMWR).stdout
    assert nbib.startswith(f"PMID- {MMWR}") and "PMID- " + SPINK not in nbib


def test_cli_export_errors(stocked: Store, readers: Readers,
                           run: Callable[..., CliResult]) -> None:
    missing = run("export", "ana@example.org", "--format", "ris", "--collection", "Nope")
    assert missing.code == 1 and "no collection called 'Nope'" in missing.stderr
    bad = run("export", "ana@example.org", "--format", "docx")
    assert bad.code == 2 and "docx" in bad.stderr
    nobody = run("export", "zed@example.org", "--format", "ris")
    assert nobody.code == 1 and "zed@example.org" in nobody.stderr


def test_api_export_is_an_attachment_of_the_callers_library_only(
        stocked: Store, readers: Readers, client: TestClient,
        login: Callable[[str], dict[str, Any]]) -> None:
    save_reading_list(stocked, readers)
    login("ben@example.org")
    r = client.get("/api/export", params={"format": "ris", "collection": "Reading list"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/x-research-info-systems")
    disposition = r.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="litfeed-reading-list-')
    assert disposition.endswith('.ris"')
    # Ben's "Reading list" holds only his paper, though Ana's has the same name
    assert [rec["accession_number"] for rec in rispy.loads(r.text)] == [TITLE_ONLY]
    assert client.get("/api/export", params={"format": "ris", "collection": "Other"}
                      ).status_code == 404
    selected = client.get("/api/export", params={"format": "bibtex", "pmids": f"{MMWR},{SPINK}"})
    assert [e["pmid"] for e in bibtexparser.parse_string(selected.text).entries] == [MMWR, SPINK]
    assert client.get("/api/export", params={"format": "pdf"}).json()["error"] == "invalid_input"


def test_api_export_needs_an_account(client: TestClient) -> None:
    assert client.get("/api/export", params={"format": "ris"}).status_code == 401


def test_saved_page_exports_a_collection_or_the_ticked_papers_without_javascript(
        stocked: Store, readers: Readers, client: TestClient,
        login: Callable[[str], dict[str, Any]]) -> None:
    save_reading_list(stocked, readers)
    login("ana@example.org")
    reading = next(c for c in library.list_collections(stocked, readers.ana.id)
                   if c.name == "Reading list")
    page = client.get(f"/saved?collection={reading.id}").text
    assert '<form id="selection" method="get" action="/saved/export"' in page
    assert f'name="pmid" value="{SPINK}" form="selection"' in page
    assert 'formaction="/saved/cite"' in page
    whole = client.get("/saved/export", params={"collection": reading.id, "format": "ris"})
    assert whole.headers["content-disposition"].startswith("attachment;")
    assert len(rispy.loads(whole.text)) == 3
    ticked = client.get("/saved/export", params=[("collection", reading.id),
                                                  ("format", "bibtex"), ("pmid", EFLM)])
    assert [e["pmid"] for e in bibtexparser.parse_string(ticked.text).entries] == [EFLM]
    # another reader's collection id is not found
    ben_list = next(c for c in library.list_collections(stocked, readers.ben.id))
    assert client.get("/saved/export", params={"collection": ben_list.id}).status_code == 404


def test_paper_page_download_is_public(stocked: Store, client: TestClient) -> None:
    r = client.get(f"/papers/{SPINK}/export", params={"format": "nbib"})
    assert r.status_code == 200
    disposition = r.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="litfeed-pmid-{SPINK}-')
    assert disposition.endswith('.nbib"')
    assert r.text.startswith(f"PMID- {SPINK}")
    assert client.get("/papers/1/export", params={"format": "nbib"}).status_code == 404
