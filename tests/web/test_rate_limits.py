"""Rate limits: per client address, per account, and on registration (held in the database,
so every app process shares it). Over a limit: 429, ``Retry-After`` and the error JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from webhelpers import PASSWORD, csrf_of, sign_up

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.app import create_app
from litfeed.web.ratelimit import TokenBuckets, client_key

PROXY = ("192.0.2.10", 50000)  # the test client plays a reverse proxy at this address


@contextmanager
def app_client(settings: Settings, store: Store, **kwargs: object) -> Iterator[TestClient]:
    with TestClient(create_app(settings, store), **kwargs) as c:  # type: ignore[arg-type]
        yield c


def assert_limited(r: object, *, json: bool = True) -> None:
    assert r.status_code == 429, r.text  # type: ignore[attr-defined]
    assert int(r.headers["retry-after"]) >= 1  # type: ignore[attr-defined]
    if json:
        body = r.json()  # type: ignore[attr-defined]
        assert body["error"] == "rate_limited" and "try again in" in body["message"]


def test_one_address_is_limited_and_others_are_not(web_settings: Settings, store: Store,
                                                   papers: list[str]) -> None:
    settings = replace(web_settings, rate_api_per_ip=5, trusted_proxies=PROXY[0])
    with app_client(settings, store, client=PROXY) as c:
        for _ in range(5):
            assert c.get("/api/papers/100").status_code == 200
        assert_limited(c.get("/api/papers/100"))
        page = c.get("/papers/100")  # pages count too, and say so in plain text
        assert page.status_code == 429 and "too many requests" in page.text
        assert page.headers["content-security-policy"]  # the security headers still apply
        assert c.get("/static/app.css").status_code == 200  # assets never count
        assert c.get("/api/health").status_code == 200
        # another reader behind the same (trusted) proxy has a budget of their own
        other = {"X-Forwarded-For": "203.0.113.7"}
        assert c.get("/api/papers/100", headers=other).status_code == 200


def test_a_signed_in_account_is_limited_wherever_it_comes_from(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    settings = replace(web_settings, rate_api_per_user=4, trusted_proxies=PROXY[0])
    with app_client(settings, store, client=PROXY) as c:
        sign_up(c, "busy@example.org")  # register + login: no account yet, not counted
        token = c.post("/api/tokens").json()["token"]  # 1
        assert c.get("/api/me").status_code == 200  # 2
        script = {"Authorization": f"Bearer {token}", "X-Forwarded-For": "198.51.100.9"}
        assert c.get("/api/me", headers=script).status_code == 200  # 3: same account
        assert c.get("/api/saved").status_code == 200  # 4
        assert_limited(c.get("/api/me", headers=script))
        assert_limited(c.get("/api/me"))
        assert TestClient(c.app).get("/api/papers/100").status_code == 200  # anonymous
        sign_up(c, "calm@example.org")
        assert c.get("/api/me").json()["email"] == "calm@example.org"


def test_registrations_are_counted_in_the_database_across_app_processes(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    """Two apps on one database stand for two worker processes: the hourly budget of an
    address is shared, and failed attempts count (they too probe which emails exist)."""
    settings = replace(web_settings, rate_register_per_ip=3)
    with app_client(settings, store) as one, app_client(settings, store) as two:
        assert one.post("/api/auth/register", json={"email": "a@example.org",
                                                    "password": PASSWORD}).status_code == 201
        assert two.post("/api/auth/register", json={"email": "a@example.org",
                                                    "password": PASSWORD}).status_code == 409
        assert one.post("/api/auth/register", json={"email": "b@example.org",
                                                    "password": "password1"}).status_code == 400
        r = two.post("/api/auth/register", json={"email": "c@example.org", "password": PASSWORD})
        assert_limited(r)
        assert 3000 < int(r.headers["retry-after"]) <= 3601  # the hour since the first
        page = one.get("/register").text
        r = one.post("/register", data={"csrf_token": csrf_of(page), "email": "d@example.org",
                                        "password": PASSWORD, "password2": PASSWORD})
        assert r.status_code == 429 and "too many registrations" in r.text
        assert "retry-after" in r.headers
        # logging in, and accounts made by an administrator, are not registrations
        assert one.post("/api/auth/login", json={"email": "a@example.org",
                                                 "password": PASSWORD}).status_code == 200


def test_a_limit_of_zero_turns_it_off(web_settings: Settings, store: Store,
                                      papers: list[str]) -> None:
    settings = replace(web_settings, rate_api_per_ip=0, rate_api_per_user=0,
                       rate_register_per_ip=0)
    with app_client(settings, store) as c:
        for i in range(30):
            sign_up(c, f"u{i}@example.org")
            assert c.get("/api/me").status_code == 200


def test_token_buckets_refill_continuously() -> None:
    now = [1000.0]
    buckets = TokenBuckets(60, clock=lambda: now[0])  # one a second, bursts of 60
    assert all(buckets.take("k") == 0.0 for _ in range(60))
    assert buckets.take("k") == pytest.approx(1.0)
    assert buckets.take("other") == 0.0
    now[0] += 2.5
    assert buckets.take("k") == 0.0 and buckets.take("k") == 0.0
    assert buckets.take("k") == pytest.approx(0.5)
    now[0] += 3600
    buckets._prune(now[0])  # idle keys (full again) are forgotten
    assert len(buckets) == 0


def test_ipv6_clients_are_counted_per_64_network() -> None:
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9")
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("192.0.2.1") == "192.0.2.1"
