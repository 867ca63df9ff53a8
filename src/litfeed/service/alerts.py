"""Saved searches and their alerts: "3 new since Monday", the private Atom feed.

A saved search is a query plus filters that belongs to one reader. "New" means papers that
match and *arrived in the store* (``papers.created_at``, kept when a record is replaced) after
the reader last opened the search's new matches (``last_seen_at``), so a paper published long
ago but loaded today counts as new, and an updated record does not count twice.

Counting is lazy: nothing happens at ingest time beyond the index refresh the ingest already
does; the count is one index query (a range filter on the arrival time), run when a page, the
API or a digest asks. A reader with twenty saved searches costs twenty index counts, a few
milliseconds each.

Every function takes the owner's ``user_id``; another reader's search id answers NotFound,
exactly like one that does not exist. The feed token alone opens the feed: it is random
(256 bits) and only its owner is shown it.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from sqlalchemy.exc import IntegrityError

from litfeed.errors import Conflict, InvalidInput, NotFound
from litfeed.search.index import SearchFilters, SearchIndex
from litfeed.search.query import parse_query
from litfeed.service import search as search_service
from litfeed.service.search import FoundPaper, SearchRequest
from litfeed.service.text import plain_text
from litfeed.store import Store
from litfeed.store import saved_searches as store_saved
from litfeed.store.clock import now as utc_now
from litfeed.store.saved_searches import SavedSearchRow

Digest = Literal["none", "daily", "weekly"]
DIGESTS: tuple[Digest, ...] = ("none", "daily", "weekly")
MAX_NAME = 200
MAX_QUERY = 2_000
MAX_PER_READER = 100
FEED_ENTRIES = 50


@dataclass(frozen=True)
class SavedSearch:
    id: int
    user_id: int
    name: str
    query: str
    filters: SearchFilters
    created_at: datetime
    last_seen_at: datetime
    digest: Digest
    last_digest_at: datetime | None
    feed_token: str

    @property
    def feed_path(self) -> str:
        return f"/feeds/searches/{self.feed_token}.atom"

    @property
    def search_path(self) -> str:
        """The /search page URL that shows this search's results."""
        return "/search?" + urlencode(search_params(self.query, self.filters), doseq=True)

    def to_json(self, base_url: str = "") -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "query": self.query,
                "filters": search_service.filters_to_json(self.filters),
                "created_at": self.created_at.isoformat(),
                "last_seen_at": self.last_seen_at.isoformat(), "digest": self.digest,
                "last_digest_at": self.last_digest_at.isoformat() if self.last_digest_at
                else None,
                "feed_url": base_url.rstrip("/") + self.feed_path}


def search_params(query: str, filters: SearchFilters) -> dict[str, Any]:
    """``q`` and the filters as /search and /api/search take them."""
    params: dict[str, Any] = {"q": query}
    for key, value in search_service.filters_to_json(filters).items():
        params[key] = "1" if value is True else value
    return params


def _model(row: SavedSearchRow) -> SavedSearch:
    digest: Digest = row.digest if row.digest in DIGESTS else "none"
    try:
        filters = search_service.filters_from_json(json.loads(row.filters or "{}"))
    except (ValueError, InvalidInput):
        filters = SearchFilters()  # a row written by a future version: search unfiltered
    return SavedSearch(id=row.id, user_id=row.user_id, name=row.name, query=row.query,
                       filters=filters, created_at=row.created_at,
                       last_seen_at=row.last_seen_at, digest=digest,
                       last_digest_at=row.last_digest_at, feed_token=row.feed_token)


def check_query(query: str | None) -> str:
    """The query, trimmed, once it parses.

    :raise InvalidInput: empty or too long. :raise QuerySyntaxError: it does not parse.
    """
    cleaned = plain_text(query, "a query").strip()
    if not cleaned:
        raise InvalidInput("a saved search needs a query, e.g. ketamine depression")
    if len(cleaned) > MAX_QUERY:
        raise InvalidInput(f"a saved query has at most {MAX_QUERY} characters")
    parse_query(cleaned)
    return cleaned


def clean_name(name: str | None, fallback: str) -> str:
    """:raise InvalidInput: too long or containing control characters."""
    cleaned = " ".join(plain_text(name or "", "a saved search name").split())
    if not cleaned:
        cleaned = " ".join(fallback.split())
        cleaned = cleaned if len(cleaned) <= MAX_NAME else cleaned[:MAX_NAME - 1] + "…"
    if len(cleaned) > MAX_NAME:
        raise InvalidInput(f"a saved search name has at most {MAX_NAME} characters")
    return cleaned


def check_digest(digest: str | None) -> Digest:
    value = (digest or "none").strip().lower()
    if value not in DIGESTS:
        raise InvalidInput(f"digest {digest!r} is not one of none, daily, weekly")
    return value


# --- saving, listing, changing -------------------------------------------------------------------

def save_search(store: Store, user_id: int, *, query: str, filters: SearchFilters | None = None,
                name: str | None = None, digest: str | None = "none") -> SavedSearch:
    """Save a query with its filters; ``name`` defaults to the query. New matches are counted
    from now on.

    :raise QuerySyntaxError: the query does not parse. :raise InvalidInput: bad name or
        digest, or the reader already has the maximum number of searches.
    :raise Conflict: the reader has a search with that name.
    """
    query = check_query(query)
    filters = filters or SearchFilters()
    if filters.added_after or filters.added_until:
        filters = replace(filters, added_after=None, added_until=None)
    chosen = clean_name(name, query)
    when = check_digest(digest)
    blob = json.dumps(search_service.filters_to_json(filters), sort_keys=True)
    try:
        with store.transaction() as conn:
            mine = store_saved.list_searches(conn, user_id)
            if len(mine) >= MAX_PER_READER:
                raise InvalidInput(f"you have {MAX_PER_READER} saved searches, the most "
                                   "there can be; delete one first")
            if any(s.name == chosen for s in mine):
                raise Conflict(f"you already have a saved search called {chosen!r}")
            row = store_saved.insert_search(
                conn, user_id=user_id, name=chosen, query=query, filters=blob, digest=when,
                feed_token=secrets.token_urlsafe(32), now=utc_now())
    except IntegrityError as exc:  # a double click raced us to the same name
        raise Conflict(f"you already have a saved search called {chosen!r}") from exc
    return _model(row)


def list_searches(store: Store, user_id: int) -> list[SavedSearch]:
    """The reader's saved searches, oldest first."""
    with store.read() as conn:
        return [_model(r) for r in store_saved.list_searches(conn, user_id)]


def get_search(store: Store, user_id: int, search_id: int) -> SavedSearch:
    """:raise NotFound: the reader has no such saved search."""
    with store.read() as conn:
        row = store_saved.find_search(conn, user_id=user_id, search_id=search_id)
    if row is None:
        raise NotFound(f"you have no saved search {search_id}")
    return _model(row)


def update_search(store: Store, user_id: int, search_id: int, *, name: str | None = None,
                  digest: str | None = None) -> SavedSearch:
    """Rename and/or change the digest; ``None`` leaves a value as it is.

    :raise NotFound: no such search. :raise Conflict: the new name is taken.
    """
    current = get_search(store, user_id, search_id)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = clean_name(name, current.query)
    if digest is not None:
        values["digest"] = check_digest(digest)
    if not values:
        return current
    try:
        with store.transaction() as conn:
            clash = (store_saved.find_search_by_name(conn, user_id=user_id, name=values["name"])
                     if "name" in values else None)
            if clash is not None and clash.id != search_id:
                raise Conflict(f"you already have a saved search called {values['name']!r}")
            if not store_saved.update_search(conn, user_id=user_id, search_id=search_id,
                                             **values):
                raise NotFound(f"you have no saved search {search_id}")
    except IntegrityError as exc:
        raise Conflict(f"you already have a saved search called {values.get('name')!r}"
                       ) from exc
    return get_search(store, user_id, search_id)


def delete_search(store: Store, user_id: int, search_id: int) -> None:
    """:raise NotFound: no such search (its feed stops working at once)."""
    with store.transaction() as conn:
        if not store_saved.delete_search(conn, user_id=user_id, search_id=search_id):
            raise NotFound(f"you have no saved search {search_id}")


def mark_seen(store: Store, user_id: int, search_id: int,
              at: datetime | None = None) -> SavedSearch:
    """The reader has seen the new matches up to ``at`` (now): the count starts again.

    :raise NotFound: no such search.
    """
    with store.transaction() as conn:
        if not store_saved.update_search(conn, user_id=user_id, search_id=search_id,
                                         last_seen_at=at or utc_now()):
            raise NotFound(f"you have no saved search {search_id}")
    return get_search(store, user_id, search_id)


# --- matches -------------------------------------------------------------------------------------

def request_for(saved: SavedSearch, *, sort: Literal["relevance", "date", "added"] = "date",
                page: int = 1, size: int = 20, after: datetime | None = None,
                until: datetime | None = None) -> SearchRequest:
    """The search request of a saved search, narrowed to arrivals in ``(after, until]``."""
    filters = replace(saved.filters, added_after=after, added_until=until)
    return SearchRequest(query=saved.query, sort=sort, page=page, size=size, filters=filters)


@dataclass(frozen=True)
class NewMatches:
    since: datetime
    total: int
    data: dict[str, Any]  # the search JSON of the new matches (newest publication first)
    found: list[FoundPaper]

    def to_json(self, saved: SavedSearch, base_url: str = "") -> dict[str, Any]:
        return {**self.data, "search": saved.to_json(base_url), "since": self.since.isoformat(),
                "new": self.total}


def new_matches(store: Store, index: SearchIndex, saved: SavedSearch, *, page: int = 1,
                size: int = 20) -> NewMatches:
    """Matches that arrived after the reader last looked, newest publication first.

    :raise InvalidInput: a page beyond the results window.
    """
    request = request_for(saved, page=page, size=size, after=saved.last_seen_at)
    data, found = search_service.search_papers(store, index, request)
    return NewMatches(since=saved.last_seen_at, total=int(data["total"]), data=data,
                      found=found)


def new_counts(store: Store, index: SearchIndex, searches: list[SavedSearch]
               ) -> dict[int, int]:
    """How many new matches each search has (one index count each)."""
    out: dict[int, int] = {}
    if searches:
        search_service.ensure_current(store, index)
    for saved in searches:
        filters = replace(saved.filters, added_after=saved.last_seen_at)
        out[saved.id] = search_service.count_matches(store, index, saved.query, filters,
                                                     catch_up=False)
    return out


def find_by_feed_token(store: Store, token: str) -> SavedSearch:
    """:raise NotFound: no search has this token (deleted, or never issued)."""
    cleaned = (token or "").strip()
    row = None
    if 20 <= len(cleaned) <= 64 and cleaned.isascii():
        with store.read() as conn:
            row = store_saved.find_by_feed_token(conn, cleaned)
    if row is None:
        raise NotFound("no such feed (the saved search was deleted, or the link is wrong)")
    return _model(row)


def feed_entries(store: Store, index: SearchIndex, saved: SavedSearch,
                 limit: int = FEED_ENTRIES) -> list[FoundPaper]:
    """The newest matches by arrival in the store, what a feed reader polls for."""
    _, found = search_service.search_papers(
        store, index, request_for(saved, sort="added", size=limit))
    return found


# --- digests -------------------------------------------------------------------------------------

def digest_searches(store: Store, digests: tuple[str, ...]) -> list[tuple[str, SavedSearch]]:
    """(owner's email, search) for every search with one of these digest settings, grouped
    by owner."""
    with store.read() as conn:
        return [(r.email, _model(r.search))
                for r in store_saved.list_digest_searches(conn, digests)]


def mark_digested(store: Store, search_ids: list[int], until: datetime) -> None:
    """Digests covered these searches' arrivals up to ``until``; the next starts after it."""
    with store.transaction() as conn:
        store_saved.mark_digested(conn, search_ids, until)
