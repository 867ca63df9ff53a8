"""RIS: the tagged format every reference manager reads and writes.

Export follows what Zotero writes (``T2`` journal, ``J2`` abbreviation, ``DA`` full date and
``PY`` year, ``SP``/``EP`` whole pages), plus the PubMed habits EndNote expects: ``AN`` holds the
PMID, ``C2`` the PMCID, MeSH headings go out as ``KW`` beside the author keywords. Lines end in
CRLF, as the RIS specification asks. Publication types are left out: the only free tag for
them, ``M3``, is where Zotero looks for a DOI when it reads a journal article.

Import is our own reader rather than a library, because a partial file must import what it can
and say on which line each broken entry starts. It accepts what Zotero, EndNote and Mendeley
write: a byte-order mark, CRLF or LF, ``TY  -`` or ``TY -``, values that continue on untagged
lines (EndNote's multi-line ``SN``), ``T1``/``TI``, ``A1``/``AU``, DOIs in ``DO`` or ``M3`` or
a doi.org ``UR``, PMIDs in ``AN`` or ``PMID: …`` notes or a PubMed ``UR``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from litfeed.errors import ParseError
from litfeed.models import Paper

from .dates import slash_date, year_of
from .entries import ImportedEntry, ImportProblem, ImportResult
from .identifiers import clean_pmid, find_doi, find_pmid, normalise_doi
from .names import last_comma_given, short_written_name
from .pages import page_range
from .subjects import subjects

EOL = "\r\n"

Values = Callable[[Paper], Sequence[str] | str | None]

#: Export table: tag → value(s); a sequence gives one line per item, empty values are skipped.
FIELDS: tuple[tuple[str, Values], ...] = (
    ("TY", lambda p: "BOOK" if p.is_book else "JOUR"),
    ("AU", lambda p: [last_comma_given(a) for a in p.authors]),
    ("TI", lambda p: p.title),
    ("T2", lambda p: p.journal.title or p.journal.iso_abbrev),
    ("J2", lambda p: p.journal.iso_abbrev),
    ("PB", lambda p: p.journal.publisher),
    ("AB", lambda p: " ".join(p.abstract_text.split("\n")) or None),
    ("DA", slash_date),
    ("PY", lambda p: str(year) if (year := year_of(p)) else None),
    ("VL", lambda p: p.journal.volume),
    ("IS", lambda p: p.journal.issue),
    ("SP", lambda p: page_range(p.journal.pages)[0]),
    ("EP", lambda p: page_range(p.journal.pages)[1]),
    ("SN", lambda p: p.journal.issn),
    ("DO", lambda p: p.doi),
    ("AN", lambda p: p.pmid),
    ("C2", lambda p: p.pmcid),
    ("LA", lambda p: p.language),
    ("KW", subjects),
    ("N1", lambda p: "Retracted publication" if p.retracted else None),
    ("UR", lambda p: f"https://pubmed.ncbi.nlm.nih.gov/{p.pmid}/"),
    ("DB", lambda p: "PubMed"),
)


def _line(tag: str, value: str) -> str:
    # RIS values are one line; a stray newline would start a bogus tag
    return f"{tag}  - {' '.join(value.split())}"


def format_entry(paper: Paper) -> str:
    lines = []
    for tag, values in FIELDS:
        got = values(paper)
        for value in [got] if isinstance(got, str) else (got or ()):
            if value and value.strip():
                lines.append(_line(tag, value))
    lines.append("ER  - ")
    return EOL.join(lines) + EOL


def export(papers: Sequence[Paper]) -> str:
    """Entries separated by a blank line, as Zotero writes them; a PMID given twice once."""
    seen: set[str] = set()
    out = []
    for paper in papers:
        if paper.pmid not in seen:
            seen.add(paper.pmid)
            out.append(format_entry(paper))
    return EOL.join(out)


# --- import -------------------------------------------------------------------------------

_TAG = re.compile(r"^([A-Z][A-Z0-9])\s{1,2}-(?:\s(.*))?$")

#: Where each identifier may hide, in the order we trust them.
PMID_TAGS = ("AN", "N1", "M1", "M2", "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "UR",
             "L2", "N2", "ID")
DOI_TAGS = ("DO", "M3", "UR", "L2", "L3", "N1")
TITLE_TAGS = ("TI", "T1", "CT", "BT")
YEAR_TAGS = ("PY", "Y1", "DA", "Y2")
AUTHOR_TAGS = ("AU", "A1")
JOURNAL_TAGS = ("T2", "JF", "JO", "JA", "J2", "J1")


@dataclass
class _Raw:
    """One entry as read: its number in the file, first line, and tag → values."""

    number: int
    line: int
    fields: dict[str, list[str]] = field(default_factory=dict)
    last_tag: str | None = None

    def add(self, tag: str, value: str) -> None:
        self.fields.setdefault(tag, []).append(value.strip())
        self.last_tag = tag

    def extend(self, text: str) -> None:
        if self.last_tag:
            values = self.fields[self.last_tag]
            values[-1] = (values[-1] + "\n" + text.strip()).strip()

    def first(self, *tags: str) -> str | None:
        for tag in tags:
            for value in self.fields.get(tag, ()):
                if value:
                    return value
        return None

    def name(self) -> str:
        title = self.first(*TITLE_TAGS)
        short = f" ({title[:60]})" if title else ""
        return f"entry {self.number}{short}"


def _pmid(raw: _Raw) -> str | None:
    an = raw.first("AN")
    if an and (pmid := clean_pmid(an)):
        return pmid
    for tag in PMID_TAGS:
        for value in raw.fields.get(tag, ()):
            if pmid := find_pmid(value):
                return pmid
    return None


def _doi(raw: _Raw) -> str | None:
    for tag in DOI_TAGS:
        for value in raw.fields.get(tag, ()):
            doi = normalise_doi(value) if tag in ("DO", "M3") else find_doi(value)
            if doi:
                return doi
    return None


def _year(raw: _Raw) -> int | None:
    for tag in YEAR_TAGS:
        match = re.search(r"\b(1[6-9]\d\d|2\d\d\d)\b", raw.first(tag) or "")
        if match:
            return int(match.group(1))
    return None


def _finish(raw: _Raw) -> ImportedEntry | ImportProblem:
    pmid, doi, title = _pmid(raw), _doi(raw), raw.first(*TITLE_TAGS)
    if not (pmid or doi or title):
        return ImportProblem(raw.name(), raw.line,
                             "has no PMID, DOI or title, so it cannot be matched to a paper")
    author = raw.first(*AUTHOR_TAGS)
    first = short_written_name(author) if author else None
    return ImportedEntry(
        pmid=pmid, doi=doi, title=" ".join(title.split()) if title else None,
        year=_year(raw), source_line=raw.line, raw_type=raw.first("TY"),
        label=raw.first("ID"), first_author=first, journal=raw.first(*JOURNAL_TAGS),
    )


def parse(text: str) -> ImportResult:
    """Read a .ris file: every entry from ``TY`` to ``ER``; problems for the rest.

    An entry cut off before its ``ER`` line (a truncated file, a missing ``ER``) is still
    imported, and reported so the user knows to check it.

    :raise ParseError: when no line starts with ``TY  -``.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not any(re.match(r"^\s*TY\s{1,2}-", line) for line in lines):
        raise ParseError("not a RIS file: no line starts with 'TY  - '")
    result = ImportResult(format="ris")
    current: _Raw | None = None
    count = 0
    stray_from: int | None = None  # first line of a run of text outside any entry

    def close(raw: _Raw) -> None:
        done = _finish(raw)
        if isinstance(done, ImportProblem):
            result.problems.append(done)
        else:
            result.entries.append(done)

    def flush_stray(upto: int) -> None:
        nonlocal stray_from
        if stray_from is not None:
            span = f"lines {stray_from}-{upto}" if upto > stray_from else f"line {stray_from}"
            result.problems.append(ImportProblem(
                f"text outside any entry ({span})", stray_from,
                "ignored: every entry must start with a 'TY  - ' line and end with 'ER  - '"))
            stray_from = None

    for number, line in enumerate(lines, start=1):
        line = line.lstrip("\ufeff")
        match = _TAG.match(line.rstrip())
        if not line.strip():
            continue
        if match and match.group(1) == "TY":
            flush_stray(number - 1)
            if current is not None:
                close(current)
                result.problems.append(ImportProblem(
                    current.name(), current.line,
                    f"has no 'ER  - ' line before the next entry on line {number}; "
                    "imported as far as it went"))
            count += 1
            current = _Raw(count, number)
            current.add("TY", match.group(2) or "")
        elif current is None:
            if stray_from is None:
                stray_from = number
        elif match and match.group(1) == "ER":
            close(current)
            current = None
        elif match:
            current.add(match.group(1), match.group(2) or "")
        else:
            current.extend(line)
    flush_stray(len(lines))
    if current is not None:
        close(current)
        result.problems.append(ImportProblem(
            current.name(), current.line,
            "the file ends before this entry's 'ER  - ' line (truncated?); "
            "imported as far as it went"))
    result.problems.sort(key=lambda problem: problem.line)
    return result
