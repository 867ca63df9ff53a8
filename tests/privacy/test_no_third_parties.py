"""No page makes a third-party request and only essential cookies are set: checked on every GET
route the app has (found from the app itself, so a new page is checked the day it lands),
anonymous and signed in as an administrator."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from privacy_support import PASSWORD, fill_everything

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.security import CSRF_COOKIE, SESSION_COOKIE

ESSENTIAL = {SESSION_COOKIE, CSRF_COOKIE}
#: what a source in the policy may be: this origin, nothing, or inline data (images)
LOCAL_SOURCES = {"'self'", "'none'", "data:"}
FETCH_DIRECTIVES = ("default-src", "script-src", "style-src", "img-src", "font-src",
                    "connect-src", "manifest-src", "worker-src", "form-action")
PARAMS = {"pmid": "100", "token": "1-0000", "name": "0000"}
STATIC = ("/static/app.css", "/static/app.js", "/static/sw.js", "/static/offline.html")
RESOURCE = re.compile(r"<(?:script|img|iframe|source|audio|video|embed)\b[^>]*?\ssrc=\"([^\"]*)\""
                      r"|<link\b[^>]*?\shref=\"([^\"]*)\"", re.I)


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included routers
            yield from _routes(route.original_router.routes)
        else:
            yield route


def get_paths(app: FastAPI) -> list[str]:
    """Every GET route of the app, path parameters filled in (ids: 1, the first row)."""
    paths = []
    for route in _routes(app.routes):
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        paths.append(re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "1"), route.path))
    return sorted(set(paths)) + list(STATIC)


def check_policy(path: str, policy: str | None) -> None:
    assert policy, f"{path}: no Content-Security-Policy"
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives.get("default-src") == ["'self'"], path
    for name in FETCH_DIRECTIVES:
        for source in directives.get(name, []):
            allowed = LOCAL_SOURCES | ({"'unsafe-inline'"} if name == "style-src" else set())
            assert source in allowed, f"{path}: {name} allows {source}"
    assert directives.get("frame-ancestors") == ["'none'"], path
    assert directives.get("object-src") == ["'none'"], path


def check_resources(path: str, html: str) -> None:
    """The page's own markup asks for nothing from elsewhere either (the policy would block it,
    which would be a broken page)."""
    for match in RESOURCE.finditer(html):
        url = match.group(1) or match.group(2)
        local = url.startswith("/") and not url.startswith("//")
        assert local or url.startswith("data:"), f"{path} loads {url}"


@pytest.fixture
def admin(client: TestClient, stocked: Store, fast_settings: Settings) -> TestClient:
    """``client`` signed in as an administrator who has used every feature (so the pages
    with ids have something to show)."""
    fill_everything(stocked, fast_settings, "ana@example.org")
    r = client.post("/api/auth/login", json={"email": "ana@example.org", "password": PASSWORD})
    assert r.status_code == 200
    return client


def test_every_route_forbids_third_party_requests_and_sets_only_essential_cookies(
        app: FastAPI, admin: TestClient) -> None:
    paths = get_paths(app)
    assert {"/", "/settings", "/privacy", "/papers/100", "/search", "/cme"} <= set(paths)
    for signed_in in (False, True):
        cookies: set[str] = set()
        with TestClient(app) as anonymous:
            client = admin if signed_in else anonymous
            for path in paths:
                r = client.get(path, follow_redirects=False)
                assert r.status_code < 500, f"{path}: {r.status_code}"
                check_policy(path, r.headers.get("content-security-policy"))
                if r.headers.get("content-type", "").startswith("text/html"):
                    check_resources(path, r.text)
                cookies |= {c.split("=", 1)[0].strip()
                            for c in r.headers.get_list("set-cookie")}
        assert cookies <= ESSENTIAL, f"signed in={signed_in}: {cookies - ESSENTIAL}"
    # the visit covered the pages that matter (not just redirects to /login)
    assert admin.get("/settings").status_code == 200


def test_signing_in_and_out_sets_only_the_session_and_csrf_cookies(client: TestClient,
                                                                   stocked: Store,
                                                                   fast_settings: Settings
                                                                   ) -> None:
    names: list[str] = []

    def seen(r: Any) -> Any:
        names.extend(c.split("=", 1)[0] for c in r.headers.get_list("set-cookie"))
        return r

    page = seen(client.get("/register"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    seen(client.post("/register", data={"csrf_token": token.group(1), "email": "b@example.org",
                                        "password": PASSWORD, "password2": PASSWORD},
                     follow_redirects=False))
    logout = seen(client.get("/logout"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', logout.text)
    assert token
    seen(client.post("/logout", data={"csrf_token": token.group(1)}, follow_redirects=False))
    assert set(names) == ESSENTIAL, names
