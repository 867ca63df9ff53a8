"""Form routes for the reader's feed controls: "Not interested in <topic>" (mute, with undo),
follow / unfollow a journal, author or MeSH topic, and the "Feed preferences" section of
/settings (specialties, digest, the private Atom URL).

Each is a plain form POST with a CSRF token that answers a redirect (303) without JavaScript
and JSON to the page script (``Accept: application/json``), like every form of the app.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from litfeed.errors import InvalidInput
from litfeed.service import feed, feed_delivery, feed_prefs
from litfeed.web import feed_view
from litfeed.web.deps import CheckedForm, CurrentUser, SettingsDep, StoreDep
from litfeed.web.errors import wants_json
from litfeed.web.routes.forms import done, field, safe_next

router = APIRouter(include_in_schema=False)
SETTINGS_SECTION = "/settings#feed"


def with_param(path: str, name: str, value: str) -> str:
    """``path`` with ``name=value`` set in its query (kept before any ``#fragment``)."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, value))
    return urlunsplit(("", "", parts.path, urlencode(query), parts.fragment))


def _op(value: str, on: str, off: str) -> bool:
    if value not in (on, off):
        raise InvalidInput(f"op must be {on} or {off}")
    return value == on


@router.post("/feed/mute")
def mute(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep) -> Response:
    """``topic``, ``op=mute|unmute``: the feed stops (or starts again) showing papers whose
    MeSH terms or title have the topic. Without JavaScript a mute from the feed returns to it
    with ``?muted=<topic>``, where a banner offers to undo it; elsewhere (the paper page,
    /settings) the button itself toggles back."""
    muted = _op(field(form, "op") or "mute", "mute", "unmute")
    change = feed_prefs.set_muted(store, auth.user.id, field(form, "topic"), muted)
    if wants_json(request):
        return JSONResponse(change.to_json())
    target = safe_next(form.get("next"), "/")
    if muted and urlsplit(target).path == "/":  # the feed: its banner offers Undo
        target = with_param(target, "muted", change.topic)
    return RedirectResponse(target, status_code=303)


@router.post("/feed/follow")
def follow(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep) -> Response:
    """``kind=journals|authors|mesh``, ``name``, ``op=follow|unfollow``: followed names lead
    the feed (and count as topics its "because" names)."""
    following = _op(field(form, "op") or "follow", "follow", "unfollow")
    change = feed_prefs.set_followed(store, auth.user.id, field(form, "kind"),
                                     field(form, "name"), following)
    return done(request, form, SETTINGS_SECTION, change.to_json())


@router.post("/settings/feed")
def save_preferences(request: Request, auth: CurrentUser, form: CheckedForm,
                     store: StoreDep) -> Response:
    """The settings page's specialties (``specialty=KEY`` for each ticked one; none ticked
    clears them) and ``digest=off|daily|weekly``."""
    chosen = [v for v in form.getlist("specialty") if isinstance(v, str)]
    patch: dict[str, object] = {"specialties": chosen}
    if "digest" in form:
        patch["digest"] = field(form, "digest")
    saved = feed.update_settings(store, auth.user.id, patch)
    return done(request, form, "/settings?feed=saved#feed",
                {"specialties": saved["specialties"], "digest": saved["digest"]})


@router.post("/settings/feed/atom")
def regenerate_atom(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep,
                    settings: SettingsDep) -> Response:
    """A new private Atom feed URL; the old one stops working."""
    url = feed_delivery.regenerate_feed_url(store, settings, auth.user.id)
    if wants_json(request):
        return JSONResponse({"url": url})
    return RedirectResponse("/settings?atom=new#feed-atom", status_code=303)


def install(app: FastAPI) -> None:
    """The routes, and the template helpers the feed controls use."""
    app.include_router(router)
    feed_view.install(app)
