"""Pages: /privacy (what litfeed stores and why, in plain words) and the privacy section of
/settings: personalization on/off, clear my history, download my data, delete my account.

Every action is a form POST with the session's CSRF token that answers a redirect, so it all
works without JavaScript. The settings section reads its state through the ``privacy_panel``
template global (installed by :func:`install`), so /settings needs no extra context from here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from litfeed.errors import LitfeedError, RateLimited
from litfeed.models import User
from litfeed.service import feed, me, privacy
from litfeed.store import Store
from litfeed.web.deps import CheckedForm, CurrentUser, OptionalUser, SettingsDep, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.api_auth import client_ip
from litfeed.web.routes.forms import done, field
from litfeed.web.security import CSRF_COOKIE, SESSION_COOKIE, clear_session_cookie

router = APIRouter(include_in_schema=False)
SECTION = "/settings?{}#privacy"


def privacy_panel(store: Store, user: User | None) -> dict[str, Any] | None:
    """What the settings page's privacy section shows: the switch and the history's size."""
    if user is None:
        return None
    prefs = feed.get_settings(store, user.id)
    return {"personalization": prefs["personalization"],
            "views": privacy.history_size(store, user.id)}


def _checked(form: Any, name: str) -> bool:
    return field(form, name) in ("on", "true", "1", "yes")


@router.get("/privacy")
def privacy_page(request: Request, auth: OptionalUser, settings: SettingsDep) -> Response:
    return render(request, "pages/privacy.html",
                  {"deleted": request.query_params.get("deleted") == "1",
                   "session_days": settings.session_days,
                   "login_window_min": max(1, settings.login_window_s // 60),
                   "cookies": (SESSION_COOKIE, CSRF_COOKIE),
                   "unpaywall": bool(settings.unpaywall_email),
                   "smtp": bool(settings.smtp_host)}, auth=auth)


@router.post("/settings/privacy/personalization")
def set_personalization(request: Request, auth: CurrentUser, form: CheckedForm,
                        store: StoreDep) -> Response:
    """``personalization=on|off``; off also deletes the reading history kept so far."""
    on = field(form, "personalization") == "on"
    views = 0 if on else privacy.history_size(store, auth.user.id)
    me.update_my_settings(store, auth.user, {"personalization": on})
    query = {"privacy": "on" if on else "off", **({} if on else {"views": views})}
    return done(request, form, SECTION.format(urlencode(query)),
                {"personalization": on, "views_deleted": views})


@router.post("/settings/privacy/history")
def clear_history(request: Request, auth: CurrentUser, form: CheckedForm,
                  store: StoreDep) -> Response:
    """Clear the reading history; ``reactions=on`` and ``saves=on`` clear those too."""
    cleared = privacy.clear_history(store, auth.user.id, reactions=_checked(form, "reactions"),
                                    saves=_checked(form, "saves"))
    query = urlencode({"privacy": "cleared", **cleared.to_json()})
    return done(request, form, SECTION.format(query), cleared.to_json())


@router.post("/settings/privacy/delete")
async def delete_account(request: Request, auth: CurrentUser, form: CheckedForm,
                         store: StoreDep, settings: SettingsDep) -> Response:
    """Needs the password and the email typed out; a mistake shows the form again with why
    (400 / 403 / 429), and success signs out and lands on /privacy?deleted=1."""
    try:
        await run_in_threadpool(privacy.delete_account, store, settings, auth.user,
                                password=field(form, "password"), confirm=field(form, "confirm"),
                                ip=client_ip(request))
    except LitfeedError as exc:
        response: Response = render(request, "pages/delete_account.html",
                          {"error": exc.message, "confirm": field(form, "confirm")}, auth=auth,
                          status=exc.status)
        if isinstance(exc, RateLimited):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    response = RedirectResponse("/privacy?deleted=1", status_code=303)
    clear_session_cookie(response, settings, request)
    return response


@router.get("/settings/delete-account")
def delete_account_page(request: Request, auth: CurrentUser) -> Response:
    """The delete form on a page of its own (linked from /settings; also where errors land)."""
    return render(request, "pages/delete_account.html", {}, auth=auth)


def install(app: FastAPI) -> None:
    """Add the privacy pages and the settings section's data (called once by ``create_app``)."""
    store: Store = app.state.store
    app.include_router(router)
    app.state.templates.env.globals["privacy_panel"] = lambda user: privacy_panel(store, user)
