"""Learning cycles prefilled from what the reader actually did: a search, then papers opened.

The search page links each result as ``/papers/{pmid}?from_q=<the query>``; the paper page
records the view with that query (``service.reading``). The papers opened from one search within
the draft window are that search's sources. A feed session (papers opened without a search) is
offered too, with no query. With personalization off nothing is recorded, so a prefill holds only
the paper on screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from litfeed.cme.rules import CreditRules
from litfeed.config import Settings
from litfeed.models import CmeActivity, Paper
from litfeed.service import cme as cme_service
from litfeed.service import reading
from litfeed.store import Store
from litfeed.store import cme as store_cme
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

MAX_SESSIONS = 10


@dataclass(frozen=True)
class Source:
    """A paper as a cycle's form lists it."""

    pmid: str
    title: str
    journal: str
    year: int | None

    @classmethod
    def of(cls, pmid: str, paper: Paper | None) -> Source:
        if paper is None:
            return cls(pmid=pmid, title=f"PMID {pmid}", journal="", year=None)
        return cls(pmid=pmid, title=paper.title,
                   journal=paper.journal.iso_abbrev or paper.journal.title or "",
                   year=paper.year)

    def to_json(self) -> dict[str, object]:
        return {"pmid": self.pmid, "title": self.title, "journal": self.journal,
                "year": self.year}


@dataclass(frozen=True)
class ReadingSession:
    """Papers opened from one search (``query`` None: not from a search) in the draft window."""

    query: str | None
    sources: tuple[Source, ...]
    last_viewed: datetime

    def to_json(self) -> dict[str, object]:
        return {"query": self.query, "sources": [s.to_json() for s in self.sources],
                "last_viewed_at": self.last_viewed.isoformat()}


@dataclass(frozen=True)
class Prefill:
    """What the "Claim CME for this search" form starts with."""

    query: str | None
    sources: tuple[Source, ...]
    draft: CmeActivity | None  # the reader's open draft for this search, if any


def sources_of(store: Store, pmids: list[str]) -> tuple[Source, ...]:
    with store.read() as conn:
        papers = store_papers.get_papers(conn, pmids) if pmids else {}
    return tuple(Source.of(p, papers.get(p)) for p in pmids)


def _window(rules: CreditRules, now: datetime) -> datetime:
    return now - timedelta(days=rules.draft_days)


def recent_sessions(store: Store, settings: Settings, user_id: int, *,
                    now: datetime | None = None) -> list[ReadingSession]:
    """The reader's searches (and feed reading) in the draft window that no cycle documents
    yet, most recent first."""
    at = now or utc_now()
    rules = cme_service.current_rules(store, settings)
    views = reading.views_since(store, user_id, _window(rules, at))
    groups: dict[str | None, list[str]] = {}
    last: dict[str | None, datetime] = {}
    for view in views:
        pmids = groups.setdefault(view.query, [])
        if view.pmid not in pmids:
            pmids.append(view.pmid)
        last[view.query] = view.viewed_at
    with store.read() as conn:
        cycles = store_cme.list_activities(conn, user_id=user_id,
                                           statuses=["draft", "completed"])
    documented: dict[str | None, datetime] = {}
    for c in cycles:
        documented[c.query] = max(documented.get(c.query, c.created_at), c.created_at)
    open_ones = [q for q in groups if q not in documented or documented[q] < last[q]]
    open_ones.sort(key=lambda q: last[q], reverse=True)
    return [ReadingSession(query=q, sources=sources_of(store, groups[q]), last_viewed=last[q])
            for q in open_ones[:MAX_SESSIONS]]


def prefill(store: Store, settings: Settings, user_id: int, query: str | None,
            current_pmid: str | None = None, *, now: datetime | None = None) -> Prefill:
    """The claim form for ``query``: the papers opened from it in the draft window (plus the
    one on screen), merged with the reader's open draft for it."""
    at = now or utc_now()
    cleaned = reading.clean_query(query)
    rules = cme_service.current_rules(store, settings)
    pmids = list(dict.fromkeys(v.pmid for v in reading.views_of_search(
        store, user_id, cleaned, _window(rules, at))))
    if current_pmid and current_pmid not in pmids:
        pmids.append(current_pmid)
    draft = None
    if cleaned:
        with store.read() as conn:
            draft = next((d for d in store_cme.list_activities(conn, user_id=user_id,
                                                               statuses=["draft"])
                          if d.query == cleaned and not d.locked(at)
                          and (d.expires_at is None or d.expires_at > at)), None)
    if draft is not None:
        pmids = list(dict.fromkeys([*draft.sources, *pmids]))
    return Prefill(query=cleaned, sources=sources_of(store, pmids), draft=draft)


def start_from_reading(store: Store, settings: Settings, user_id: int, query: str | None, *,
                       now: datetime | None = None) -> CmeActivity:
    """A draft for the reader's search ``query`` (``None``: feed reading), its sources the
    papers opened from it; an open draft for the same search gains the new papers instead."""
    at = now or utc_now()
    found = prefill(store, settings, user_id, query, now=at)
    raw: dict[str, object] = {"sources": [s.pmid for s in found.sources]}
    if found.query:
        raw["query"] = found.query
    return cme_service.save_draft(store, settings, user_id, raw,
                                  draft_id=found.draft.id if found.draft else None, now=at)
