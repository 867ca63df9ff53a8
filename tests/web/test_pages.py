"""Server-rendered pages: what a reader sees, and every action as a plain form POST."""

from __future__ import annotations

import json
from dataclasses import replace

from fastapi.testclient import TestClient
from webhelpers import csrf_of

from litfeed.config import Settings
from litfeed.store import Store
from litfeed.web.app import create_app


def register(client: TestClient, email: str = "page@example.org") -> None:
    token = csrf_of(client.get("/register").text)
    r = client.post("/register", data={"csrf_token": token, "email": email, "name": "Dr Page",
                                       "password": "long enough 1", "password2": "long enough 1"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def post(client: TestClient, url: str, page: str, *, with_next: bool = True, **data: str
         ) -> str:
    """Submit a form of ``page`` the way a browser without JavaScript does (the forms that
    return to their page carry ``next``); returns where it lands."""
    token = csrf_of(client.get(page).text)
    fields = {"csrf_token": token, **({"next": page} if with_next else {}), **data}
    r = client.post(url, data=fields, follow_redirects=False)
    assert r.status_code == 303, (r.status_code, r.text[:300])
    return r.headers["location"]


def test_home_lists_the_newest_papers_and_invites_to_sign_up(client: TestClient) -> None:
    html = client.get("/").text
    assert html.index("/papers/100") < html.index("/papers/101") < html.index("/papers/102")
    assert "Create an account" in html and "Log in" in html


def test_paper_page_shows_the_record(client: TestClient) -> None:
    r = client.get("/papers/100")
    assert r.status_code == 200
    html = r.text
    assert "Psychotherapy plus medication for depression" in html
    assert "Am J Psychiatry" in html and "Mar 2021" in html and "173(3):234-45" in html
    assert "Ayşe Ünal" in html and "Ankara University" in html  # affiliations, expandable
    assert '<h3 class="abstract-label">Background</h3>' in html
    assert "Depression is <i>common</i>." in html and "p &lt; 0.05" in html
    assert 'badge-rct">RCT<' in html
    assert 'aria-label="Major topic"' in html and "Depressive Disorder" in html
    assert "https://doi.org/10.1000/rct" in html and "PMC100" in html
    assert 'data-fulltext="https://pmc.ncbi.nlm.nih.gov/articles/PMC100/"' in html
    # the record itself is not flagged (the related block may list a retracted neighbour)
    assert "retracted" not in html.split('id="related-title"')[0].lower()
    assert html.count("data-fulltext-best") == 1  # the full-text block (test_web_fulltext.py)


def test_retracted_paper_has_a_red_banner(client: TestClient) -> None:
    html = client.get("/papers/101").text
    assert 'class="banner-retracted" role="alert"' in html
    assert "This paper has been retracted" in html


def test_review_badges(client: TestClient) -> None:
    html = client.get("/papers/102").text
    assert ">Systematic review<" in html and ">Review<" not in html  # the stronger badge only


def test_unknown_paper_is_an_html_404(client: TestClient) -> None:
    r = client.get("/papers/99999999")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    assert "paper 99999999 is not in the store" in r.text


def test_personal_pages_send_anonymous_readers_to_login(client: TestClient) -> None:
    for path in ("/saved", "/settings"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == f"/login?next={path}"


def test_the_whole_reading_flow_without_javascript(client: TestClient) -> None:
    register(client)
    page = "/papers/100"
    assert "Dr Page" in client.get("/").text  # welcome, by name
    post(client, "/papers/100/reaction", page, value="like")
    assert 'aria-pressed="true" data-act="like"' in client.get(page).text
    assert client.get("/api/papers/100").json()["reaction"] == "like"
    post(client, "/papers/100/reaction", page, value="dislike")
    post(client, "/papers/100/reaction", page, value="dislike", reason="weak_study")
    me = client.get("/api/papers/100").json()
    assert (me["reaction"], me["reaction_reason"]) == ("dislike", "weak_study")
    html = client.get(page).text
    assert 'data-reason="weak_study"\n            aria-pressed="true"' in html
    post(client, "/papers/100/reaction", page, value="none")
    assert client.get("/api/papers/100").json()["reaction"] is None

    # the picker: tick "Saved" and name a new collection in one submit
    landed = post(client, "/papers/100/collections", page, collection="Saved",
                  new_collection="Depression")
    assert landed == page
    assert client.get("/api/papers/100").json()["saved_in"] == ["Saved", "Depression"]
    # unticking "Saved" keeps the paper in the other one
    post(client, "/papers/100/collections", page, collection="Depression")
    assert client.get("/api/papers/100").json()["saved_in"] == ["Depression"]

    saved = client.get("/saved").text
    assert "/papers/100" in saved and "Depression" in saved
    cid = next(c["id"] for c in client.get("/api/collections").json()["collections"]
               if c["name"] == "Depression")
    post(client, "/saved/100/note", "/saved", note="Ask pharmacy about dosing")
    assert "Ask pharmacy about dosing" in client.get(f"/saved?collection={cid}").text
    assert "Ask pharmacy about dosing" in client.get(page).text  # shown on the paper too
    post(client, f"/saved/collections/{cid}/rename", "/saved", name="Mood disorders")
    assert "Mood disorders" in client.get("/saved").text
    post(client, "/saved/100/remove", f"/saved?collection={cid}", collection="Mood disorders")
    assert client.get("/api/saved").json()["results"] == []
    landed = post(client, "/saved/collections", "/saved", with_next=False, name="Later")
    assert landed.startswith("/saved?collection=")
    later = int(landed.split("=")[1])
    assert post(client, f"/saved/collections/{later}/delete", f"/saved?collection={later}"
                ) == "/saved"

    # log out: the library is out of reach
    post(client, "/logout", "/logout")
    assert client.get("/saved", follow_redirects=False).status_code == 303


def test_quick_save_from_a_list(client: TestClient) -> None:
    register(client)
    post(client, "/papers/101/save", "/", op="save")
    assert client.get("/api/papers/101").json()["saved_in"] == ["Saved"]
    post(client, "/papers/101/save", "/", op="unsave")
    assert client.get("/api/papers/101").json()["saved_in"] == []


def test_forms_answer_json_to_the_page_script(client: TestClient) -> None:
    register(client)
    token = csrf_of(client.get("/papers/100").text)
    r = client.post("/papers/100/reaction", data={"csrf_token": token, "value": "dislike",
                                                  "reason": "off_topic"},
                    headers={"Accept": "application/json"})
    assert r.json() == {"pmid": "100", "reaction": "dislike", "reason": "off_topic"}
    r = client.post("/papers/100/collections", data={"csrf_token": token, "collection": "Saved"},
                    headers={"Accept": "application/json"})
    assert r.json() == {"pmid": "100", "collections": ["Saved"]}
    r = client.post("/papers/99999999/reaction", data={"csrf_token": token, "value": "like"},
                    headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.json()["error"] == "not_found"


def test_login_page_errors_and_throttling(web_settings: Settings, store: Store,
                                          papers: list[str]) -> None:
    settings = replace(web_settings, login_max_failures=2)
    with TestClient(create_app(settings, store)) as c:
        register(c, "throttle@example.org")
        c.post("/api/auth/logout")
        for expected in (401, 401, 429):
            token = csrf_of(c.get("/login").text)
            r = c.post("/login", data={"csrf_token": token, "email": "throttle@example.org",
                                       "password": "not the password"})
            assert r.status_code == expected
        assert "too many failed logins" in r.text and "retry-after" in r.headers


def test_registration_closed_page(web_settings: Settings, store: Store, papers: list[str]
                                  ) -> None:
    with TestClient(create_app(replace(web_settings, registration="closed"), store)) as c:
        assert "Registration is closed" in c.get("/register").text
        assert "Create an account" not in c.get("/").text


def test_settings_page_makes_tokens_and_changes_the_password(client: TestClient) -> None:
    register(client)
    token = csrf_of(client.get("/settings").text)
    html = client.post("/settings/tokens", data={"csrf_token": token, "name": "zotero"}).text
    shown = html.split('data-token>')[1].split("<")[0]
    assert shown.startswith("lf_") and "zotero" in html
    api = client.get("/api/me", headers={"Authorization": f"Bearer {shown}"})
    assert api.json()["email"] == "page@example.org"
    r = client.post("/settings/password", data={"csrf_token": token, "current": "long enough 1",
                                                "new": "even longer 2", "new2": "even longer 2"},
                    follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/api/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 401
    assert "Password changed" in client.get("/settings?changed=1").text


def test_installable_app_files(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    data = json.loads(manifest.text)
    assert data["start_url"] == "/" and data["display"] == "standalone"
    sizes = {icon["sizes"] for icon in data["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200, icon["src"]
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and "javascript" in sw.headers["content-type"]
    assert "/offline" in sw.text
    offline = client.get("/offline")
    assert offline.status_code == 200 and "You are offline" in offline.text
    assert 'rel="manifest"' in client.get("/").text
