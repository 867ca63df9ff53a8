"""The private Atom feed of a saved search: no login, the unguessable token is the credential.

An unknown or revoked token is a plain 404, the same whether or not it ever existed.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from litfeed.errors import NotFound
from litfeed.service import alerts
from litfeed.web.atom import search_feed
from litfeed.web.deps import SearchIndexDep, StoreDep

router = APIRouter(include_in_schema=False)


@router.get("/feeds/searches/{name}")
def search_feed_route(name: str, request: Request, store: StoreDep,
                      index: SearchIndexDep) -> Response:
    token, dot, ext = name.rpartition(".")
    if not dot or ext != "atom":
        raise NotFound(f"nothing at {request.url.path}")
    saved = alerts.find_by_feed_token(store, token)
    entries = alerts.feed_entries(store, index, saved)
    return Response(search_feed(saved, entries, str(request.base_url)),
                    media_type="application/atom+xml; charset=utf-8")
