"""Session lifecycle over HTTP: fixation, logout (one credential or everywhere), password
changes ending every other session and token, and the password policy's messages."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from webhelpers import PASSWORD, csrf_of, sign_up

SESSION = "litfeed_session"


def signed_in(new_client: Callable[..., TestClient], email: str) -> TestClient:
    c = new_client()
    r = c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return c


def bearer(new_client: Callable[..., TestClient], token: str) -> TestClient:
    return new_client(headers={"Authorization": f"Bearer {token}"})


def test_login_form_replaces_a_planted_session_id(client: TestClient,
                                                 new_client: Callable[..., TestClient]) -> None:
    """An attacker who plants a session id in the victim's browser gains nothing: logging in
    through the form issues a new id, and the planted one signs nobody in."""
    sign_up(client, "fix@example.org")
    planted = client.cookies.get(SESSION)
    assert planted
    victim = new_client()
    victim.cookies.set(SESSION, planted)
    token = csrf_of(victim.get("/login").text)
    r = victim.post("/login", data={"email": "fix@example.org", "password": PASSWORD,
                                    "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    fresh = r.cookies.get(SESSION)
    assert fresh and fresh != planted
    attacker = new_client()
    attacker.cookies.set(SESSION, planted)
    assert attacker.get("/api/me").status_code == 401
    browser = new_client()
    browser.cookies.set(SESSION, fresh)
    assert browser.get("/api/me").json()["email"] == "fix@example.org"


def test_logout_form_ends_the_session_on_the_server(client: TestClient,
                                                   new_client: Callable[..., TestClient]
                                                   ) -> None:
    sign_up(client, "out@example.org")
    cookie = client.cookies.get(SESSION)
    token = csrf_of(client.get("/settings").text)
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    copy = new_client()
    copy.cookies.set(SESSION, cookie)  # a copy of the cookie taken before logout
    assert copy.get("/api/me").status_code == 401
    assert copy.get("/settings", follow_redirects=False).status_code == 303


def test_logging_out_a_token_revokes_just_that_token(client: TestClient,
                                                     new_client: Callable[..., TestClient]
                                                     ) -> None:
    sign_up(client, "script@example.org")
    first = client.post("/api/tokens", json={"name": "one"}).json()["token"]
    second = client.post("/api/tokens", json={"name": "two"}).json()["token"]
    script = bearer(new_client, first)
    assert script.post("/api/auth/logout").json() == {"status": "logged_out"}
    assert script.get("/api/me").status_code == 401
    assert bearer(new_client, second).get("/api/me").status_code == 200
    assert client.get("/api/me").status_code == 200  # the browser session is another credential
    assert [t["name"] for t in client.get("/api/tokens").json()["tokens"]] == ["two"]


def test_logout_everywhere_ends_every_session_and_token(client: TestClient,
                                                        new_client: Callable[..., TestClient]
                                                        ) -> None:
    sign_up(client, "lost@example.org")
    sign_up(new_client(), "bystander@example.org")
    laptop = signed_in(new_client, "lost@example.org")
    token = client.post("/api/tokens").json()["token"]
    other = signed_in(new_client, "bystander@example.org")
    r = laptop.post("/api/auth/logout", params={"everywhere": "true"})
    assert r.status_code == 200
    for c in (laptop, client, bearer(new_client, token)):
        assert c.get("/api/me").status_code == 401
    assert other.get("/api/me").status_code == 200  # another account is untouched
    assert new_client().post("/api/auth/logout", params={"everywhere": "true"}).status_code == 401


def test_logout_everywhere_from_the_settings_page(client: TestClient,
                                                  new_client: Callable[..., TestClient]) -> None:
    sign_up(client, "page@example.org")
    phone = signed_in(new_client, "page@example.org")
    token = client.post("/api/tokens").json()["token"]
    page = client.get("/settings").text
    assert "Log out everywhere" in page
    r = client.post("/logout", data={"csrf_token": csrf_of(page), "everywhere": "1"},
                    follow_redirects=False)
    assert r.status_code == 303
    for c in (client, phone, bearer(new_client, token)):
        assert c.get("/api/me").status_code == 401


def test_password_change_form_ends_other_sessions_and_tokens(
        client: TestClient, new_client: Callable[..., TestClient]) -> None:
    sign_up(client, "form@example.org")
    laptop = signed_in(new_client, "form@example.org")
    token = client.post("/api/tokens").json()["token"]
    before = client.cookies.get(SESSION)
    page = client.get("/settings").text
    r = client.post("/settings/password", data={
        "csrf_token": csrf_of(page), "current": PASSWORD, "new": "a brand new passphrase",
        "new2": "a brand new passphrase"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/settings?changed=1"
    assert r.cookies.get(SESSION) not in (None, before)  # the caller gets a new session id
    assert "Your other sessions and API tokens have ended" in client.get(
        "/settings?changed=1").text
    assert laptop.get("/api/me").status_code == 401
    assert bearer(new_client, token).get("/api/me").status_code == 401
    stale = new_client()
    stale.cookies.set(SESSION, before)
    assert stale.get("/api/me").status_code == 401


def test_weak_passwords_are_refused_by_the_api_with_the_reason(client: TestClient) -> None:
    for password, says in (("short", "at least 8 characters"),
                           ("password1", "common passwords"),
                           ("Policy.Test@example.org", "email address")):
        r = client.post("/api/auth/register", json={"email": "policy.test@example.org",
                                                    "password": password})
        assert r.status_code == 400, password
        assert r.json()["error"] == "invalid_input" and says in r.json()["message"]
    r = client.post("/api/auth/register", json={"email": "policy.test@example.org",
                                                "password": "w" * 1025})
    assert r.status_code == 422 and r.json()["error"] == "invalid_input"
    long_phrase = "my " * 40 + "passphrase"  # 130 characters
    r = client.post("/api/auth/register", json={"email": "policy.test@example.org",
                                                "password": long_phrase})
    assert r.status_code == 201
    assert client.post("/api/auth/login", json={"email": "policy.test@example.org",
                                                "password": long_phrase}).status_code == 200
    r = client.post("/api/me/password", json={"current": long_phrase, "new": "baseball"})
    assert r.status_code == 400 and "common passwords" in r.json()["message"]
    assert client.get("/api/me").status_code == 200  # a refused change ends nothing


def test_the_forms_show_why_a_password_is_refused(client: TestClient) -> None:
    page = client.get("/register").text
    assert "common passwords are refused" in page
    r = client.post("/register", data={"csrf_token": csrf_of(page), "email": "f@example.org",
                                       "password": "iloveyou1", "password2": "iloveyou1"})
    assert r.status_code == 400
    assert "on a list of common passwords" in r.text and 'value="f@example.org"' in r.text
    sign_up(client, "s@example.org")
    page = client.get("/settings").text
    r = client.post("/settings/password", data={"csrf_token": csrf_of(page), "current": PASSWORD,
                                                "new": "12345678", "new2": "12345678"})
    assert r.status_code == 400 and "too short" not in r.text
    assert "on a list of common passwords" in r.text
