"""Paper identifiers as link targets: DOI, PMCID, PMID, Elsevier PII.

Values from PubMed records arrive in several spellings ("doi:10.…", "https://doi.org/10.…",
"PMC123" or "123"); each function returns the canonical form, or None when the value cannot be
the identifier it claims to be, so no resolver builds a link from garbage.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                 "http://dx.doi.org/", "doi:")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_PMCID = re.compile(r"^(?:PMC)?(\d{1,10})$", re.IGNORECASE)
_PMID = re.compile(r"^\d{1,10}$")
# S + ISSN (8, check digit may be X) + year (2) + item (5) + check character
_ELSEVIER_PII = re.compile(r"^S\d{7}[\dX]\d{7}[\dX]$")
# Characters doi.org needs escaped in the path: "%", "#", "?", quotes, space, angle brackets…
_DOI_SAFE = "/:;()[]-._~@!$'*+,="


def normalize_doi(value: str | None) -> str | None:
    """``10.prefix/suffix`` with any ``doi:`` or resolver prefix removed; None if not a DOI."""
    if not value:
        return None
    doi = value.strip()
    for prefix in _DOI_PREFIXES:
        if doi.lower().startswith(prefix):
            doi = doi[len(prefix):]
            break
    return doi if _DOI.match(doi) else None


def normalize_pmcid(value: str | None) -> str | None:
    """``PMC`` followed by digits; None if not a PMCID."""
    if not value:
        return None
    match = _PMCID.match(value.strip())
    return f"PMC{match.group(1)}" if match else None


def normalize_pmid(value: str | None) -> str | None:
    if not value:
        return None
    pmid = value.strip()
    return pmid if _PMID.match(pmid) else None


def elsevier_pii(other_ids: tuple[tuple[str, str], ...]) -> str | None:
    """The record's Elsevier PII without punctuation ("S0140673620301835"), if it has one.

    PubMed spells PIIs "S0140-6736(20)30183-5"; other publishers put their own ids under
    ``pii`` too, which is why the shape is checked rather than trusted.
    """
    for id_type, value in other_ids:
        if id_type.lower() != "pii":
            continue
        compact = re.sub(r"[^0-9A-Za-z]", "", value).upper()
        if _ELSEVIER_PII.match(compact):
            return compact
    return None


def doi_url(doi: str) -> str:
    return "https://doi.org/" + quote(doi, safe=_DOI_SAFE)


def pmc_url(pmcid: str) -> str:
    return f"https://pmc.ncbi.nlm.nih.gov/articles/{pmcid}/"


def pubmed_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def elsevier_url(pii: str) -> str:
    return f"https://linkinghub.elsevier.com/retrieve/pii/{pii}"
