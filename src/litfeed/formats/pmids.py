"""Plain lists of PMIDs and DOIs, as people paste them from papers, emails and spreadsheets.

One identifier per line, or several separated by spaces, commas, semicolons or tabs; each may
be ``12345678``, ``PMID: 12345678``, ``10.1000/xyz``, ``doi:10.1000/xyz`` or a PubMed or
doi.org URL. Lines starting with ``#`` are comments. Anything else is reported with its line.
"""

from __future__ import annotations

import re

from litfeed.errors import ParseError

from .entries import ImportedEntry, ImportProblem, ImportResult
from .identifiers import clean_pmid, normalise_doi

# "PMID: 123" and "doi: 10.1/x" are one identifier even though they contain a space
_JOIN_LABEL = re.compile(r"\b(pmid|doi)\s*:\s+", re.IGNORECASE)
# a spreadsheet column pasted with its header
_HEADERS = frozenset({"pmid", "pmids", "doi", "dois", "id", "ids"})
_DOI_START = re.compile(r"^(?:doi:|https?://|(?:dx\.)?doi\.org/|10\.\d)", re.IGNORECASE)


def tokens(line: str) -> list[str]:
    """Split on spaces, and on commas/semicolons except inside a DOI (old Wiley DOIs have them)."""
    out = []
    for piece in _JOIN_LABEL.sub(r"\1:", line).split():
        if _DOI_START.match(piece):
            out.append(piece.rstrip(",;"))
        else:
            out += [t for t in re.split(r"[,;]+", piece) if t]
    return out


def read_token(token: str) -> tuple[str | None, str | None]:
    """(pmid, doi) for one token; both None when it is neither."""
    pmid = clean_pmid(token)
    if pmid:
        return pmid, None
    doi = normalise_doi(token)
    if doi and (token.lower().startswith(("doi:", "http", "10.", "dx.doi.org", "doi.org"))):
        return None, doi
    return None, None


def looks_like_list(text: str) -> bool:
    """True when at least half the tokens of the first lines are PMIDs or DOIs."""
    found: list[str] = []
    for line in text.lstrip("\ufeff").splitlines()[:50]:
        if not line.strip().startswith("#"):
            found += tokens(line)
    if not found:
        return False
    good = sum(1 for t in found if any(read_token(t)))
    return good >= max(1, 0.5 * len(found))


def parse(text: str) -> ImportResult:
    """One entry per identifier, in file order; each unreadable token is one problem.

    :raise ParseError: when the text holds no identifier at all.
    """
    result = ImportResult(format="pmids")
    for number, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        if line.strip().startswith("#"):
            continue
        for token in tokens(line):
            if token.lower().rstrip(":") in _HEADERS:
                continue
            pmid, doi = read_token(token)
            if pmid or doi:
                result.entries.append(ImportedEntry(
                    pmid=pmid, doi=doi, title=None, year=None, source_line=number,
                    raw_type="pmid" if pmid else "doi"))
            else:
                result.problems.append(ImportProblem(
                    repr(token[:60]), number,
                    "is neither a PMID (digits, e.g. 12345678) nor a DOI (e.g. 10.1000/xyz)"))
    if not result.entries and not result.problems:
        raise ParseError("the list is empty: expected PMIDs or DOIs, one per line")
    if not result.entries:
        raise ParseError(
            "not a list of PMIDs or DOIs: "
            + "; ".join(str(p) for p in result.problems[:3])
        )
    return result
