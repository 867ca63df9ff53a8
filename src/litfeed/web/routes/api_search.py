"""JSON API: search, and the caller's saved searches with their new matches."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from litfeed.errors import Unauthorized
from litfeed.search.index import SearchFilters
from litfeed.service import alerts
from litfeed.service import search as search_service
from litfeed.service.accounts import SignedIn
from litfeed.web.deps import (
    CurrentUser,
    OptionalUser,
    RowId,
    SearchIndexDep,
    SettingsDep,
    StoreDep,
)

router = APIRouter(prefix="/api", tags=["search"])
MAX_PAGE = 500  # page * size stays inside the index's 10,000-result window anyway


async def _filters(
    year_from: Annotated[int | None, Query(ge=0, le=9999)] = None,
    year_to: Annotated[int | None, Query(ge=0, le=9999)] = None,
    type: Annotated[list[str], Query(
        max_length=50,
        description="publication type, repeatable: type=Review&type=Meta-Analysis")] = [],  # noqa: B006
    has_abstract: bool = False, free_full_text: bool = False, hide_retracted: bool = False,
) -> SearchFilters:
    # async: nothing here blocks, so FastAPI need not hop to the thread pool for it
    return search_service.make_filters(
        year_from=year_from, year_to=year_to, types=[t[:200] for t in type],
        has_abstract=has_abstract, free_full_text=free_full_text, hide_retracted=hide_retracted)


FiltersDep = Annotated[SearchFilters, Depends(_filters)]


def _readable(settings: Any, auth: SignedIn | None) -> None:
    if not settings.public and auth is None:
        raise Unauthorized("this server is not public; sign in first")


@router.get("/search")
async def search(store: StoreDep, settings: SettingsDep, auth: OptionalUser, index: SearchIndexDep,
           filters: FiltersDep,
           q: str = Query(..., max_length=10_000, description="PubMed-style query"),
           sort: Literal["relevance", "date"] = "relevance",
           page: int = Query(1, ge=1, le=MAX_PAGE),
           size: int = Query(20, ge=1, le=search_service.MAX_PAGE_SIZE)) -> Response:
    """As `litfeed search`: `{"query", "canonical_query", "total", "page", "size", "pages",
    "sort", "results": [{"pmid", "title", "journal", "year", "published", "score", "snippet",
    "retracted", "free_full_text"}]}`. `snippet` is safe HTML (escaped text, matches in
    `<b>`). A query that does not parse is a 400 `query_syntax` whose message names the
    position and what was expected there."""
    _readable(settings, auth)
    request = search_service.SearchRequest(query=q, sort=sort, page=page, size=size,
                                           filters=filters)
    if search_service.index_is_current(store, index):
        # the usual case: a few milliseconds of work, done on the event loop, because handing
        # it to the thread pool and back costs as much again on a busy machine (bench/search.py)
        data = search_service.search(store, index, request, catch_up=False)
    else:  # catching up may index many papers: never on the event loop
        data = await run_in_threadpool(search_service.search, store, index, request)
    # plain data, serialised straight away: FastAPI's generic encoder would walk it again
    return Response(orjson.dumps(data), media_type="application/json")


# --- saved searches ------------------------------------------------------------------------------

class FiltersBody(BaseModel):
    year_from: int | None = Field(default=None, ge=0, le=9999)
    year_to: int | None = Field(default=None, ge=0, le=9999)
    type: list[str] = Field(default_factory=list, max_length=50)
    has_abstract: bool = False
    free_full_text: bool = False
    hide_retracted: bool = False


class SavedSearchBody(BaseModel):
    query: str = Field(max_length=alerts.MAX_QUERY)
    name: str | None = Field(default=None, max_length=alerts.MAX_NAME)
    filters: FiltersBody | None = None
    digest: Literal["none", "daily", "weekly"] = "none"


class SavedSearchPatch(BaseModel):
    name: str | None = Field(default=None, max_length=alerts.MAX_NAME)
    digest: Literal["none", "daily", "weekly"] | None = None


def _base(request: Request) -> str:
    return str(request.base_url)


@router.get("/searches", tags=["saved searches"])
def list_searches(request: Request, auth: CurrentUser, store: StoreDep,
                  index: SearchIndexDep) -> dict[str, Any]:
    """The caller's saved searches, each with `new`: matches that arrived since
    `last_seen_at` (counted now)."""
    mine = alerts.list_searches(store, auth.user.id)
    counts = alerts.new_counts(store, index, mine)
    return {"searches": [{**s.to_json(_base(request)), "new": counts[s.id]} for s in mine]}


@router.post("/searches", status_code=201, tags=["saved searches"])
def save_search(body: SavedSearchBody, request: Request, auth: CurrentUser,
                store: StoreDep) -> dict[str, Any]:
    """Save a query with filters; `name` defaults to the query, `digest` to none. 400 for a
    query that does not parse, 409 for a name the caller already uses."""
    f = body.filters or FiltersBody()
    filters = search_service.make_filters(
        year_from=f.year_from, year_to=f.year_to, types=f.type, has_abstract=f.has_abstract,
        free_full_text=f.free_full_text, hide_retracted=f.hide_retracted)
    saved = alerts.save_search(store, auth.user.id, query=body.query, filters=filters,
                               name=body.name, digest=body.digest)
    return {**saved.to_json(_base(request)), "new": 0}


@router.get("/searches/{search_id}", tags=["saved searches"])
def get_search(search_id: RowId, request: Request, auth: CurrentUser, store: StoreDep,
               index: SearchIndexDep) -> dict[str, Any]:
    saved = alerts.get_search(store, auth.user.id, search_id)
    return {**saved.to_json(_base(request)),
            "new": alerts.new_counts(store, index, [saved])[saved.id]}


@router.patch("/searches/{search_id}", tags=["saved searches"])
def update_search(search_id: RowId, body: SavedSearchPatch, request: Request,
                  auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    """Rename or change the digest (`none`, `daily`, `weekly`)."""
    saved = alerts.update_search(store, auth.user.id, search_id, name=body.name,
                                 digest=body.digest)
    return saved.to_json(_base(request))


@router.delete("/searches/{search_id}", status_code=204, tags=["saved searches"])
def delete_search(search_id: RowId, auth: CurrentUser, store: StoreDep) -> Response:
    """Delete it; its feed URL stops working."""
    alerts.delete_search(store, auth.user.id, search_id)
    return Response(status_code=204)


@router.get("/searches/{search_id}/new", tags=["saved searches"])
def new_matches(search_id: RowId, request: Request, auth: CurrentUser, store: StoreDep,
                index: SearchIndexDep, page: int = Query(1, ge=1, le=MAX_PAGE),
                size: int = Query(20, ge=1, le=search_service.MAX_PAGE_SIZE)
                ) -> dict[str, Any]:
    """Matches that arrived since `last_seen_at`, newest publication first: the search JSON
    plus `since`, `new` (their number) and `search`. Reading them does not reset the count;
    `POST /api/searches/{id}/seen` does."""
    saved = alerts.get_search(store, auth.user.id, search_id)
    found = alerts.new_matches(store, index, saved, page=page, size=size)
    return found.to_json(saved, _base(request))


@router.post("/searches/{search_id}/seen", tags=["saved searches"])
def mark_seen(search_id: RowId, request: Request, auth: CurrentUser,
              store: StoreDep) -> dict[str, Any]:
    """The caller has seen the new matches: `last_seen_at` becomes now, `new` 0."""
    return {**alerts.mark_seen(store, auth.user.id, search_id).to_json(_base(request)),
            "new": 0}
