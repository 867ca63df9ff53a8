"""Reading history: which papers a reader opened, when, and from which search.

The rows feed CME learning cycles (a search followed by the papers opened from it). Every
function filters on the reader's ``user_id``; the caller decides whether history is kept at all
(the ``personalization`` user setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from litfeed.store import schema as s
from litfeed.store.clock import as_utc


@dataclass(frozen=True)
class ViewRow:
    pmid: str
    query: str | None
    viewed_at: datetime


def record_view(conn: Connection, *, user_id: int, pmid: str, query: str | None,
                at: datetime) -> None:
    conn.execute(insert(s.paper_views).values(user_id=user_id, pmid=pmid, query=query,
                                              viewed_at=at))


def last_view_at(conn: Connection, *, user_id: int, pmid: str,
                 query: str | None) -> datetime | None:
    """When the reader last opened ``pmid`` from ``query`` (``None``: not from a search)."""
    v = s.paper_views
    match = v.c.query.is_(None) if query is None else v.c.query == query
    found = conn.execute(select(v.c.viewed_at).where(v.c.user_id == user_id, v.c.pmid == pmid,
                                                     match)
                         .order_by(v.c.viewed_at.desc()).limit(1)).scalar()
    return as_utc(found) if found is not None else None


def views_since(conn: Connection, *, user_id: int, since: datetime,
                query: str | None = None, any_query: bool = True,
                limit: int = 2000) -> list[ViewRow]:
    """The reader's views since ``since``, oldest first; narrowed to one ``query`` (``None``
    meaning views not from a search) when ``any_query`` is False."""
    v = s.paper_views
    stmt = select(v.c.pmid, v.c.query, v.c.viewed_at).where(v.c.user_id == user_id,
                                                          v.c.viewed_at >= since)
    if not any_query:
        stmt = stmt.where(v.c.query.is_(None) if query is None else v.c.query == query)
    rows = conn.execute(stmt.order_by(v.c.viewed_at, v.c.id).limit(limit))
    return [ViewRow(pmid=r.pmid, query=r.query, viewed_at=as_utc(r.viewed_at)) for r in rows]
