"""Security from day one: isolation between readers, sanitised markup, headers, CSRF."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from webhelpers import csrf_of, sign_up

from factories import add_papers, make_paper
from litfeed.store import Store


def two_readers(client: TestClient, new_client: Callable[..., TestClient]
                ) -> tuple[TestClient, TestClient]:
    sign_up(client, "alice@example.org")
    bob = new_client()
    sign_up(bob, "bob@example.org")
    return client, bob


def test_readers_never_see_each_others_library_through_the_api(
        client: TestClient, new_client: Callable[..., TestClient]) -> None:
    alice, bob = two_readers(client, new_client)
    alice.put("/api/papers/100/reaction", json={"value": "dislike", "reason": "weak_study"})
    alice.put("/api/saved/100", json={"collection": "Private", "note": "alice's note"})
    cid = alice.get("/api/collections").json()["collections"][0]["id"]

    paper = bob.get("/api/papers/100").json()
    assert (paper["reaction"], paper["saved_in"], paper["note"]) == (None, [], None)
    assert bob.get("/api/saved").json()["results"] == []
    assert bob.get("/api/collections").json()["collections"] == []
    assert bob.get("/api/saved", params={"collection": "Private"}).status_code == 404
    # bob cannot change alice's things, even knowing their ids
    assert bob.patch(f"/api/collections/{cid}", json={"name": "pwned"}).status_code == 404
    assert bob.delete(f"/api/collections/{cid}").status_code == 404
    assert bob.put("/api/saved/100/note", json={"note": "pwned"}).status_code == 404
    bob.delete("/api/papers/100/reaction")
    bob.put("/api/saved/100", json={"collection": "Private"})  # bob's own "Private"
    bob.delete("/api/saved/100", params={"all": "true"})

    mine = alice.get("/api/papers/100").json()
    assert (mine["reaction"], mine["saved_in"], mine["note"]) == (
        "dislike", ["Private"], "alice's note")
    assert [c["name"] for c in alice.get("/api/collections").json()["collections"]] == [
        "Private"]


def test_readers_never_see_each_others_library_through_the_pages(
        client: TestClient, new_client: Callable[..., TestClient]) -> None:
    alice, bob = two_readers(client, new_client)
    alice.put("/api/papers/100/reaction", json={"value": "like"})
    alice.put("/api/saved/100", json={"collection": "Alice only", "note": "secret note"})
    cid = alice.get("/api/collections").json()["collections"][0]["id"]

    page = bob.get("/papers/100").text
    assert 'aria-pressed="true"' not in page and "secret note" not in page
    saved = bob.get("/saved").text
    assert "Alice only" not in saved and "Nothing saved yet" in saved
    assert bob.get(f"/saved?collection={cid}").status_code == 404
    token = csrf_of(bob.get("/saved").text)
    r = bob.post(f"/saved/collections/{cid}/delete", data={"csrf_token": token},
                 follow_redirects=False)
    assert r.status_code == 404
    r = bob.post(f"/saved/collections/{cid}/rename", data={"csrf_token": token, "name": "x"},
                 follow_redirects=False)
    assert r.status_code == 404
    assert "Alice only" in alice.get("/saved").text


def test_record_markup_is_sanitised_before_rendering(client: TestClient, store: Store) -> None:
    add_papers(store, [make_paper(
        "666", title="Evil <script>alert(1)</script>",
        title_html='Evil <i>title</i><script>alert("t")</script>',
        abstract_html='<b>bold</b><img src=x onerror="alert(2)"><a href="javascript:alert(3)">'
                      'link</a><sup onclick="alert(4)">2</sup>')])
    html = client.get("/papers/666").text
    assert "<i>title</i>" in html and "<b>bold</b>" in html and "<sup>2</sup>" in html
    for bad in ("<script>alert", "onerror", "javascript:", "onclick", "<img src=x"):
        assert bad not in html, bad
    # the plain title is escaped, not interpreted
    assert "Evil &lt;script&gt;" in html


def test_security_headers_on_pages_and_api(client: TestClient) -> None:
    for path in ("/", "/papers/100", "/api/papers/100", "/login", "/api/nope"):
        r = client.get(path)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert not re.search(r"https?://", csp)  # our own origin only
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "same-origin"
    assert client.get("/papers/100").headers["cache-control"] == "no-store"


def test_pages_load_nothing_from_other_origins(client: TestClient, reader: dict[str, Any]
                                               ) -> None:
    for path in ("/", "/papers/100", "/saved", "/settings", "/login"):
        html = client.get(path).text
        loads = re.findall(r'<(?:script|img|link|iframe|source)[^>]+(?:src|href)="([^"]+)"', html)
        assert loads and all(url.startswith("/") and not url.startswith("//") for url in loads), (
            path, loads)
        assert "<script>" not in html and " style=" not in html  # CSP would block inline code


def test_forms_need_the_csrf_token(client: TestClient, reader: dict[str, Any]) -> None:
    page = client.get("/papers/100").text
    token = csrf_of(page)
    url = "/papers/100/reaction"
    assert client.post(url, data={"value": "like"}, follow_redirects=False).status_code == 403
    assert client.post(url, data={"value": "like", "csrf_token": "forged"},
                       follow_redirects=False).status_code == 403
    assert client.get("/api/papers/100").json()["reaction"] is None
    r = client.post(url, data={"value": "like", "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/papers/100").json()["reaction"] == "like"


def test_login_form_is_protected_before_a_session_exists(client: TestClient) -> None:
    sign_up(client, "login@example.org")
    client.post("/api/auth/logout")
    r = client.post("/login", data={"email": "login@example.org",
                                    "password": "correct horse battery"},
                    follow_redirects=False)
    assert r.status_code == 403
    token = csrf_of(client.get("/login").text)  # sets the pre-session cookie
    r = client.post("/login", data={"email": "login@example.org", "csrf_token": token,
                                    "password": "correct horse battery"}, follow_redirects=False)
    assert r.status_code == 303


def test_cross_site_writes_are_refused(client: TestClient, reader: dict[str, Any]) -> None:
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                    {"Sec-Fetch-Site": "same-site"}):
        r = client.put("/api/papers/100/reaction", json={"value": "like"}, headers=headers)
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
    assert client.get("/api/papers/100").json()["reaction"] is None
    ok = client.put("/api/papers/100/reaction", json={"value": "like"},
                    headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert ok.status_code == 200
    # reading is fine from anywhere (links from other sites must work)
    assert client.get("/papers/100", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_next_parameter_cannot_send_readers_elsewhere(client: TestClient) -> None:
    sign_up(client, "next@example.org")
    client.post("/api/auth/logout")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example"):
        token = csrf_of(client.get("/login").text)
        r = client.post("/login", data={"email": "next@example.org", "csrf_token": token,
                                        "password": "correct horse battery", "next": target},
                        follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/", target
        client.post("/api/auth/logout")


def test_reading_sets_no_cookie_and_forms_get_their_token(client: TestClient) -> None:
    for path in ("/", "/papers/100", "/api/papers/100"):
        assert "set-cookie" not in client.get(path).headers, path
    login = client.get("/login")
    assert "litfeed_csrf=" in login.headers["set-cookie"]
    assert "httponly" in login.headers["set-cookie"].lower()


def test_hostile_xml_uploads_are_refused_and_inert(client: TestClient, reader: dict[str, Any],
                                                   tmp_path: Any) -> None:
    """The import endpoint reads reference formats, not XML: a hostile PubMed XML file is a
    clear 4xx, and nothing it points at is ever read."""
    secret = tmp_path / "secret.txt"
    secret.write_text("FILESECRET")
    body = (f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
            "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article>"
            "<ArticleTitle>&x;</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
            "</PubmedArticleSet>").encode()
    r = client.post("/api/import", files={"file": ("evil.xml", body, "application/xml")})
    assert 400 <= r.status_code < 500 and "FILESECRET" not in r.text
    assert r.json()["error"] == "parse_error" and r.json()["message"]
    page = client.get("/saved/import").text
    r = client.post("/saved/import", data={"csrf_token": csrf_of(page)},
                    files={"file": ("evil.xml", body, "application/xml")})
    assert 400 <= r.status_code < 500 and "FILESECRET" not in r.text
    assert "FILESECRET" not in client.get("/api/me/export").text
