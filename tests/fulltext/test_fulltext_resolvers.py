"""Each resolver on its own, then the whole block in LibKey's order for every OA status."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fulltext_support import STATUSES, make_paper, record

from litfeed.fulltext.institutions import Institution
from litfeed.fulltext.links import LINK_KINDS, Link
from litfeed.fulltext.resolvers import (
    LinkContext,
    dedupe,
    doi_link,
    institution_access,
    interlibrary_loan,
    license_label,
    open_access_manuscripts,
    open_access_published,
    publisher_link,
    pubmed_link,
    resolve_links,
    url_key,
)

EZPROXY = Institution(name="Example University", ezproxy_prefix="ezproxy.example.edu",
                      openurl_base="https://sfx.example.edu/local",
                      ill_url="https://example.edu/ill/request", email_domains=("example.edu",))
OPENURL_ONLY = Institution(name="County Hospital Library",
                           openurl_base="https://resolver.example.org/openurl")


def ctx(status: str | None = None, *, institution: Institution | None = None,
        **paper: Any) -> LinkContext:
    paper.setdefault("doi", f"10.5555/litfeed.{status or 'closed'}")
    return LinkContext(paper=make_paper(**paper), institution=institution,
                       unpaywall=record(status) if status else None)


def summary(links: list[Link]) -> list[tuple[str, str | None, str | None]]:
    """(kind, version or via, host) for each link — the shape a reader sees."""
    return [(link.kind, link.version or link.via, link.host) for link in links]


# --- one resolver at a time -----------------------------------------------------------------

def test_pmc_counts_as_a_free_published_version() -> None:
    [link] = open_access_published(ctx(pmcid="PMC4567890"))
    assert link == Link(kind="pmc", url="https://pmc.ncbi.nlm.nih.gov/articles/PMC4567890/",
                        label="PubMed Central — free full text", open_access=True,
                        version="published", host="repository")


def test_published_copies_at_the_publisher_come_before_pmc_and_other_repositories() -> None:
    links = open_access_published(ctx("gold", pmcid="PMC5555001"))
    assert summary(links) == [("open_access", "published", "publisher"),
                              ("pmc", "published", "repository"),
                              ("open_access", "published", "repository")]
    first = links[0]
    assert first.url == "https://openjournal.example.org/articles/10.5555/litfeed.gold.pdf"
    assert (first.license, first.oa_status) == ("cc-by", "gold")
    assert first.label == "Free published version at the publisher (CC BY)"


def test_no_published_copy_when_there_is_nothing_free() -> None:
    assert open_access_published(ctx("closed")) == []
    assert open_access_published(ctx(None)) == []


def test_manuscripts_accepted_before_submitted_with_licence_and_repository() -> None:
    links = open_access_manuscripts(ctx("green"))
    assert [(link.version, link.license, link.host) for link in links] == [
        ("accepted", "cc-by-nc", "repository"), ("submitted", "cc-by-nd", "repository")]
    assert links[0].label == ("Free accepted manuscript at Example University - Research "
                              "Repository (CC BY-NC)")
    assert links[1].label == "Free preprint (submitted version) at medrxiv.example.org (CC BY-ND)"
    assert all(link.open_access and link.oa_status == "green" for link in links)


def test_a_javascript_pdf_url_falls_back_to_the_landing_page_and_data_urls_vanish() -> None:
    links = open_access_manuscripts(ctx("hybrid"))
    assert [link.url for link in links] == ["https://archive.example.net/record/77881"]


def test_institution_uses_ezproxy_on_the_doi_link() -> None:
    [link] = institution_access(ctx("closed", institution=EZPROXY))
    assert link.url == "https://doi-org.ezproxy.example.edu/10.5555/litfeed.closed"
    assert (link.kind, link.via, link.open_access) == ("institution", "ezproxy", False)
    assert link.label == "Full text through Example University"


def test_institution_login_form_prefix() -> None:
    institution = Institution(name="U", ezproxy_prefix="https://login.ezproxy.u.edu/login?url=")
    [link] = institution_access(ctx("closed", institution=institution))
    assert link.url == ("https://login.ezproxy.u.edu/login?url="
                        "https://doi.org/10.5555/litfeed.closed")


def test_institution_without_doi_falls_back_to_openurl() -> None:
    [link] = institution_access(ctx(institution=EZPROXY, doi=None))
    assert link.via == "openurl"
    pairs = parse_qsl(urlsplit(link.url).query)
    assert ("rft_id", "info:pmid/27000001") in pairs
    assert link.url.startswith("https://sfx.example.edu/local?")


def test_institution_with_only_openurl() -> None:
    [link] = institution_access(ctx("closed", institution=OPENURL_ONLY))
    assert (link.via, link.label) == ("openurl", "Find it at County Hospital Library")
    assert ("rft_id", "info:doi/10.5555/litfeed.closed") in parse_qsl(urlsplit(link.url).query)


def test_a_bad_stored_prefix_is_skipped_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    broken = Institution(name="Old", ezproxy_prefix="https://ezproxy.old.edu/",
                         openurl_base="https://sfx.old.edu/local")
    [link] = institution_access(ctx("closed", institution=broken))
    assert link.via == "openurl"
    assert "ezproxy.old.edu" in caplog.text


def test_reader_without_institution_gets_no_institution_links() -> None:
    assert institution_access(ctx("closed")) == []
    assert interlibrary_loan(ctx("closed")) == []


def test_doi_link_is_free_when_unpaywall_finds_it_free_at_the_publisher() -> None:
    [closed] = doi_link(ctx("closed"))
    assert (closed.url, closed.open_access) == ("https://doi.org/10.5555/litfeed.closed", False)
    assert closed.label == "Example Commercial Publisher (via DOI)"
    [bronze] = doi_link(ctx("bronze"))
    assert bronze.open_access
    [offline] = doi_link(ctx(None))
    assert offline.label == "Publisher's page (via DOI)"
    assert doi_link(ctx(doi=None)) == []


def test_publisher_link_from_an_elsevier_pii() -> None:
    [link] = publisher_link(ctx(other_ids=(("pii", "S0140-6736(16)00001-2"),)))
    assert link.url == "https://linkinghub.elsevier.com/retrieve/pii/S0140673616000012"
    assert link.kind == "publisher"
    assert publisher_link(ctx(other_ids=(("pii", "NEJMoa1512345"),))) == []


def test_pubmed_link() -> None:
    [link] = pubmed_link(ctx())
    assert link == Link(kind="pubmed", url="https://pubmed.ncbi.nlm.nih.gov/27000001/",
                        label="PubMed")


def test_ill_only_when_no_free_published_version_exists() -> None:
    [link] = interlibrary_loan(ctx("closed", institution=EZPROXY))
    assert (link.url, link.via) == ("https://example.edu/ill/request", "ill")
    assert interlibrary_loan(ctx("green", institution=EZPROXY))  # manuscripts only: still useful
    assert interlibrary_loan(ctx("gold", institution=EZPROXY)) == []
    assert interlibrary_loan(ctx("closed", institution=EZPROXY, pmcid="PMC1")) == []


def test_illiad_openurl_form_gets_the_citation_filled_in() -> None:
    illiad = Institution(name="U", ill_url="https://u.illiad.oclc.org/illiad/illiad.dll/OpenURL")
    [link] = interlibrary_loan(ctx("closed", institution=illiad))
    pairs = parse_qsl(urlsplit(link.url).query)
    assert ("rft.atitle", "Example therapy & outcomes: a randomised trial") in pairs
    assert ("rft.issn", "0028-4793") in pairs


# --- the whole block ----------------------------------------------------------------------------

def test_gold_with_pmc_and_institution() -> None:
    links = resolve_links(make_paper(doi="10.5555/litfeed.gold", pmcid="PMC5555001"),
                          institution=EZPROXY, unpaywall=record("gold"))
    assert summary(links) == [
        ("open_access", "published", "publisher"),
        ("pmc", "published", "repository"),  # Unpaywall's PMC copy merged into this one
        ("institution", "ezproxy", None),
        ("doi", None, None),
        ("pubmed", None, None),
    ]
    assert links[1].license == "cc-by"
    assert links[3].open_access


def test_green_puts_the_library_before_manuscripts_and_ill_last() -> None:
    links = resolve_links(make_paper(doi="10.5555/litfeed.green"), institution=EZPROXY,
                          unpaywall=record("green"))
    assert summary(links) == [
        ("institution", "ezproxy", None),
        ("open_access", "accepted", "repository"),
        ("open_access", "submitted", "repository"),
        ("doi", None, None),
        ("pubmed", None, None),
        ("institution", "ill", None),
    ]


def test_bronze_is_free_at_the_publisher_without_a_licence() -> None:
    links = resolve_links(make_paper(doi="10.5555/litfeed.bronze"), institution=None,
                          unpaywall=record("bronze"))
    assert summary(links) == [("open_access", "published", "publisher"), ("doi", None, None),
                              ("pubmed", None, None)]
    assert links[0].license is None
    assert links[0].label == "Free published version at the publisher"
    assert links[0].oa_status == "bronze"


def test_hybrid_drops_hostile_urls() -> None:
    links = resolve_links(make_paper(doi="10.5555/litfeed.hybrid"), institution=OPENURL_ONLY,
                          unpaywall=record("hybrid"))
    assert summary(links) == [
        ("open_access", "published", "publisher"),
        ("institution", "openurl", None),
        ("open_access", "accepted", "repository"),
        ("doi", None, None),
        ("pubmed", None, None),
    ]
    assert links[0].url.endswith("?download=true&format=pdf#page=1")


def test_closed_paper_offers_library_doi_publisher_pubmed_then_ill() -> None:
    links = resolve_links(
        make_paper(doi="10.5555/litfeed.closed", other_ids=(("pii", "S0140-6736(16)00001-2"),)),
        institution=EZPROXY, unpaywall=record("closed"))
    assert summary(links) == [
        ("institution", "ezproxy", None),
        ("doi", None, None),
        ("publisher", None, None),
        ("pubmed", None, None),
        ("institution", "ill", None),
    ]
    assert not any(link.open_access for link in links)


def test_offline_paper_with_doi_and_pmcid() -> None:
    links = resolve_links(make_paper(doi="10.1056/NEJMoa1", pmcid="PMC4567890"),
                          institution=None, unpaywall=None)
    assert [link.kind for link in links] == ["pmc", "doi", "pubmed"]


def test_paper_without_doi_or_pmcid() -> None:
    paper = make_paper(doi=None, pmcid=None)
    assert [link.kind for link in resolve_links(paper)] == ["pubmed"]
    with_library = resolve_links(paper, institution=EZPROXY)
    assert summary(with_library) == [("institution", "openurl", None), ("pubmed", None, None),
                                     ("institution", "ill", None)]


def test_a_record_for_another_doi_is_ignored(caplog: pytest.LogCaptureFixture) -> None:
    links = resolve_links(make_paper(doi="10.5555/other"), unpaywall=record("gold"))
    assert [link.kind for link in links] == ["doi", "pubmed"]
    assert "does not match" in caplog.text


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("institution", [None, EZPROXY, OPENURL_ONLY])
def test_every_link_is_http_and_fits_the_contract(
    status: str, institution: Institution | None
) -> None:
    links = resolve_links(make_paper(doi=f"10.5555/litfeed.{status}", pmcid="PMC5555001"),
                          institution=institution, unpaywall=record(status))
    assert links
    for link in links:
        assert urlsplit(link.url).scheme in {"http", "https"}
        data = link.to_json()
        assert data["kind"] in LINK_KINDS
        assert isinstance(data["open_access"], bool) and data["label"]
    keys = [url_key(link.url) for link in links]
    assert len(keys) == len(set(keys))


# --- dedupe ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("a", "b"), [
    ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC5555001",
     "https://pmc.ncbi.nlm.nih.gov/articles/PMC5555001/"),
    ("http://example.org/a/", "https://www.example.org/a#top"),
    ("https://example.org:443/a?x=1", "https://example.org/a?x=1"),
])
def test_urls_for_the_same_page_share_a_key(a: str, b: str) -> None:
    assert url_key(a) == url_key(b)


def test_different_queries_are_different_pages() -> None:
    assert url_key("https://example.org/a?x=1") != url_key("https://example.org/a?x=2")


def test_dedupe_keeps_the_first_and_fills_in_details() -> None:
    first = Link(kind="pmc", url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1/", label="PMC",
                 open_access=True)
    later = Link(kind="open_access", url="https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1",
                 label="copy", open_access=True, license="cc-by", oa_status="gold")
    [kept] = dedupe([first, later])
    assert (kept.kind, kept.url, kept.license, kept.oa_status) == (
        "pmc", first.url, "cc-by", "gold")


@pytest.mark.parametrize(("raw", "label"), [
    ("cc-by", "CC BY"), ("cc-by-nc-nd", "CC BY-NC-ND"), ("cc0", "CC0"),
    ("public-domain", "public domain"), ("publisher-specific-oa", None), (None, None),
])
def test_license_label(raw: str | None, label: str | None) -> None:
    assert license_label(raw) == label
