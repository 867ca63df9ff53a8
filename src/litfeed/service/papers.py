"""Reading papers and store-wide figures."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select

from litfeed.errors import NotFound
from litfeed.models import Paper
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import schema as s

PMID_RE = re.compile(r"[0-9]{1,20}")


def check_pmid(pmid: str) -> str:
    """``pmid`` trimmed; anything that is not a PMID cannot be stored, so it is not found.

    :raise NotFound: not 1-20 ASCII digits (and never sent to the database).
    """
    cleaned = (pmid or "").strip()
    if not PMID_RE.fullmatch(cleaned):
        raise NotFound(f"{cleaned[:40]!r} is not a PMID (a PMID is a number)")
    return cleaned


def get_paper(store: Store, pmid: str) -> Paper:
    """:raise NotFound: when the PMID is not stored (never loaded, or deleted)."""
    pmid = check_pmid(pmid)
    with store.read() as conn:
        paper = store_papers.find_paper(conn, pmid)
    if paper is None:
        raise NotFound(f"paper {pmid} is not in the store")
    return paper


def list_newest(store: Store, *, limit: int = 20, offset: int = 0) -> list[Paper]:
    """Dated papers, newest publication first (the home page before there is a feed)."""
    with store.read() as conn:
        return store_papers.list_newest(conn, limit=limit, offset=offset)


def stats(store: Store) -> dict[str, Any]:
    with store.read() as conn:
        papers = store_papers.count_papers(conn)
        embedded = int(conn.execute(
            select(func.count(func.distinct(s.embeddings.c.pmid)))).scalar() or 0)
        users = int(conn.execute(select(func.count()).select_from(s.users)).scalar() or 0)
        newest = store_papers.newest_published(conn)
    return {"papers": papers, "embedded": embedded, "users": users,
            "newest": _full_date(newest)}


def _full_date(published: str | None) -> str | None:
    """'2021' or '2021-03' as a YYYY-MM-DD date (the first day of what is known)."""
    if not published:
        return None
    parts = [*published.split("-"), "01", "01"]
    return "-".join(parts[:3])
