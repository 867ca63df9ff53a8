"""JSON API: accounts, sessions, tokens, the admin's user list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from litfeed.errors import Unauthorized
from litfeed.service import accounts
from litfeed.web.deps import AdminUser, CurrentUser, OptionalUser, RowId, SettingsDep, StoreDep
from litfeed.web.security import SESSION_COOKIE, clear_session_cookie, set_session_cookie

router = APIRouter(prefix="/api", tags=["accounts"])


class Credentials(BaseModel):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


class Registration(Credentials):
    name: str | None = Field(default=None, max_length=200)


class NewUser(Registration):
    admin: bool = False


class TokenRequest(BaseModel):
    name: str | None = Field(default=None, max_length=200)


class PasswordChange(BaseModel):
    current: str = Field(max_length=1024)
    new: str = Field(max_length=1024)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/auth/register", status_code=201)
def register(body: Registration, request: Request, store: StoreDep,
             settings: SettingsDep) -> dict[str, Any]:
    """Create an account (403 when `LITFEED_REGISTRATION=closed`). Log in afterwards.

    The password needs 8 characters or more (up to 1024: passphrases welcome) and must not be
    a common password or the email address: otherwise 400 with a message that says which.
    Attempts per client address are limited (`LITFEED_RATE_REGISTER_PER_IP` an hour; 429)."""
    user = accounts.register(store, settings, email=body.email, password=body.password,
                             name=body.name, ip=client_ip(request))
    return {"id": user.id, "email": user.email}


@router.post("/auth/login")
def login(body: Credentials, request: Request, response: Response, store: StoreDep,
          settings: SettingsDep) -> dict[str, Any]:
    """Start a session: sets the HttpOnly session cookie. Repeated failures for one account
    or one address answer 429 with `Retry-After`."""
    user, session = accounts.login(store, settings, email=body.email, password=body.password,
                                   ip=client_ip(request),
                                   replacing=request.cookies.get(SESSION_COOKIE))
    set_session_cookie(response, settings, request, session.cookie,
                       max_age=settings.session_days * 86400)
    return {**user.to_json(), "csrf_token": session.csrf_token}


@router.post("/auth/logout")
def logout(request: Request, response: Response, auth: OptionalUser, store: StoreDep,
           settings: SettingsDep,
           everywhere: bool = Query(False, description="end every session and revoke every "
                                                       "API token of the account")
           ) -> dict[str, Any]:
    """End the credential sent: the session of the cookie, or the API token of the
    `Authorization` header (a no-op without either). With `?everywhere=true`, every session
    and every API token of the account ends (401 when nobody is signed in)."""
    if everywhere:
        if auth is None:
            raise Unauthorized("sign in first: log in, or send 'Authorization: Bearer TOKEN'")
        accounts.logout_everywhere(store, auth.user.id)
    elif auth is not None and auth.via == "token":
        accounts.logout_token(store, request.headers["authorization"].partition(" ")[2].strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            accounts.logout(store, cookie)
    clear_session_cookie(response, settings, request)
    return {"status": "logged_out"}


@router.get("/me")
def me(auth: CurrentUser) -> dict[str, Any]:
    """The signed-in account."""
    return auth.user.to_json()


@router.post("/me/password")
def change_password(body: PasswordChange, request: Request, response: Response,
                    auth: CurrentUser, store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    """Change the password: every session and API token of the account ends; the caller gets
    a fresh session cookie. The new password follows the registration policy (400 otherwise)."""
    session = accounts.change_password(store, settings, auth.user.id, current=body.current,
                                       new=body.new)
    set_session_cookie(response, settings, request, session.cookie,
                       max_age=settings.session_days * 86400)
    return {"status": "changed", "csrf_token": session.csrf_token}


@router.post("/tokens", status_code=201)
def create_token(auth: CurrentUser, store: StoreDep,
                 body: TokenRequest | None = None) -> dict[str, Any]:
    """A Bearer token for scripts. It is shown once; keep it."""
    token_id, token = accounts.create_token(store, auth.user.id, body.name if body else None)
    return {"token": token, "id": token_id}


@router.get("/tokens")
def list_tokens(auth: CurrentUser, store: StoreDep) -> dict[str, Any]:
    return {"tokens": [t.to_json() for t in accounts.list_tokens(store, auth.user.id)]}


@router.delete("/tokens/{token_id}", status_code=204)
def revoke_token(token_id: RowId, auth: CurrentUser, store: StoreDep) -> Response:
    accounts.revoke_token(store, auth.user.id, token_id)
    return Response(status_code=204)


@router.get("/admin/users", tags=["admin"])
def list_users(auth: AdminUser, store: StoreDep) -> dict[str, Any]:
    """Every account (administrators only)."""
    return {"users": [u.to_json() for u in accounts.list_users(store)]}


@router.post("/admin/users", status_code=201, tags=["admin"])
def add_user(body: NewUser, auth: AdminUser, store: StoreDep,
             settings: SettingsDep) -> dict[str, Any]:
    """Create an account even when registration is closed (administrators only)."""
    user = accounts.register(store, settings, email=body.email, password=body.password,
                             name=body.name, is_admin=body.admin, by_admin=True)
    return user.to_json()
