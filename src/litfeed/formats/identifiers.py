"""PMIDs and DOIs as people paste them: with prefixes, inside URLs, in notes fields.

Importers use these to pull the two identifiers that match an entry to a stored paper out of
whatever field a reference manager put them in (``DO``, ``AN``, ``N1  - PMID: …``, ``url``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

#: A DOI is "10." + registrant + "/" + suffix; the suffix may hold almost anything but spaces.
_DOI = re.compile(r"10\.\d{4,9}/[^\s\"<>{}]+", re.IGNORECASE)
_WHOLE_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(
    r"^\s*(?:doi\s*:\s*|https?://(?:dx\.)?doi\.org/|(?:dx\.)?doi\.org/)", re.IGNORECASE
)
_PMID = re.compile(r"^\s*(?:pmid\s*:?\s*)?(\d{1,9})\s*$", re.IGNORECASE)
_PMID_IN_TEXT = re.compile(
    r"(?:\bPMID\s*:?\s*|pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})\b",
    re.IGNORECASE,
)
_PUBMED_URL = re.compile(
    r"^\s*https?://(?:pubmed\.ncbi\.nlm\.nih\.gov|www\.ncbi\.nlm\.nih\.gov/pubmed)/(\d{1,9})/?\s*$",
    re.IGNORECASE,
)


def _trim_doi(doi: str) -> str:
    """Drop punctuation that ended the sentence rather than the DOI (keeps balanced brackets)."""
    while doi and doi[-1] in ".,;:'":
        doi = doi[:-1]
    for open_, close in ("()", "[]"):
        while doi.endswith(close) and doi.count(close) > doi.count(open_):
            doi = doi[:-1]
    return doi


def normalise_doi(value: str | None) -> str | None:
    """``doi:10.1/X``, ``https://doi.org/10.1/X`` → ``10.1/X``; None when it is not a DOI.

    Case is kept as written; DOIs are case-insensitive, so stores compare them case-folded.
    """
    if not value:
        return None
    text = _DOI_PREFIX.sub("", value.strip())
    if "%2f" in text.lower():
        text = unquote(text)
    # a value that is only a DOI keeps every character (old Wiley DOIs contain <, > and ;)
    match = _WHOLE_DOI.match(text.strip()) or _DOI.match(text.strip())
    return _trim_doi(match.group(0)) if match else None


def find_doi(text: str | None) -> str | None:
    """The first DOI anywhere in ``text`` (a URL, a note), or None."""
    if not text:
        return None
    if "%2f" in text.lower():
        text = unquote(text)
    match = _DOI.search(text)
    return _trim_doi(match.group(0)) if match else None


def clean_pmid(value: str | None) -> str | None:
    """``12345678``, ``PMID: 12345678``, a PubMed URL → ``12345678``; None otherwise."""
    if not value:
        return None
    match = _PMID.match(value) or _PUBMED_URL.match(value)
    if not match:
        return None
    pmid = match.group(1).lstrip("0")
    return pmid or None


def find_pmid(text: str | None) -> str | None:
    """A PMID labelled as one inside free text (``PMID: 123``, a PubMed URL), or None."""
    if not text:
        return None
    match = _PMID_IN_TEXT.search(text)
    if not match:
        return None
    return match.group(1).lstrip("0") or None
