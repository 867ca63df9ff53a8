"""GET /api/feed, /api/me/settings and the private Atom feed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from webhelpers import sign_up

from feedkit import corpus
from litfeed.config import Settings
from litfeed.store import Store


def test_feed_api_shape_isolation_and_errors(client: TestClient, store: Store,
                                             settings: Settings,
                                             reader: dict[str, Any]) -> None:
    topics = corpus(store, settings)
    liked = topics["cardio"][0]
    assert client.put(f"/api/papers/{liked}/reaction", json={"value": "like"}).status_code == 200
    r = client.get("/api/feed", params={"limit": 100, "since": "all"})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["user"] == "reader@example.org"
    pmids = [i["pmid"] for i in data["results"]]
    assert liked not in pmids and "101" not in pmids  # reacted; retracted
    assert all(set(i) == {"pmid", "title", "score", "because"} for i in data["results"])
    assert client.get("/api/feed", params={"since": "soon"}).status_code == 400
    assert client.get("/api/feed", params={"limit": 101}).status_code == 400
    with TestClient(client.app) as other:  # type: ignore[arg-type]
        sign_up(other, "other@example.org")
        theirs = [i["pmid"] for i in other.get("/api/feed", params={
            "limit": 100, "since": "all"}).json()["results"]]
        assert liked in theirs
    anonymous = TestClient(client.app)  # type: ignore[arg-type]
    assert anonymous.get("/api/feed").status_code == 401


def test_settings_round_trip_and_atom(client: TestClient, store: Store, settings: Settings,
                                      reader: dict[str, Any]) -> None:
    corpus(store, settings)
    r = client.put("/api/me/settings", json={"muted_topics": ["Neoplasms"],
                                             "follows": {"journals": ["Circulation"]}})
    assert r.status_code == 200, r.text
    got = client.get("/api/me/settings").json()
    assert got["muted_topics"] == ["neoplasms"] and got["personalization"] is True
    assert client.put("/api/me/settings", json={"specialties": ["astrology"]}).status_code == 400
    assert len(client.get("/api/feed/specialties").json()["specialties"]) >= 30
    url = client.get("/api/feed/atom").json()["url"]
    path = url[url.index("/feeds/"):]
    atom = TestClient(client.app).get(path, params={})  # type: ignore[arg-type]
    assert atom.status_code == 200 and "<feed" in atom.text and "Circulation" not in path
    assert "beta blocker" in atom.text and "chemotherapy" not in atom.text
    assert TestClient(client.app).get(  # type: ignore[arg-type]
        path.replace(".atom", "0.atom")).status_code == 404


def test_home_is_the_feed_with_onboarding(client: TestClient, store: Store, settings: Settings,
                                          reader: dict[str, Any]) -> None:
    topics = corpus(store, settings)
    page = client.get("/").text
    assert "Rate these 8" in page and 'name="specialty" value="psychiatry"' in page
    assert "Because:" in page
    client.put(f"/api/papers/{topics['onco'][0]}/reaction", json={"value": "like"})
    page = client.get("/").text
    assert "Your feed" in page and "Rate these 8" not in page
    assert page.index("chemotherapy") < page.index("beta blocker")
    assert f'data-pmid="{topics["onco"][0]}"' not in page
