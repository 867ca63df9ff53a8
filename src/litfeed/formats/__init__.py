"""Reference formats: exporters and importers as tables plus small functions.

Exporters turn ``Paper`` objects into a file (``EXPORTERS[name].export(papers) -> str``);
importers turn a file into entries to match against the store (``IMPORTERS[name].parse(text)``,
then :func:`litfeed.formats.match.match_entries`). Names are the interface contract's:
exports ``bibtex|ris|csljson|nbib|csv``, imports ``ris|bibtex|nbib|pmids``. Formatted
citations (AMA, Vancouver, APA) are in :mod:`litfeed.formats.cite`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from litfeed.errors import InvalidInput, ParseError
from litfeed.models import Paper

from . import bibtex, csljson, csvfile, nbib, pmids, ris
from .entries import ImportedEntry, ImportProblem, ImportResult
from .match import MatchResult, match_entries, normalise_title

__all__ = [
    "EXPORTERS",
    "IMPORTERS",
    "Exporter",
    "ImportProblem",
    "ImportResult",
    "ImportedEntry",
    "Importer",
    "MatchResult",
    "decode_file",
    "detect_format",
    "export",
    "match_entries",
    "normalise_title",
    "parse",
]


@dataclass(frozen=True, slots=True)
class Exporter:
    """One export format: what to call, and how to serve the file it returns."""

    name: str
    label: str
    media_type: str
    extension: str
    export: Callable[[Sequence[Paper]], str]

    def filename(self, stem: str = "litfeed") -> str:
        return f"{stem}.{self.extension}"


@dataclass(frozen=True, slots=True)
class Importer:
    name: str
    label: str
    parse: Callable[[str], ImportResult]


EXPORTERS: dict[str, Exporter] = {
    e.name: e
    for e in (
        Exporter("bibtex", "BibTeX (UTF-8, biblatex)", "application/x-bibtex; charset=utf-8",
                 "bib", bibtex.export),
        Exporter("ris", "RIS", "application/x-research-info-systems; charset=utf-8", "ris",
                 ris.export),
        Exporter("csljson", "CSL-JSON", "application/vnd.citationstyles.csl+json", "json",
                 csljson.export),
        Exporter("nbib", "MEDLINE/nbib", "application/nbib; charset=utf-8", "nbib",
                 nbib.export),
        Exporter("csv", "CSV", "text/csv; charset=utf-8", "csv", csvfile.export),
    )
}

IMPORTERS: dict[str, Importer] = {
    i.name: i
    for i in (
        Importer("ris", "RIS (Zotero, EndNote, Mendeley)", ris.parse),
        Importer("bibtex", "BibTeX", bibtex.parse),
        Importer("nbib", "MEDLINE/nbib (PubMed)", nbib.parse),
        Importer("pmids", "list of PMIDs or DOIs", pmids.parse),
    )
}


def get_exporter(name: str) -> Exporter:
    """:raise InvalidInput: for a name not in :data:`EXPORTERS`, listing the valid ones."""
    try:
        return EXPORTERS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown export format {name!r}; expected one of: {', '.join(EXPORTERS)}"
        ) from None


def export(name: str, papers: Sequence[Paper]) -> str:
    return get_exporter(name).export(papers)


def decode_file(data: bytes) -> str:
    """An uploaded file's bytes as text: UTF-8 (with or without BOM), UTF-16 with a BOM, or
    else Windows-1252, which older EndNote and Reference Manager installs write.

    The BOM is removed; importers also accept text that still starts with one.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def detect_format(text: str) -> str:
    """The importer name for ``text``: ``ris``, ``bibtex``, ``nbib`` or ``pmids``.

    Decided by the first non-blank line, then by searching the first 200 lines.

    :raise ParseError: when the text is empty or none of the four formats.
    """
    lines = text.lstrip("\ufeff").splitlines()[:200]
    significant = [line for line in lines if line.strip()]
    if not significant:
        raise ParseError("the file is empty")
    first = significant[0].lstrip("\ufeff")
    if re.match(r"^TY\s{1,2}-", first):
        return "ris"
    if re.match(r"^PMID\s*-", first):
        return "nbib"
    if re.match(r"^\s*@\s*[A-Za-z]+\s*[{(]", first):
        return "bibtex"
    head = "\n".join(lines)
    if re.search(r"^TY\s{1,2}-", head, re.MULTILINE):
        return "ris"
    if re.search(r"^PMID\s*-\s*\d", head, re.MULTILINE):
        return "nbib"
    if re.search(r"^\s*@\s*[A-Za-z]+\s*[{(]", head, re.MULTILINE):
        return "bibtex"
    if pmids.looks_like_list(text):
        return "pmids"
    raise ParseError(
        "could not tell the file's format: expected RIS ('TY  - JOUR' lines), BibTeX "
        "('@article{key,'), MEDLINE/nbib ('PMID- 12345678') or a list of PMIDs or DOIs"
    )


def parse(text: str, format: str | None = None) -> ImportResult:
    """Read an import file in ``format`` (detected when None).

    :raise InvalidInput: for an unknown format name.
    :raise ParseError: when the file is empty or not in the format.
    """
    name = format or detect_format(text)
    try:
        importer = IMPORTERS[name]
    except KeyError:
        raise InvalidInput(
            f"unknown import format {name!r}; expected one of: {', '.join(IMPORTERS)}"
        ) from None
    if not text.strip("\ufeff \t\r\n"):
        raise ParseError("the file is empty")
    return importer.parse(text)
