"""User isolation across every route: one reader never sees or changes another's data.

The routes come from the app itself: every operation of ``app.openapi()`` and every page route
of ``app.routes``. Each must have an entry in API_ROUTES or PAGE_ROUTES saying who may use it,
so a route added without thinking about access fails this test until it gets one (and an
entry for a route that no longer exists fails it too).

Alice fills her account (collection, note, reaction, token, saved search, CME activity and
draft, settings); Bob then calls every route with Alice's ids in the path and query, with a
fresh API token each time (so a route that logs out or changes the password cannot end the
run early). Bob must get 403/404 on Alice's objects, never a trace of Alice's data in any
answer, and afterwards Alice's export must be exactly as before. Anonymous callers get 401 on
personal API routes (the sign-in redirect, or the CSRF refusal, on personal pages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote_plus

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from httpx import Response
from webhelpers import PASSWORD, sign_up

from litfeed.errors import NotFound
from litfeed.service import accounts
from litfeed.store import Store

Access = Literal["public", "personal", "admin", "auth", "shared", "capability"]


@dataclass(frozen=True)
class Route:
    """Who may use a route. ``personal``: a signed-in reader, on their own data only (a path
    id of another reader's object is a 403/404); ``shared``: any signed-in reader, same data
    for all; ``admin``: administrators; ``public``: anyone (answers without personal data);
    ``auth``: logging in and out, registering (covered by the session tests); ``capability``:
    the URL's unguessable token is the credential (private feeds).

    ``json``/``form``/``query`` are the request Bob sends, ``{placeholders}`` filled with
    Alice's ids, so that a route's answer reflects its access rule, not a validation error.
    """

    access: Access
    json: Any = None
    form: dict[str, str] = field(default_factory=dict)
    query: dict[str, str] = field(default_factory=dict)


P, M, A, S = Route("public"), Route("personal"), Route("admin"), Route("shared")
BOB = "bob@example.org"
CYCLE = {"question": "Bob's question?", "query": "asthma", "sources": ["100"],
         "application": "confirmed", "application_text": "Nothing new."}

API_ROUTES: dict[tuple[str, str], Route] = {
    ("POST", "/api/auth/register"): Route("auth"),
    ("POST", "/api/auth/login"): Route("auth"),
    ("POST", "/api/auth/logout"): Route("auth"),
    ("GET", "/api/me"): M,
    ("POST", "/api/me/password"): Route("personal", json={"current": PASSWORD,
                                                          "new": "bob's brand new passphrase"}),
    ("GET", "/api/tokens"): M,
    ("POST", "/api/tokens"): Route("personal", json={"name": "bob"}),
    ("DELETE", "/api/tokens/{token_id}"): M,
    ("GET", "/api/admin/users"): A,
    ("POST", "/api/admin/users"): Route("admin", json={"email": "new@example.org",
                                                       "password": PASSWORD}),
    ("GET", "/api/health"): P,
    ("GET", "/api/papers"): P,
    ("GET", "/api/papers/{pmid}"): P,
    ("PUT", "/api/papers/{pmid}/reaction"): Route("personal", json={"value": "dislike"}),
    ("DELETE", "/api/papers/{pmid}/reaction"): M,
    ("GET", "/api/saved"): Route("personal", query={"collection": "{collection_name}"}),
    ("PUT", "/api/saved/{pmid}"): Route("personal", json={"collection": "Bob's"}),
    ("DELETE", "/api/saved/{pmid}"): Route("personal", query={"collection": "{collection_name}"}),
    ("PUT", "/api/saved/{pmid}/note"): Route("personal", json={"note": "bob was here"}),
    ("GET", "/api/collections"): M,
    ("POST", "/api/collections"): Route("personal", json={"name": "Bob's list"}),
    ("PATCH", "/api/collections/{collection_id}"): Route("personal", json={"name": "pwned"}),
    ("DELETE", "/api/collections/{collection_id}"): M,
    ("GET", "/api/feed"): M,
    ("GET", "/api/feed/specialties"): P,
    ("GET", "/api/feed/atom"): M,
    ("POST", "/api/cme/activities"): Route("personal", json=CYCLE),
    ("GET", "/api/cme/activities"): M,
    ("GET", "/api/cme/activities/{activity_id}"): M,
    ("PATCH", "/api/cme/activities/{activity_id}"): Route("personal", json=CYCLE),
    ("GET", "/api/cme/activities/{activity_id}/audit"): M,
    ("GET", "/api/cme/drafts"): M,
    ("POST", "/api/cme/drafts"): Route("personal", json={"question": "Bob's draft?"}),
    ("PATCH", "/api/cme/drafts/{draft_id}"): Route("personal", json={"sources": ["101"]}),
    ("DELETE", "/api/cme/drafts/{draft_id}"): M,
    ("POST", "/api/cme/drafts/{draft_id}/complete"): Route("personal",
                                                           json={"application": "confirmed"}),
    ("GET", "/api/cme/recent"): M,
    ("GET", "/api/cme/transcript"): M,
    ("GET", "/api/admin/cme/settings"): A,
    ("PUT", "/api/admin/cme/settings"): Route("admin", json={"credit_per_cycle": "5"}),
    ("GET", "/api/papers/{pmid}/links"): P,
    ("GET", "/api/institutions"): S,
    ("POST", "/api/institutions"): Route("admin", json={"name": "Bob's hospital"}),
    ("GET", "/api/institutions/{institution_id}"): S,
    ("PUT", "/api/institutions/{institution_id}"): Route("admin", json={"name": "pwned"}),
    ("DELETE", "/api/institutions/{institution_id}"): A,
    ("GET", "/api/me/settings"): M,
    ("PUT", "/api/me/settings"): Route("personal", json={"personalization": False}),
    ("GET", "/api/papers/{pmid}/related"): P,
    ("GET", "/api/search"): Route("public", query={"q": "trial"}),
    ("GET", "/api/searches"): M,
    ("POST", "/api/searches"): Route("personal", json={"name": "Bob's search", "query": "x"}),
    ("GET", "/api/searches/{search_id}"): M,
    ("PATCH", "/api/searches/{search_id}"): Route("personal", json={"name": "pwned"}),
    ("DELETE", "/api/searches/{search_id}"): M,
    ("GET", "/api/searches/{search_id}/new"): M,
    ("POST", "/api/searches/{search_id}/seen"): M,
    ("GET", "/api/export"): Route("personal", query={"format": "ris",
                                                     "collection": "{collection_name}"}),
    ("POST", "/api/import"): Route("personal", json={"text": "PMID: 101",
                                                     "collection": "Bob's imports"}),
    ("GET", "/api/me/export"): M,
    ("POST", "/api/me/import"): M,
    ("GET", "/api/papers/{pmid}/cite"): P,
    ("GET", "/api/cite"): Route("public", query={"pmids": "100"}),
    ("DELETE", "/api/me"): Route("personal", json={"password": PASSWORD, "confirm": BOB}),
    ("DELETE", "/api/me/history"): M,
    ("POST", "/api/feed/atom/regenerate"): M,
}

PAGE_ROUTES: dict[tuple[str, str], Route] = {
    ("GET", "/openapi.json"): P,
    ("GET", "/sw.js"): P,
    ("GET", "/manifest.webmanifest"): P,
    ("GET", "/favicon.ico"): P,
    ("GET", "/offline"): P,
    ("GET", "/docs"): P,
    ("GET", "/login"): Route("auth"),
    ("POST", "/login"): Route("auth"),
    ("GET", "/register"): Route("auth"),
    ("POST", "/register"): Route("auth"),
    ("GET", "/logout"): Route("auth"),
    ("POST", "/logout"): Route("auth"),
    ("GET", "/settings"): M,
    ("POST", "/settings/password"): Route("personal", form={
        "current": PASSWORD, "new": "bob's other passphrase",
        "new2": "bob's other passphrase"}),
    ("POST", "/settings/tokens"): Route("personal", form={"name": "bob"}),
    ("POST", "/settings/tokens/{token_id}/delete"): M,
    ("GET", "/"): P,
    ("GET", "/papers/{pmid}"): P,
    ("POST", "/papers/{pmid}/reaction"): Route("personal", form={"value": "dislike"}),
    ("POST", "/papers/{pmid}/collections"): Route("personal", form={"new": "Bob's picks"}),
    ("POST", "/papers/{pmid}/save"): Route("personal", form={"collection": "Bob's"}),
    ("POST", "/feed/specialties"): Route("personal", form={"specialty": "cardiology"}),
    ("GET", "/saved"): Route("personal", query={"collection": "{collection_id}"}),
    ("POST", "/saved/collections"): Route("personal", form={"name": "Bob's box"}),
    ("POST", "/saved/collections/{collection_id}/rename"): Route("personal",
                                                                 form={"name": "pwned"}),
    ("POST", "/saved/collections/{collection_id}/delete"): M,
    ("POST", "/saved/{pmid}/note"): Route("personal", form={"note": "bob was here"}),
    ("POST", "/saved/{pmid}/remove"): Route("personal", form={"collection": "{collection_name}"}),
    ("GET", "/feeds/users/{token}.atom"): Route("capability"),
    ("GET", "/cme"): M,
    ("POST", "/cme/activities"): Route("personal", form={"question": "Bob's?",
                                                         "action": "draft"}),
    ("POST", "/cme/activities/{activity_id}/edit"): Route("personal", form={
        "question": "pwned", "application": "confirmed"}),
    ("POST", "/cme/drafts"): Route("personal", form={"query": "asthma"}),
    ("POST", "/cme/drafts/{draft_id}/delete"): M,
    ("POST", "/cme/timezone"): Route("personal", form={"timezone": "Europe/Paris"}),
    ("GET", "/admin/cme"): A,
    ("POST", "/admin/cme"): Route("admin", form={"credit_per_cycle": "5"}),
    ("GET", "/admin/institutions"): A,
    ("POST", "/admin/institutions"): Route("admin", form={"name": "Bob's hospital"}),
    ("POST", "/admin/institutions/{institution_id}"): Route("admin", form={"name": "pwned"}),
    ("POST", "/admin/institutions/{institution_id}/delete"): A,
    ("POST", "/settings/institution"): Route("personal", form={"institution": "none"}),
    ("GET", "/search"): Route("public", query={"q": "trial"}),
    ("GET", "/help/search"): P,
    ("GET", "/searches"): M,
    ("POST", "/searches"): Route("personal", form={"q": "bob's query"}),
    ("GET", "/searches/{search_id}"): M,
    ("POST", "/searches/{search_id}/rename"): Route("personal", form={"name": "pwned"}),
    ("POST", "/searches/{search_id}/digest"): Route("personal", form={"digest": "daily"}),
    ("POST", "/searches/{search_id}/seen"): M,
    ("POST", "/searches/{search_id}/delete"): M,
    ("GET", "/feeds/searches/{name}"): Route("capability"),
    ("GET", "/saved/export"): Route("personal", query={"collection": "{collection_id}"}),
    ("GET", "/saved/cite"): Route("personal", query={"collection": "{collection_id}"}),
    ("GET", "/saved/import"): M,
    ("POST", "/saved/import"): Route("personal", form={"text": "PMID: 101",
                                                      "collection": "Bob's imports"}),
    ("GET", "/papers/{pmid}/export"): P,
    ("GET", "/privacy"): P,
    ("POST", "/settings/privacy/personalization"): Route("personal",
                                                         form={"personalization": "off"}),
    ("POST", "/settings/privacy/history"): M,
    ("POST", "/settings/privacy/delete"): Route("personal", form={"password": PASSWORD,
                                                                  "confirm": BOB}),
    ("GET", "/settings/delete-account"): M,
    ("POST", "/feed/mute"): Route("personal", form={"topic": "asthma", "op": "mute"}),
    ("POST", "/feed/follow"): Route("personal", form={"kind": "journal", "name": "Circulation",
                                                      "op": "follow"}),
    ("POST", "/settings/feed"): Route("personal", form={"specialty": "cardiology",
                                                        "digest": "off"}),
    ("POST", "/settings/feed/atom"): M,
}

#: mounts and their files: no routes of their own
NOT_ROUTES = {"/static", "/docs-assets"}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, ops in app.openapi()["paths"].items()
            for method in ops if method in {"get", "put", "post", "patch", "delete"}}


def page_routes(app: FastAPI) -> set[tuple[str, str]]:
    found = set()
    for route in iter_route_contexts(app.routes):
        path = route.path
        if getattr(route, "include_in_schema", True) or path in NOT_ROUTES:
            continue
        for method in route.methods or ():
            if method != "HEAD":
                found.add((method, path))
    return found


# --- Alice's world ---------------------------------------------------------------------------

@dataclass
class Alice:
    client: TestClient
    ids: dict[str, str]
    secrets: list[str]  # strings that exist only in Alice's data


def make_alice(client: TestClient) -> Alice:
    sign_up(client, "alice.private@example.org")
    api = client
    assert api.put("/api/papers/100/reaction", json={"value": "like"}).status_code == 200
    assert api.put("/api/saved/100", json={"collection": "AliceCollXq7",
                                           "note": "AliceNoteXq7"}).status_code == 200
    collection = api.get("/api/collections").json()["collections"][0]
    token = api.post("/api/tokens", json={"name": "AliceTokenXq7"}).json()
    search = api.post("/api/searches", json={"name": "AliceSearchXq7", "query": "trial"}).json()
    activity = api.post("/api/cme/activities", json={
        **CYCLE, "question": "AliceQuestionXq7?", "application_text": "AliceTextXq7"}).json()
    draft = api.post("/api/cme/drafts", json={"question": "AliceDraftXq7?"}).json()
    assert api.put("/api/me/settings", json={"muted_topics": ["AliceMuteXq7"]}
                   ).status_code == 200, "the settings route changed its keys"
    feed_url = api.get("/api/feed/atom").json()["url"]
    feed_token = feed_url.rsplit("/", 1)[1].removesuffix(".atom")
    search_feed = search["feed_url"].rsplit("/", 1)[1]
    ids = {"pmid": "100", "collection_id": str(collection["id"]),
           "collection_name": collection["name"], "token_id": str(token["id"]),
           "search_id": str(search["id"]), "activity_id": str(activity["id"]),
           "draft_id": str(draft["id"]), "institution_id": "1", "token": feed_token,
           "name": search_feed}
    secrets = ["alice.private@example.org", "AliceCollXq7", "AliceNoteXq7", "AliceTokenXq7",
               "AliceSearchXq7", "AliceQuestionXq7", "AliceTextXq7", "AliceDraftXq7",
               "AliceMuteXq7", token["token"], feed_token, search_feed.removesuffix(".atom")]
    return Alice(client, ids, secrets)


def snapshot(alice: Alice) -> Any:
    """Everything stored about Alice, minus what reading it changes."""
    data = alice.client.get("/api/me/export").json()
    data.pop("exported_at", None)
    for token in data.get("security", {}).get("api_tokens", []):
        token.pop("last_used_at", None)
    return data


def fill(template: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ids[m.group(1)], template)


def call(c: TestClient, method: str, path: str, route: Route, ids: dict[str, str]) -> Response:
    url = fill(path, ids)
    query = {k: fill(v, ids) for k, v in route.query.items()}
    if route.form or (method == "POST" and not path.startswith("/api")):
        form = {k: fill(v, ids) for k, v in route.form.items()}
        return c.request(method, url, params=query, data=form, follow_redirects=False)
    body = route.json
    if isinstance(body, dict):
        body = {k: fill(v, ids) if isinstance(v, str) else v for k, v in body.items()}
    return c.request(method, url, params=query, json=body, follow_redirects=False)


@pytest.fixture
def world(app: FastAPI, client: TestClient, new_client: Callable[..., TestClient], store: Store
          ) -> Iterator[tuple[Alice, Callable[[], TestClient], TestClient]]:
    alice = make_alice(client)
    sign_up(new_client(), BOB)

    def as_bob() -> TestClient:
        """Bob with a fresh token, whatever the last route did to his sessions, his password
        or his account (deleted: he registers again)."""
        try:
            bob = accounts.get_user_by_email(store, BOB)
        except NotFound:
            bob = accounts.register(store, app.state.settings, email=BOB, password=PASSWORD)
        token = accounts.create_token(store, bob.id)[1]
        return new_client(headers={"Authorization": f"Bearer {token}"})

    yield alice, as_bob, new_client()


def leaks(r: Response, secrets: list[str]) -> list[str]:
    """Alice's secrets in an answer, except those the request itself carried (an error message
    may echo a collection name Bob sent; that tells him nothing)."""
    sent = str(r.request.url) + r.request.content.decode("utf-8", "replace")
    return [s for s in secrets if s in r.text and s not in unquote_plus(sent)]


def test_every_route_has_an_access_rule(app: FastAPI) -> None:
    api, pages = api_routes(app), page_routes(app)
    assert api - API_ROUTES.keys() == set(), "new API routes: add them to API_ROUTES"
    assert API_ROUTES.keys() - api == set(), "these API routes are gone: remove them"
    assert pages - PAGE_ROUTES.keys() == set(), "new page routes: add them to PAGE_ROUTES"
    assert PAGE_ROUTES.keys() - pages == set(), "these page routes are gone: remove them"


def check_route(method: str, path: str, route: Route, alice: Alice,
                as_bob: Callable[[], TestClient], anonymous: TestClient) -> list[str]:
    """What is wrong with one route, as readable lines (empty: nothing)."""
    problems: list[str] = []
    where = f"{method} {path}"
    is_api = path.startswith("/api")
    if route.access == "capability":  # the URL's token is the credential: only Alice has hers
        if alice.client.get(fill(path, alice.ids)).status_code != 200:
            problems.append(f"{where}: Alice's own feed does not open")
        guessed = {**alice.ids, "token": "0" * 43, "name": "0" * 43 + ".atom"}
        if call(as_bob(), method, path, route, guessed).status_code != 404:
            problems.append(f"{where}: a guessed token was not a 404")
        return problems
    bob = call(as_bob(), method, path, route, alice.ids)
    anon = call(anonymous, method, path, route, alice.ids)
    for who, r in (("Bob", bob), ("anonymous", anon)):
        if r.status_code >= 500:
            problems.append(f"{where}: {who} got {r.status_code}")
        if found := leaks(r, alice.secrets):
            problems.append(f"{where}: {who} saw Alice's {found}")
    owns_id = any(f"{{{k}}}" in path for k in
                  ("collection_id", "token_id", "search_id", "activity_id", "draft_id"))
    if route.access == "personal":
        if is_api and anon.status_code != 401:
            problems.append(f"{where}: anonymous got {anon.status_code}, expected 401")
        if not is_api and not (anon.status_code == 403 or (
                anon.status_code == 303 and anon.headers["location"].startswith("/login"))):
            problems.append(f"{where}: anonymous got {anon.status_code}, expected the login")
        if owns_id and bob.status_code not in (403, 404):
            problems.append(f"{where}: Bob got {bob.status_code} on Alice's object")
    elif route.access == "admin":
        if bob.status_code != 403:
            problems.append(f"{where}: Bob (no admin) got {bob.status_code}, expected 403")
        if is_api and anon.status_code != 401:
            problems.append(f"{where}: anonymous got {anon.status_code}, expected 401")
    elif route.access == "shared" and is_api and anon.status_code != 401:
        problems.append(f"{where}: anonymous got {anon.status_code}, expected 401")
    return problems


def test_no_reader_reaches_another_readers_data_on_any_route(
        app: FastAPI, world: tuple[Alice, Callable[[], TestClient], TestClient]) -> None:
    alice, as_bob, anonymous = world
    before = snapshot(alice)
    problems: list[str] = []
    routes = [(m, p, API_ROUTES[(m, p)]) for m, p in sorted(api_routes(app))] + [
        (m, p, PAGE_ROUTES[(m, p)]) for m, p in sorted(page_routes(app))]
    for method, path, route in routes:
        if route.access == "auth":
            continue
        problems += check_route(method, path, route, alice, as_bob, anonymous)
    assert not problems, "\n".join(problems)
    assert snapshot(alice) == before, "Bob's requests changed Alice's data"
    assert alice.client.get("/api/me").status_code == 200  # and her session lives on
