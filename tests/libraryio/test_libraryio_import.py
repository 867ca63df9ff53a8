"""Import reference-manager files: matching by PMID, DOI, title + year; partial files; fetch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from libraryio_support import EFLM, FORMATS, MMWR, SPINK, TITLE_ONLY, Readers, efetch_body

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import InvalidInput, ParseError
from litfeed.service import accounts, library, library_io
from litfeed.store import Store
from testkit import CliResult


def saved(store: Store, user_id: int, name: str) -> list[str]:
    chosen = library.get_collection_by_name(store, user_id, name)
    return sorted(i.pmid for i in library.list_saved(store, user_id, collection_id=chosen.id))


def test_zotero_bibtex_matches_by_pmid_doi_and_title_year(
        stocked: Store, readers: Readers, run: Callable[..., CliResult]) -> None:
    result = run("import", "ana@example.org", str(FORMATS / "zotero.bib"), "--collection",
                 "From Zotero", "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    # SPINK has a PMID; the EFLM guideline only a DOI; the 1981 MMWR note only title and year;
    # "Mutations of SPINK1 revisited" names PMID 90000001, which is not stored, so its title
    # and year find 90000099
    assert saved(stocked, readers.ana.id, "From Zotero") == sorted(
        [SPINK, EFLM, MMWR, TITLE_ONLY])
    assert (report["matched"], report["imported"], report["entries"]) == (4, 4, 5)
    assert [u["label"] for u in report["unmatched"]] == ["unal_depression_2021"]
    assert report["unmatched"][0]["line"] == 54
    assert "10.9999/example.2021.777" in report["unmatched"][0]["description"]
    assert report["problems"] == []


@pytest.mark.parametrize(("name", "fmt", "found", "unmatched_lines"), [
    ("zotero.ris", None, [SPINK, EFLM, MMWR], [61]),
    # "Mutations of SPINK1 revisited" dated 2006 here: the year before is tried too
    ("endnote.ris", "ris", [EFLM, TITLE_ONLY], [27]),
    ("mendeley.bib", None, [SPINK, MMWR], []),
    ("mendeley.ris", None, [SPINK], [17]),
    ("pubmed.nbib", "nbib", [SPINK, EFLM, MMWR], []),
    ("pmids.txt", "pmids", [SPINK, EFLM, MMWR], [5, 7]),
])
def test_reference_manager_files(stocked: Store, readers: Readers, name: str, fmt: str | None,
                                 found: list[str], unmatched_lines: list[int]) -> None:
    report = library_io.import_library(stocked, readers.ana.id,
                                       (FORMATS / name).read_bytes(), fmt, "Imported")
    assert saved(stocked, readers.ana.id, "Imported") == sorted(found)
    assert [e.source_line for e in report.unmatched] == unmatched_lines


def test_malformed_file_names_entry_and_line_and_imports_the_rest(
        stocked: Store, readers: Readers, run: Callable[..., CliResult]) -> None:
    result = run("import", "ana@example.org", str(FORMATS / "malformed.bib"), "--json")
    assert result.code == 0, result.stderr
    report = result.json()
    problems = {(p["line"], p["entry"].split(",")[0]) for p in report["problems"]}
    assert (8, "@article{broken_entry_2024") in problems
    assert any(p["line"] == 26 and "no_identifiers_2020" in p["entry"]
               and "no PMID, DOI or title" in p["message"] for p in report["problems"])
    # the valid entries around the broken one still import
    assert MMWR in saved(stocked, readers.ana.id, "Saved")
    human = run("import", "ana@example.org", str(FORMATS / "malformed.ris"))
    assert "line 16: entry 3 (The EFLM European Urinalysis Guideline 2023)" in human.stdout
    assert "text outside any entry" in human.stdout


def test_a_file_in_no_format_is_bad_input(stocked: Store, readers: Readers,
                                          run: Callable[..., CliResult], tmp_path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("Dear colleague,\nplease read these papers.\n")
    result = run("import", "ana@example.org", str(junk))
    assert result.code == 2
    assert "could not tell the file's format" in result.stderr
    assert library.list_collections(stocked, readers.ana.id) == []
    wrong = run("import", "ana@example.org", str(FORMATS / "zotero.ris"), "--format", "bibtex")
    assert wrong.code == 2
    assert run("import", "ana@example.org", str(tmp_path / "absent.ris")).code == 2


def test_imported_papers_are_saves_and_a_second_import_adds_nothing(
        stocked: Store, readers: Readers, client: TestClient,
        login: Callable[[str], dict[str, Any]]) -> None:
    library.save(stocked, readers.ana.id, SPINK, "Teaching", note="for Tuesday")
    first = library_io.import_library(stocked, readers.ana.id, f"{SPINK}\n{EFLM}\n",
                                      collection="Teaching")
    assert (first.matched, first.imported, first.already_saved) == (2, 1, 1)
    again = library_io.import_library(stocked, readers.ana.id, f"{SPINK}\n{EFLM}\n",
                                      collection="Teaching")
    assert (again.matched, again.imported) == (2, 0)
    states = library.card_states(stocked, readers.ana.id, [SPINK, EFLM])
    assert states[EFLM].saved_in == ("Teaching",)
    assert library.find_reaction(stocked, readers.ana.id, EFLM) is None
    login("ana@example.org")
    paper = client.get(f"/api/papers/{EFLM}").json()
    assert paper["saved_in"] == ["Teaching"]
    assert client.get(f"/api/papers/{SPINK}").json()["note"] == "for Tuesday"


def test_import_touches_only_the_callers_library(stocked: Store, readers: Readers) -> None:
    library.save(stocked, readers.ben.id, MMWR, "Saved")
    library_io.import_library(stocked, readers.ana.id, (FORMATS / "pubmed.nbib").read_bytes())
    assert saved(stocked, readers.ben.id, "Saved") == [MMWR]
    assert [c.name for c in library.list_collections(stocked, readers.ben.id)] == ["Saved"]
    assert saved(stocked, readers.ana.id, "Saved") == sorted([SPINK, EFLM, MMWR])


def test_nothing_matched_creates_no_collection(stocked: Store, readers: Readers) -> None:
    report = library_io.import_library(stocked, readers.ana.id, "10.9999/none\n", "pmids",
                                       "Empty")
    assert report.matched == 0 and len(report.unmatched) == 1
    assert library.list_collections(stocked, readers.ana.id) == []
    with pytest.raises(InvalidInput):
        library_io.import_library(stocked, readers.ana.id, "1", "docx")
    with pytest.raises(ParseError):
        library_io.import_library(stocked, readers.ana.id, b"\n\n")


# --- fetching what the store lacks ---------------------------------------------------------------

def ncbi(seen: list[str], fail: bool = False) -> httpx.Client:
    """A stand-in for NCBI: ESearch finds DOIs of the shared records, EFetch sends them."""
    dois = {"10.1515/cclm-2024-0070": EFLM}

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if fail:
            return httpx.Response(400, text="bad request")
        params = dict(request.url.params)
        if request.method == "POST":
            params.update(dict(httpx.QueryParams(request.content.decode())))
        if request.url.path.endswith("esearch.fcgi"):
            ids = [pmid for doi, pmid in dois.items() if doi in params["term"]]
            return httpx.Response(200, json={"esearchresult": {"count": str(len(ids)),
                                                               "idlist": ids}})
        return httpx.Response(200, content=efetch_body(params["id"].split(",")))

    return httpx.Client(transport=httpx.MockTransport(handle))


@pytest.fixture
def bare(store: Store, settings: Settings) -> tuple[Store, int]:
    """A store with one paper and one reader: the shared records are only 'at NCBI'."""
    add_papers(store, [make_paper("90000099")])
    user = accounts.register(store, fast(settings), email="c@example.org",
                             password="a long password")
    return store, user.id


def test_fetch_missing_by_pmid_and_doi(bare: tuple[Store, int], settings: Settings) -> None:
    store, uid = bare
    seen: list[str] = []
    text = f"{SPINK}\n10.1515/cclm-2024-0070\n99999999\n"
    with ncbi(seen) as http:
        report = library_io.import_library(store, uid, text, collection="Fetched",
                                           fetch_missing=True, settings=settings, http=http)
    assert report.fetched == 2 and report.fetch_error is None
    assert saved(store, uid, "Fetched") == sorted([SPINK, EFLM])
    assert [e.pmid for e in report.unmatched] == ["99999999"]  # NCBI does not know it
    assert any(p.endswith("esearch.fcgi") for p in seen)


def test_fetch_failure_degrades_to_unmatched(bare: tuple[Store, int],
                                             settings: Settings) -> None:
    store, uid = bare
    seen: list[str] = []
    with ncbi(seen, fail=True) as http:
        report = library_io.import_library(store, uid, f"{SPINK}\n", fetch_missing=True,
                                           settings=settings, http=http)
    assert seen, "PubMed was asked"
    assert report.fetched == 0 and report.matched == 0
    assert report.fetch_error and "PubMed could not be reached" in report.fetch_error
    assert [e.pmid for e in report.unmatched] == [SPINK]


# --- the web: upload form and API ----------------------------------------------------------------

def test_upload_form_shows_matched_unmatched_and_problems(
        stocked: Store, readers: Readers, client: TestClient,
        login: Callable[[str], dict[str, Any]]) -> None:
    login("ana@example.org")
    page = client.get("/saved").text
    assert 'action="/saved/import" enctype="multipart/form-data"' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    r = client.post("/saved/import", data={"csrf_token": token, "format": "auto",
                                           "collection": "Uploaded"},
                    files={"file": ("malformed.ris", (FORMATS / "malformed.ris").read_bytes())})
    assert r.status_code == 200, r.text
    assert "Imported into “Uploaded”" in r.text
    assert "Line 16</strong>: entry 3 (The EFLM European Urinalysis Guideline 2023)" in r.text
    assert "line 4: Lempinen M: Mutations of SPINK1 revisited (2005) [PMID 90000001]" not in \
        r.text  # matched by title and year, so not listed as unmatched
    assert saved(stocked, readers.ana.id, "Uploaded") == sorted([EFLM, MMWR, TITLE_ONLY])
    bad = client.post("/saved/import", data={"csrf_token": token, "collection": "X"},
                      files={"file": ("x.txt", b"Dear colleague")})
    assert bad.status_code == 400 and "could not tell the file" in bad.text
    forged = client.post("/saved/import", data={"collection": "X"},
                         files={"file": ("x.txt", f"{SPINK}".encode())})
    assert forged.status_code == 403


def test_api_import_multipart_json_and_raw(stocked: Store, readers: Readers,
                                           client: TestClient,
                                           login: Callable[[str], dict[str, Any]]) -> None:
    login("ben@example.org")
    r = client.post("/api/import", data={"collection": "Via API"},
                    files={"file": ("pubmed.nbib", (FORMATS / "pubmed.nbib").read_bytes())})
    assert r.status_code == 200, r.text
    assert (r.json()["format"], r.json()["imported"]) == ("nbib", 3)
    r = client.post("/api/import", json={"text": f"PMID: {MMWR}\nnonsense!", "format": "pmids",
                                         "collection": "Pasted"})
    body = r.json()
    assert (body["imported"], body["collection"]) == (1, "Pasted")
    assert body["problems"] == [{"entry": "'nonsense!'", "line": 2, "message": (
        "is neither a PMID (digits, e.g. 12345678) nor a DOI (e.g. 10.1000/xyz)")}]
    r = client.post("/api/import?collection=Raw",
                    content=(FORMATS / "zotero.ris").read_bytes(),
                    headers={"content-type": "application/x-research-info-systems"})
    assert r.json()["matched"] == 3
    empty = client.post("/api/import", json={"collection": "X"})
    assert empty.status_code == 400 and "nothing to import" in empty.json()["message"]
    assert saved(stocked, readers.ben.id, "Raw") == sorted([SPINK, EFLM, MMWR])
    assert library.list_collections(stocked, readers.ana.id) == []


def test_api_import_needs_an_account(client: TestClient) -> None:
    r = client.post("/api/import", json={"text": SPINK})
    assert r.status_code == 401
    assert json.loads(r.text)["error"] == "unauthorized"
