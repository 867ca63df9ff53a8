"""JSON API: the caller's personal feed and feed settings; the private Atom feed."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from litfeed.service import feed as feed_service
from litfeed.service import feed_delivery
from litfeed.web.deps import CurrentUser, SettingsDep, StoreDep

router = APIRouter(tags=["feed"])


@router.get("/api/feed")
def feed(auth: CurrentUser, store: StoreDep, settings: SettingsDep, limit: int = 20,
         since: str | None = None) -> dict[str, Any]:
    """`{"user", "results": [{"pmid", "title", "score", "because"}]}`: papers ranked for the
    caller (`limit` 1–100; `since` YYYY-MM-DD or `all`, default the last two years). Never a
    paper the caller reacted to or saved, never a retracted one."""
    return feed_service.feed_for(store, settings, auth.user, limit=limit, since=since)


@router.get("/api/feed/specialties")
def specialties() -> dict[str, Any]:
    """The curated specialties a reader can pick, with their MeSH descriptors and journals."""
    return {"specialties": feed_service.list_specialties()}


@router.get("/api/feed/atom")
def atom_url(auth: CurrentUser, store: StoreDep, settings: SettingsDep) -> dict[str, str]:
    """The caller's private Atom feed URL (anyone with it can read the feed)."""
    return {"url": feed_delivery.feed_url(store, settings, auth.user.id)}


@router.post("/api/feed/atom/regenerate")
def regenerate_atom_url(auth: CurrentUser, store: StoreDep,
                        settings: SettingsDep) -> dict[str, str]:
    """A new private Atom feed URL for the caller, `{"url"}`; the old URL answers 404 from
    now on (for a URL that was shared by mistake)."""
    return {"url": feed_delivery.regenerate_feed_url(store, settings, auth.user.id)}


@router.get("/feeds/users/{token}.atom", include_in_schema=False)
def atom(token: str, store: StoreDep, settings: SettingsDep) -> Response:
    return Response(feed_delivery.atom_feed(store, settings, token),
                    media_type="application/atom+xml")
