"""Search through the HTTP API and the /search page, on both backends.

The ``papers`` fixture: 100 an RCT (2021, free full text, "depression" in its title), 101 a
retracted trial (2020), 102 a systematic review (2019); all three abstracts mention depression.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhelpers import csrf_of, sign_up

from factories import add_papers, make_paper
from litfeed.config import Settings
from litfeed.models import AbstractSection
from litfeed.store import Store
from litfeed.web.app import create_app


def api(client: TestClient, **params: Any) -> dict[str, Any]:
    r = client.get("/api/search", params=params)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def pmids(data: dict[str, Any]) -> list[str]:
    return [r["pmid"] for r in data["results"]]


def test_api_search_ranks_title_matches_first(client: TestClient) -> None:
    data = api(client, q="depression")
    assert data["total"] == 3 and data["query"] == "depression"
    assert pmids(data)[0] == "100"  # the word is in its title, weighted above the abstract
    first = data["results"][0]
    assert set(first) >= {"pmid", "title", "journal", "year", "score", "snippet"}
    assert first["journal"] == "Am J Psychiatry" and first["year"] == 2021
    assert first["free_full_text"] is True
    assert "<b>Depression</b>" in first["snippet"]


def test_api_filters_sort_and_pages(client: TestClient) -> None:
    assert pmids(api(client, q="depression", hide_retracted="true")) == ["100", "102"]
    assert pmids(api(client, q="depression", type=["Systematic Review", "Meta-Analysis"])
                 ) == ["102"]
    assert pmids(api(client, q="depression", year_from=2020, year_to=2020)) == ["101"]
    assert pmids(api(client, q="depression", free_full_text="true")) == ["100"]
    assert api(client, q="depression", has_abstract="true")["total"] == 3
    assert pmids(api(client, q="depression", sort="date")) == ["100", "101", "102"]
    second = api(client, q="depression", sort="date", size=1, page=2)
    assert pmids(second) == ["101"] and second["total"] == 3 and second["pages"] == 3
    assert api(client, q="depression", size=1, page=4)["results"] == []


def test_snippets_are_safe_html(client: TestClient, store: Store) -> None:
    hostile = replace(make_paper("200", title="Ketamine"), abstract=(AbstractSection(
        label=None, text='<img src=x onerror="alert(1)"> ketamine & mood', html=""),))
    add_papers(store, [hostile])
    snippet = api(client, q="ketamine")["results"][0]["snippet"]
    assert "<img" not in snippet and "&lt;img" in snippet
    assert "<b>ketamine</b>" in snippet and "&amp; mood" in snippet


def test_syntax_errors_are_400_with_the_position(client: TestClient) -> None:
    r = client.get("/api/search", params={"q": "depression AND ("})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "query_syntax"
    assert re.search(r"expected .+ at position \d+$", body["message"]), body["message"]
    r = client.get("/api/search", params={"q": "depression[xx]"})
    assert r.status_code == 400 and "position 10" in r.json()["message"]
    assert client.get("/api/search", params={"q": "  "}).json()["error"] == "invalid_input"
    assert client.get("/api/search").status_code == 422  # q is required
    assert client.get("/api/search", params={"q": "a", "size": 101}).status_code == 422
    too_deep = client.get("/api/search", params={"q": "a", "size": 100, "page": 400})
    assert too_deep.status_code == 400


_TOKENS = st.sampled_from(["AND", "OR", "NOT", "(", ")", '"', "“", "[ti]", "[dp]", "[au]",
                           "[xx]", "[", "]", "*", "ab*", "2020:", "2021/13[dp]", "depression",
                           " ", ":", "/", "\x00", "\\", "é", "[mh]", "a" * 50])
_GARBAGE = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=80),
    st.lists(_TOKENS, max_size=20).map("".join),
)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=_GARBAGE, sort=st.sampled_from(["relevance", "date", "x"]),
       page=st.sampled_from(["1", "2", "0", "-1", "x", "99999999999999999999"]))
def test_garbage_queries_are_never_a_server_error(client: TestClient, q: str, sort: str,
                                                  page: str) -> None:
    r = client.get("/api/search", params={"q": q, "sort": sort, "page": page})
    assert r.status_code in (200, 400, 422), (q, r.status_code, r.text)
    if r.status_code == 400:
        body = r.json()
        assert body["error"] in ("query_syntax", "invalid_input")
        if body["error"] == "query_syntax":
            assert re.search(r"at position \d+$", body["message"])


def test_search_needs_an_account_when_the_server_is_not_public(
        web_settings: Settings, store: Store, papers: list[str]) -> None:
    with TestClient(create_app(replace(web_settings, public=False), store)) as c:
        assert c.get("/api/search", params={"q": "depression"}).status_code == 401
        assert c.get("/search?q=depression", follow_redirects=False).status_code == 303
        sign_up(c, "private@example.org")
        assert c.get("/api/search", params={"q": "depression"}).json()["total"] == 3


# --- the page ------------------------------------------------------------------------------------

def test_search_page_lists_cards_with_snippets_and_filters(client: TestClient) -> None:
    html = client.get("/search", params={"q": "depression", "hide_retracted": "1",
                                         "year_from": "", "year_to": ""}).text
    assert 'data-total="2"' in html
    assert "/papers/100" in html and "/papers/102" in html and "/papers/101" not in html
    assert "<b>Depression</b>" in html  # the snippet, rendered as HTML
    assert 'name="hide_retracted" value="1" checked' in html
    assert 'href="/help/search"' in html
    assert "Log in</a> to save this search" in html  # anonymous: no actions, no save button
    assert 'data-act="like"' not in html
    by_date = client.get("/search", params={"q": "depression", "sort": "date"}).text
    assert by_date.index("/papers/100") < by_date.index("/papers/101") < by_date.index(
        "/papers/102")


def test_search_page_pages(client: TestClient, store: Store) -> None:
    add_papers(store, [make_paper(str(300 + k), published="2000") for k in range(22)])
    first = client.get("/search", params={"q": "depression"}).text
    assert 'data-total="25"' in first and "Page 1 of 2" in first
    assert 'rel="next"' in first and 'rel="prev"' not in first
    second = client.get("/search", params={"q": "depression", "page": "2"}).text
    assert second.count('class="card"') == 5 and 'rel="prev"' in second


def test_search_page_explains_a_syntax_error(client: TestClient) -> None:
    r = client.get("/search", params={"q": "depression AND ("})
    assert r.status_code == 400
    assert "position 16" in r.text and "data-query-error" in r.text
    assert "depression AND (\n" + " " * 16 + "^" in r.text
    r = client.get("/search", params={"q": "x", "year_from": "20x0"})
    assert r.status_code == 400 and "expected a year" in r.text


def test_signed_in_search_acts_inline_and_saves_the_search(client: TestClient) -> None:
    sign_up(client, "searcher@example.org")
    here = "/search?q=depression&type=Review"
    html = client.get(here).text
    assert 'data-act="like"' in html and 'data-act="save"' in html
    token = csrf_of(html)
    # like from the result list, without JavaScript: back to the same results
    r = client.post("/papers/102/reaction", data={"csrf_token": token, "value": "like",
                                                  "next": here}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == here
    assert 'aria-pressed="true" data-act="like"' in client.get(here).text
    # "Save this search" keeps the query and the filters
    r = client.post("/searches", data={"csrf_token": token, "q": "depression",
                                       "type": "Review", "name": ""}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/searches"
    saved = client.get("/api/searches").json()["searches"]
    assert [(s["name"], s["query"], s["filters"], s["new"]) for s in saved] == [
        ("depression", "depression", {"type": ["Review"]}, 0)]
    assert "Your saved searches" in client.get("/search").text


def test_help_page_explains_the_syntax(client: TestClient) -> None:
    html = client.get("/help/search").text
    for example in ("[tiab]", "smith j[au]", "2015:2020[dp]", "neurogen*", "(a OR b) AND c"):
        assert example in html
