"""Saved papers, collections and notes through the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def saved(client: TestClient, **params: str) -> dict[str, Any]:
    r = client.get("/api/saved", params=params)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def test_saving_creates_the_default_collection(client: TestClient,
                                               reader: dict[str, Any]) -> None:
    assert client.get("/api/collections").json() == {"collections": []}
    r = client.put("/api/saved/100")
    assert r.json() == {"pmid": "100", "collections": ["Saved"]}
    assert client.put("/api/saved/100").json()["collections"] == ["Saved"]  # idempotent
    data = saved(client)
    assert [i["pmid"] for i in data["results"]] == ["100"]
    assert data["results"][0]["title"] == "Psychotherapy plus medication for depression"
    assert [(c["name"], c["count"]) for c in data["collections"]] == [("Saved", 1)]


def test_one_paper_in_several_collections(client: TestClient, reader: dict[str, Any]) -> None:
    client.put("/api/saved/100")
    assert client.put("/api/saved/100", json={"collection": "Journal club"}).json()[
        "collections"] == ["Saved", "Journal club"]
    client.put("/api/saved/102", json={"collection": "Journal club"})
    assert [i["pmid"] for i in saved(client, collection="Journal club")["results"]] == [
        "102", "100"]
    everything = saved(client)["results"]
    assert [(i["pmid"], i["collections"]) for i in everything] == [
        ("102", ["Journal club"]), ("100", ["Saved", "Journal club"])]
    r = client.delete("/api/saved/100")  # default: from "Saved"
    assert r.json() == {"pmid": "100", "collections": ["Journal club"]}
    r = client.delete("/api/saved/100", params={"all": "true"})
    assert r.json()["collections"] == []
    assert [i["pmid"] for i in saved(client)["results"]] == ["102"]


def test_sorting_by_date_saved_or_published(client: TestClient, reader: dict[str, Any]) -> None:
    for pmid in ("102", "100", "101"):  # published 2019, 2021-03, 2020-01
        client.put(f"/api/saved/{pmid}")
    assert [i["pmid"] for i in saved(client)["results"]] == ["101", "100", "102"]
    assert [i["pmid"] for i in saved(client, sort="published")["results"]] == [
        "100", "101", "102"]
    assert client.get("/api/saved", params={"sort": "title"}).status_code == 422


def test_a_note_belongs_to_the_saved_paper(client: TestClient, reader: dict[str, Any]) -> None:
    assert client.put("/api/saved/100/note", json={"note": "x"}).status_code == 404  # not saved
    client.put("/api/saved/100", json={"note": "  check the dropout rate  "})
    client.put("/api/saved/100", json={"collection": "Teaching"})
    for name in ("Saved", "Teaching"):
        assert saved(client, collection=name)["results"][0]["note"] == "check the dropout rate"
    r = client.put("/api/saved/100/note", json={"note": "replaced"})
    assert r.json() == {"pmid": "100", "note": "replaced"}
    assert saved(client, collection="Teaching")["results"][0]["note"] == "replaced"
    assert client.put("/api/saved/100/note", json={"note": ""}).json()["note"] is None


def test_collections_crud(client: TestClient, reader: dict[str, Any]) -> None:
    r = client.post("/api/collections", json={"name": "  Sepsis   reading "})
    assert r.status_code == 201 and r.json()["name"] == "Sepsis reading"
    cid = r.json()["id"]
    assert client.post("/api/collections", json={"name": "Sepsis reading"}).status_code == 409
    assert client.post("/api/collections", json={"name": "   "}).status_code == 400
    client.post("/api/collections", json={"name": "Other"})
    assert client.patch(f"/api/collections/{cid}", json={"name": "Other"}).status_code == 409
    r = client.patch(f"/api/collections/{cid}", json={"name": "Sepsis"})
    assert r.json() == {"id": cid, "name": "Sepsis", "count": 0}
    client.put("/api/saved/100", json={"collection": "Sepsis"})
    client.put("/api/saved/100", json={"collection": "Other"})
    assert client.delete(f"/api/collections/{cid}").status_code == 204
    assert [c["name"] for c in client.get("/api/collections").json()["collections"]] == ["Other"]
    assert saved(client)["results"][0]["collections"] == ["Other"]  # still saved elsewhere
    assert client.delete(f"/api/collections/{cid}").status_code == 404
    assert client.patch("/api/collections/999999", json={"name": "x"}).status_code == 404


def test_unknown_paper_or_collection_is_404(client: TestClient, reader: dict[str, Any]) -> None:
    r = client.put("/api/saved/99999999")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert client.get("/api/saved", params={"collection": "Nope"}).status_code == 404
    assert client.delete("/api/saved/100", params={"collection": "Nope"}).status_code == 404
