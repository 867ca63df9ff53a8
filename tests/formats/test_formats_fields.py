"""The irregular parts, input → expected: pages, dates, names, identifiers."""

from __future__ import annotations

import pytest

from litfeed.formats.dates import date_parts, medline_date, slash_date
from litfeed.formats.identifiers import clean_pmid, find_doi, find_pmid, normalise_doi
from litfeed.formats.names import (
    bibtex_name,
    csl_name,
    given_name,
    last_comma_given,
    last_initials,
    medline_full_name,
    short_written_name,
)
from litfeed.formats.pages import expand_pages, page_range
from litfeed.models import Author, Paper


@pytest.mark.parametrize(("pages", "full", "first", "last"), [
    ("123-9", "123-129", "123", "129"),
    ("1653-786", "1653-1786", "1653", "1786"),
    ("225-30", "225-230", "225", "230"),
    ("67-8, 73", "67-68, 73", "67", "68"),
    ("S12-5", "S12-S15", "S12", "S15"),
    ("e157-e161", "e157-e161", "e157", "e161"),
    ("e0092424", "e0092424", "e0092424", None),
    ("121", "121", "121", None),
    ("", None, None, None),
    (None, None, None, None),
])
def test_pages(pages: str | None, full: str | None, first: str | None,
               last: str | None) -> None:
    assert expand_pages(pages) == full
    assert page_range(pages) == (first, last)


@pytest.mark.parametrize(("published", "year", "parts", "medline", "ris"), [
    ("2021-03-15", 2021, [2021, 3, 15], "2021 Mar 15", "2021/03/15/"),
    ("2021-03", 2021, [2021, 3], "2021 Mar", "2021/03//"),
    ("2021", 2021, [2021], "2021", "2021///"),
    (None, 1981, [1981], "1981", "1981///"),
    ("2021-13", 2021, [2021], "2021", "2021///"),
    ("2020-12-30", 2021, [2021], "2021", "2021///"),  # the year wins
    (None, None, [], None, None),
])
def test_dates(published: str | None, year: int | None, parts: list[int],
               medline: str | None, ris: str | None) -> None:
    paper = Paper(pmid="1", title="t", published=published, year=year)
    assert date_parts(paper) == parts
    assert medline_date(paper) == medline
    assert slash_date(paper) == ris


PERSON = Author(last="Kylänpää", fore="Marja-Leena", initials="ML")
INITIALS_ONLY = Author(last="O'Brien", initials="JP", suffix="Jr")
COLLECTIVE = Author(collective="Task and Finish Group, EFLM")


@pytest.mark.parametrize(("author", "ris", "bibtex", "fau", "au"), [
    (PERSON, "Kylänpää, Marja-Leena", "Kylänpää, Marja-Leena", "Kylänpää, Marja-Leena",
     "Kylänpää ML"),
    (INITIALS_ONLY, "O'Brien, J. P., Jr", "O'Brien, Jr, J. P.", "O'Brien, JP Jr",
     "O'Brien JP Jr"),
    (COLLECTIVE, "Task and Finish Group, EFLM", "{Task and Finish Group, EFLM}",
     "Task and Finish Group, EFLM", "Task and Finish Group, EFLM"),
])
def test_names(author: Author, ris: str, bibtex: str, fau: str, au: str) -> None:
    assert last_comma_given(author) == ris
    assert bibtex_name(author) == bibtex
    assert medline_full_name(author) == fau
    assert last_initials(author) == au


def test_csl_names_and_initials() -> None:
    assert csl_name(COLLECTIVE) == {"literal": "Task and Finish Group, EFLM"}
    assert csl_name(INITIALS_ONLY) == {"family": "O'Brien", "given": "J. P.", "suffix": "Jr"}
    assert given_name(Author(last="Ünal", initials="ÖF")) == "Ö. F."
    assert last_initials(Author(last="Smith", fore="John Adam")) == "Smith JA"


@pytest.mark.parametrize(("written", "short"), [
    ("Kouri, Timo T.", "Kouri TT"),
    ("O'Brien, J. P., Jr.", "O'Brien JP"),
    ("Centers for Disease Control (CDC)", "Centers for Disease Control (CDC)"),
    ("Marko Lempinen", "Marko Lempinen"),
])
def test_short_written_name(written: str, short: str) -> None:
    assert short_written_name(written) == short


@pytest.mark.parametrize(("value", "doi"), [
    ("10.1000/xyz", "10.1000/xyz"),
    ("doi:10.1000/XYZ.", "10.1000/XYZ"),
    ("DOI: 10.1000/xyz", "10.1000/xyz"),
    ("https://doi.org/10.1016/S0140-6736(20)30183-5", "10.1016/S0140-6736(20)30183-5"),
    ("http://dx.doi.org/10.1000%2Fxyz", "10.1000/xyz"),
    ("10.1002/(SICI)1097-4636(199606)31:2<253::AID-JBM13>3.0.CO;2-B",
     "10.1002/(SICI)1097-4636(199606)31:2<253::AID-JBM13>3.0.CO;2-B"),
    ("11.1000/xyz", None),
    ("", None),
])
def test_normalise_doi(value: str, doi: str | None) -> None:
    assert normalise_doi(value) == doi


def test_find_identifiers_in_text() -> None:
    assert find_doi("see https://doi.org/10.1000/abc (2020).") == "10.1000/abc"
    assert find_doi("(doi:10.1016/S0140-6736(20)30183-5)") == "10.1016/S0140-6736(20)30183-5"
    assert find_pmid("Publisher: X\nPMID: 0012345") == "12345"
    assert find_pmid("https://www.ncbi.nlm.nih.gov/pubmed/38534005") == "38534005"
    assert find_pmid("volume 12345") is None
    assert clean_pmid("PMID:15764155") == "15764155"
    assert clean_pmid("https://pubmed.ncbi.nlm.nih.gov/6789123/") == "6789123"
    assert clean_pmid("WOS:000123") is None
