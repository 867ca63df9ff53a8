"""Saved searches on both backends: what counts as new, seen, isolation between readers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.errors import Conflict, InvalidInput, NotFound, QuerySyntaxError
from litfeed.search.index import SearchIndex
from litfeed.service import accounts, alerts
from litfeed.service import search as search_service
from litfeed.store import Store


@pytest.fixture
def index(settings: Settings) -> Iterator[SearchIndex]:
    with search_service.open_index(settings) as idx:
        yield idx


@pytest.fixture
def uid(settings: Settings, store: Store) -> int:
    return accounts.register(store, fast(settings), email="a@example.org",
                             password="a long password").id


def test_only_papers_that_arrive_after_saving_are_new(store: Store, index: SearchIndex,
                                                     uid: int) -> None:
    add_papers(store, [make_paper("1", title="Ketamine for depression")])
    saved = alerts.save_search(store, uid, query="ketamine")
    assert saved.name == "ketamine" and saved.digest == "none"
    assert alerts.new_counts(store, index, [saved]) == {saved.id: 0}

    add_papers(store, [make_paper("2", title="Ketamine infusions", published="2015"),
                       make_paper("3", title="Lithium levels")])
    # an old paper replaced by a new version keeps its arrival time: not new
    add_papers(store, [make_paper("1", title="Ketamine for depression, corrected")])
    found = alerts.new_matches(store, index, saved)
    assert found.total == 1 and [f.paper.pmid for f in found.found] == ["2"]
    assert found.since == saved.last_seen_at

    seen = alerts.mark_seen(store, uid, saved.id)
    assert seen.last_seen_at > saved.last_seen_at
    assert alerts.new_counts(store, index, [seen]) == {saved.id: 0}
    add_papers(store, [make_paper("4", title="Esketamine and ketamine compared")])
    assert alerts.new_counts(store, index, [seen]) == {saved.id: 1}


def test_filters_are_saved_and_applied_to_new_matches(store: Store, index: SearchIndex,
                                                      uid: int) -> None:
    filters = search_service.make_filters(types=["Review"], year_from=2020)
    saved = alerts.save_search(store, uid, query="depression", filters=filters, name="Reviews")
    add_papers(store, [
        make_paper("10", publication_types=("Review",), published="2021"),
        make_paper("11", publication_types=("Review",), published="2018"),
        make_paper("12", publication_types=("Randomized Controlled Trial",), published="2022"),
    ])
    again = alerts.get_search(store, uid, saved.id)
    assert again.filters.publication_types == ("Review",) and again.filters.year_from == 2020
    assert [f.paper.pmid for f in alerts.new_matches(store, index, again).found] == ["10"]
    assert again.to_json()["filters"] == {"type": ["Review"], "year_from": 2020}


def test_bad_queries_names_and_digests_are_refused(store: Store, uid: int) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        alerts.save_search(store, uid, query="depression AND (")
    assert "position" in err.value.message
    with pytest.raises(InvalidInput):
        alerts.save_search(store, uid, query="   ")
    with pytest.raises(InvalidInput):
        alerts.save_search(store, uid, query="x\x00y")
    with pytest.raises(InvalidInput):
        alerts.save_search(store, uid, query="depression", digest="hourly")
    alerts.save_search(store, uid, query="depression", name="Mood")
    with pytest.raises(Conflict):
        alerts.save_search(store, uid, query="anxiety", name="Mood")
    other = alerts.save_search(store, uid, query="anxiety")
    with pytest.raises(Conflict):
        alerts.update_search(store, uid, other.id, name="Mood")
    renamed = alerts.update_search(store, uid, other.id, name="Worry", digest="weekly")
    assert (renamed.name, renamed.digest) == ("Worry", "weekly")


def test_another_readers_search_is_not_found(store: Store, settings: Settings,
                                              uid: int) -> None:
    saved = alerts.save_search(store, uid, query="depression")
    intruder = accounts.register(store, fast(settings), email="b@example.org",
                                 password="a long password").id
    assert alerts.list_searches(store, intruder) == []
    for call in (lambda: alerts.get_search(store, intruder, saved.id),
                 lambda: alerts.delete_search(store, intruder, saved.id),
                 lambda: alerts.mark_seen(store, intruder, saved.id),
                 lambda: alerts.update_search(store, intruder, saved.id, name="mine")):
        with pytest.raises(NotFound):
            call()
    assert alerts.get_search(store, uid, saved.id).name == "depression"


def test_feed_token_opens_only_its_search(store: Store, index: SearchIndex, uid: int) -> None:
    saved = alerts.save_search(store, uid, query="ketamine")
    add_papers(store, [make_paper("1", title="Ketamine again"), make_paper("2", title="Other")])
    assert alerts.find_by_feed_token(store, saved.feed_token).id == saved.id
    assert [f.paper.pmid for f in alerts.feed_entries(store, index, saved)] == ["1"]
    for wrong in ("", "x" * 43, saved.feed_token[:-1], saved.feed_token + "'--"):
        with pytest.raises(NotFound):
            alerts.find_by_feed_token(store, wrong)
    alerts.delete_search(store, uid, saved.id)
    with pytest.raises(NotFound):
        alerts.find_by_feed_token(store, saved.feed_token)
