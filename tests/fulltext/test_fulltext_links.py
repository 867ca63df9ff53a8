from __future__ import annotations

import pytest

from litfeed.fulltext.identifiers import (
    doi_url,
    elsevier_pii,
    normalize_doi,
    normalize_pmcid,
    normalize_pmid,
)
from litfeed.fulltext.links import Link, safe_url


@pytest.mark.parametrize("url", [
    "https://doi.org/10.1056/NEJMoa1",
    "http://example.org/a?b=1&c=2#frag",
    "HTTPS://Example.org/",
    "https://example.org:8443/x",
])
def test_safe_url_keeps_http_and_https(url: str) -> None:
    assert safe_url(url) == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "ftp://example.org/file.pdf",
    "file:///etc/passwd",
    "//evil.example.com/path",
    "/relative/path",
    "https://",
    "https://user:secret@evil.example.com/",
    "https://bank.example.com@evil.example.com/",
    "https://example.org/a b",
    "https://example.org/\nx",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "https://example.org:99999/",
    "",
    None,
])
def test_safe_url_rejects_everything_else(url: str | None) -> None:
    assert safe_url(url) is None


def test_link_json_has_contract_keys_and_only_the_extras_that_are_known() -> None:
    plain = Link(kind="pubmed", url="https://pubmed.ncbi.nlm.nih.gov/1/", label="PubMed")
    assert plain.to_json() == {"kind": "pubmed", "url": "https://pubmed.ncbi.nlm.nih.gov/1/",
                               "label": "PubMed", "open_access": False}
    oa = Link(kind="open_access", url="https://x.org/a.pdf", label="Free", open_access=True,
              version="accepted", license="cc-by", oa_status="green", host="repository")
    assert oa.to_json() == {"kind": "open_access", "url": "https://x.org/a.pdf", "label": "Free",
                            "open_access": True, "version": "accepted", "license": "cc-by",
                            "oa_status": "green", "host": "repository"}


@pytest.mark.parametrize(("raw", "expected"), [
    ("10.1056/NEJMoa1512345", "10.1056/NEJMoa1512345"),
    (" doi:10.1056/NEJMoa1 ", "10.1056/NEJMoa1"),
    ("https://doi.org/10.1016/S0140-6736(20)30183-5", "10.1016/S0140-6736(20)30183-5"),
    ("http://dx.doi.org/10.1001/jama.2020.1", "10.1001/jama.2020.1"),
    ("11.1056/x", None),
    ("10.1056", None),
    ("not a doi", None),
    ("", None),
    (None, None),
])
def test_normalize_doi(raw: str | None, expected: str | None) -> None:
    assert normalize_doi(raw) == expected


def test_doi_url_escapes_what_doi_org_needs_escaped() -> None:
    assert doi_url("10.1016/S0140-6736(20)30183-5") == \
        "https://doi.org/10.1016/S0140-6736(20)30183-5"
    # "#", "?", "%" and "<>" would otherwise end or corrupt the path
    assert doi_url("10.1002/(SICI)1097#x?y%z<1>") == \
        "https://doi.org/10.1002/(SICI)1097%23x%3Fy%25z%3C1%3E"


@pytest.mark.parametrize(("raw", "expected"), [
    ("PMC4567890", "PMC4567890"), ("pmc4567890", "PMC4567890"), ("4567890", "PMC4567890"),
    ("PMC", None), ("PMCabc", None), (None, None),
])
def test_normalize_pmcid(raw: str | None, expected: str | None) -> None:
    assert normalize_pmcid(raw) == expected


def test_normalize_pmid() -> None:
    assert normalize_pmid(" 27000001 ") == "27000001"
    assert normalize_pmid("27000001a") is None


def test_elsevier_pii_is_recognised_only_in_elsevier_shape() -> None:
    assert elsevier_pii((("pubmed", "1"), ("pii", "S0140-6736(16)00001-2"))) == \
        "S0140673616000012"
    assert elsevier_pii((("pii", "S0002-9149(98)00123-X"),)) == "S000291499800123X"
    assert elsevier_pii((("pii", "NEJMoa1512345"),)) is None
    assert elsevier_pii((("pii", "e2020123"),)) is None
    assert elsevier_pii(()) is None
