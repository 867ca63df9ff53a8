"""Search: the Tantivy index beside the store, kept consistent by following ``paper_changes``.

The index records the store's URL and the last change sequence it applied (its checkpoint).
``sync_index`` applies every change after that — adds, replacements, deletions — and commits
with the new checkpoint, so a crash mid-indexing only means the next sync repeats some work.
An index that belongs to another database, or is ahead of this one (a restored backup), is
rebuilt. With PostgreSQL each app server keeps its own index in its data directory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import func, select

from litfeed.config import Settings
from litfeed.errors import InvalidInput, StorageError
from litfeed.search.index import SearchFilters, SearchIndex, SearchResult
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import schema as s

SYNC_CHUNK = 5_000
MAX_PAGE_SIZE = 100


def index_path(settings: Settings) -> Path:
    return settings.data_dir / "search"


def open_index(settings: Settings) -> SearchIndex:
    return SearchIndex(index_path(settings))


def _parse_checkpoint(value: str | None, url: str) -> int | None:
    """The sequence number in ``url|seq``, or None when the index is not this store's."""
    if not value or "|" not in value:
        return None
    owner, _, seq = value.rpartition("|")
    return int(seq) if owner == url and seq.isdigit() else None


def _latest_seq(store: Store) -> int:
    with store.read() as conn:
        return int(conn.execute(select(func.max(s.paper_changes.c.seq))).scalar() or 0)


def index_is_current(store: Store, index: SearchIndex) -> bool:
    return _parse_checkpoint(index.checkpoint(), store.url) == _latest_seq(store)


def sync_index(store: Store, index: SearchIndex, *, rebuild: bool = False) -> int:
    """Apply the store's changes since the index's checkpoint; returns papers touched.

    :raise StorageError: another process is writing the index right now.
    """
    latest = _latest_seq(store)
    after = None if rebuild else _parse_checkpoint(index.checkpoint(), store.url)
    if after is None or after > latest:
        index.clear()
        after = 0
        if latest == 0:
            index.commit(checkpoint=f"{store.url}|0")
            return 0
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
            present = store_papers.get_papers(conn, pmids)
        index.delete([p for p in pmids if p not in present])
        index.add_or_replace(present[p] for p in pmids if p in present)
        after = rows[-1].seq
        index.commit(checkpoint=f"{store.url}|{after}")
        touched += len(pmids)
    return touched


def refresh(store: Store, settings: Settings, *, rebuild: bool = False) -> int:
    """Bring the index up to date and release its writer (after ingest, or ``reindex``)."""
    with open_index(settings) as index:
        return sync_index(store, index, rebuild=rebuild)


@dataclass(frozen=True)
class SearchRequest:
    query: str
    sort: Literal["relevance", "date"] = "relevance"
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


def search(store: Store, index: SearchIndex, request: SearchRequest) -> dict[str, Any]:
    """Run a query; the contract's ``{"query", "total", "results": [...]}`` plus paging.

    The index is brought up to date first when this process can take its writer; when another
    process holds it (an ingest is running), the last committed state is searched.

    :raise QuerySyntaxError: the query does not parse (400 / exit 2).
    """
    if not index_is_current(store, index):
        try:
            sync_index(store, index)
        except StorageError:
            pass  # someone else is indexing; they will commit shortly
        finally:
            index.close()
    result: SearchResult = index.search(
        request.query, sort=request.sort, filters=request.filters,
        offset=(request.page - 1) * request.size, limit=request.size)
    pmids = [h.pmid for h in result.hits]
    with store.read() as conn:
        rows = {r.pmid: r for r in conn.execute(
            select(s.papers.c.pmid, s.papers.c.title, s.papers.c.year, s.papers.c.retracted,
                   s.papers.c.pmcid, s.papers.c.published, s.journals.c.iso_abbrev,
                   s.journals.c.title.label("journal_title"))
            .select_from(s.papers.outerjoin(s.journals, s.papers.c.journal_id == s.journals.c.id))
            .where(s.papers.c.pmid.in_(pmids)))} if pmids else {}
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
    return {"query": request.query, "canonical_query": result.query, "total": result.total,
            "page": request.page, "size": request.size, "sort": request.sort,
            "results": results}
