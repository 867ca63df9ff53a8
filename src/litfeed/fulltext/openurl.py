"""OpenURL 1.0 (ANSI/NISO Z39.88-2004) links to an institution's link resolver.

The resolver (SFX, 360 Link, Alma, …) reads a Key/Encoded-Value ContextObject describing the
article in the journal metadata format and sends the reader to whatever copy the library
licenses. Resolvers match on the DOI or PMID first and fall back to ISSN + volume + start
page, so all of them are sent when known; absent values are left out, never sent empty.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

from litfeed.errors import InvalidInput
from litfeed.fulltext.identifiers import normalize_doi, normalize_pmid
from litfeed.fulltext.links import safe_url
from litfeed.models import Paper

CTX_VER = "Z39.88-2004"
CTX_FORMAT = "info:ofi/fmt:kev:mtx:ctx"
JOURNAL_FORMAT = "info:ofi/fmt:kev:mtx:journal"
UTF8 = "info:ofi/enc:UTF-8"
REFERRER = "info:sid/litfeed"

_ISSN = re.compile(r"^(\d{4})-?(\d{3}[\dX])$")
_KEV_DATE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
_PAGE = re.compile(r"^([A-Za-z]*)(\d+)$")


def context_object(paper: Paper, *, referrer: str = REFERRER) -> list[tuple[str, str]]:
    """The KEV pairs for ``paper``, in order, ``rft_id`` repeated for the DOI and the PMID."""
    journal = paper.journal
    spage, epage = split_pages(journal.pages)
    pairs: list[tuple[str, str | None]] = [
        ("url_ver", CTX_VER),
        ("url_ctx_fmt", CTX_FORMAT),
        ("ctx_ver", CTX_VER),
        ("ctx_enc", UTF8),
        ("rfr_id", referrer),
        ("rft_val_fmt", JOURNAL_FORMAT),
        ("rft.genre", "article"),
        ("rft.atitle", paper.title.strip() or None),
        ("rft.jtitle", journal.title),
        ("rft.stitle", journal.iso_abbrev),
        ("rft.issn", normalize_issn(journal.issn)),
        ("rft.volume", journal.volume),
        ("rft.issue", journal.issue),
        ("rft.spage", spage),
        ("rft.epage", epage),
        ("rft.pages", journal.pages),
        ("rft.date", kev_date(paper)),
    ]
    if paper.authors:
        first = paper.authors[0]
        if first.collective:
            pairs.append(("rft.aucorp", first.collective))
        else:
            pairs += [("rft.aulast", first.last), ("rft.aufirst", first.fore),
                      ("rft.auinit", first.initials)]
    doi = normalize_doi(paper.doi)
    pmid = normalize_pmid(paper.pmid)
    pairs += [("rft_id", f"info:doi/{doi}" if doi else None),
              ("rft_id", f"info:pmid/{pmid}" if pmid else None)]
    return [(key, value.strip()) for key, value in pairs if value and value.strip()]


def kev(pairs: list[tuple[str, str]]) -> str:
    """Key/Encoded-Value serialisation: UTF-8, percent-encoded, ``&``-joined."""
    return urlencode(pairs, quote_via=quote, safe="")


def openurl_link(base: str, paper: Paper) -> str:
    """``base`` (which may already carry its own query, as Alma's does) plus the ContextObject.

    :raise InvalidInput: if ``base`` is not an http(s) URL without a fragment.
    """
    if safe_url(base) is None or "#" in base:
        raise InvalidInput(f"OpenURL base {base!r} must be an https:// or http:// URL without '#'")
    query = kev(context_object(paper))
    if "?" not in base:
        return f"{base}?{query}"
    return base + ("" if base.endswith(("?", "&")) else "&") + query


def normalize_issn(value: str | None) -> str | None:
    """``NNNN-NNNC`` (check character upper-case), or None for anything else."""
    match = _ISSN.match((value or "").strip().upper())
    return f"{match.group(1)}-{match.group(2)}" if match else None


def kev_date(paper: Paper) -> str | None:
    """``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``, the forms the journal format allows."""
    if paper.published and _KEV_DATE.match(paper.published):
        return paper.published
    return str(paper.year) if paper.year else None


def split_pages(pages: str | None) -> tuple[str | None, str | None]:
    """Start and end page from MEDLINE's abbreviated form: ``"1234-45"`` → 1234, 1245.

    Only the first range of a list ("12-4, 18") counts; a prefix carries over ("S12-8" →
    S12, S18); an electronic article number ("e0123") is a start page with no end.
    """
    first = (pages or "").split(",")[0].strip()
    start, _, end = (part.strip() for part in first.partition("-"))
    if not start:
        return None, None
    if not end:
        return start, None
    start_match, end_match = _PAGE.match(start), _PAGE.match(end)
    if start_match and end_match:
        digits, end_digits = start_match.group(2), end_match.group(2)
        if len(end_digits) < len(digits):
            end_digits = digits[: len(digits) - len(end_digits)] + end_digits
        return start, (end_match.group(1) or start_match.group(1)) + end_digits
    return start, end
