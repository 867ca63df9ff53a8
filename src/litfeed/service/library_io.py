"""The reader's library out and in: export files, imports matched to stored papers, citations.

Exports write a collection, the whole library or a selection in one of the formats of
:data:`litfeed.formats.EXPORTERS`. Imports read a reference manager's file, match each entry to
a stored paper (PMID, then DOI, then normalised title + year; see :mod:`litfeed.formats.match`)
and put the matched papers in a collection, which makes them saves like any other. Nothing here
touches another reader's library: every function takes the caller's ``user_id``.

The account as a whole (reactions, collections, settings, history) moves with
:func:`export_account` / :func:`import_account`, defined in :mod:`litfeed.service.account_io`.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

import httpx

from litfeed import formats
from litfeed.config import Settings
from litfeed.errors import InvalidInput, LitfeedError, NotFound
from litfeed.formats import ImportedEntry, MatchResult, match_entries
from litfeed.formats.cite import STYLE_LABELS, STYLES, Style, format_citation
from litfeed.models import Paper
from litfeed.pubmed.eutils import EutilsClient
from litfeed.service.account_io import export_account, import_account
from litfeed.service.fetch import fetch_pmids
from litfeed.service.library import DEFAULT_COLLECTION, clean_collection_name, list_saved
from litfeed.service.library import get_collection_by_name as _collection_named
from litfeed.service.papers import check_pmid
from litfeed.store import Store
from litfeed.store import library as store_library
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

__all__ = [
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "ExportFile",
    "ImportReport",
    "citations_for",
    "cite",
    "export_account",
    "export_library",
    "export_papers",
    "import_account",
    "import_library",
]

EXPORT_FORMATS = tuple(formats.EXPORTERS)
IMPORT_FORMATS = tuple(formats.IMPORTERS)
MAX_IMPORT_BYTES = 20 << 20  # a 20 MiB RIS file is ~40,000 references
MAX_SELECTION = 5_000
MAX_FETCH = 500  # unmatched entries fetched from PubMed per import
DOI_QUERY_CHUNK = 40


class ExportFile(NamedTuple):
    """An export, ready to serve: ``(content, media_type, filename)``."""

    content: str
    media_type: str
    filename: str


# --- choosing papers ------------------------------------------------------------------------------

def clean_pmids(pmids: Sequence[str]) -> list[str]:
    """Each PMID checked, once, in the order given.

    :raise InvalidInput: none given, or more than :data:`MAX_SELECTION`.
    :raise NotFound: one is not a PMID.
    """
    cleaned = list(dict.fromkeys(check_pmid(p) for p in pmids if p and p.strip()))
    if not cleaned:
        raise InvalidInput("no papers chosen: give at least one PMID")
    if len(cleaned) > MAX_SELECTION:
        raise InvalidInput(f"too many papers at once: at most {MAX_SELECTION}")
    return cleaned


def _stored(store: Store, pmids: list[str]) -> list[Paper]:
    with store.read() as conn:
        found = store_papers.get_papers(conn, pmids)
    missing = [p for p in pmids if p not in found]
    if missing and not found:
        raise NotFound(f"paper {', '.join(missing[:5])} is not in the store")
    return [found[p] for p in pmids if p in found]


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60] or "collection"


def library_papers(store: Store, user_id: int, *, collection: str | None = None,
                   pmids: Sequence[str] | None = None) -> tuple[list[Paper], str]:
    """The papers an export or citation list is made of, and a name for the file.

    ``pmids`` (a selection) wins; else the collection called ``collection``; else the whole
    library, each paper once, newest saved first. Saved papers since deleted from the store
    are left out (there is nothing to write about them).

    :raise NotFound: no such collection, or none of ``pmids`` is stored.
    """
    if pmids is not None:
        return _stored(store, clean_pmids(pmids)), "selection"
    chosen = _collection_named(store, user_id, collection) if collection else None
    items = list_saved(store, user_id, collection_id=chosen.id if chosen else None)
    papers = [item.paper for item in items if item.paper is not None]
    return papers, _slug(chosen.name) if chosen else "library"


def _file(fmt: str, papers: Sequence[Paper], stem: str) -> ExportFile:
    exporter = formats.get_exporter(fmt)
    day = datetime.now(UTC).date().isoformat()
    return ExportFile(exporter.export(papers), exporter.media_type,
                      exporter.filename(f"litfeed-{stem}-{day}"))


def export_library(store: Store, user_id: int, fmt: str, collection: str | None = None,
                   pmids: Sequence[str] | None = None) -> ExportFile:
    """The reader's collection (or whole library, or a selection of PMIDs) as a file in
    ``fmt`` (``bibtex``, ``ris``, ``csljson``, ``nbib``, ``csv``).

    :raise InvalidInput: an unknown format. :raise NotFound: see :func:`library_papers`.
    """
    formats.get_exporter(fmt)
    papers, stem = library_papers(store, user_id, collection=collection, pmids=pmids)
    return _file(fmt, papers, stem)


def export_papers(store: Store, pmids: Sequence[str], fmt: str) -> ExportFile:
    """Stored papers by PMID as a file (no library involved: a paper page's download)."""
    formats.get_exporter(fmt)
    cleaned = clean_pmids(pmids)
    return _file(fmt, _stored(store, cleaned),
                 f"pmid-{cleaned[0]}" if len(cleaned) == 1 else "selection")


# --- citations ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Citation:
    pmid: str
    style: Style
    text: str
    html: str

    @property
    def label(self) -> str:
        return STYLE_LABELS[self.style]

    def to_json(self) -> dict[str, str]:
        return {"pmid": self.pmid, "style": self.style, "label": self.label,
                "text": self.text, "html": self.html}


def check_style(style: str) -> Style:
    """:raise InvalidInput: not one of ``ama``, ``vancouver``, ``apa``."""
    for known in STYLES:
        if style == known:
            return known
    raise InvalidInput(f"unknown citation style {style!r}; expected one of: {', '.join(STYLES)}")


_TAG = re.compile(r"<[^>]+>")


@lru_cache(maxsize=2048)
def citation(paper: Paper, style: Style) -> Citation:
    """One reference, as HTML and as text. citeproc-py takes ~5 ms a render and a paper page
    shows three styles on every visit, so each is rendered once (HTML: every value in it is
    escaped, so dropping the tags and unescaping gives exactly the plain rendering) and kept."""
    rendered = format_citation(paper, style, "html")
    return Citation(paper.pmid, style, html.unescape(_TAG.sub("", rendered)), rendered)


def citations_for(paper: Paper) -> list[Citation]:
    """The paper in every style, AMA first (the paper page's Cite block)."""
    return [citation(paper, style) for style in STYLES]


def cite(store: Store, pmids: Sequence[str], style: str = "ama") -> list[Citation]:
    """Formatted references for stored papers, in the order given.

    :raise InvalidInput: unknown style, or no PMID. :raise NotFound: a PMID is not stored.
    """
    chosen = check_style(style)
    cleaned = clean_pmids(pmids)
    with store.read() as conn:
        found = store_papers.get_papers(conn, cleaned)
    missing = [p for p in cleaned if p not in found]
    if missing:
        raise NotFound(f"paper {', '.join(missing[:5])} is not in the store")
    return [citation(found[p], chosen) for p in cleaned]


def cite_library(store: Store, user_id: int, style: str = "ama", *,
                 collection: str | None = None, pmids: Sequence[str] | None = None
                 ) -> list[Citation]:
    """A collection, the library or a selection, formatted (the /saved "Cite" button)."""
    chosen = check_style(style)
    papers, _ = library_papers(store, user_id, collection=collection, pmids=pmids)
    return [citation(p, chosen) for p in papers]


# --- import ---------------------------------------------------------------------------------------

@dataclass
class ImportReport:
    """What an import did. ``imported`` papers were added to the collection; ``matched`` were
    found in the store (some may have been in the collection already)."""

    format: str
    collection: str
    entries: int = 0
    matched: int = 0
    imported: int = 0
    fetched: int = 0
    fetch_error: str | None = None
    unmatched: list[ImportedEntry] = field(default_factory=list)
    problems: list[formats.ImportProblem] = field(default_factory=list)

    @property
    def already_saved(self) -> int:
        return self.matched - self.imported

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "collection": self.collection, "entries": self.entries,
                "imported": self.imported, "matched": self.matched,
                "already_saved": self.already_saved, "fetched": self.fetched,
                "fetch_error": self.fetch_error,
                "unmatched": [e.to_json() for e in self.unmatched],
                "problems": [p.to_json() for p in self.problems]}


def _match(store: Store, entries: Sequence[ImportedEntry]) -> MatchResult:
    with store.read() as conn:
        return match_entries(
            entries,
            by_pmid=lambda pmid: pmid if store_papers.paper_exists(conn, pmid) else None,
            by_doi=lambda doi: store_papers.find_pmid_by_doi(conn, doi),
            by_title_year=lambda title, year: store_papers.find_pmid_by_title_year(
                conn, title, year))


def _pmids_for_dois(settings: Settings, dois: list[str], http: httpx.Client | None
                    ) -> list[str]:
    usable = [d for d in dois if '"' not in d]
    found: list[str] = []
    with EutilsClient(settings.ncbi_eutils_url, api_key=settings.ncbi_api_key,
                      email=settings.ncbi_email, client=http) as client:
        for start in range(0, len(usable), DOI_QUERY_CHUNK):
            chunk = usable[start:start + DOI_QUERY_CHUNK]
            term = " OR ".join(f'"{doi}"[aid]' for doi in chunk)
            found += client.esearch(term, retmax=len(chunk) * 2)
    return found


def _fetch_missing(store: Store, settings: Settings, unmatched: list[ImportedEntry],
                   http: httpx.Client | None) -> tuple[int, str | None]:
    """Fetch unmatched entries from PubMed by PMID, or by DOI through ESearch. Returns how many
    papers arrived and, when PubMed could not be reached, why (the entries stay unmatched)."""
    wanted = unmatched[:MAX_FETCH]
    pmids = list(dict.fromkeys(e.pmid for e in wanted if e.pmid))
    dois = list(dict.fromkeys(e.doi for e in wanted if e.doi and not e.pmid))
    if not pmids and not dois:
        return 0, None
    try:
        if dois:
            pmids = list(dict.fromkeys(pmids + _pmids_for_dois(settings, dois, http)))
        if not pmids:
            return 0, None
        summary = fetch_pmids(store, settings, pmids, http=http)
    except (LitfeedError, httpx.HTTPError, OSError) as exc:
        return 0, f"PubMed could not be reached ({getattr(exc, 'message', exc)})"
    return summary.counts.added + summary.counts.updated, None


def import_library(store: Store, user_id: int, data: str | bytes, fmt: str | None = None,
                   collection: str = DEFAULT_COLLECTION, *, fetch_missing: bool = False,
                   settings: Settings | None = None, http: httpx.Client | None = None
                   ) -> ImportReport:
    """Read a reference file and put the papers it names into the reader's ``collection``.

    ``fmt`` is ``ris``, ``bibtex``, ``nbib`` or ``pmids`` (None or ``auto``: detected). A
    partial file imports what is valid and reports each problem with its entry and line; entries
    that match no stored paper are listed in ``unmatched``. With ``fetch_missing`` (and
    ``settings``), those are first fetched from PubMed by PMID or DOI; when PubMed cannot be
    reached they simply stay unmatched and ``fetch_error`` says why. The collection is created
    only when something matched.

    :raise InvalidInput: unknown format, bad collection name, file too large.
    :raise ParseError: the file is empty or not in the format at all.
    """
    name = clean_collection_name(collection or DEFAULT_COLLECTION)
    if fmt in ("", "auto"):
        fmt = None
    if fmt is not None and fmt not in formats.IMPORTERS:
        raise InvalidInput(f"unknown import format {fmt!r}; expected one of: auto, "
                           f"{', '.join(formats.IMPORTERS)}")
    if isinstance(data, bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise InvalidInput(f"the file is too large: at most {MAX_IMPORT_BYTES >> 20} MiB")
        text = formats.decode_file(data)
    else:
        text = data
    parsed = formats.parse(text, fmt)
    report = ImportReport(format=parsed.format, collection=name, entries=len(parsed.entries),
                          problems=list(parsed.problems))
    result = _match(store, parsed.entries)
    if result.unmatched and fetch_missing and settings is not None:
        report.fetched, report.fetch_error = _fetch_missing(store, settings, result.unmatched,
                                                            http)
        if report.fetched:
            again = _match(store, result.unmatched)
            result.matched += again.matched
            result.unmatched = again.unmatched
    report.unmatched = sorted(result.unmatched, key=lambda e: e.source_line)
    pmids = result.pmids
    report.matched = len(pmids)
    if pmids:
        at = utc_now()
        with store.transaction() as conn:
            target = store_library.ensure_collection(conn, user_id=user_id, name=name, now=at)
            for pmid in pmids:
                note = store_library.find_note(conn, user_id=user_id, pmid=pmid)
                if store_library.add_item(conn, collection_id=target.id, pmid=pmid, note=note,
                                          now=at):
                    report.imported += 1
    return report
