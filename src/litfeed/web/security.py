"""Browser-facing security: response headers, cross-site request refusal, CSRF tokens, cookies.

Three layers stop cross-site writes: the session cookie is SameSite=Lax; every unsafe request
whose ``Sec-Fetch-Site``/``Origin`` says it came from another site is refused before routing;
and every HTML form carries a CSRF token bound to the session (or, before login, to a random
pre-session cookie). The Content-Security-Policy allows our own origin only, so no page makes
a third-party request, and an injected script would not run even if sanitising failed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from litfeed.config import Settings

SESSION_COOKIE = "litfeed_session"
CSRF_COOKIE = "litfeed_csrf"  # pre-session CSRF secret for the login and register forms
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
])
# Swagger UI styles its widgets inline; /docs is the one page that may do that.
CSP_DOCS = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

BASE_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_https(scope: Scope) -> bool:
    return scope.get("scheme") == "https"


def _cross_site(scope: Scope) -> bool:
    """True when an unsafe request says it comes from another site (browsers always say)."""
    headers = {k: v for k, v in scope.get("headers", ()) if k in (b"sec-fetch-site", b"origin",
                                                                    b"host")}
    fetch_site = headers.get(b"sec-fetch-site")
    if fetch_site is not None:
        return fetch_site not in (b"same-origin", b"none")
    origin = headers.get(b"origin")
    if origin is None:
        return False  # not a browser (curl, scripts with a token): nothing to forge
    host = headers.get(b"host", b"").decode("latin-1").lower()
    return urlsplit(origin.decode("latin-1")).netloc.lower() != host


def cache_policy(path: str, scope: Scope) -> bytes:
    """Static files keep long (a versioned URL, ``?v=digest``, forever); pages and API answers
    are personal, so no shared cache and no back-forward cache keeps them after logout."""
    if path.startswith(("/static/", "/docs-assets/")):
        if b"v=" in scope.get("query_string", b""):
            return b"public, max-age=31536000, immutable"
        return b"public, max-age=3600"
    return b"no-store"


class SecurityHeadersMiddleware:
    """Pure ASGI (no per-request task overhead): refuse cross-site writes, add headers.

    ``Strict-Transport-Security`` goes only on answers served over https (the request's scheme,
    which a trusted proxy's ``X-Forwarded-Proto`` sets, see create_app): sent over plain http it
    would be ignored by browsers anyway, and a server reached by http must stay reachable.
    """

    def __init__(self, app: ASGIApp, hsts_max_age: int = 31536000) -> None:
        self.app = app
        self.hsts = f"max-age={hsts_max_age}".encode() if hsts_max_age > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if scope.get("method", "GET") not in SAFE_METHODS and _cross_site(scope):
            await self._refuse(scope, receive, send, path)
            return
        csp = (CSP_DOCS if path == "/docs" else CSP).encode()
        hsts = self.hsts if is_https(scope) else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in BASE_HEADERS if h[0] not in present]
                headers.append((b"content-security-policy", csp))
                if hsts is not None:
                    headers.append((b"strict-transport-security", hsts))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", cache_policy(path, scope)))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        message = "cross-site request refused: this action must come from a litfeed page"
        if path.startswith("/api"):
            response: Response = Response(
                json.dumps({"error": "forbidden", "message": message}), status_code=403,
                media_type="application/json")
        else:
            response = Response(message, status_code=403, media_type="text/plain")
        response.headers["content-security-policy"] = CSP
        response.headers["x-content-type-options"] = "nosniff"
        await response(scope, receive, send)


# --- cookies -------------------------------------------------------------------------------------

def cookie_secure(settings: Settings, request: Request) -> bool:
    if settings.cookie_secure == "auto":
        return request.url.scheme == "https"
    return settings.cookie_secure == "true"


def set_session_cookie(response: Response, settings: Settings, request: Request, value: str,
                       max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=cookie_secure(settings, request), path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


def clear_session_cookie(response: Response, settings: Settings, request: Request) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax",
                           secure=cookie_secure(settings, request))


# --- CSRF ----------------------------------------------------------------------------------------

def _anon_token(settings: Settings, secret: str) -> str:
    return hmac.new(settings.secret_key.encode(), b"csrf:" + secret.encode(),
                    hashlib.sha256).hexdigest()


def csrf_token_for(request: Request, settings: Settings, session_csrf: str | None) -> str:
    """The token to put in this page's forms; makes a pre-session secret when needed (the
    response then sets it, see :func:`attach_csrf_cookie`)."""
    if session_csrf:
        return session_csrf
    secret = getattr(request.state, "csrf_secret", None) or request.cookies.get(CSRF_COOKIE)
    if not secret or len(secret) > 100:
        secret = secrets.token_urlsafe(24)
        request.state.new_csrf_secret = secret
    request.state.csrf_secret = secret
    return _anon_token(settings, secret)


def attach_csrf_cookie(request: Request, response: Response, settings: Settings) -> None:
    secret = getattr(request.state, "new_csrf_secret", None)
    if secret:
        response.set_cookie(CSRF_COOKIE, secret, httponly=True, samesite="lax",
                            secure=cookie_secure(settings, request), path="/")


def csrf_valid(request: Request, settings: Settings, session_csrf: str | None,
               submitted: str | None) -> bool:
    if not submitted:
        return False
    if session_csrf:
        return hmac.compare_digest(submitted, session_csrf)
    secret = request.cookies.get(CSRF_COOKIE)
    return bool(secret) and hmac.compare_digest(submitted, _anon_token(settings, secret or ""))
