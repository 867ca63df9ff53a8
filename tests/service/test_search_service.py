"""Search through the service and CLI on both backends: consistency with ingest, errors."""

from __future__ import annotations

from pathlib import Path

from litfeed.config import Settings
from litfeed.models import Deletion
from litfeed.service import search as search_service
from litfeed.store import Store
from litfeed.store import papers as sp
from testkit import FIXTURES

BROKEN = FIXTURES / "ingest" / "three-records-one-broken.xml"


def test_cli_search_finds_what_was_just_ingested(store: Store, run_cli,
                                                  cli_env: dict[str, str]) -> None:
    assert run_cli("ingest", str(BROKEN), env=cli_env).code == 0
    result = run_cli("search", "sertraline[ti] AND 2020[dp]", "--json", env=cli_env)
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["total"] == 1
    hit = data["results"][0]
    assert hit["pmid"] == "90000001"
    assert hit["journal"] == "J Tests" and hit["year"] == 2020
    assert set(hit) >= {"pmid", "title", "journal", "year", "score", "snippet"}


def test_deletions_and_replacements_are_visible_at_once(store: Store, settings: Settings) -> None:
    from testkit import make_paper

    with store.transaction() as conn:
        sp.apply_batch(conn, [make_paper("101", title="Lithium in bipolar disorder"),
                              make_paper("102", title="Lithium toxicity")])
    request = search_service.SearchRequest(query="lithium")
    with search_service.open_index(settings) as index:
        assert search_service.search(store, index, request)["total"] == 2
        with store.transaction() as conn:
            sp.apply_batch(conn, [Deletion("102"),
                                  make_paper("101", title="Valproate in bipolar disorder")])
        after = search_service.search(store, index, request)
        assert after["total"] == 0
        assert search_service.search(
            store, index, search_service.SearchRequest(query="valproate"))["total"] == 1


def test_index_of_another_database_is_rebuilt(store: Store, settings: Settings,
                                              tmp_path: Path) -> None:
    from testkit import make_paper

    other = Store.from_url(f"sqlite:///{tmp_path / 'other.db'}")
    with other.transaction() as conn:
        sp.apply_batch(conn, [make_paper("555", title="Only in the other database")])
    search_service.refresh(other, settings)
    other.close()
    with store.transaction() as conn:
        sp.apply_batch(conn, [make_paper("777", title="Only in this database")])
    with search_service.open_index(settings) as index:
        data = search_service.search(store, index,
                                     search_service.SearchRequest(query="database"))
    assert [r["pmid"] for r in data["results"]] == ["777"]


def test_syntax_error_is_bad_usage_with_position(store: Store, run_cli,
                                                 cli_env: dict[str, str]) -> None:
    result = run_cli("search", "depression AND (", env=cli_env)
    assert result.code == 2
    assert "position" in result.stderr


def test_reindex_full_rebuild(store: Store, run_cli, cli_env: dict[str, str]) -> None:
    run_cli("ingest", str(BROKEN), env=cli_env)
    result = run_cli("reindex", "--full", "--json", env=cli_env)
    assert result.code == 0, result.stderr
    assert result.json() == {"indexed": 2, "papers": 2}
