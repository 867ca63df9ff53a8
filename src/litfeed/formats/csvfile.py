"""CSV: one row per paper, for spreadsheets (named so it does not shadow the stdlib ``csv``).

The text starts with a UTF-8 byte-order mark so Excel opens accents correctly (other readers,
Python's ``utf-8-sig``, pandas and LibreOffice, skip it). Lists (authors, MeSH, keywords,
publication types) are joined with ``; ``; authors are written ``Smith JA`` as in PubMed; a
structured abstract keeps its ``LABEL: text`` lines inside one quoted cell.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence

from litfeed.models import Paper

from .dates import iso_date, year_of
from .names import last_initials
from .subjects import mesh_heading

BOM = "\ufeff"

#: column → value from the paper; the header row is the column names.
COLUMNS: tuple[tuple[str, Callable[[Paper], str]], ...] = (
    ("pmid", lambda p: p.pmid),
    ("doi", lambda p: p.doi or ""),
    ("pmcid", lambda p: p.pmcid or ""),
    ("title", lambda p: p.title),
    ("authors", lambda p: "; ".join(last_initials(a) for a in p.authors)),
    ("journal", lambda p: p.journal.title or ""),
    ("journal_abbrev", lambda p: p.journal.iso_abbrev or p.journal.medline_ta or ""),
    ("year", lambda p: str(year) if (year := year_of(p)) else ""),
    ("published", lambda p: iso_date(p) or ""),
    ("volume", lambda p: p.journal.volume or ""),
    ("issue", lambda p: p.journal.issue or ""),
    ("pages", lambda p: p.journal.pages or ""),
    ("publication_types", lambda p: "; ".join(p.publication_types)),
    ("mesh", lambda p: "; ".join(mesh_heading(m) for m in p.mesh)),
    ("keywords", lambda p: "; ".join(p.keywords)),
    ("language", lambda p: p.language or ""),
    ("retracted", lambda p: "yes" if p.retracted else "no"),
    ("abstract", lambda p: p.abstract_text),
    ("url", lambda p: f"https://pubmed.ncbi.nlm.nih.gov/{p.pmid}/"),
)


def export(papers: Sequence[Paper]) -> str:
    """Header row plus one row per paper (a PMID given twice once), CRLF line ends (RFC 4180)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in COLUMNS])
    seen: set[str] = set()
    for paper in papers:
        if paper.pmid not in seen:
            seen.add(paper.pmid)
            writer.writerow([value(paper) for _, value in COLUMNS])
    return BOM + buffer.getvalue()
