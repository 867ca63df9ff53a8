"""Fuzz the search query language through HTTP: any text is a result or a 400 that points at
the problem, never a 500 (the parser and the index are fuzzed on their own in tests/search)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

#: pieces that exercise the grammar: operators, tags, quotes, brackets, dates, truncation
PIECES = st.sampled_from([
    *'abc019 *:/-"“”()[]', "AND ", "OR ", "NOT ", "[ti]", "[au]", "[dp]", "[pt]", "[mh]",
    "[majr]", "[pmid]", "[doi]", "[la]", "[xx]", "2021", "2015:2020", "trial", "neuro*", "é",
    "\x00", "\t", "\\", "'", "%", "{", "}", "~", "^", "+", "-", "&&", "||", "field:",
])
QUERIES = st.one_of(st.lists(PIECES, max_size=25).map("".join), st.text(max_size=80))
FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(q=QUERIES, sort=st.sampled_from(["relevance", "date"]))
def test_any_query_is_results_or_a_400_over_the_api(client: TestClient, q: str,
                                                    sort: str) -> None:
    r = client.get("/api/search", params={"q": q, "sort": sort})
    assert r.status_code in (200, 400, 422), (q, r.status_code, r.text[:300])
    body: dict[str, Any] = r.json()
    if r.status_code == 200:
        assert isinstance(body["results"], list)
    else:
        assert body["error"] in {"query_syntax", "invalid_input"} and body["message"]


@FUZZ
@given(q=QUERIES)
def test_any_query_is_a_page_or_a_400_on_the_search_page(client: TestClient, q: str) -> None:
    r = client.get("/search", params={"q": q})
    assert r.status_code in (200, 400, 422), (q, r.status_code, r.text[:300])
    assert "<html" in r.text.lower()


@FUZZ
@given(q=QUERIES)
def test_saving_any_query_is_a_201_or_a_400(client: TestClient, reader: dict[str, Any],
                                           q: str) -> None:
    r = client.post("/api/searches", json={"name": f"fuzz {hash(q)}", "query": q})
    assert r.status_code in (201, 400, 409, 422), (q, r.status_code, r.text[:300])
