"""Papers and reactions through the JSON API, plus the error shape and the OpenAPI document."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.app import create_app


def test_health_counts_papers(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "papers": 3}


def test_paper_json_follows_the_contract(client: TestClient) -> None:
    r = client.get("/api/papers/100")
    assert r.status_code == 200
    paper = r.json()
    assert paper["pmid"] == "100" and paper["doi"] == "10.1000/rct"
    assert paper["abstract"][0] == {"label": "BACKGROUND", "text": "Depression is common.",
                                    "html": "Depression is <i>common</i>."}
    assert paper["authors"][0]["affiliations"] == ["Ankara University"]
    assert paper["mesh"][0]["major"] is True
    assert "reaction" not in paper  # anonymous: nothing personal


def test_signed_in_paper_json_has_my_reaction_and_collections(
        client: TestClient, reader: dict[str, Any]) -> None:
    paper = client.get("/api/papers/100").json()
    assert (paper["reaction"], paper["saved_in"], paper["note"]) == (None, [], None)
    client.put("/api/papers/100/reaction", json={"value": "like"})
    client.put("/api/saved/100", json={"collection": "Mood", "note": "for journal club"})
    paper = client.get("/api/papers/100").json()
    assert (paper["reaction"], paper["saved_in"], paper["note"]) == (
        "like", ["Mood"], "for journal club")


def test_like_and_dislike_replace_each_other_and_clear(
        client: TestClient, reader: dict[str, Any]) -> None:
    r = client.put("/api/papers/100/reaction", json={"value": "like", "reason": "weak_study"})
    assert r.json() == {"pmid": "100", "reaction": "like", "reason": None}
    r = client.put("/api/papers/100/reaction", json={"value": "dislike", "reason": "off_topic"})
    assert r.json() == {"pmid": "100", "reaction": "dislike", "reason": "off_topic"}
    assert client.get("/api/papers/100").json()["reaction_reason"] == "off_topic"
    assert client.delete("/api/papers/100/reaction").json()["reaction"] is None
    assert client.get("/api/papers/100").json()["reaction"] is None
    client.put("/api/papers/100/reaction", json={"value": "like"})
    assert client.put("/api/papers/100/reaction",
                      json={"value": "none"}).json()["reaction"] is None


@pytest.mark.parametrize("path", ["/api/papers/99999999", "/api/papers/abc",
                                  "/api/papers/%20", "/api/nope"])
def test_unknown_things_are_404_in_the_error_shape(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404
    assert r.json()["error"] == "not_found" and r.json()["message"]


def test_reacting_to_an_unknown_paper_is_404(client: TestClient, reader: dict[str, Any]) -> None:
    r = client.put("/api/papers/99999999/reaction", json={"value": "like"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.delete("/api/papers/99999999/reaction").status_code == 404


@pytest.mark.parametrize("body", [
    {"value": "love"},
    {"value": "dislike", "reason": "boring"},
    {},
    [],
    "like",
])
def test_malformed_bodies_are_422_never_500(client: TestClient, reader: dict[str, Any],
                                            body: Any) -> None:
    r = client.put("/api/papers/100/reaction", json=body)
    assert r.status_code == 422
    assert r.json()["error"] == "invalid_input" and r.json()["message"]


def test_broken_json_is_a_4xx_with_a_message(client: TestClient, reader: dict[str, Any]) -> None:
    r = client.put("/api/papers/100/reaction", content=b'{"value": "li',
                   headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json() == {"error": "invalid_input",
                                                 "message": "the body is not valid JSON"}
    r = client.put("/api/papers/100/reaction", content=b"value=like",
                   headers={"content-type": "application/x-www-form-urlencoded"})
    assert 400 <= r.status_code < 500 and r.json()["error"] == "invalid_input"


def test_newest_papers_list(client: TestClient) -> None:
    results = client.get("/api/papers?limit=2").json()["results"]
    assert [p["pmid"] for p in results] == ["100", "101"]
    assert client.get("/api/papers?limit=0").status_code == 422


def test_private_server_needs_an_account_to_read(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    with TestClient(create_app(replace(web_settings, public=False), store)) as c:
        assert c.get("/api/papers/100").status_code == 401
        page = c.get("/papers/100", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"] == "/login?next=/papers/100"


def test_openapi_describes_the_contract_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    routes = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    for route in [("GET", "/api/health"), ("POST", "/api/auth/register"),
                  ("POST", "/api/auth/login"), ("POST", "/api/auth/logout"),
                  ("POST", "/api/tokens"), ("GET", "/api/papers/{pmid}"),
                  ("PUT", "/api/papers/{pmid}/reaction"), ("DELETE", "/api/papers/{pmid}/reaction"),
                  ("GET", "/api/saved"), ("PUT", "/api/saved/{pmid}"),
                  ("DELETE", "/api/saved/{pmid}")]:
        assert route in routes, route
    assert not any(p.startswith("/papers") for p in spec["paths"])  # pages stay out of the API


def test_docs_page_is_served_from_our_own_origin(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200 and "/openapi.json" in r.text
    assert "cdn." not in r.text and "https://" not in r.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200


def test_hostile_input_is_a_4xx_never_a_500(client: TestClient, reader: dict[str, Any]) -> None:
    """NUL characters (PostgreSQL refuses them) and ids beyond the database's integers."""
    probes = [
        ("GET", "/api/papers/1%002", None), ("GET", "/papers/%00", None),
        ("PUT", "/api/saved/%00", None), ("DELETE", "/api/papers/%00/reaction", None),
        ("PUT", "/api/saved/100", {"collection": "bad\u0000name"}),
        ("PUT", "/api/saved/100", {"note": "nul\u0000note"}),
        ("POST", "/api/collections", {"name": "x\u0000"}),
        ("POST", "/api/tokens", {"name": "t\u0000"}),
        ("POST", "/api/auth/login", {"email": "a\u0000@example.org", "password": "whatever1"}),
        ("POST", "/api/auth/register", {"email": "b\u0000@example.org", "password": "whatever1"}),
        ("POST", "/api/auth/register", {"email": "c@example.org", "password": "a long password",
                                        "name": "\u0000"}),
        ("PATCH", "/api/collections/99999999999999999999", {"name": "x"}),
        ("DELETE", "/api/tokens/99999999999999999999", None),
        ("GET", "/saved?collection=99999999999999999999", None),
        ("GET", "/api/saved?collection=%00", None),
        ("GET", "/api/papers/" + "9" * 5000, None),
    ]
    for method, path, body in probes:
        r = client.request(method, path, json=body)
        assert 400 <= r.status_code < 500, (method, path, r.status_code, r.text[:200])
