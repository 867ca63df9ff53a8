"""The reader's feed controls as plain forms (no JavaScript) and as the page script's JSON:
"Not interested in <topic>" with undo, follow / unfollow from the paper page, the "Feed
preferences" section of /settings, and a new private feed URL. Both backends."""

from __future__ import annotations

import re
import threading
from typing import Any

from fastapi.testclient import TestClient
from webhelpers import csrf_of

from feedkit import corpus
from litfeed.config import Settings
from litfeed.models import User
from litfeed.service import accounts, feed, feed_prefs
from litfeed.store import Store

JSON = {"Accept": "application/json"}


def feed_pmids(client: TestClient) -> list[str]:
    r = client.get("/api/feed", params={"limit": 100, "since": "all"})
    assert r.status_code == 200, r.text
    return [item["pmid"] for item in r.json()["results"]]


def card_pmids(html: str) -> list[str]:
    return re.findall(r'<li class="card" data-item data-pmid="(\d+)"', html)


def post(client: TestClient, path: str, data: dict[str, Any], csrf: str,
         **kwargs: Any) -> Any:
    return client.post(path, data={"csrf_token": csrf, **data}, follow_redirects=False,
                       **kwargs)


def test_not_interested_hides_the_topic_and_undo_brings_it_back(
        client: TestClient, store: Store, settings: Settings, reader: dict[str, Any]) -> None:
    topics = corpus(store, settings)
    onco = set(topics["onco"])
    home = client.get("/").text
    assert onco & set(card_pmids(home))
    # every feed card offers its main topic; this one is an oncology paper
    assert "Not interested in Neoplasms" in home and 'data-mute-key="neoplasms"' in home
    csrf = csrf_of(home)

    r = post(client, "/feed/mute", {"topic": "Neoplasms", "op": "mute", "next": "/"}, csrf)
    assert r.status_code == 303 and r.headers["location"] == "/?muted=Neoplasms"
    page = client.get(r.headers["location"]).text
    assert "Papers about “Neoplasms” are hidden from your feed." in page
    assert not onco & set(card_pmids(page))
    assert not onco & set(feed_pmids(client))
    assert client.get("/api/me/settings").json()["muted_topics"] == ["neoplasms"]
    assert "1 muted topic hidden" in page

    undo = re.search(r'<div class="notice feed-undo".*?</div>', page, re.S)
    assert undo and 'name="op" value="unmute"' in undo.group(0) and ">Undo<" in undo.group(0)
    r = post(client, "/feed/mute", {"topic": "Neoplasms", "op": "unmute", "next": "/"}, csrf)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert onco & set(card_pmids(client.get("/").text))
    assert client.get("/api/me/settings").json()["muted_topics"] == []
    # a crafted ?muted= link shows no notice for a topic the reader does not mute
    assert "are hidden from your feed" not in client.get("/?muted=Neoplasms").text


def test_mute_answers_json_to_the_page_script(client: TestClient, store: Store,
                                              settings: Settings,
                                              reader: dict[str, Any]) -> None:
    topics = corpus(store, settings)
    csrf = csrf_of(client.get("/").text)
    r = post(client, "/feed/mute", {"topic": "  Hypertension ", "next": "/"}, csrf,
             headers=JSON)
    assert r.status_code == 200, r.text
    assert r.json() == {"topic": "Hypertension", "key": "hypertension", "muted": True,
                        "muted_topics": ["hypertension"]}
    again = post(client, "/feed/mute", {"topic": "HYPERTENSION"}, csrf, headers=JSON)
    assert again.json()["muted_topics"] == ["hypertension"]  # no duplicate
    assert not set(topics["cardio"]) & set(feed_pmids(client))


def test_feed_control_errors_are_clear_4xx(client: TestClient, store: Store,
                                           settings: Settings,
                                           reader: dict[str, Any]) -> None:
    csrf = csrf_of(client.get("/settings").text)
    cases = [("/feed/mute", {"topic": ""}, "topic is empty"),
             ("/feed/mute", {"topic": "x" * 201}, "longer than 200"),
             ("/feed/mute", {"topic": "bad\x00topic"}, "control characters"),
             ("/feed/mute", {"topic": "Neoplasms", "op": "delete"}, "op must be"),
             ("/feed/follow", {"kind": "hospitals", "name": "Mayo"}, "kind must be"),
             ("/feed/follow", {"kind": "journals", "name": " "}, "name is empty"),
             ("/settings/feed", {"specialty": "astrology"}, "unknown specialty"),
             ("/settings/feed", {"digest": "hourly"}, "digest must be")]
    for path, data, message in cases:
        r = post(client, path, data, csrf, headers=JSON)
        assert r.status_code == 400, (path, data, r.text)
        assert message in r.json()["message"]
        page = post(client, path, data, csrf)  # a browser without script: the error page
        assert page.status_code == 400 and message.split()[0] in page.text
    forged = client.post("/feed/mute", data={"topic": "Neoplasms"}, headers=JSON)
    assert forged.status_code == 403
    assert client.get("/api/me/settings").json()["muted_topics"] == []
    anonymous = TestClient(client.app)  # type: ignore[arg-type]
    r = anonymous.post("/feed/follow", data={"kind": "mesh", "name": "Neoplasms"},
                       follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_follow_from_the_paper_page_then_listed_and_removed_in_settings(
        client: TestClient, store: Store, settings: Settings, reader: dict[str, Any]) -> None:
    topics = corpus(store, settings)
    onco = topics["onco"][0]
    paper = client.get(f"/papers/{onco}").text
    assert ">Follow J Clin Oncol<" in paper
    assert 'data-follow-kind="mesh" data-follow-key="neoplasms"' in paper
    assert 'data-follow-kind="authors" data-follow-key="ünal a"' in paper
    csrf = csrf_of(paper)
    here = f"/papers/{onco}"
    for kind, name in [("journals", "J Clin Oncol"), ("authors", "Ünal A"),
                       ("mesh", "Neoplasms")]:
        r = post(client, "/feed/follow", {"kind": kind, "name": name, "op": "follow",
                                          "next": here}, csrf)
        assert r.status_code == 303 and r.headers["location"] == here
    paper = client.get(here).text
    assert re.search(r'aria-pressed="true"[^>]*>Following J Clin Oncol<', paper)
    assert client.get("/api/me/settings").json()["follows"] == {
        "journals": ["J Clin Oncol"], "authors": ["Ünal A"], "mesh": ["Neoplasms"]}
    # with no specialty and no reaction, the followed journal now leads the feed
    assert feed_pmids(client)[0] in topics["onco"]

    page = client.get("/settings").text
    section = page[page.index('id="feed"'):]
    journals = section[section.index("Followed journals"):section.index("Followed authors")]
    assert "J Clin Oncol" in journals and ">Remove<" in journals
    r = post(client, "/feed/follow", {"kind": "journals", "name": "j clin oncol",
                                      "op": "unfollow", "next": "/settings#feed"}, csrf)
    assert r.status_code == 303 and r.headers["location"] == "/settings#feed"
    follows = client.get("/api/me/settings").json()["follows"]
    assert follows["journals"] == [] and follows["mesh"] == ["Neoplasms"]
    assert 'aria-pressed="false"' in client.get(here).text.split("Follow J Clin Oncol<")[0][-300:]

    # "Not interested in this topic" on the paper page toggles there (no undo banner)
    r = post(client, "/feed/mute", {"topic": "Neoplasms", "next": here}, csrf)
    assert r.status_code == 303 and r.headers["location"] == here
    assert re.search(r'aria-pressed="true"[^>]*>Muted: show it again<', client.get(here).text)

    r = post(client, "/feed/follow", {"kind": "journals", "name": "Circulation"}, csrf,
             headers=JSON)
    assert r.status_code == 200
    assert r.json()["following"] is True and r.json()["follows"]["journals"] == ["Circulation"]


def test_settings_feed_preferences_specialties_digest_and_muted(
        client: TestClient, store: Store, settings: Settings, reader: dict[str, Any]) -> None:
    page = client.get("/settings").text
    assert "Feed preferences" in page and page.count('name="specialty"') >= 30
    feed_section = page[page.index('id="feed"'):page.index('id="privacy"')]
    assert 'name="personalization"' not in feed_section  # the privacy section's own control
    csrf = csrf_of(page)
    r = post(client, "/settings/feed", {"specialty": ["psychiatry", "cardiology"],
                                        "digest": "weekly",
                                        "next": "/settings?feed=saved#feed"}, csrf)
    assert r.status_code == 303 and r.headers["location"] == "/settings?feed=saved#feed"
    got = client.get("/api/me/settings").json()
    assert got["specialties"] == ["psychiatry", "cardiology"] and got["digest"] == "weekly"
    page = client.get(r.headers["location"]).text
    assert "Feed preferences saved." in page
    assert 'value="psychiatry" checked' in page and 'value="weekly" checked' in page
    # nothing ticked clears the specialties; the digest stays what was sent
    post(client, "/settings/feed", {"digest": "off"}, csrf)
    got = client.get("/api/me/settings").json()
    assert got["specialties"] == [] and got["digest"] == "off"

    r = post(client, "/feed/mute", {"topic": "COVID-19", "next": "/settings#feed"}, csrf)
    assert r.headers["location"] == "/settings#feed"  # no undo banner on the settings page
    section = client.get("/settings").text
    muted = section[section.index("Muted topics"):section.index("Private feed URL")]
    assert "covid-19" in muted and ">Unmute<" in muted
    post(client, "/feed/mute", {"topic": "covid-19", "op": "unmute",
                                "next": "/settings#feed"}, csrf)
    assert client.get("/api/me/settings").json()["muted_topics"] == []


def test_a_new_private_feed_url_retires_the_old_one(client: TestClient, store: Store,
                                                    settings: Settings,
                                                    reader: dict[str, Any]) -> None:
    corpus(store, settings)
    old = client.get("/api/feed/atom").json()["url"]
    old_path = old[old.index("/feeds/"):]
    anonymous = TestClient(client.app)  # type: ignore[arg-type]
    assert anonymous.get(old_path).status_code == 200
    page = client.get("/settings").text
    assert f'value="{old}"' in page
    r = post(client, "/settings/feed/atom", {}, csrf_of(page))
    assert r.status_code == 303 and r.headers["location"] == "/settings?atom=new#feed-atom"
    new = client.get("/api/feed/atom").json()["url"]
    assert new != old and f'value="{new}"' in client.get(r.headers["location"]).text
    assert anonymous.get(old_path).status_code == 404
    assert anonymous.get(new[new.index("/feeds/"):]).status_code == 200
    newer = client.post("/api/feed/atom/regenerate").json()["url"]
    assert newer != new and anonymous.get(new[new.index("/feeds/"):]).status_code == 404
    assert anonymous.get("/feeds/users/99999999999999-abc.atom").status_code == 404


def test_simultaneous_clicks_all_count(store: Store, settings: Settings) -> None:
    """The page script sends clicks without waiting: each read-modify-write keeps the others'."""
    user: User = accounts.register(store, settings, email="clicks@example.org",
                                   password="a long enough password")
    names = [f"Topic {i}" for i in range(8)]
    errors: list[BaseException] = []

    def click(name: str) -> None:
        try:
            feed_prefs.set_muted(store, user.id, name, True)
            feed_prefs.set_followed(store, user.id, "mesh", name, True)
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    got = feed.get_settings(store, user.id)
    assert sorted(got["muted_topics"]) == sorted(n.lower() for n in names)
    assert sorted(got["follows"]["mesh"]) == sorted(names)
