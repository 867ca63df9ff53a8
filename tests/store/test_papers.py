"""Store semantics of NLM's distribution on both backends: add, replace, version, delete."""

from __future__ import annotations

from litfeed.models import Deletion, Paper
from litfeed.store import Store
from litfeed.store import papers as sp
from testkit import make_paper


def apply(store: Store, records: list[Paper | Deletion]) -> sp.BatchCounts:
    with store.transaction() as conn:
        return sp.apply_batch(conn, records)


def test_add_then_identical_is_unchanged(store: Store) -> None:
    first = apply(store, [make_paper("1"), make_paper("2")])
    assert (first.added, first.unchanged) == (2, 0)
    again = apply(store, [make_paper("1"), make_paper("2")])
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    with store.read() as conn:
        assert sp.count_papers(conn) == 2
        paper = sp.find_paper(conn, "1")
    assert paper is not None
    assert paper.authors[0].last == "Ünal"
    assert paper.authors[1].collective == "The Trial Group"
    assert paper.abstract[0].text == "p < 0.05"


def test_new_content_replaces_and_lower_version_never_does(store: Store) -> None:
    apply(store, [make_paper("7", version=2, title="second version")])
    older = apply(store, [make_paper("7", version=1, title="first version")])
    assert older.unchanged == 1
    newer = apply(store, [make_paper("7", version=3, title="third version")])
    assert newer.updated == 1
    revised = apply(store, [make_paper("7", version=3, title="third, corrected")])
    assert revised.updated == 1
    with store.read() as conn:
        paper = sp.find_paper(conn, "7")
    assert paper is not None and paper.title == "third, corrected" and paper.version == 3


def test_versions_inside_one_batch_count_like_one_by_one(store: Store) -> None:
    counts = apply(store, [make_paper("9", version=1), make_paper("9", version=2, title="v2")])
    assert (counts.added, counts.updated) == (1, 1)
    with store.read() as conn:
        paper = sp.find_paper(conn, "9")
    assert paper is not None and paper.version == 2


def test_delete_removes_and_repeating_it_changes_nothing(store: Store) -> None:
    apply(store, [make_paper("5", doi="10.1/x"), make_paper("6")])
    counts = apply(store, [Deletion("5"), Deletion("404")])
    assert counts.deleted == 2
    with store.read() as conn:
        assert sp.find_paper(conn, "5") is None
        assert sp.find_pmid_by_doi(conn, "10.1/X") is None
        assert sp.count_papers(conn) == 1
    again = apply(store, [Deletion("5"), Deletion("404")])
    assert (again.deleted, again.unchanged) == (0, 2)


def test_deleted_paper_can_come_back(store: Store) -> None:
    apply(store, [make_paper("8")])
    apply(store, [Deletion("8")])
    back = apply(store, [make_paper("8", title="restored")])
    assert back.added == 1
    with store.read() as conn:
        paper = sp.find_paper(conn, "8")
    assert paper is not None and paper.title == "restored"


def test_lookup_by_doi_is_case_insensitive(store: Store) -> None:
    apply(store, [make_paper("11", doi="10.1056/NEJMoa2034577")])
    with store.read() as conn:
        assert sp.find_pmid_by_doi(conn, "10.1056/nejmoa2034577") == "11"
