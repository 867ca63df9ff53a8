"""Reading history: recording the papers a signed-in reader opens, and from which search.

A view is kept only while the reader's ``personalization`` setting is on (the default); with it
off no reading history is written at all. Reopening the same paper from the same search within
:data:`REPEAT_WINDOW` is not recorded again, so reloads do not pile up rows (and cost a read,
not a write).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from litfeed.errors import StorageError
from litfeed.service.papers import check_pmid
from litfeed.service.text import is_plain
from litfeed.store import Store, user_settings
from litfeed.store import reading as store_reading
from litfeed.store.clock import now as utc_now
from litfeed.store.reading import ViewRow

log = logging.getLogger("litfeed.reading")
REPEAT_WINDOW = timedelta(minutes=30)
MAX_QUERY = 1000


def clean_query(query: str | None) -> str | None:
    """A search as recorded with a view: whitespace collapsed, at most 1000 characters, None
    when empty or not printable (a query never makes a page fail)."""
    if not query or not is_plain(query):
        return None
    return " ".join(query.split())[:MAX_QUERY] or None


def keeps_history(store: Store, user_id: int) -> bool:
    """The reader allows reading history (``personalization`` not switched off)."""
    with store.read() as conn:
        return user_settings.read_user_settings(conn, user_id).get("personalization") is not False


def record_view(store: Store, user_id: int, pmid: str, query: str | None = None, *,
                now: datetime | None = None) -> bool:
    """Remember that the reader opened ``pmid`` (from the search ``query``, if any).

    Returns whether a row was written: False with personalization off, for a repeat, or when
    the store cannot be written (logged; the page is still served).
    """
    pmid = check_pmid(pmid)
    query = clean_query(query)
    at = now or utc_now()
    with store.read() as conn:
        if user_settings.read_user_settings(conn, user_id).get("personalization") is False:
            return False
        last = store_reading.last_view_at(conn, user_id=user_id, pmid=pmid, query=query)
    if last is not None and at - last < REPEAT_WINDOW:
        return False
    try:
        with store.transaction() as conn:
            store_reading.record_view(conn, user_id=user_id, pmid=pmid, query=query, at=at)
    except StorageError as exc:  # a read-only or full disk must not stop anyone reading
        log.warning("reading history not recorded: %s", exc.message)
        return False
    return True


def views_since(store: Store, user_id: int, since: datetime) -> list[ViewRow]:
    """The reader's views since ``since``, oldest first."""
    with store.read() as conn:
        return store_reading.views_since(conn, user_id=user_id, since=since)


def views_of_search(store: Store, user_id: int, query: str | None,
                    since: datetime) -> list[ViewRow]:
    """The reader's views that came from ``query`` (``None``: not from a search) since
    ``since``, oldest first."""
    with store.read() as conn:
        return store_reading.views_since(conn, user_id=user_id, since=since,
                                         query=clean_query(query), any_query=False)
