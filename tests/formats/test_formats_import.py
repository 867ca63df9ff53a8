"""Importers on files written the way Zotero, EndNote, Mendeley and PubMed write them.

The fixtures in tests/fixtures/formats are hand-written after each program's documented and
observed output: Zotero's RIS (CRLF, ``N1  - PMID: …``, ``DA  - 2005/02//``) and BibTeX (tab
indents, ``{\\"a}`` accents, braced capitals, ``month = feb``, trailing commas); EndNote's RIS
(byte-order mark, CRLF, ``T1``/``JO``/``Y1``, the PMID in ``AN``, an ``SN`` value continued on
an untagged line, an old-style DOI in ``M3``); Mendeley's RIS (``N2`` abstracts, the PMID only in
a PubMed ``UR``, no blank line between entries) and BibTeX (its header text, ``pmid = {…}``,
double-braced titles); PubMed's nbib. ``malformed.*`` are broken on purpose.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from formats_support import FIXTURES

from litfeed.errors import InvalidInput, ParseError
from litfeed.formats import (
    EXPORTERS,
    ImportedEntry,
    ImportResult,
    decode_file,
    detect_format,
    match_entries,
    normalise_title,
    parse,
)
from litfeed.formats.dates import year_of
from litfeed.models import Paper


class FakeStore:
    """The three lookups the store provides, over the sample papers."""

    def __init__(self, papers: list[Paper]) -> None:
        self.pmids = {p.pmid for p in papers}
        self.dois = {p.doi.lower(): p.pmid for p in papers if p.doi}
        self.titles: dict[tuple[str, int | None], list[str]] = defaultdict(list)
        for paper in papers:
            self.titles[(normalise_title(paper.title), year_of(paper))].append(paper.pmid)

    def by_pmid(self, pmid: str) -> str | None:
        return pmid if pmid in self.pmids else None

    def by_doi(self, doi: str) -> str | None:
        return self.dois.get(doi.lower())

    def by_title_year(self, title: str, year: int) -> str | None:
        found = self.titles.get((title, year), [])
        return found[0] if len(found) == 1 else None


@pytest.fixture
def store(papers: list[Paper]) -> FakeStore:
    return FakeStore(papers)


def read(name: str) -> str:
    return (FIXTURES / name).read_bytes().decode("utf-8")


def matched(result: ImportResult, store: FakeStore) -> list[str | None]:
    """The stored PMID for each entry in file order (None when unmatched)."""
    outcome = match_entries(result.entries, by_pmid=store.by_pmid, by_doi=store.by_doi,
                            by_title_year=store.by_title_year)
    found = {id(entry): pmid for entry, pmid in outcome.matched}
    return [found.get(id(entry)) for entry in result.entries]


@pytest.mark.parametrize(("name", "fmt"), [
    ("zotero.ris", "ris"), ("endnote.ris", "ris"), ("mendeley.ris", "ris"),
    ("zotero.bib", "bibtex"), ("mendeley.bib", "bibtex"), ("malformed.bib", "bibtex"),
    ("malformed.ris", "ris"), ("pubmed.nbib", "nbib"), ("pmids.txt", "pmids"),
    ("expected.ris", "ris"), ("expected.bib", "bibtex"), ("expected.nbib", "nbib"),
])
def test_detect_format(name: str, fmt: str) -> None:
    assert detect_format(read(name)) == fmt


@pytest.mark.parametrize("text", ["", "  \n\ufeff\n", "Dear colleague,\nplease read these.\n"])
def test_unrecognisable_text_is_a_clear_error(text: str) -> None:
    with pytest.raises(ParseError, match=r"empty|could not tell"):
        parse(text)


def test_wrong_format_named_is_a_parse_error_and_unknown_format_invalid_input() -> None:
    with pytest.raises(ParseError, match="not a BibTeX file"):
        parse(read("zotero.ris"), "bibtex")
    with pytest.raises(ParseError, match="not a RIS file"):
        parse(read("zotero.bib"), "ris")
    with pytest.raises(InvalidInput, match="expected one of: ris, bibtex, nbib, pmids"):
        parse(read("zotero.ris"), "endnote")


def test_zotero_ris(store: FakeStore) -> None:
    result = parse(read("zotero.ris"))
    assert result.problems == []
    first = result.entries[0]
    assert (first.pmid, first.doi, first.year, first.source_line) == (
        "15764155", "10.1080/00365520510011560", 2005, 1)
    assert first.first_author == "Lempinen M"
    # PMID from "N1  - PMID: …", DOI in upper case, em dash in a title, a paper we lack
    assert matched(result, store) == ["15764155", "38534005", "6789123", None]
    assert result.entries[3].describe() == (
        "line 61: Nobody A: Ketamine for treatment-resistant depression: a trial litfeed does "
        "not hold (2022) [doi:10.9999/example.2022.001]")


def test_endnote_ris_with_bom_crlf_and_continuation_lines(store: FakeStore) -> None:
    result = parse(read("endnote.ris"))
    assert result.problems == []
    kouri, wos, revisited = result.entries
    assert kouri.pmid == "38534005" and kouri.title == "The EFLM European Urinalysis Guideline 2023"
    assert kouri.journal == "Clin Chem Lab Med" and kouri.year == 2024
    assert wos.pmid is None  # "WOS:…" in AN is an accession number, not a PMID
    assert wos.doi == "10.9999/wos.example.19"  # EndNote's old DOI place, M3
    assert revisited.year == 2006
    # the 2006 online date still finds the 2005 issue by title
    assert matched(result, store) == ["38534005", None, "90000001"]


def test_mendeley_ris(store: FakeStore) -> None:
    result = parse(read("mendeley.ris"))
    assert result.problems == []
    spink, book = result.entries
    assert spink.pmid == "15764155"  # only in the PubMed URL
    assert spink.year == 2005
    assert book.label == "Dupre1993" and book.first_author == "Dupré J"
    assert matched(result, store) == ["15764155", "90000003"]


def test_zotero_bibtex_decodes_latex(store: FakeStore) -> None:
    result = parse(read("zotero.bib"))
    assert result.problems == []
    labels = [e.label for e in result.entries]
    assert labels == ["lempinen_mutations_2005", "kouri_eflm_2024",
                      "centers_for_disease_control_cdc_community_1981",
                      "lempinen_mutations_2005-1", "unal_depression_2021"]
    unal = result.entries[-1]
    assert unal.title == "Depression after COVID-19 in Ünal's cohort"
    assert unal.first_author == "Ünal Ö"
    assert result.entries[2].first_author == "Centers for Disease Control (CDC)"
    assert result.entries[3].pmid == "90000001"  # from note = {PMID: …}
    assert matched(result, store) == ["15764155", "38534005", "6789123", "90000001", None]


def test_mendeley_bibtex_with_header_text(store: FakeStore) -> None:
    result = parse(read("mendeley.bib"))
    assert result.problems == []
    assert [(e.label, e.pmid, e.source_line) for e in result.entries] == [
        ("Lempinen2005", "15764155", 6), ("Centers1981", "6789123", 23)]
    assert result.entries[0].title is not None and not result.entries[0].title.startswith("{")
    assert matched(result, store) == ["15764155", "6789123"]


def test_malformed_bibtex_imports_the_rest_and_names_each_broken_entry() -> None:
    result = parse(read("malformed.bib"))
    assert [e.label for e in result.entries] == ["good_first_2005", "good_after_1981"]
    assert [(p.entry, p.line) for p in result.problems] == [
        ("@article{broken_entry_2024,", 8),
        ("@article entry without a key", 20),
        ("@article{no_identifiers_2020}", 26),
    ]
    assert "'}' missing" in result.problems[0].message
    assert "line 14" in result.problems[0].message
    assert "Expected comma after entry key" in result.problems[1].message
    assert "no PMID, DOI or title" in result.problems[2].message


def test_malformed_ris_imports_the_rest_and_reports_lines() -> None:
    result = parse(read("malformed.ris"))
    assert [(e.pmid, e.doi, e.source_line) for e in result.entries] == [
        ("90000001", None, 4), (None, "10.1515/cclm-2024-0070", 16), ("6789123", None, 20)]
    assert [p.line for p in result.problems] == [1, 11, 16, 20]
    assert "outside any entry" in result.problems[0].entry
    assert result.problems[1].entry == "entry 2"
    assert "next entry on line 20" in result.problems[2].message
    assert "file ends" in result.problems[3].message


def test_pubmed_nbib(store: FakeStore) -> None:
    result = parse(read("pubmed.nbib"))
    spink, kouri, cdc = result.entries
    assert spink.title is not None and spink.title.endswith("a report from Finland.")
    assert spink.doi == "10.1080/00365520510011560" and spink.raw_type == "Journal Article"
    assert kouri.doi == "10.1515/cclm-2024-0070"
    assert cdc.first_author == "Centers for Disease Control (CDC)"
    assert [(p.line, p.entry) for p in result.problems] == [(53, "record starting on line 41")]
    assert "this line lost its tag" in result.problems[0].message
    assert matched(result, store) == ["15764155", "38534005", "6789123"]


def test_pmid_and_doi_list(store: FakeStore) -> None:
    result = parse(read("pmids.txt"))
    assert [(e.pmid, e.doi, e.source_line) for e in result.entries] == [
        ("15764155", None, 2), ("38534005", None, 3), ("6789123", None, 4),
        (None, "10.1080/00365520510011560", 5), (None, "10.1515/cclm-2024-0070", 5),
        (None, "10.9999/EXAMPLE.2022.001", 5),
        (None, "10.1002/(SICI)1097-4636(199606)31:2<253::AID-JBM13>3.0.CO;2-B", 7),
    ]
    assert [(p.entry, p.line) for p in result.problems] == [("'not-an-id'", 6), ("'12ab'", 6)]
    assert matched(result, store) == [
        "15764155", "38534005", "6789123", "15764155", "38534005", None, None]


def test_a_spreadsheet_column_header_is_not_a_problem() -> None:
    result = parse("PMID\n15764155\n38534005\n", "pmids")
    assert [e.pmid for e in result.entries] == ["15764155", "38534005"]
    assert result.problems == []


@pytest.mark.parametrize("fmt", ["ris", "bibtex", "nbib"])
def test_our_exports_import_and_match_every_paper(fmt: str, papers: list[Paper],
                                                  store: FakeStore) -> None:
    text = EXPORTERS[fmt].export(papers)
    result = parse(text)
    assert result.format == fmt and result.problems == []
    assert matched(result, store) == [p.pmid for p in papers]
    for paper, entry in zip(papers, result.entries, strict=True):
        assert isinstance(entry, ImportedEntry)
        assert (entry.pmid, entry.doi, entry.year) == (paper.pmid, paper.doi, year_of(paper))
        assert entry.title is not None
        assert normalise_title(entry.title) == normalise_title(paper.title)


@pytest.mark.parametrize("data", [
    "TY  - JOUR\r\nAU  - Kylänpää, M\r\nER  - \r\n".encode(),
    "\ufeffTY  - JOUR\r\nAU  - Kylänpää, M\r\nER  - \r\n".encode(),
    "TY  - JOUR\r\nAU  - Kylänpää, M\r\nER  - \r\n".encode("utf-16"),
    "TY  - JOUR\r\nAU  - Kylänpää, M\r\nER  - \r\n".encode("cp1252"),
])
def test_decode_file_reads_the_encodings_managers_write(data: bytes) -> None:
    text = decode_file(data)
    assert text.startswith("TY  - JOUR")
    assert "Kylänpää" in text
