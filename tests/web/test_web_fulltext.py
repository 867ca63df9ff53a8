"""Full text on the web: /api/papers/{pmid}/links, institutions (admins write), the reader's
institution in /api/me/settings and on /settings, the paper page's block, the card button, and
Unpaywall through the store cache (a local server, never the network)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webhelpers import csrf_of, sign_up

from factories import add_papers, make_paper
from fulltext.fulltext_support import FakeUnpaywall, serve_unpaywall
from litfeed.config import Settings
from litfeed.fulltext.institutions import Institution
from litfeed.service import accounts, institutions
from litfeed.store import Store
from litfeed.web.app import create_app

EXAMPLE = {"name": "Example University", "ezproxy_prefix": "ezproxy.example.edu",
           "openurl_base": "https://resolver.example.edu/openurl",
           "email_domains": ["example.edu"]}
PROXIED = "https://doi-org.ezproxy.example.edu/10.1000/only-doi"


@pytest.fixture
def more_papers(store: Store, papers: list[str]) -> None:
    """Besides the web fixtures' 100 (DOI + PMC), 101 and 102 (neither): 103, DOI only."""
    add_papers(store, [make_paper("103", published="2022-01", doi="10.1000/only-doi")])


@pytest.fixture
def example(store: Store) -> Institution:
    return institutions.add_institution(store, Institution(
        name=EXAMPLE["name"], ezproxy_prefix="ezproxy.example.edu",
        openurl_base="https://resolver.example.edu/openurl", email_domains=("example.edu",)))


@pytest.fixture
def admin(client: TestClient, store: Store) -> dict[str, Any]:
    signed_in = sign_up(client, "admin@example.org")
    accounts.set_admin(store, "admin@example.org", True)
    return signed_in


def kinds(answer: dict[str, Any]) -> list[str]:
    return [link["kind"] for link in answer["links"]]


# --- API -----------------------------------------------------------------------------------------

def test_links_api_anonymous_and_unknown(client: TestClient, more_papers: None) -> None:
    r = client.get("/api/papers/100/links")
    assert r.status_code == 200
    data = r.json()
    assert data["pmid"] == "100" and data["institution"] is None
    assert kinds(data) == ["pmc", "doi", "pubmed"]
    assert data["links"][0]["open_access"] is True
    assert client.get("/api/papers/99999/links").status_code == 404
    assert client.get("/api/papers/abc/links").json()["error"] == "not_found"


def test_links_api_uses_the_callers_institution(client: TestClient, more_papers: None,
                                                example: Institution) -> None:
    sign_up(client, "jane@med.example.edu")
    data = client.get("/api/papers/103/links").json()
    assert data["institution"] == "Example University"
    assert data["links"][0] == {"kind": "institution", "url": PROXIED, "via": "ezproxy",
                                "label": "Full text through Example University",
                                "open_access": False}


def test_links_api_follows_the_public_setting(web_settings: Settings, store: Store,
                                              more_papers: None) -> None:
    with TestClient(create_app(replace(web_settings, public=False), store)) as private:
        assert private.get("/api/papers/103/links").status_code == 401


def test_institution_writes_are_for_admins_only(client: TestClient, new_client: Any,
                                                admin: dict[str, Any]) -> None:
    anonymous = new_client()
    assert anonymous.post("/api/institutions", json=EXAMPLE).status_code == 401
    assert anonymous.get("/api/institutions").status_code == 401
    r = client.post("/api/institutions", json=EXAMPLE)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "Example University" and created["id"] >= 1

    reader = new_client()
    sign_up(reader, "reader@example.org")
    assert reader.get("/api/institutions").json() == {"institutions": [created]}
    for method, path in [("post", "/api/institutions"),
                         ("put", f"/api/institutions/{created['id']}"),
                         ("delete", f"/api/institutions/{created['id']}")]:
        r = reader.request(method.upper(), path, json={**EXAMPLE, "name": "Mine"})
        assert r.status_code == 403 and r.json()["error"] == "forbidden", (method, r.text)

    r = client.put(f"/api/institutions/{created['id']}",
                   json={**EXAMPLE, "ill_url": "https://ill.example.edu/form"})
    assert r.json()["ill_url"] == "https://ill.example.edu/form"
    assert client.delete(f"/api/institutions/{created['id']}").status_code == 204
    assert client.get("/api/institutions").json() == {"institutions": []}
    assert client.delete(f"/api/institutions/{created['id']}").status_code == 404


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"ezproxy_prefix": "https://ezproxy.example.edu/"}, 400, "must end with /login?url="),
    ({"openurl_base": "javascript:alert(1)"}, 400, "OpenURL resolver base URL"),
    ({"email_domains": ["@"]}, 400, "email domain"),
    ({"name": "x" * 201}, 422, "name"),
    ({"colour": "red"}, 422, "colour"),
])
def test_bad_institutions_are_refused(client: TestClient, admin: dict[str, Any],
                                      change: dict[str, Any], status: int, message: str) -> None:
    r = client.post("/api/institutions", json={**EXAMPLE, **change})
    assert r.status_code == status, r.text
    assert message in r.json()["message"]


def test_duplicate_institution_is_409(client: TestClient, admin: dict[str, Any]) -> None:
    assert client.post("/api/institutions", json=EXAMPLE).status_code == 201
    r = client.post("/api/institutions", json={**EXAMPLE, "name": "example UNIVERSITY"})
    assert r.status_code == 409 and r.json()["error"] == "conflict"


def test_my_institution_through_me_settings(client: TestClient, example: Institution) -> None:
    sign_up(client, "jane@example.edu")
    mine = client.get("/api/me/settings").json()
    assert mine["institution"] is None  # no choice stored
    assert mine["institution_source"] == "email"
    assert mine["effective_institution"]["name"] == "Example University"

    r = client.put("/api/me/settings", json={"institution": "none"})
    assert r.json()["effective_institution"] is None and r.json()["institution"] == "none"
    assert client.get("/api/me/settings").json()["institution_source"] == "none"
    r = client.put("/api/me/settings", json={"institution": example.id})
    assert r.json()["institution_source"] == "chosen"
    assert r.json()["institution"] == example.id
    assert client.put("/api/me/settings", json={"institution": "Nowhere"}).status_code == 404
    assert client.put("/api/me/settings", json={"institution": True}).status_code == 422
    assert client.put("/api/me/settings", json={}).json()["institution"] == example.id
    r = client.put("/api/me/settings", json={"institution": None})
    assert (r.json()["institution"], r.json()["institution_source"]) == (None, "email")


def test_me_settings_needs_a_reader(client: TestClient) -> None:
    assert client.get("/api/me/settings").status_code == 401


# --- pages ---------------------------------------------------------------------------------------

def block(html: str) -> str:
    found = re.search(r'<section class="fulltext".*?</section>', html, re.S)
    assert found, "the paper page has no full-text block"
    return found.group(0)


def best_button(block_html: str) -> tuple[str, str]:
    """The big button's href and text."""
    found = re.search(r'<a class="btn btn-primary[^"]*" href="([^"]+)"[^>]*data-fulltext-best'
                      r'[^>]*>(.*?)</a>', block_html, re.S)
    assert found, "no big full-text button"
    return found.group(1), " ".join(re.sub(r"<[^>]+>", " ", found.group(2)).split())


def test_paper_page_block_best_link_as_a_button(client: TestClient, more_papers: None) -> None:
    html = block(client.get("/papers/100").text)
    href, text = best_button(html)
    assert href == "https://pmc.ncbi.nlm.nih.gov/articles/PMC100/"
    assert "Open access" in text  # the PMC copy is free
    assert 'href="https://doi.org/10.1000/rct"' in html
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/100/"' in html
    hrefs = re.findall(r'<a [^>]*href="([^"]+)"[^>]*>', html)
    anchors = re.findall(r"<a [^>]*>", html)
    assert len(hrefs) == 3
    for anchor in anchors:  # every link leaves in a new tab and tells the target nothing
        assert 'target="_blank"' in anchor and 'rel="noopener noreferrer"' in anchor


def test_paper_page_uses_the_readers_institution(client: TestClient, more_papers: None,
                                                 example: Institution) -> None:
    sign_up(client, "jane@example.edu")
    href, text = best_button(block(client.get("/papers/103").text))
    assert (href, text) == (PROXIED, "Full text through Example University")


def test_paper_page_invites_a_reader_without_institution(client: TestClient, more_papers: None,
                                                         example: Institution,
                                                         reader: dict[str, Any]) -> None:
    html = block(client.get("/papers/103").text)
    assert 'href="/settings#institution"' in html
    assert "ezproxy" not in html
    client.put("/api/me/settings", json={"institution": "none"})  # opted out: no nagging
    assert "/settings#institution" not in block(client.get("/papers/103").text)


def test_every_card_has_a_full_text_button(client: TestClient, more_papers: None,
                                           example: Institution) -> None:
    def card_links(html: str) -> dict[str, str]:
        cards = re.findall(r'<li class="card"[^>]*data-pmid="(\d+)".*?</li>', html, re.S)
        found = dict(re.findall(r'<li class="card"[^>]*data-pmid="(\d+)".*?'
                                r'<a class="btn btn-small btn-fulltext-card" href="([^"]+)"',
                                html, re.S))
        assert sorted(found) == sorted(cards)
        return found

    anonymous = card_links(client.get("/").text)
    assert anonymous["100"] == "https://pmc.ncbi.nlm.nih.gov/articles/PMC100/"
    assert anonymous["103"] == "https://doi.org/10.1000/only-doi"
    assert anonymous["101"] == "https://pubmed.ncbi.nlm.nih.gov/101/"
    sign_up(client, "jane@example.edu")
    mine = card_links(client.get("/").text)
    assert mine["103"] == PROXIED  # through the reader's library
    assert mine["100"] == anonymous["100"]  # a free copy still comes first
    client.put("/api/saved/103", json={})
    assert card_links(client.get("/saved").text)["103"] == PROXIED
    assert f'data-fulltext="{PROXIED}"' in client.get("/").text  # what the `o` key opens


def test_admin_page_is_for_admins(client: TestClient, new_client: Any, admin: dict[str, Any]
                                  ) -> None:
    reader = new_client()
    sign_up(reader, "reader@example.org")
    assert reader.get("/admin/institutions").status_code == 403
    anonymous = new_client().get("/admin/institutions", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert client.get("/admin/institutions").status_code == 200


def test_admin_adds_edits_and_removes_institutions_with_forms(
        client: TestClient, admin: dict[str, Any], store: Store) -> None:
    page = "/admin/institutions"
    token = csrf_of(client.get(page).text)
    form = {"csrf_token": token, "name": "Example University",
            "ezproxy_prefix": "https://ezproxy.example.edu/", "openurl_base": "",
            "ill_url": "", "email_domains": "example.edu, example-hospital.org"}
    bad = client.post(page, data=form)
    assert bad.status_code == 400
    assert "must end with /login?url=" in bad.text
    assert 'value="example.edu, example-hospital.org"' in bad.text  # what was typed stays
    assert institutions.list_institutions(store) == []

    form["ezproxy_prefix"] = "https://ezproxy.example.edu/login?url="
    r = client.post(page, data=form, follow_redirects=False)
    assert r.status_code == 303
    [saved] = institutions.list_institutions(store)
    assert saved.email_domains == ("example.edu", "example-hospital.org")
    assert saved.openurl_base is None

    r = client.post(f"{page}/{saved.id}", data={**form, "name": "Example U"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert institutions.get_institution(store, saved.id).name == "Example U"
    assert client.post(f"{page}/{saved.id}", data={**form, "ill_url": "javascript:x"}
                       ).status_code == 400
    r = client.post(f"{page}/{saved.id}/delete", data={"csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    assert institutions.list_institutions(store) == []
    assert client.post(page, data={**form, "csrf_token": "forged"}).status_code == 403


def test_settings_picker_preselects_the_email_match_and_saves(
        client: TestClient, example: Institution, store: Store) -> None:
    sign_up(client, "jane@example.edu")
    html = client.get("/settings").text
    assert re.search(rf'<option value="{example.id}" selected>Example University</option>', html)
    assert "Picked from your email address" in html
    r = client.post("/settings/institution",
                    data={"csrf_token": csrf_of(html), "institution": "none"},
                    follow_redirects=False)
    assert r.status_code == 303
    html = client.get(r.headers["location"]).text
    assert '<option value="none" selected>' in html and "Institution saved" in html
    assert client.get("/api/papers/100/links").json()["institution"] is None


# --- Unpaywall through the app -------------------------------------------------------------------

@pytest.fixture(scope="module")
def unpaywall() -> Iterator[FakeUnpaywall]:
    with serve_unpaywall() as server:
        yield server


@pytest.fixture
def online(web_settings: Settings, store: Store, papers: list[str],
           unpaywall: FakeUnpaywall) -> Iterator[TestClient]:
    unpaywall.requests.clear()
    add_papers(store, [make_paper("200", doi="10.5555/litfeed.hybrid"),
                       make_paper("201", doi="10.5555/litfeed.error500")])
    settings = replace(web_settings, unpaywall_email="librarian@example.org",
                       unpaywall_url=unpaywall.url)
    with TestClient(create_app(settings, store)) as c:
        yield c


def test_unpaywall_links_on_the_page_cached_and_safe(online: TestClient,
                                                     unpaywall: FakeUnpaywall) -> None:
    html = online.get("/papers/200").text
    assert len(unpaywall.requests) == 1
    found = block(html)
    href, text = best_button(found)
    assert href.startswith("https://www.journals.example.com/doi/pdf/10.5555/litfeed.hybrid")
    assert text == "Free published version at the publisher (CC BY-NC-ND) Open access"
    assert "Accepted manuscript" in found  # a version shown below
    assert "javascript:" not in html and "data:text" not in html
    for href in re.findall(r'href="([^"]+)"', found):
        assert href.startswith("https://") or href.startswith("/"), href
    api = online.get("/api/papers/200/links").json()
    assert api["links"][0]["kind"] == "open_access" and api["links"][0]["open_access"]
    online.get("/papers/200")
    assert len(unpaywall.requests) == 1  # the store cache answered
    online.get("/")
    assert len(unpaywall.requests) == 1  # lists never ask Unpaywall


def test_unpaywall_failure_leaves_the_offline_links(online: TestClient,
                                                    unpaywall: FakeUnpaywall) -> None:
    r = online.get("/api/papers/201/links")
    assert r.status_code == 200
    assert kinds(r.json()) == ["doi", "pubmed"]
    assert len(unpaywall.requests) == 1
    assert "https://doi.org/10.5555/litfeed.error500" in block(online.get("/papers/201").text)


def test_no_route_redirects_to_a_url_from_the_request(app: Any) -> None:
    """litfeed links straight to targets; nothing like /go?url= exists to be abused."""
    for route in app.routes:
        path = getattr(route, "path", "")
        assert not re.search(r"/(go|out|redirect|link|goto)\b", path), path
