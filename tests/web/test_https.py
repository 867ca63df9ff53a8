"""HTTPS: HSTS only over https, a proxy's X-Forwarded-* believed only from trusted proxies, and
a production server that refuses to start with a secret anyone could know."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from webhelpers import PASSWORD

from litfeed.config import DEV_SECRET, Settings
from litfeed.errors import ConfigError
from litfeed.store import Store
from litfeed.web.app import create_app

HSTS = "strict-transport-security"


def session_cookie_of(r: object) -> str:
    return next(v for k, v in r.headers.multi_items()  # type: ignore[attr-defined]
                if k == "set-cookie" and v.startswith("litfeed_session="))


def test_hsts_over_https_and_never_over_plain_http(web_settings: Settings, store: Store,
                                                   papers: list[str]) -> None:
    app = create_app(web_settings, store)
    with TestClient(app, base_url="https://litfeed.example") as https:
        for path in ("/", "/api/papers/100", "/api/nope", "/static/app.css"):
            assert https.get(path).headers[HSTS] == "max-age=31536000", path
    with TestClient(app) as http:
        for path in ("/", "/api/papers/100", "/api/nope"):
            assert HSTS not in http.get(path).headers, path
        # a client saying https itself is not believed: only a trusted proxy's word counts
        r = http.get("/", headers={"X-Forwarded-Proto": "https"})
        assert HSTS not in r.headers


def test_a_trusted_proxy_says_https_and_who_the_client_is(web_settings: Settings, store: Store,
                                                          papers: list[str]) -> None:
    settings = replace(web_settings, trusted_proxies="192.0.2.0/24", rate_api_per_ip=2)
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"}
    with TestClient(create_app(settings, store), client=("192.0.2.10", 50000)) as c:
        assert c.get("/", headers=forwarded).headers[HSTS] == "max-age=31536000"
        assert HSTS not in c.get("/", headers={"X-Forwarded-Proto": "http"}).headers
        c.post("/api/auth/register", json={"email": "p@example.org", "password": PASSWORD},
               headers={"X-Forwarded-For": "203.0.113.6"})
        r = c.post("/api/auth/login", json={"email": "p@example.org", "password": PASSWORD},
                   headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.6"})
        assert "secure" in session_cookie_of(r).lower()
        # the forwarded address is the one counted: 203.0.113.5 has one request left
        assert c.get("/api/health", headers=forwarded).status_code == 200  # exempt
        assert c.get("/api/papers/100", headers=forwarded).status_code == 200
        assert c.get("/api/papers/100", headers=forwarded).status_code == 429


def test_a_proxy_on_the_same_machine_is_trusted_by_default(web_settings: Settings,
                                                          store: Store, papers: list[str]) -> None:
    with TestClient(create_app(web_settings, store), client=("127.0.0.1", 50000)) as c:
        assert c.get("/", headers={"X-Forwarded-Proto": "https"}).headers[HSTS]
        assert HSTS not in c.get("/").headers


def test_an_untrusted_client_cannot_forge_its_address(web_settings: Settings, store: Store,
                                                      papers: list[str]) -> None:
    settings = replace(web_settings, rate_api_per_ip=3)  # trusts 127.0.0.1 and ::1 only
    with TestClient(create_app(settings, store), client=("198.51.100.77", 50000)) as c:
        codes = [c.get("/api/papers/100", headers={"X-Forwarded-For": f"198.51.100.{i}"})
                 .status_code for i in range(4)]
        assert codes == [200, 200, 200, 429]


def test_hsts_can_be_turned_off(web_settings: Settings, store: Store,
                                papers: list[str]) -> None:
    settings = replace(web_settings, hsts_max_age=0)
    with TestClient(create_app(settings, store), base_url="https://litfeed.example") as c:
        assert HSTS not in c.get("/").headers


@pytest.mark.parametrize(("secret", "says"), [
    (DEV_SECRET, "missing"),
    ("change-me", "placeholder"),
    ("short-but-random-Xq9", "at least 32"),
])
def test_production_refuses_a_secret_anyone_could_know(tmp_path: Path, secret: str,
                                                       says: str) -> None:
    env = {"LITFEED_DATA_DIR": str(tmp_path), "LITFEED_ENV": "production"}
    if secret != DEV_SECRET:
        env["LITFEED_SECRET_KEY"] = secret
    settings = Settings.from_env(env)
    with pytest.raises(ConfigError) as refused:
        create_app(settings)
    assert says in refused.value.message and "LITFEED_SECRET_KEY" in refused.value.message


def test_production_starts_with_a_long_random_secret_and_development_with_none(
        tmp_path: Path) -> None:
    strong = Settings.from_env({"LITFEED_DATA_DIR": str(tmp_path), "LITFEED_ENV": "production",
                                "LITFEED_SECRET_KEY": "kY3v" * 12})
    strong.check_production()
    Settings.from_env({"LITFEED_DATA_DIR": str(tmp_path)}).check_production()


def test_rate_settings_come_from_the_environment(tmp_path: Path) -> None:
    s = Settings.from_env({"LITFEED_DATA_DIR": str(tmp_path), "LITFEED_RATE_API_PER_IP": "0",
                           "LITFEED_RATE_API_PER_USER": "50", "LITFEED_RATE_REGISTER_PER_IP": "7",
                           "LITFEED_TRUSTED_PROXIES": "10.0.0.0/8", "LITFEED_HSTS_MAX_AGE": "60"})
    assert (s.rate_api_per_ip, s.rate_api_per_user, s.rate_register_per_ip, s.trusted_proxies,
            s.hsts_max_age) == (0, 50, 7, "10.0.0.0/8", 60)
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"LITFEED_RATE_API_PER_USER": "-1"})
    assert "LITFEED_RATE_API_PER_USER" in bad.value.message
    with pytest.raises(ConfigError) as bad:
        Settings.from_env({"LITFEED_TRUSTED_PROXIES": "127.0.0.1, proxy.internal"})
    assert "'proxy.internal' is not an IP address" in bad.value.message
