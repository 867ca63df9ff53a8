"""BibTeX: export for LaTeX users, import of what reference managers write.

Export encoding: UTF-8 by default, as biblatex/biber expect (see :mod:`litfeed.formats.latex`);
``export(papers, encoding="latex")`` writes LaTeX commands for non-ASCII letters instead, for
classic BibTeX. LaTeX's special characters are escaped in both; capitals that must survive a
style's lower-casing are braced (``{COVID}-19``); a collective author is braced whole
(``{Guideline Development Panel}``) so it stays one name. Keys come from :mod:`.keys`.

Import parses with bibtexparser v2 and decodes LaTeX in the fields it reads (``{\\"U}nal`` →
``Ünal``) with pylatexenc, the decoder bibtexparser's own middleware uses. PMIDs are read
from ``pmid`` (Mendeley, JabRef), ``eprint`` with ``eprinttype = {pubmed}`` (biblatex) and
``PMID: …`` in ``note``/``annote``/``extra`` (Zotero puts its Extra field there).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence

import bibtexparser
from bibtexparser.exceptions import BlockAbortedException
from bibtexparser.model import (
    DuplicateBlockKeyBlock,
    Entry,
    MiddlewareErrorBlock,
    ParsingFailedBlock,
)
from pylatexenc.latex2text import LatexNodes2Text

from litfeed.errors import ParseError
from litfeed.models import Paper

from .dates import date_parts, year_of
from .entries import ImportedEntry, ImportProblem, ImportResult
from .identifiers import clean_pmid, find_doi, find_pmid, normalise_doi
from .keys import cite_keys
from .latex import Encoding, escape, protect_case
from .names import bibtex_name, short_written_name
from .pages import expand_pages
from .subjects import subjects

# bibtexparser logs each broken block (with 0-based line numbers); we report them ourselves.
logging.getLogger("bibtexparser").addHandler(logging.NullHandler())

MONTH_MACROS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def abstract_lines(paper: Paper) -> str | None:
    """A structured abstract as ``LABEL: text`` lines; None when there is no abstract."""
    return paper.abstract_text or None


def _month(paper: Paper) -> str | None:
    parts = date_parts(paper)
    return MONTH_MACROS[parts[1] - 1] if len(parts) > 1 else None


def _pages(paper: Paper) -> str | None:
    pages = expand_pages(paper.journal.pages)
    return pages.replace("-", "--") if pages else None


Getter = Callable[[Paper], str | list[str] | None]

#: field name → (value from the paper, how it is written): ``text`` escaped and braced,
#: ``title`` also case-protected, ``raw`` braced verbatim (DOIs, ids), ``macro`` bare (months),
#: ``names`` a list of authors joined with ``and``.
FIELDS: tuple[tuple[str, Getter, str], ...] = (
    ("author", lambda p: [bibtex_name(a) for a in p.authors], "names"),
    ("title", lambda p: p.title or None, "title"),
    ("journal", lambda p: p.journal.title or p.journal.iso_abbrev, "text"),
    ("shortjournal", lambda p: p.journal.iso_abbrev, "text"),
    ("publisher", lambda p: p.journal.publisher, "text"),
    ("year", lambda p: str(year) if (year := year_of(p)) else None, "raw"),
    ("month", _month, "macro"),
    ("volume", lambda p: p.journal.volume, "text"),
    ("number", lambda p: p.journal.issue, "text"),
    ("pages", _pages, "text"),
    ("issn", lambda p: p.journal.issn, "raw"),
    ("doi", lambda p: p.doi, "raw"),
    ("pmid", lambda p: p.pmid, "raw"),
    ("pmcid", lambda p: p.pmcid, "raw"),
    ("language", lambda p: p.language, "text"),
    ("keywords", lambda p: ", ".join(subjects(p)) or None, "text"),
    ("abstract", abstract_lines, "text"),
    ("note", lambda p: "Retracted publication" if p.retracted else None, "text"),
)


def _value(value: str | list[str], kind: str, encoding: Encoding) -> str:
    if isinstance(value, list):  # names; a collective arrives braced, escape inside only
        parts = [
            "{" + escape(n[1:-1], encoding) + "}" if n.startswith("{") else escape(n, encoding)
            for n in value
        ]
        return "{" + " and ".join(parts) + "}"
    if kind == "macro":
        return value
    if kind == "raw":
        return "{" + value.replace("{", "").replace("}", "") + "}"
    text = escape(value, encoding)
    return "{" + (protect_case(text) if kind == "title" else text) + "}"


def entry_type(paper: Paper) -> str:
    if paper.is_book:
        return "incollection" if paper.journal.title else "book"
    return "article"


def format_entry(paper: Paper, key: str, encoding: Encoding = "utf-8") -> str:
    fields = []
    for name, getter, kind in FIELDS:
        if paper.is_book and name == "journal":
            name = "booktitle"
        value = getter(paper)
        if value:
            fields.append(f"  {name} = {_value(value, kind, encoding)}")
    return f"@{entry_type(paper)}{{{key},\n" + ",\n".join(fields) + "\n}\n"


def export(papers: Sequence[Paper], *, encoding: Encoding = "utf-8") -> str:
    """One entry per paper (a PMID given twice is written once), keys from :func:`cite_keys`."""
    keys = cite_keys(papers)
    written: set[str] = set()
    out = []
    for paper in papers:
        if paper.pmid in written:
            continue
        written.add(paper.pmid)
        out.append(format_entry(paper, keys[paper.pmid], encoding))
    return "\n".join(out)


# --- import -------------------------------------------------------------------------------

_ENTRY_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)
_KEY_IN_RAW = re.compile(r"@\s*([A-Za-z]+)\s*[{(](?:[ \t]*([^,\s=]+)[ \t]*,)?")
_LATEX = LatexNodes2Text()
_SKIPPED_TYPES = frozenset({"string", "preamble", "comment"})


def _decode(value: str) -> str:
    """LaTeX to text (``{\\"U}nal`` → ``Ünal``), only for values that hold any LaTeX."""
    if "\\" in value or "{" in value:
        value = _LATEX.latex_to_text(value)
    return " ".join(value.replace("{", "").replace("}", "").split())


def _field(entry: Entry, *names: str) -> str | None:
    """The first of ``names`` the entry has, decoded (we decode only the fields we read)."""
    fields = {k.lower(): v for k, v in entry.fields_dict.items()}
    for name in names:
        field = fields.get(name)
        if field is not None and str(field.value).strip():
            return _decode(str(field.value))
    return None


def _year(entry: Entry) -> int | None:
    text = _field(entry, "year", "date", "issued")
    match = re.search(r"\b(\d{4})\b", text or "")
    return int(match.group(1)) if match else None


def _pmid(entry: Entry) -> str | None:
    pmid = clean_pmid(_field(entry, "pmid"))
    if pmid:
        return pmid
    if (_field(entry, "eprinttype", "archiveprefix") or "").lower() in {"pubmed", "pmid"}:
        pmid = clean_pmid(_field(entry, "eprint"))
        if pmid:
            return pmid
    for name in ("note", "annote", "annotation", "extra", "url"):
        pmid = find_pmid(_field(entry, name))
        if pmid:
            return pmid
    return None


def _to_imported(entry: Entry) -> ImportedEntry | ImportProblem:
    line = (entry.start_line or 0) + 1  # bibtexparser counts from 0
    pmid = _pmid(entry)
    doi = normalise_doi(_field(entry, "doi")) or find_doi(_field(entry, "url"))
    title = _field(entry, "title")
    if not (pmid or doi or title):
        return ImportProblem(f"@{entry.entry_type}{{{entry.key}}}", line,
                             "has no PMID, DOI or title, so it cannot be matched to a paper")
    author = _field(entry, "author")
    first = short_written_name(re.split(r"\s+and\s+", author)[0]) if author else None
    return ImportedEntry(
        pmid=pmid, doi=doi, title=title, year=_year(entry), source_line=line,
        raw_type=entry.entry_type, label=entry.key, first_author=first,
        journal=_field(entry, "journal", "journaltitle", "booktitle"),
    )


def _line_of(text: str, index: int | None) -> int | None:
    return None if index is None else text.count("\n", 0, index) + 1


def _problem(text: str, block: ParsingFailedBlock) -> ImportProblem:
    """Name the broken entry by its type and key, and say where reading it stopped."""
    raw = block.raw or ""
    match = _KEY_IN_RAW.search(raw)
    if match and match.group(2):
        name = f"@{match.group(1)}{{{match.group(2)},"
    elif match:
        name = f"@{match.group(1)} entry without a key"
    else:
        name = repr(raw.strip()[:40])
    error = block.error
    if isinstance(error, BlockAbortedException):
        message = " ".join(error.abort_reason.split())
        if "Unexpected block start" in message:
            message = "the entry is not closed before the next '@' (a '}' missing?): " + message
        stop = _line_of(text, error.end_index)
        if stop:
            message += f" (reading stopped at line {stop})"
    else:
        message = " ".join(str(error).split())
    return ImportProblem(name, (block.start_line or 0) + 1, message)


def parse(text: str) -> ImportResult:
    """Read a .bib file: every readable entry, and a problem for each one that is not.

    :raise ParseError: when the text holds no ``@type{`` entry at all.
    """
    text = text.lstrip("\ufeff")
    if not _ENTRY_START.search(text):
        raise ParseError("not a BibTeX file: no entry like '@article{key,' was found")
    library = bibtexparser.parse_string(text)
    result = ImportResult(format="bibtex")
    items: list[tuple[int, ImportedEntry | ImportProblem]] = []
    for entry in library.entries:
        if entry.entry_type.lower() not in _SKIPPED_TYPES:
            items.append((entry.start_line or 0, _to_imported(entry)))
    for block in library.failed_blocks:
        recovered = block.ignore_error_block
        if isinstance(block, DuplicateBlockKeyBlock | MiddlewareErrorBlock) and isinstance(
            recovered, Entry
        ):
            # a repeated key or an undecodable accent still leaves a usable reference
            items.append((block.start_line or 0, _to_imported(recovered)))
            continue
        items.append((block.start_line or 0, _problem(text, block)))
    for _, item in sorted(items, key=lambda pair: pair[0]):
        if isinstance(item, ImportProblem):
            result.problems.append(item)
        else:
            result.entries.append(item)
    return result
