"""Search: the Tantivy index beside the store, kept consistent by following ``paper_changes``.

The index records the store's URL and the last change sequence it applied (its checkpoint).
``sync_index`` applies every change after that — adds, replacements, deletions — and commits
with the new checkpoint, so a crash mid-indexing only means the next sync repeats some work.
An index that belongs to another database, or is ahead of this one (a restored backup), is
rebuilt. With PostgreSQL each app server keeps its own index in its data directory.

Each paper is indexed with the time it first arrived in the store (``papers.created_at``), so
saved-search alerts can ask "which matches arrived after Monday" from the index alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import bindparam, func, select

from litfeed.config import Settings
from litfeed.errors import InvalidInput, StorageError
from litfeed.models import Paper
from litfeed.search.index import SearchFilters, SearchIndex, SearchResult
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import schema as s

SYNC_CHUNK = 5_000
REBUILD_COMMIT = 100_000
MAX_PAGE_SIZE = 100
# one sync at a time per process: two threads queueing into the same writer while one of them
# closes it would drop the other's uncommitted documents under a checkpoint that claims them
_SYNC_LOCK = threading.Lock()


def index_path(settings: Settings) -> Path:
    return settings.data_dir / "search"


#: how long a batch job (ingest, reindex) waits for another process's index writer, e.g. a web
#: worker catching its index up after the ingest's first batches
WRITER_WAIT_S = 600.0


def open_index(settings: Settings, *, writer_wait_s: float = 0.0) -> SearchIndex:
    return SearchIndex(index_path(settings), writer_wait_s=writer_wait_s)


def _parse_checkpoint(value: str | None, url: str) -> int | None:
    """The sequence number in ``url|seq``, or None when the index is not this store's."""
    if not value or "|" not in value:
        return None
    owner, _, seq = value.rpartition("|")
    return int(seq) if owner == url and seq.isdigit() else None


# built once: a search runs both, and building a statement costs more than running these
_LATEST_SEQ = select(func.max(s.paper_changes.c.seq))
_HIT_ROWS = (
    select(s.papers.c.pmid, s.papers.c.title, s.papers.c.year, s.papers.c.retracted,
           s.papers.c.pmcid, s.papers.c.published, s.journals.c.iso_abbrev,
           s.journals.c.title.label("journal_title"))
    .select_from(s.papers.outerjoin(s.journals, s.papers.c.journal_id == s.journals.c.id))
    .where(s.papers.c.pmid.in_(bindparam("pmids", expanding=True))))


def _latest_seq(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(_LATEST_SEQ).scalar() or 0)


def latest_change(store: Store) -> int:
    """The newest change-log sequence number (0 for a store that never changed)."""
    return _latest_seq(store)


def checkpoint_of(store: Store, index: SearchIndex) -> int | None:
    """The change-log sequence the index has applied up to, or None when the index was not
    built from this store (or a rebuild did not finish)."""
    return _parse_checkpoint(index.checkpoint(), store.url)


def index_is_current(store: Store, index: SearchIndex) -> bool:
    return _parse_checkpoint(index.checkpoint(), store.url) == _latest_seq(store)


def sync_index(store: Store, index: SearchIndex, *, rebuild: bool = False) -> int:
    """Apply the store's changes since the index's checkpoint; returns papers touched.

    :raise StorageError: another process is writing the index right now.
    """
    index.begin_writing()
    latest = _latest_seq(store)
    after = None if rebuild else _parse_checkpoint(index.checkpoint(), store.url)
    if after is None or after > latest:
        index.clear()
        return _rebuild(store, index, latest)
    touched = 0
    while after < latest:
        with store.read() as conn:
            rows = conn.execute(
                select(s.paper_changes.c.seq, s.paper_changes.c.pmid)
                .where(s.paper_changes.c.seq > after).order_by(s.paper_changes.c.seq)
                .limit(SYNC_CHUNK)).all()
            if not rows:
                break
            pmids = list(dict.fromkeys(r.pmid for r in rows))
            # the store's present state is the truth: whatever the log says happened
            # in between, a PMID is indexed if and only if it is stored now
            present = store_papers.get_papers_with_arrival(conn, pmids)
        index.delete([p for p in pmids if p not in present])
        index.add_or_replace((present[p][0] for p in pmids if p in present),
                             {p: added for p, (_, added) in present.items()})
        after = rows[-1].seq
        index.commit(checkpoint=f"{store.url}|{after}")
        touched += len(pmids)
    return touched


def _rebuild(store: Store, index: SearchIndex, latest: int) -> int:
    """Index every stored paper into the cleared index, walking the papers table (cheaper than
    replaying the change log: no PMID twice, nothing to replace); the checkpoint, written at
    the end, is the change log's head read before the walk, so changes made meanwhile are
    applied (again, harmlessly) by the next sync. A crash midway leaves no checkpoint: the
    next sync starts over."""
    touched = 0
    last = ""
    pending = 0
    while True:
        with store.read() as conn:
            batch = store_papers.page_papers_with_arrival(conn, after_pmid=last,
                                                          limit=SYNC_CHUNK)
        if not batch:
            break
        index.add_or_replace((paper for paper, _ in batch),
                             {paper.pmid: added for paper, added in batch}, known_new=True)
        last = batch[-1][0].pmid
        touched += len(batch)
        pending += len(batch)
        if pending >= REBUILD_COMMIT:  # bound the writer's memory, keep merges going
            index.commit()
            pending = 0
    index.commit(checkpoint=f"{store.url}|{latest}")
    return touched


def refresh(store: Store, settings: Settings, *, rebuild: bool = False,
            writer_wait_s: float = WRITER_WAIT_S) -> int:
    """Bring the index up to date and release its writer (after ingest, or ``reindex``).

    Waits for a writer held by another process (a web worker syncing): it releases it when
    done, and this sync then applies whatever that one did not.

    :raise StorageError: the writer stayed busy for ``writer_wait_s``.
    """
    with open_index(settings, writer_wait_s=writer_wait_s) as index:
        return sync_index(store, index, rebuild=rebuild)


def ensure_current(store: Store, index: SearchIndex, *, wait: bool = False) -> bool:
    """Bring the index up to date if this process can; True when it is current afterwards.

    Without ``wait`` (searches) nothing blocks: while another thread of this process or another
    process (an ingest) is writing the index, the last committed state is good enough. With
    ``wait`` (digests, which must not miss a paper) the caller waits for other threads, and a
    writer held by another process is an error.

    :raise StorageError: with ``wait``, another process is writing the index.
    """
    if index_is_current(store, index):
        return True
    if not _SYNC_LOCK.acquire(blocking=wait):
        return False
    try:
        sync_index(store, index)
    except StorageError:
        if wait:
            raise
        return False
    finally:
        index.close()  # release the writer so the next ingest can index
        _SYNC_LOCK.release()
    return True


@dataclass(frozen=True)
class SearchRequest:
    query: str
    sort: Literal["relevance", "date", "added"] = "relevance"
    page: int = 1
    size: int = 20
    filters: SearchFilters = field(default_factory=SearchFilters)

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise InvalidInput("the query is empty; type some words, e.g. depression[ti]")
        if self.page < 1:
            raise InvalidInput(f"page={self.page}; pages start at 1")
        if not 1 <= self.size <= MAX_PAGE_SIZE:
            raise InvalidInput(f"size={self.size}; expected 1 to {MAX_PAGE_SIZE}")


def search(store: Store, index: SearchIndex, request: SearchRequest, *,
           catch_up: bool = True) -> dict[str, Any]:
    """Run a query; the contract's ``{"query", "total", "results": [...]}`` plus paging.

    The index is brought up to date first when this process can take its writer; when another
    process holds it (an ingest is running), the last committed state is searched. A caller
    that has just checked :func:`index_is_current` passes ``catch_up=False``.

    :raise QuerySyntaxError: the query does not parse (400 / exit 2).
    """
    result = _run(store, index, request, catch_up=catch_up)
    pmids = [h.pmid for h in result.hits]
    with store.read() as conn:
        rows = {r.pmid: r for r in conn.execute(_HIT_ROWS, {"pmids": pmids})} if pmids else {}
    results = []
    for hit in result.hits:
        row = rows.get(hit.pmid)
        if row is None:  # deleted between index commit and now
            continue
        results.append({
            "pmid": hit.pmid, "title": row.title,
            "journal": row.iso_abbrev or row.journal_title, "year": row.year,
            "published": row.published, "score": round(hit.score, 4),
            "snippet": hit.snippet_html, "retracted": bool(row.retracted),
            "free_full_text": row.pmcid is not None,
        })
    return _answer(request, result, results)


@dataclass(frozen=True)
class FoundPaper:
    """One result with its whole paper, for pages and feeds that show more than the JSON."""

    paper: Paper
    added: datetime  # first arrival in the store
    result: dict[str, Any]  # the same entry as in :func:`search`'s results


def search_papers(store: Store, index: SearchIndex, request: SearchRequest
                  ) -> tuple[dict[str, Any], list[FoundPaper]]:
    """:func:`search`, plus each result's stored paper (one read for the page).

    :raise QuerySyntaxError: the query does not parse.
    """
    result = _run(store, index, request)
    with store.read() as conn:
        stored = store_papers.get_papers_with_arrival(conn, [h.pmid for h in result.hits])
    found = []
    for hit in result.hits:
        if hit.pmid not in stored:
            continue
        paper, added = stored[hit.pmid]
        found.append(FoundPaper(paper=paper, added=added, result={
            "pmid": hit.pmid, "title": paper.title,
            "journal": paper.journal.iso_abbrev or paper.journal.title, "year": paper.year,
            "published": paper.published, "score": round(hit.score, 4),
            "snippet": hit.snippet_html, "retracted": paper.retracted,
            "free_full_text": paper.pmcid is not None,
        }))
    return _answer(request, result, [f.result for f in found]), found


def _run(store: Store, index: SearchIndex, request: SearchRequest, *,
         catch_up: bool = True) -> SearchResult:
    if catch_up:
        ensure_current(store, index)
    return index.search(
        request.query, sort=request.sort, filters=request.filters,
        offset=(request.page - 1) * request.size, limit=request.size)


def _answer(request: SearchRequest, result: SearchResult, results: list[dict[str, Any]]
            ) -> dict[str, Any]:
    return {"query": request.query, "canonical_query": result.query, "total": result.total,
            "page": request.page, "size": request.size, "sort": request.sort,
            "pages": -(-result.total // request.size), "results": results}


def count_matches(store: Store, index: SearchIndex, query: str, filters: SearchFilters, *,
                  catch_up: bool = True) -> int:
    """How many papers match (no hits fetched): the "3 new" of saved searches.

    :raise QuerySyntaxError: the query does not parse.
    """
    if catch_up:
        ensure_current(store, index)
    return index.search(query, filters=filters, limit=0, snippets=False).total


# --- filters as JSON (the API's parameters, saved searches' stored filters) ---------------------

FILTER_KEYS = ("year_from", "year_to", "type", "has_abstract", "free_full_text",
               "hide_retracted")


def filters_to_json(filters: SearchFilters) -> dict[str, Any]:
    """The reader-facing filters, only those that are set (arrival times are not included)."""
    out: dict[str, Any] = {}
    if filters.year_from is not None:
        out["year_from"] = filters.year_from
    if filters.year_to is not None:
        out["year_to"] = filters.year_to
    if filters.publication_types:
        out["type"] = list(filters.publication_types)
    for name in ("has_abstract", "free_full_text", "hide_retracted"):
        if getattr(filters, name):
            out[name] = True
    return out


def filters_from_json(data: object) -> SearchFilters:
    """:raise InvalidInput: unknown keys or values of the wrong kind."""
    if data is None:
        return SearchFilters()
    if not isinstance(data, dict):
        raise InvalidInput("filters must be an object, e.g. {\"year_from\": 2020}")
    unknown = sorted(set(data) - set(FILTER_KEYS))
    if unknown:
        raise InvalidInput(f"unknown filter {unknown[0]!r}; expected {', '.join(FILTER_KEYS)}")
    years: dict[str, int | None] = {}
    for name in ("year_from", "year_to"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= 9999):
            raise InvalidInput(f"{name}={value!r}; expected a year such as 2020")
        years[name] = value
    types = data.get("type") or []
    if isinstance(types, str):
        types = [types]
    if not isinstance(types, list) or not all(isinstance(t, str) and 0 < len(t) <= 200
                                              for t in types) or len(types) > 50:
        raise InvalidInput("type must be a list of publication types, e.g. [\"Review\"]")
    flags = {}
    for name in ("has_abstract", "free_full_text", "hide_retracted"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise InvalidInput(f"{name}={value!r}; expected true or false")
        flags[name] = value
    return make_filters(year_from=years["year_from"], year_to=years["year_to"],
                        types=types, **flags)


def make_filters(*, year_from: int | None = None, year_to: int | None = None,
                 types: list[str] | tuple[str, ...] = (), has_abstract: bool = False,
                 free_full_text: bool = False, hide_retracted: bool = False) -> SearchFilters:
    """Filters from the API's or a form's values: blank types dropped, duplicates removed.

    :raise InvalidInput: a year range that ends before it starts.
    """
    if year_from is not None and year_to is not None and year_from > year_to:
        raise InvalidInput(f"year_from={year_from} is after year_to={year_to}")
    cleaned = tuple(dict.fromkeys(t.strip() for t in types if t and t.strip()))
    return SearchFilters(year_from=year_from, year_to=year_to, publication_types=cleaned,
                         has_abstract=has_abstract, free_full_text=free_full_text,
                         hide_retracted=hide_retracted)
