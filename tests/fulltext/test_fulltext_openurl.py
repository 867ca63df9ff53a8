"""The KEV ContextObject, checked field by field against Z39.88-2004's journal format."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from fulltext_support import make_paper

from litfeed.errors import InvalidInput
from litfeed.fulltext.openurl import (
    context_object,
    kev,
    kev_date,
    normalize_issn,
    openurl_link,
    split_pages,
)
from litfeed.models import Author, Journal

SFX = "https://sfx.library.example.edu/local"


def test_context_object_fields_in_order() -> None:
    paper = make_paper(doi="10.1056/NEJMoa1512345")
    assert context_object(paper) == [
        ("url_ver", "Z39.88-2004"),
        ("url_ctx_fmt", "info:ofi/fmt:kev:mtx:ctx"),
        ("ctx_ver", "Z39.88-2004"),
        ("ctx_enc", "info:ofi/enc:UTF-8"),
        ("rfr_id", "info:sid/litfeed"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "article"),
        ("rft.atitle", "Example therapy & outcomes: a randomised trial"),
        ("rft.jtitle", "The Example Journal of Medicine"),
        ("rft.stitle", "Ex J Med"),
        ("rft.issn", "0028-4793"),
        ("rft.volume", "374"),
        ("rft.issue", "11"),
        ("rft.spage", "1023"),
        ("rft.epage", "1034"),
        ("rft.pages", "1023-34"),
        ("rft.date", "2016-03-17"),
        ("rft.aulast", "Doe"),
        ("rft.aufirst", "Jane"),
        ("rft.auinit", "J"),
        ("rft_id", "info:doi/10.1056/NEJMoa1512345"),
        ("rft_id", "info:pmid/27000001"),
    ]


def test_openurl_link_round_trips_through_a_query_parser() -> None:
    paper = make_paper(doi="10.1016/S0140-6736(20)30183-5")
    url = openurl_link(SFX, paper)
    assert url.startswith(SFX + "?url_ver=Z39.88-2004&")
    assert parse_qsl(urlsplit(url).query) == context_object(paper)


def test_kev_percent_encodes_values() -> None:
    paper = make_paper(doi="10.1016/S0140-6736(20)30183-5")
    query = kev(context_object(paper))
    # the DOI is one encoded value, repeated rft_id keys both present
    assert "rft_id=info%3Adoi%2F10.1016%2FS0140-6736%2820%2930183-5" in query
    assert "rft_id=info%3Apmid%2F27000001" in query
    # "&" in the title cannot split the pair; spaces are %20
    assert "rft.atitle=Example%20therapy%20%26%20outcomes%3A%20a%20randomised%20trial" in query
    assert "ctx_ver=Z39.88-2004" in query


def test_unicode_is_utf8_percent_encoded() -> None:
    paper = make_paper(title="Études sur l'α-synucléine")
    pairs = dict(parse_qsl(urlsplit(openurl_link(SFX, paper)).query))
    assert pairs["rft.atitle"] == "Études sur l'α-synucléine"
    assert "%C3%89tudes" in openurl_link(SFX, paper)


@pytest.mark.parametrize(("base", "expected_start"), [
    ("https://sfx.example.edu/sfx_local", "https://sfx.example.edu/sfx_local?url_ver="),
    ("https://xy1ab2cd3e.search.serialssolutions.com/?",
     "https://xy1ab2cd3e.search.serialssolutions.com/?url_ver="),
    ("https://example.alma.exlibrisgroup.com/view/uresolver/01EX_INST/openurl?u.ignore_date_coverage=true",
     "https://example.alma.exlibrisgroup.com/view/uresolver/01EX_INST/openurl"
     "?u.ignore_date_coverage=true&url_ver="),
    ("https://resolver.example.edu/openurl?sid=x&", "https://resolver.example.edu/openurl?sid=x&url_ver="),
])
def test_base_urls_with_and_without_their_own_query(base: str, expected_start: str) -> None:
    assert openurl_link(base, make_paper()).startswith(expected_start)


@pytest.mark.parametrize("base", ["javascript:alert(1)", "ftp://x.edu/", "https://x.edu/r#a", ""])
def test_unsafe_base_is_refused(base: str) -> None:
    with pytest.raises(InvalidInput):
        openurl_link(base, make_paper())


def test_paper_without_doi_or_pmcid_still_identifies_by_pmid_and_citation() -> None:
    pairs = context_object(make_paper(doi=None, pmcid=None))
    assert [v for k, v in pairs if k == "rft_id"] == ["info:pmid/27000001"]
    assert ("rft.issn", "0028-4793") in pairs


def test_absent_values_are_left_out_not_sent_empty() -> None:
    paper = make_paper(doi=None, journal=Journal(title="J"), authors=(), published=None,
                       year=None)
    keys = [k for k, _ in context_object(paper)]
    for absent in ("rft.volume", "rft.issue", "rft.spage", "rft.epage", "rft.pages",
                   "rft.issn", "rft.date", "rft.aulast", "rft.stitle"):
        assert absent not in keys
    assert all(v for _, v in context_object(paper))


def test_collective_first_author_is_a_corporate_author() -> None:
    paper = make_paper(authors=(Author(collective="RECOVERY Collaborative Group"),))
    pairs = context_object(paper)
    assert ("rft.aucorp", "RECOVERY Collaborative Group") in pairs
    assert "rft.aulast" not in dict(pairs)


@pytest.mark.parametrize(("pages", "expected"), [
    ("1023-34", ("1023", "1034")),
    ("1023-1034", ("1023", "1034")),
    ("99-101", ("99", "101")),
    ("S12-8", ("S12", "S18")),
    ("S12-S20", ("S12", "S20")),
    ("e0123456", ("e0123456", None)),
    ("123", ("123", None)),
    ("12-4, 18", ("12", "14")),
    ("iii-iv", ("iii", "iv")),
    ("", (None, None)),
    (None, (None, None)),
])
def test_split_pages_expands_medline_abbreviations(
    pages: str | None, expected: tuple[str | None, str | None]
) -> None:
    assert split_pages(pages) == expected


@pytest.mark.parametrize(("issn", "expected"), [
    ("0028-4793", "0028-4793"), ("00284793", "0028-4793"), ("1234-567x", "1234-567X"),
    ("12345", None), (None, None),
])
def test_normalize_issn(issn: str | None, expected: str | None) -> None:
    assert normalize_issn(issn) == expected


def test_kev_date_uses_the_allowed_forms_or_falls_back_to_the_year() -> None:
    assert kev_date(make_paper(published="2016-03")) == "2016-03"
    assert kev_date(make_paper(published="2016 Mar-Apr", year=2016)) == "2016"
    assert kev_date(make_paper(published=None, year=None)) is None
