"""MEDLINE/nbib: PubMed's own tagged format ("Send to: Citation manager").

Each line is a tag left-justified in four columns, ``- ``, and a value; long values continue
on lines indented by six spaces, wrapped at word boundaries within 88 columns; records are
separated by a blank line. We write the tags PubMed writes for the fields we keep, in PubMed's
order: each author as ``FAU`` (full) and ``AU`` (initials) followed by its ``AUID``/``AD``
lines, a collective author as ``CN`` at its place in the list, a structured abstract as one
``AB`` of ``LABEL: text`` runs, MeSH as ``MH  - *Descriptor/*qualifier`` (``*`` = major).

:func:`read_records` reads the format back tag by tag (our round-trip tests use it);
:func:`parse` turns the records into entries for matching.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from litfeed.errors import ParseError
from litfeed.models import Author, Paper

from .dates import compact_date, iso_parts, medline_date, medline_spelling
from .entries import ImportedEntry, ImportProblem, ImportResult
from .identifiers import clean_pmid, normalise_doi
from .names import last_initials, medline_full_name
from .subjects import mesh_heading

WIDTH = 88
INDENT = " " * 6

Values = Callable[[Paper], Sequence[str] | str | None]


def _author_lines(author: Author) -> Iterator[tuple[str, str]]:
    if author.collective:
        yield "CN", author.collective
        return
    yield "FAU", medline_full_name(author)
    yield "AU", last_initials(author)
    if author.orcid:
        yield "AUID", f"ORCID: {author.orcid}"
    for affiliation in author.affiliations:
        yield "AD", affiliation


def source(paper: Paper) -> str:
    """The ``SO`` line: ``Lancet. 2021 Mar;12(3):123-9. doi: 10.1000/x. Epub 2021 Mar 1.``"""
    journal = paper.journal
    out = f"{journal.medline_ta or journal.iso_abbrev or journal.title or ''}."
    date = medline_date(paper)
    if date:
        # SO gives year and month only, like PubMed
        out += " " + " ".join(date.split(" ")[:2])
    where = journal.volume or ""
    if journal.issue:
        where += f"({journal.issue})"
    if journal.pages:
        where += f":{journal.pages}"
    if where:
        out += f";{where}"
    out += "."
    if paper.doi:
        out += f" doi: {paper.doi}."
    epub = medline_spelling(iso_parts(paper.article_date))
    if epub:
        out += f" Epub {epub}."
    return out.strip()


#: Export table in PubMed's tag order; ``AUTHORS`` stands for the per-author block.
FIELDS: tuple[tuple[str, Values], ...] = (
    ("PMID", lambda p: p.pmid),
    ("OWN", lambda p: "NLM"),
    ("STAT", lambda p: p.status),
    ("IS", lambda p: p.journal.issn),
    ("VI", lambda p: p.journal.volume),
    ("IP", lambda p: p.journal.issue),
    ("DP", medline_date),
    ("TI", lambda p: p.title),
    ("PG", lambda p: p.journal.pages),
    ("LID", lambda p: f"{p.doi} [doi]" if p.doi else None),
    ("AB", lambda p: " ".join(p.abstract_text.split("\n")) or None),
    ("AUTHORS", lambda p: None),
    ("LA", lambda p: p.language),
    ("PT", lambda p: list(p.publication_types)),
    ("DEP", lambda p: compact_date(p.article_date)),
    ("TA", lambda p: p.journal.medline_ta or p.journal.iso_abbrev),
    ("JT", lambda p: p.journal.title),
    ("JID", lambda p: p.journal.nlm_id),
    ("PB", lambda p: p.journal.publisher),
    ("MH", lambda p: [mesh_heading(m) for m in p.mesh]),
    ("OT", lambda p: list(p.keywords)),
    ("PMC", lambda p: p.pmcid),
    ("AID", lambda p: [f"{p.doi} [doi]"] if p.doi else None),
    ("SO", source),
)


def format_line(tag: str, value: str, width: int = WIDTH) -> str:
    """One tagged value, wrapped at word boundaries with six-space continuation lines."""
    words = value.split()
    lines: list[str] = []
    current = f"{tag:<4}- "
    has_word = False
    for word in words:
        if has_word and len(current) + 1 + len(word) > width:
            lines.append(current)
            current, has_word = INDENT + word, True
            continue
        current += (" " if has_word else "") + word
        has_word = True
    lines.append(current)
    return "\n".join(lines)


def format_record(paper: Paper) -> str:
    lines = []
    for tag, values in FIELDS:
        if tag == "AUTHORS":
            pairs = [pair for author in paper.authors for pair in _author_lines(author)]
        else:
            got = values(paper)
            pairs = [(tag, v) for v in ([got] if isinstance(got, str) else (got or ()))]
        lines += [format_line(t, v) for t, v in pairs if v and v.strip()]
    return "\n".join(lines) + "\n"


def export(papers: Sequence[Paper]) -> str:
    """Records separated by one blank line, as PubMed writes them (a PMID given twice once)."""
    seen: set[str] = set()
    out = []
    for paper in papers:
        if paper.pmid not in seen:
            seen.add(paper.pmid)
            out.append(format_record(paper))
    return "\n".join(out)


# --- import -------------------------------------------------------------------------------

_TAG = re.compile(r"^([A-Z][A-Z0-9]{1,3})\s*-(?:\s(.*))?$")


@dataclass
class NbibRecord:
    """One record as read: its first line and its (tag, value) pairs in file order."""

    line: int
    fields: list[tuple[str, str]] = field(default_factory=list)

    def get(self, tag: str) -> list[str]:
        return [value for t, value in self.fields if t == tag]

    def first(self, *tags: str) -> str | None:
        for tag in tags:
            for value in self.get(tag):
                if value:
                    return value
        return None


def read_records(text: str) -> tuple[list[NbibRecord], list[ImportProblem]]:
    """Split a MEDLINE file into records; lines that are neither tag nor continuation are
    reported and skipped.

    :raise ParseError: when no line looks like ``PMID- 12345678``.
    """
    lines = text.lstrip("\ufeff").splitlines()
    if not any(re.match(r"^PMID\s*-\s*\d", line) for line in lines):
        raise ParseError("not a MEDLINE/nbib file: no line starts with 'PMID- '")
    records: list[NbibRecord] = []
    problems: list[ImportProblem] = []
    current: NbibRecord | None = None
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip()
        if not line.strip():
            current = None
            continue
        match = _TAG.match(line)
        if match and not line.startswith(" "):
            tag, value = match.group(1), (match.group(2) or "").strip()
            if current is None or (tag == "PMID" and current.get("PMID")):
                current = NbibRecord(number)
                records.append(current)
            current.fields.append((tag, value))
        elif line.startswith(" ") and current is not None and current.fields:
            tag, value = current.fields[-1]
            current.fields[-1] = (tag, f"{value} {line.strip()}".strip())
        else:
            name = f"record starting on line {current.line}" if current else "text"
            problems.append(ImportProblem(
                name, number,
                f"line {number} is neither a 'TAG - value' line nor a six-space continuation: "
                f"{line.strip()[:60]!r}"))
    return records, problems


def _to_entry(record: NbibRecord) -> ImportedEntry | ImportProblem:
    pmid = clean_pmid(record.first("PMID"))
    doi = None
    for value in record.get("LID") + record.get("AID"):
        if value.endswith("[doi]"):
            doi = normalise_doi(value[: -len("[doi]")])
            if doi:
                break
    title = record.first("TI", "BTI")
    if not pmid:
        bad = record.first("PMID")
        message = (f"PMID {bad!r} is not a number" if bad
                   else "has no 'PMID- ' line (a record must start with one)")
        if not (doi or title):
            return ImportProblem(f"record starting on line {record.line}", record.line, message)
    year_match = re.match(r"\s*(\d{4})", record.first("DP") or "")
    return ImportedEntry(
        pmid=pmid, doi=doi, title=title, year=int(year_match.group(1)) if year_match else None,
        source_line=record.line, raw_type=record.first("PT"), label=None,
        first_author=record.first("AU", "CN", "FAU"), journal=record.first("JT", "TA"),
    )


def parse(text: str) -> ImportResult:
    """Read a .nbib file into entries; problems name the record and line."""
    records, problems = read_records(text)
    result = ImportResult(format="nbib", problems=problems)
    for record in records:
        done = _to_entry(record)
        if isinstance(done, ImportProblem):
            result.problems.append(done)
        else:
            result.entries.append(done)
    result.problems.sort(key=lambda problem: problem.line)
    return result
