"""Accounts through the JSON API: register, log in and out, throttling, tokens, admins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi.testclient import TestClient
from webhelpers import PASSWORD, sign_up

from litfeed.config import Settings
from litfeed.service import accounts
from litfeed.store import Store
from litfeed.web.app import create_app


def test_register_then_login_sets_a_safe_session_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/register", json={"email": "Ana@Example.org", "password": PASSWORD})
    assert r.status_code == 201
    assert r.json() == {"id": r.json()["id"], "email": "ana@example.org"}
    r = client.post("/api/auth/login", json={"email": "ana@example.org", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["email"] == "ana@example.org"
    cookie = r.headers["set-cookie"].lower()
    assert "litfeed_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie.split("litfeed_csrf")[0]  # plain http: no Secure flag
    assert client.get("/api/me").json()["email"] == "ana@example.org"


def test_cookie_is_secure_behind_https(app: object, new_client: Callable[..., TestClient]
                                       ) -> None:
    c = new_client(base_url="https://litfeed.example")
    c.post("/api/auth/register", json={"email": "s@example.org", "password": PASSWORD})
    r = c.post("/api/auth/login", json={"email": "s@example.org", "password": PASSWORD})
    session_cookie = next(v for k, v in r.headers.multi_items()
                          if k == "set-cookie" and v.startswith("litfeed_session="))
    assert "secure" in session_cookie.lower()
    assert "strict-transport-security" in r.headers


def test_bad_registrations_say_what_is_wrong(client: TestClient) -> None:
    sign_up(client, "taken@example.org")
    r = client.post("/api/auth/register", json={"email": "taken@example.org", "password": PASSWORD})
    assert r.status_code == 409 and r.json()["error"] == "conflict"
    r = client.post("/api/auth/register", json={"email": "not-an-email", "password": PASSWORD})
    assert r.status_code == 400 and "email" in r.json()["message"]
    r = client.post("/api/auth/register", json={"email": "x@example.org", "password": "short"})
    assert r.status_code == 400 and "8 characters" in r.json()["message"]
    r = client.post("/api/auth/register", json={"email": "x@example.org"})
    assert r.status_code == 422 and r.json() == {"error": "invalid_input",
                                                 "message": "password is required"}


def test_wrong_password_and_unknown_email_look_the_same(client: TestClient) -> None:
    sign_up(client, "known@example.org")
    wrong = client.post("/api/auth/login", json={"email": "known@example.org", "password": "x" * 9})
    unknown = client.post("/api/auth/login", json={"email": "nobody@example.org",
                                                   "password": "x" * 9})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"error": "unauthorized",
                                              "message": "wrong email or password"}


def test_repeated_failures_lock_the_account_with_retry_after(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    settings = replace(web_settings, login_max_failures=3, login_max_failures_ip=100)
    with TestClient(create_app(settings, store)) as c:
        sign_up(c, "victim@example.org")
        for _ in range(3):
            assert c.post("/api/auth/login", json={"email": "victim@example.org",
                                                   "password": "wrong-guess"}).status_code == 401
        r = c.post("/api/auth/login", json={"email": "victim@example.org", "password": PASSWORD})
        assert r.status_code == 429 and r.json()["error"] == "rate_limited"
        assert 1 <= int(r.headers["retry-after"]) <= settings.login_window_s
        # another account from the same address is not locked by this one
        sign_up(c, "other@example.org")


def test_many_failures_from_one_address_lock_that_address(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    settings = replace(web_settings, login_max_failures=100, login_max_failures_ip=4)
    with TestClient(create_app(settings, store)) as c:
        for i in range(4):
            c.post("/api/auth/login", json={"email": f"guess{i}@example.org",
                                            "password": "wrong-guess"})
        r = c.post("/api/auth/login", json={"email": "guess9@example.org", "password": "whatever"})
        assert r.status_code == 429 and "retry-after" in r.headers


def test_login_rotates_the_session_and_logout_ends_it(client: TestClient,
                                                       new_client: Callable[..., TestClient]
                                                       ) -> None:
    sign_up(client, "rot@example.org")
    first = client.cookies.get("litfeed_session")
    client.post("/api/auth/login", json={"email": "rot@example.org", "password": PASSWORD})
    second = client.cookies.get("litfeed_session")
    assert first and second and first != second
    replay = new_client()
    replay.cookies.set("litfeed_session", first)
    assert replay.get("/api/me").status_code == 401  # the pre-login id is dead
    assert client.post("/api/auth/logout").json() == {"status": "logged_out"}
    replay.cookies.set("litfeed_session", second)
    assert replay.get("/api/me").status_code == 401  # and logout ended it on the server
    assert client.get("/api/me").status_code == 401


def test_bearer_tokens_work_until_revoked(client: TestClient,
                                          new_client: Callable[..., TestClient]) -> None:
    sign_up(client, "script@example.org")
    r = client.post("/api/tokens", json={"name": "cron"})
    assert r.status_code == 201
    token, token_id = r.json()["token"], r.json()["id"]
    script = new_client(headers={"Authorization": f"Bearer {token}"})
    assert script.get("/api/me").json()["email"] == "script@example.org"
    assert script.put("/api/papers/100/reaction", json={"value": "like"}).status_code == 200
    listed = client.get("/api/tokens").json()["tokens"]
    assert [t["name"] for t in listed] == ["cron"] and listed[0]["last_used_at"]
    assert client.delete(f"/api/tokens/{token_id}").status_code == 204
    r = script.get("/api/me")
    assert r.status_code == 401 and r.json()["error"] == "unauthorized"
    bogus = new_client(headers={"Authorization": "Bearer lf_nope"})
    assert bogus.get("/api/papers/100").status_code == 401  # a bad token never falls back


def test_password_change_ends_other_sessions_and_tokens(
        client: TestClient, new_client: Callable[..., TestClient]) -> None:
    sign_up(client, "pw@example.org")
    token = client.post("/api/tokens").json()["token"]
    laptop = new_client()
    laptop.post("/api/auth/login", json={"email": "pw@example.org", "password": PASSWORD})
    r = client.post("/api/me/password", json={"current": "wrong-one", "new": "new password 1"})
    assert r.status_code == 401
    r = client.post("/api/me/password", json={"current": PASSWORD, "new": "new password 1"})
    assert r.status_code == 200
    assert client.get("/api/me").status_code == 200  # the caller keeps a fresh session
    assert laptop.get("/api/me").status_code == 401
    assert new_client(headers={"Authorization": f"Bearer {token}"}).get(
        "/api/me").status_code == 401
    assert laptop.post("/api/auth/login", json={"email": "pw@example.org",
                                                "password": "new password 1"}).status_code == 200


def test_closed_registration_leaves_account_creation_to_admins(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    settings = replace(web_settings, registration="closed")
    admin = accounts.register(store, settings, email="admin@example.org", password=PASSWORD,
                              is_admin=True, by_admin=True)
    assert admin.is_admin
    with TestClient(create_app(settings, store)) as c:
        r = c.post("/api/auth/register", json={"email": "new@example.org", "password": PASSWORD})
        assert r.status_code == 403 and "closed" in r.json()["message"]
        c.post("/api/auth/login", json={"email": "admin@example.org", "password": PASSWORD})
        r = c.post("/api/admin/users", json={"email": "new@example.org", "password": PASSWORD})
        assert r.status_code == 201 and r.json()["is_admin"] is False
        emails = [u["email"] for u in c.get("/api/admin/users").json()["users"]]
        assert emails == ["admin@example.org", "new@example.org"]
        c.post("/api/auth/login", json={"email": "new@example.org", "password": PASSWORD})
        assert c.get("/api/admin/users").status_code == 403


def test_personal_routes_need_a_signed_in_caller(client: TestClient) -> None:
    for method, path in (("GET", "/api/me"), ("GET", "/api/saved"), ("POST", "/api/tokens"),
                         ("PUT", "/api/papers/100/reaction"), ("GET", "/api/collections")):
        r = client.request(method, path, json={"value": "like"})
        assert r.status_code == 401, path
        assert r.json()["error"] == "unauthorized"
