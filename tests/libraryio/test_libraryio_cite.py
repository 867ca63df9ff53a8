"""Formatted citations: the CLI, the API, the paper page's Cite block, "Cite" on /saved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from libraryio_support import EFLM, MMWR, SPINK, Readers

from factories import make_paper
from litfeed.formats.cite import format_citation
from litfeed.service import library
from litfeed.store import Store
from testkit import CliResult

AMA_SPINK = ("Lempinen M, Paju A, Kemppainen E, et al. Mutations N34S and P55S of the SPINK1 "
             "gene in patients with chronic pancreatitis or pancreatic cancer and in healthy "
             "subjects: a report from Finland. Scand J Gastroenterol. 2005;40(2):225-230. "
             "doi:10.1080/00365520510011560")
VANCOUVER_MMWR = ("Centers for Disease Control (CDC). Community water supply contaminated with "
                  "caustic soda--Georgia. MMWR Morb Mortal Wkly Rep. 1981 Feb 20;30(6):67–8, "
                  "73. PubMed PMID: 6789123.")
APA_MMWR = ("Centers for Disease Control (CDC). (1981). Community water supply contaminated "
            "with caustic soda--Georgia. MMWR. Morbidity and Mortality Weekly Report, 30(6), "
            "67–68, 73.")


def test_cli_cite_in_each_style(stocked: Store, run: Callable[..., CliResult]) -> None:
    ama = run("cite", SPINK, MMWR, "--style", "ama")
    assert ama.code == 0, ama.stderr
    assert ama.stdout.splitlines()[0] == AMA_SPINK
    vancouver = run("cite", MMWR, "--style", "vancouver", "--json").json()
    assert vancouver["citations"][0]["text"] == VANCOUVER_MMWR
    apa = run("cite", MMWR, "--style", "apa", "--html").stdout.strip()
    assert apa.replace("<i>", "").replace("</i>", "") == APA_MMWR
    assert "<i>MMWR. Morbidity and Mortality Weekly Report</i>" in apa
    assert run("cite", "1", "--style", "ama").code == 1
    assert run("cite", SPINK, "--style", "harvard").code == 2


def test_api_cite_one_paper_and_several(stocked: Store, client: TestClient) -> None:
    r = client.get(f"/api/papers/{SPINK}/cite")
    assert r.status_code == 200
    assert [(c["style"], c["label"]) for c in r.json()["citations"]] == [
        ("ama", "AMA"), ("vancouver", "Vancouver (NLM)"), ("apa", "APA")]
    assert r.json()["citations"][0]["text"] == AMA_SPINK
    one = client.get(f"/api/papers/{MMWR}/cite", params={"style": "apa"}).json()
    assert [c["text"] for c in one["citations"]] == [APA_MMWR]
    several = client.get("/api/cite", params={"pmids": f"{MMWR},{SPINK}", "style": "vancouver"})
    assert [c["pmid"] for c in several.json()["citations"]] == [MMWR, SPINK]
    assert several.json()["citations"][0]["text"] == VANCOUVER_MMWR
    assert client.get("/api/cite", params={"pmids": SPINK, "style": "mla"}).status_code == 400
    missing = client.get("/api/cite", params={"pmids": f"{SPINK},404"})
    assert missing.status_code == 404 and "404" in missing.json()["message"]


def test_paper_page_has_a_cite_block(stocked: Store, client: TestClient) -> None:
    page = client.get(f"/papers/{EFLM}").text
    block = page.split('<section class="cite"')[1].split("</section>")[0]
    for label in ("AMA", "Vancouver (NLM)", "APA"):
        assert f"<dt>{label}</dt>" in block
    assert "<i>Clin Chem Lab Med</i>" in block  # AMA italicises the journal
    assert f'href="/papers/{EFLM}/export?format=ris"' in block
    assert 'data-copy="cite-ama"' in block


def test_cite_a_collection_or_the_ticked_papers(
        stocked: Store, readers: Readers, client: TestClient,
        login: Callable[[str], dict[str, Any]]) -> None:
    for pmid in (SPINK, MMWR):
        library.save(stocked, readers.ana.id, pmid, "Journal club")
    library.save(stocked, readers.ben.id, EFLM, "Journal club")
    club = library.get_collection_by_name(stocked, readers.ana.id, "Journal club")
    login("ana@example.org")
    page = client.get("/saved/cite", params={"collection": club.id, "style": "apa"}).text
    assert "Cite “Journal club”" in page
    assert "Centers for Disease Control (CDC). (1981)." in page
    assert "Lempinen, M., Paju, A." in page
    assert "Kouri" not in page  # Ben's paper in his own "Journal club"
    ticked = client.get("/saved/cite", params=[("collection", club.id), ("pmid", SPINK),
                                               ("style", "ama")]).text
    assert "Cite 1 selected paper" in ticked
    assert AMA_SPINK in ticked.replace("<i>", "").replace("</i>", "")
    assert "Centers for Disease Control" not in ticked


def test_e_locator_page_ranges_are_written_in_full() -> None:
    paper = make_paper("31000001")
    e_pages = replace(paper, journal=replace(paper.journal, pages="e1-e12"))
    # citeproc-py would shorten this like a number range: "e1–2"
    assert "173(3):e1–e12." in format_citation(e_pages, "vancouver")
    assert "173(3):234–45." in format_citation(paper, "vancouver")  # numbers still shortened
