"""Backup and restore round trips, and `litfeed check`, on both backends."""

from __future__ import annotations

from pathlib import Path

from litfeed.config import Settings
from litfeed.models import Deletion
from litfeed.service import search as search_service
from litfeed.service.papers import get_paper, stats
from litfeed.store import Store
from litfeed.store import papers as sp
from testkit import make_paper


def add(store: Store, *records: object) -> None:
    with store.transaction() as conn:
        sp.apply_batch(conn, list(records))  # type: ignore[arg-type]


def test_backup_then_restore_brings_back_the_old_state(store: Store, run_cli,
                                                       cli_env: dict[str, str],
                                                       tmp_path: Path) -> None:
    add(store, make_paper("1", title="Kept in the backup"), make_paper("2", title="Also kept"))
    target = tmp_path / "backups" / "litfeed.backup"
    made = run_cli("backup", str(target), "--json", env=cli_env)
    assert made.code == 0, made.stderr
    assert target.stat().st_size > 0

    add(store, Deletion("1"), make_paper("3", title="Added after the backup"))
    run_cli("search", "backup", env=cli_env)  # the index now reflects the later state
    again = run_cli("backup", str(target), env=cli_env)
    assert again.code == 2 and "exists" in again.stderr

    restored = run_cli("restore", str(target), "--yes", "--json", env=cli_env)
    assert restored.code == 0, restored.stderr
    fresh = Store.from_url(cli_env["LITFEED_DATABASE_URL"])
    assert stats(fresh)["papers"] == 2
    assert get_paper(fresh, "1").title == "Kept in the backup"
    found = run_cli("search", "backup", "--json", env=cli_env).json()
    assert [r["pmid"] for r in found["results"]] == ["1"]
    fresh.close()


def test_restore_refuses_a_file_that_is_not_a_backup(store: Store, run_cli,
                                                      cli_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = run_cli("restore", str(bogus), "--yes", env=cli_env)
    assert result.code == 2
    assert "not a" in result.stderr


def test_check_finds_and_repairs_a_stale_search_index(store: Store, settings: Settings,
                                                      run_cli, cli_env: dict[str, str]) -> None:
    add(store, make_paper("11", title="Indexed"), make_paper("12", title="Indexed too"))
    search_service.refresh(store, settings)
    assert run_cli("check", "--json", env=cli_env).json()["ok"]
    with search_service.open_index(settings) as index:  # the index loses a paper
        index.delete(["12"])
        index.commit()
    broken = run_cli("check", "--json", env=cli_env)
    assert broken.code == 1
    assert "1 paper(s) missing" in broken.json()["findings"][0]
    fixed = run_cli("check", "--repair", "--json", env=cli_env)
    assert fixed.code == 0 and fixed.json()["repaired"] == ["search index rebuilt"]
    assert run_cli("check", "--json", env=cli_env).json()["findings"] == []
