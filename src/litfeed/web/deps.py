"""Typed dependencies: the store, the settings, who is asking, and checked form posts.

``OptionalUser`` resolves a Bearer token first (scripts), then the session cookie (browsers);
a Bearer header that does not match a token is a 401, never a silent fall back to the cookie.
The result is kept on ``request.state`` so every dependency of one request shares one lookup,
and the request is counted once against the account's rate limit (:mod:`litfeed.web.ratelimit`).
"""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from litfeed.config import Settings
from litfeed.errors import Forbidden, Unauthorized
from litfeed.search.index import SearchIndex
from litfeed.service import accounts
from litfeed.service import search as search_service
from litfeed.service.accounts import SignedIn
from litfeed.store import Store
from litfeed.web.ratelimit import check_user
from litfeed.web.security import CSRF_FIELD, CSRF_HEADER, SESSION_COOKIE, csrf_valid

_UNSET = object()


# Dependencies that only read app state are ``async``: FastAPI runs a plain ``def`` dependency
# in the thread pool, a hop that costs more than the work here.
async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


StoreDep = Annotated[Store, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
#: a row id in a path (collections, tokens): bounded so it always fits the database's integer
RowId = Annotated[int, Path(ge=1, le=2_147_483_647)]


def resolve_auth(request: Request) -> SignedIn | None:
    """Who made ``request`` (cached on ``request.state.auth``).

    :raise Unauthorized: a malformed or unknown Bearer token.
    :raise RateLimited: the account is over its per-minute request limit.
    """
    cached = getattr(request.state, "auth", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    store: Store = request.app.state.store
    auth: SignedIn | None = None
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("the Authorization header must be 'Bearer TOKEN'")
        auth = accounts.find_token(store, token.strip())
        if auth is None:
            raise Unauthorized("the API token is not valid (revoked, or never issued)")
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            auth = accounts.find_session(store, cookie)
    request.state.auth = auth
    if auth is not None:
        check_user(getattr(request.app.state, "user_buckets", None), auth.user.id)
    return auth


def _has_credentials(request: Request) -> bool:
    return "authorization" in request.headers or SESSION_COOKIE in request.cookies


async def optional_user(request: Request) -> SignedIn | None:
    """Who is asking; the store is asked (in the thread pool) only when there are
    credentials to check, so anonymous reading costs no lookup."""
    cached = getattr(request.state, "auth", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    if not _has_credentials(request):
        request.state.auth = None
        return None
    return await run_in_threadpool(resolve_auth, request)


async def current_user(request: Request) -> SignedIn:
    """:raise Unauthorized: nobody is signed in (pages turn this into a redirect to /login)."""
    auth = await optional_user(request)
    if auth is None:
        raise Unauthorized("sign in first: log in, or send 'Authorization: Bearer TOKEN'")
    return auth


async def admin_user(auth: Annotated[SignedIn, Depends(current_user)]) -> SignedIn:
    if not auth.user.is_admin:
        raise Forbidden("this needs an administrator account")
    return auth


OptionalUser = Annotated[SignedIn | None, Depends(optional_user)]
CurrentUser = Annotated[SignedIn, Depends(current_user)]
AdminUser = Annotated[SignedIn, Depends(admin_user)]


async def checked_form(request: Request,
                       auth: Annotated[SignedIn | None, Depends(optional_user)]) -> FormData:
    """The posted form, after checking its CSRF token.

    :raise Forbidden: the token is missing or does not belong to this session.
    """
    form = await request.form()
    if auth is not None and auth.via == "token":
        return form  # a Bearer token is not ambient authority: nothing for another site to ride
    submitted = form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    session_csrf = auth.csrf_token if auth is not None else None
    settings: Settings = request.app.state.settings
    if not csrf_valid(request, settings, session_csrf,
                      submitted if isinstance(submitted, str) else None):
        await form.close()  # an uploaded file's temporary copy goes now, not at GC
        raise Forbidden("this form has expired or did not come from this site; reload the "
                        "page and try again")
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


_INDEX_LOCK = threading.Lock()


async def get_search_index(request: Request) -> SearchIndex:
    """The process's one search index, opened on first use and kept on ``app.state`` (the
    search service catches it up with the store before each search when it is behind)."""
    index: SearchIndex | None = getattr(request.app.state, "search_index", None)
    if index is None:
        with _INDEX_LOCK:
            index = getattr(request.app.state, "search_index", None)
            if index is None:
                index = search_service.open_index(request.app.state.settings)
                request.app.state.search_index = index
    return index


SearchIndexDep = Annotated[SearchIndex, Depends(get_search_index)]
