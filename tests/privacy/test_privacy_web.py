"""The privacy choices over HTTP: DELETE /api/me and its confirmation, DELETE /api/me/history,
personalization off, and the /settings forms (CSRF, no JavaScript needed), on both backends."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from privacy_support import MARK, PASSWORD, PMIDS, fill_everything, references_to

from litfeed.config import Settings
from litfeed.service import library, privacy
from litfeed.store import Store
from litfeed.web.security import SESSION_COOKIE

ANA = "ana@example.org"


def sign_in(client: TestClient, email: str = ANA) -> dict[str, Any]:
    r = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def views(store: Store, user_id: int) -> int:
    return privacy.history_size(store, user_id)


@pytest.fixture
def ana(stocked: Store, fast_settings: Settings) -> Any:
    return fill_everything(stocked, fast_settings, ANA)


# --- DELETE /api/me ------------------------------------------------------------------------------

def test_delete_me_needs_the_password_and_the_email_typed_out(
        client: TestClient, stocked: Store, ana: Any) -> None:
    sign_in(client)
    missing = client.request("DELETE", "/api/me")
    assert missing.status_code == 422 and missing.json()["error"] == "invalid_input"
    no_confirm = client.request("DELETE", "/api/me", json={"password": PASSWORD})
    assert no_confirm.status_code == 422 and "confirm" in no_confirm.json()["message"]
    typo = client.request("DELETE", "/api/me", json={"password": PASSWORD,
                                                     "confirm": "ana@example.com"})
    assert typo.status_code == 400 and ANA in typo.json()["message"]
    wrong = client.request("DELETE", "/api/me", json={"password": "not it at all",
                                                      "confirm": ANA})
    assert wrong.status_code == 403 and "nothing was deleted" in wrong.json()["message"]
    assert client.get("/api/me").status_code == 200  # still signed in, still there
    assert references_to(stocked, ana.user.id, [MARK])


def test_wrong_passwords_are_throttled_like_logins(client: TestClient, ana: Any,
                                                   fast_settings: Settings) -> None:
    sign_in(client)
    codes = [client.request("DELETE", "/api/me", json={"password": f"guess {n}",
                                                       "confirm": ANA}).status_code
             for n in range(fast_settings.login_max_failures + 1)]
    assert codes[:2] == [403, 403] and codes[-1] == 429
    refused = client.request("DELETE", "/api/me", json={"password": PASSWORD, "confirm": ANA})
    assert refused.status_code == 429 and refused.headers["retry-after"]


def test_delete_me_with_a_session_signs_out_and_ends_every_credential(
        client: TestClient, stocked: Store, ana: Any) -> None:
    sign_in(client)
    r = client.request("DELETE", "/api/me",
                       json={"password": PASSWORD, "confirm": " Ana@Example.org "})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "deleted" and r.json()["email"] == ANA
    assert r.json()["deleted"]["reactions"] == 2
    cookie = r.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in cookie
    assert client.get("/api/me").status_code == 401
    token = client.get("/api/me", headers={"Authorization": f"Bearer {ana.token}"})
    assert token.status_code == 401
    assert references_to(stocked, ana.user.id, [ANA, MARK]) == []
    assert client.post("/api/auth/login", json={"email": ANA, "password": PASSWORD}
                       ).status_code == 401


# --- clear my history, personalization off ----------------------------------------------------

def test_clear_history_keeps_likes_and_saves_unless_asked(client: TestClient, stocked: Store,
                                                          ana: Any) -> None:
    uid = ana.user.id
    sign_in(client)
    r = client.delete("/api/me/history")
    assert r.status_code == 200 and r.json() == {"views": 2, "reactions": 0, "saved": 0}
    assert views(stocked, uid) == 0
    assert library.find_reaction(stocked, uid, PMIDS[0]) is not None
    assert library.saved_in(stocked, uid, PMIDS[0]) != []
    # reading goes on being recorded: personalization is still on
    assert client.get(f"/papers/{PMIDS[1]}").status_code == 200
    assert views(stocked, uid) == 1
    everything = client.delete("/api/me/history?reactions=true&saves=true")
    assert everything.json() == {"views": 1, "reactions": 2, "saved": 2}
    assert library.find_reaction(stocked, uid, PMIDS[0]) is None
    assert library.list_collections(stocked, uid) == []
    assert client.delete("/api/me/history?reactions=maybe").status_code == 422


def test_personalization_off_deletes_the_history_and_records_none(
        client: TestClient, stocked: Store, ana: Any) -> None:
    uid = ana.user.id
    sign_in(client)
    assert views(stocked, uid) == 2
    r = client.put("/api/me/settings", json={"personalization": False})
    assert r.status_code == 200 and r.json()["personalization"] is False
    assert views(stocked, uid) == 0
    client.get(f"/papers/{PMIDS[0]}?from_q=depression")
    assert views(stocked, uid) == 0
    # likes and saves are kept (only not used for ranking); turning it on records again
    assert library.find_reaction(stocked, uid, PMIDS[0]) is not None
    client.put("/api/me/settings", json={"personalization": True})
    client.get(f"/papers/{PMIDS[0]}")
    assert views(stocked, uid) == 1


def test_clearing_touches_only_the_caller(client: TestClient, stocked: Store,
                                          fast_settings: Settings, ana: Any) -> None:
    ben = fill_everything(stocked, fast_settings, "ben@example.org", "zqbenmark", admin=False)
    sign_in(client)
    client.delete("/api/me/history?reactions=true&saves=true")
    client.put("/api/me/settings", json={"personalization": False})
    assert views(stocked, ben.user.id) == 2
    assert library.find_reaction(stocked, ben.user.id, PMIDS[0]) is not None


# --- the settings page -------------------------------------------------------------------------

def test_settings_privacy_section_works_as_plain_forms(client: TestClient, stocked: Store,
                                                       ana: Any) -> None:
    uid = ana.user.id
    sign_in(client)
    page = client.get("/settings")
    assert page.status_code == 200
    section = page.text[page.text.index('id="privacy"'):]
    assert "2 paper views recorded" in section
    assert 'href="/api/me/export" download' in section and 'href="/privacy"' in section
    token = csrf_of(page.text)

    forged = client.post("/settings/privacy/history", data={})
    assert forged.status_code == 403 and views(stocked, uid) == 2

    cleared = client.post("/settings/privacy/history", data={"csrf_token": token,
                                                             "reactions": "on"},
                          follow_redirects=False)
    assert cleared.status_code == 303
    assert cleared.headers["location"] == (
        "/settings?privacy=cleared&views=2&reactions=2&saved=0#privacy")
    shown = client.get(cleared.headers["location"]).text
    assert "Cleared: 2 paper views, 2 likes and dislikes." in shown
    assert library.find_reaction(stocked, uid, PMIDS[0]) is None
    assert library.saved_in(stocked, uid, PMIDS[0]) != []

    client.get(f"/papers/{PMIDS[0]}")
    off = client.post("/settings/privacy/personalization",
                      data={"csrf_token": token, "personalization": "off"})
    assert off.status_code == 200 and "Personalization is off" in off.text
    assert 'data-personalization="off"' in off.text and "(1 paper view)" in off.text
    assert views(stocked, uid) == 0
    on = client.post("/settings/privacy/personalization",
                     data={"csrf_token": token, "personalization": "on"})
    assert 'data-personalization="on"' in on.text
    # the page script's fetch gets JSON from the same route
    js = client.post("/settings/privacy/history", data={"csrf_token": token},
                     headers={"Accept": "application/json"})
    assert js.json() == {"views": 0, "reactions": 0, "saved": 0}


def test_delete_account_form(client: TestClient, stocked: Store, ana: Any) -> None:
    sign_in(client)
    token = csrf_of(client.get("/settings").text)
    assert client.post("/settings/privacy/delete", data={"password": PASSWORD, "confirm": ANA}
                       ).status_code == 403  # no CSRF token
    typo = client.post("/settings/privacy/delete",
                       data={"csrf_token": token, "password": PASSWORD, "confirm": "ana"})
    assert typo.status_code == 400
    assert "type its email address" in typo.text and 'value="ana"' in typo.text
    wrong = client.post("/settings/privacy/delete",
                        data={"csrf_token": token, "password": "nope nope", "confirm": ANA})
    assert wrong.status_code == 403 and "the password is wrong" in wrong.text
    assert client.get("/settings/delete-account").status_code == 200

    done = client.post("/settings/privacy/delete",
                       data={"csrf_token": token, "password": PASSWORD, "confirm": ANA},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/privacy?deleted=1"
    assert "Max-Age=0" in done.headers["set-cookie"]
    landing = client.get("/privacy?deleted=1")
    assert "Your account is deleted" in landing.text
    assert client.get("/settings", follow_redirects=False).status_code == 303
    assert references_to(stocked, ana.user.id, [ANA, MARK]) == []


def test_privacy_page_is_public_and_linked_from_every_page(client: TestClient,
                                                           fast_settings: Settings) -> None:
    page = client.get("/privacy")
    assert page.status_code == 200
    for words in ("What litfeed stores about you", "Reading history", "Unpaywall",
                  "PubMed (NCBI E-utilities)", "litfeed_session", "litfeed_csrf",
                  f"Sessions last {fast_settings.session_days} days"):
        assert words in page.text, words
    assert "(not set up here)" in page.text  # no Unpaywall email in the test settings
    for path in ("/", "/search", "/login"):
        assert 'href="/privacy"' in client.get(path).text, path
