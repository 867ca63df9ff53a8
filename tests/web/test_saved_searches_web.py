"""Saved searches through the API and pages, their private Atom feeds, and reader isolation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from lxml import etree
from webhelpers import csrf_of, sign_up

from factories import add_papers, make_paper
from litfeed.store import Store

ATOM = "{http://www.w3.org/2005/Atom}"


def save(client: TestClient, **body: Any) -> dict[str, Any]:
    r = client.post("/api/searches", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


def test_save_list_count_new_and_mark_seen(client: TestClient, store: Store,
                                           reader: dict[str, Any]) -> None:
    saved = save(client, query="ketamine", name="Ketamine", digest="weekly",
                 filters={"hide_retracted": True})
    assert (saved["name"], saved["digest"], saved["new"]) == ("Ketamine", "weekly", 0)
    assert saved["filters"] == {"hide_retracted": True}
    assert saved["feed_url"].startswith("http://testserver/feeds/searches/")
    add_papers(store, [make_paper("500", title="Ketamine in the emergency room"),
                       make_paper("501", title="Ketamine retracted", retracted=True),
                       make_paper("502", title="Lithium")])
    listed = client.get("/api/searches").json()["searches"]
    assert [(s["id"], s["new"]) for s in listed] == [(saved["id"], 1)]
    new = client.get(f"/api/searches/{saved['id']}/new").json()
    assert new["new"] == 1 and [r["pmid"] for r in new["results"]] == ["500"]
    assert new["since"] == saved["last_seen_at"] and new["search"]["id"] == saved["id"]
    assert client.get(f"/api/searches/{saved['id']}").json()["new"] == 1  # reading kept it
    assert client.post(f"/api/searches/{saved['id']}/seen").json()["new"] == 0
    assert client.get(f"/api/searches/{saved['id']}/new").json()["results"] == []

    r = client.patch(f"/api/searches/{saved['id']}", json={"name": "K", "digest": "daily"})
    assert (r.json()["name"], r.json()["digest"]) == ("K", "daily")
    assert client.delete(f"/api/searches/{saved['id']}").status_code == 204
    assert client.get("/api/searches").json() == {"searches": []}
    assert client.get(f"/api/searches/{saved['id']}").status_code == 404


def test_saving_refuses_bad_input(client: TestClient, reader: dict[str, Any]) -> None:
    r = client.post("/api/searches", json={"query": "ketamine AND"})
    assert r.status_code == 400 and r.json()["error"] == "query_syntax"
    assert "position" in r.json()["message"]
    assert client.post("/api/searches", json={"query": ""}).status_code == 400
    assert client.post("/api/searches", json={"query": "a", "digest": "hourly"}
                       ).status_code == 422
    assert client.post("/api/searches", json={"query": "a", "filters": {"year_from": "x"}}
                       ).status_code == 422
    assert client.post("/api/searches", json={"query": "a", "filters": {
        "year_from": 2021, "year_to": 2020}}).status_code == 400
    save(client, query="a", name="Mine")
    assert client.post("/api/searches", json={"query": "b", "name": "Mine"}).status_code == 409


def test_saved_searches_need_an_account(client: TestClient) -> None:
    assert client.get("/api/searches").status_code == 401
    assert client.post("/api/searches", json={"query": "a"}).status_code == 401
    assert client.get("/searches", follow_redirects=False).status_code == 303


def test_readers_cannot_see_or_touch_each_others_searches(
        client: TestClient, new_client: Callable[..., TestClient],
        reader: dict[str, Any]) -> None:
    mine = save(client, query="ketamine")
    other = new_client()
    sign_up(other, "other@example.org")
    assert other.get("/api/searches").json() == {"searches": []}
    sid = mine["id"]
    assert other.get(f"/api/searches/{sid}").status_code == 404
    assert other.get(f"/api/searches/{sid}/new").status_code == 404
    assert other.patch(f"/api/searches/{sid}", json={"name": "x"}).status_code == 404
    assert other.post(f"/api/searches/{sid}/seen").status_code == 404
    assert other.delete(f"/api/searches/{sid}").status_code == 404
    assert other.get(f"/searches/{sid}").status_code == 404
    token = csrf_of(other.get("/settings").text)
    r = other.post(f"/searches/{sid}/delete", data={"csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 404
    assert mine["feed_url"].split("/")[-1] not in other.get("/searches").text
    # the owner still has it, untouched
    assert client.get(f"/api/searches/{sid}").json()["name"] == "ketamine"


def parse_atom(body: bytes) -> etree._Element:
    root = etree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    # RFC 4287: a feed has id, title, updated, and an author (here at feed level)
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{tag}") is not None, tag
    assert root.find(f"{ATOM}link[@rel='self']") is not None
    for entry in root.findall(f"{ATOM}entry"):
        for tag in ("id", "title", "updated", "link", "summary"):
            assert entry.find(f"{ATOM}{tag}") is not None, tag
    return root


def test_private_atom_feed(client: TestClient, new_client: Callable[..., TestClient],
                           store: Store, reader: dict[str, Any]) -> None:
    saved = save(client, query="ketamine", name="Ketamine & friends")
    add_papers(store, [make_paper("600", title="Ketamine <i>vs</i> ECT & placebo"),
                       make_paper("601", title="Ketamine, older", published="2001")])
    path = "/" + saved["feed_url"].split("/", 3)[3]
    anonymous = new_client()  # no login: the token in the URL is the credential
    r = anonymous.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/atom+xml")
    root = parse_atom(r.content)
    assert root.findtext(f"{ATOM}title") == "litfeed: Ketamine & friends"
    entries = root.findall(f"{ATOM}entry")
    assert {e.findtext(f"{ATOM}title") for e in entries} == {
        "Ketamine <i>vs</i> ECT & placebo", "Ketamine, older"}
    first = entries[0]
    assert first.find(f"{ATOM}link").get("href").startswith("http://testserver/papers/6")
    assert first.findtext(f"{ATOM}id").startswith("https://pubmed.ncbi.nlm.nih.gov/6")
    assert "Depression is common" in first.findtext(f"{ATOM}summary")
    try:  # a second opinion when feedparser is installed
        import feedparser  # type: ignore[import-not-found]
    except ImportError:
        pass
    else:
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo and len(parsed.entries) == 2

    assert anonymous.get(path.replace(".atom", ".rss")).status_code == 404
    assert anonymous.get(path[:-10] + "xxxx.atom").status_code == 404
    assert anonymous.get("/feeds/searches/" + "A" * 43 + ".atom").status_code == 404
    client.delete(f"/api/searches/{saved['id']}")
    assert anonymous.get(path).status_code == 404


def test_pages_list_new_matches_and_manage_without_javascript(
        client: TestClient, store: Store, reader: dict[str, Any]) -> None:
    saved = save(client, query="ketamine", name="Ketamine")
    add_papers(store, [make_paper(str(700 + k), title=f"Ketamine study {k}") for k in range(3)])
    listing = client.get("/searches").text
    assert 'data-new="3"' in listing and "3 new since today" in listing
    assert saved["feed_url"].split("/")[-1] in listing
    assert 'data-new="3"' in client.get("/search").text  # also under the empty search box

    page = client.get(f"/searches/{saved['id']}").text
    assert "3 new since today" in page and page.count('class="card"') == 3
    assert 'data-act="like"' in page
    # opening it marked them seen
    assert 'data-new="3"' not in client.get("/searches").text
    assert client.get("/api/searches").json()["searches"][0]["new"] == 0

    token = csrf_of(listing)
    for url, data in ((f"/searches/{saved['id']}/rename", {"name": "Ket"}),
                      (f"/searches/{saved['id']}/digest", {"digest": "daily"})):
        r = client.post(url, data={"csrf_token": token, **data}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/searches"
    now = client.get("/api/searches").json()["searches"][0]
    assert (now["name"], now["digest"]) == ("Ket", "daily")
    r = client.post(f"/searches/{saved['id']}/digest", data={"csrf_token": token,
                                                              "digest": "hourly"})
    assert r.status_code == 400
    r = client.post(f"/searches/{saved['id']}/delete", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/searches").json() == {"searches": []}
