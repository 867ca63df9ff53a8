"""Pages: log in, register, log out, settings (password, API tokens)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from litfeed.errors import InvalidInput, LitfeedError, RateLimited
from litfeed.service import accounts
from litfeed.service.accounts import SignedIn
from litfeed.web.deps import CheckedForm, CurrentUser, OptionalUser, RowId, SettingsDep, StoreDep
from litfeed.web.render import render
from litfeed.web.routes.api_auth import client_ip
from litfeed.web.routes.forms import field, safe_next
from litfeed.web.security import SESSION_COOKIE, clear_session_cookie, set_session_cookie

router = APIRouter(include_in_schema=False)


def _signed_in_redirect(request: Request, settings: SettingsDep, session: accounts.NewSession,
                        target: str) -> Response:
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, settings, request, session.cookie,
                       max_age=settings.session_days * 86400)
    return response


def _form_error(request: Request, template: str, exc: LitfeedError, auth: SignedIn | None,
                **context: object) -> Response:
    response = render(request, template, {"error": exc.message, **context}, auth=auth,
                      status=exc.status)
    if isinstance(exc, RateLimited):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@router.get("/login")
def login_page(request: Request, auth: OptionalUser, next: str = Query("/")) -> Response:
    if auth is not None:
        return RedirectResponse(safe_next(next, "/"), status_code=303)
    return render(request, "pages/login.html", {"next": safe_next(next, "/")}, auth=None)


@router.post("/login")
def login(request: Request, auth: OptionalUser, form: CheckedForm, store: StoreDep,
          settings: SettingsDep) -> Response:
    target = safe_next(field(form, "next"), "/")
    email = field(form, "email")
    try:
        _user, session = accounts.login(store, settings, email=email,
                                        password=field(form, "password"), ip=client_ip(request),
                                        replacing=request.cookies.get(SESSION_COOKIE))
    except LitfeedError as exc:
        return _form_error(request, "pages/login.html", exc, None, next=target, email=email)
    return _signed_in_redirect(request, settings, session, target)


@router.get("/register")
def register_page(request: Request, auth: OptionalUser, next: str = Query("/")) -> Response:
    if auth is not None:
        return RedirectResponse("/", status_code=303)
    return render(request, "pages/register.html", {"next": safe_next(next, "/")}, auth=None)


@router.post("/register")
def register(request: Request, auth: OptionalUser, form: CheckedForm, store: StoreDep,
             settings: SettingsDep) -> Response:
    target = safe_next(field(form, "next"), "/")
    email, name = field(form, "email"), field(form, "name")
    try:
        if field(form, "password") != field(form, "password2"):
            raise InvalidInput("the two passwords differ; type the same password twice")
        user = accounts.register(store, settings, email=email,
                                 password=field(form, "password"), name=name or None,
                                 ip=client_ip(request))
    except LitfeedError as exc:
        return _form_error(request, "pages/register.html", exc, None, next=target,
                           email=email, name=name)
    session = accounts.start_session(store, settings, user.id,
                                     replacing=request.cookies.get(SESSION_COOKIE))
    return _signed_in_redirect(request, settings, session, target)


@router.get("/logout")
def logout_page(request: Request, auth: OptionalUser) -> Response:
    if auth is None:
        return RedirectResponse("/", status_code=303)
    return render(request, "pages/logout.html", {}, auth=auth)


@router.post("/logout")
def logout(request: Request, auth: OptionalUser, form: CheckedForm, store: StoreDep,
           settings: SettingsDep) -> Response:
    """Log out; ``everywhere`` (the settings page's button) ends every session and API token
    of the account."""
    if auth is not None and field(form, "everywhere"):
        accounts.logout_everywhere(store, auth.user.id)
    elif auth is not None and auth.via == "token":
        accounts.logout_token(store, request.headers["authorization"].partition(" ")[2].strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            accounts.logout(store, cookie)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(response, settings, request)
    return response


@router.get("/settings")
def settings_page(request: Request, auth: CurrentUser, store: StoreDep) -> Response:
    return render(request, "pages/settings.html",
                  {"tokens": accounts.list_tokens(store, auth.user.id)}, auth=auth)


@router.post("/settings/password")
def change_password(request: Request, auth: CurrentUser, form: CheckedForm, store: StoreDep,
                    settings: SettingsDep) -> Response:
    try:
        if field(form, "new") != field(form, "new2"):
            raise InvalidInput("the two new passwords differ")
        session = accounts.change_password(store, settings, auth.user.id,
                                           current=field(form, "current"), new=field(form, "new"))
    except LitfeedError as exc:
        return _form_error(request, "pages/settings.html", exc, auth,
                           tokens=accounts.list_tokens(store, auth.user.id))
    return _signed_in_redirect(request, settings, session, "/settings?changed=1")


@router.post("/settings/tokens")
def create_token(request: Request, auth: CurrentUser, form: CheckedForm,
                 store: StoreDep) -> Response:
    """The new token is shown on this response only (it is not stored in clear)."""
    _id, token = accounts.create_token(store, auth.user.id, field(form, "name") or None)
    return render(request, "pages/settings.html",
                  {"tokens": accounts.list_tokens(store, auth.user.id), "new_token": token},
                  auth=auth)


@router.post("/settings/tokens/{token_id}/delete")
def revoke_token(token_id: RowId, request: Request, auth: CurrentUser, form: CheckedForm,
                 store: StoreDep) -> Response:
    accounts.revoke_token(store, auth.user.id, token_id)
    return RedirectResponse("/settings", status_code=303)
