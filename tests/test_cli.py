"""The CLI contract: JSON shapes, exit codes, --db, and that every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

from litfeed.store import Store
from testkit import FIXTURES, ROOT


def test_init_reports_database_and_schema(store: Store, run_cli, cli_env: dict[str, str]) -> None:
    result = run_cli("init", "--json", env=cli_env)
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["schema"] == store.schema_version
    assert data["database"].split(":")[0] in {"sqlite", "postgresql+psycopg"}


def test_db_option_overrides_the_environment(run_cli, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    result = run_cli("init", "--json", "--db", f"sqlite:///{other}",
                     env={"LITFEED_DATA_DIR": str(tmp_path / "unused")})
    assert result.code == 0, result.stderr
    assert other.exists()
    assert str(other) in result.json()["database"]


def test_stats_and_show_after_ingest(store: Store, run_cli, cli_env: dict[str, str]) -> None:
    run_cli("ingest", str(FIXTURES / "ingest" / "three-records-one-broken.xml"), env=cli_env)
    stats = run_cli("stats", "--json", env=cli_env).json()
    assert stats == {"papers": 2, "embedded": 0, "users": 0, "newest": "2020-01-01"}
    shown = run_cli("show", "90000001", env=cli_env)
    assert shown.code == 0
    paper = shown.json()
    assert paper["pmid"] == "90000001"
    assert paper["doi"] == "10.9999/tests.1"
    assert paper["journal"]["iso_abbrev"] == "J Tests"
    assert paper["authors"][0] == {"last": "Müller", "fore": "Jörg", "initials": "J",
                                   "affiliations": []}
    assert paper["year"] == 2020


def test_show_unknown_pmid_fails_with_message(store: Store, run_cli,
                                              cli_env: dict[str, str]) -> None:
    result = run_cli("show", "123", env=cli_env)
    assert result.code == 1
    assert "123" in result.stderr
    assert result.stdout == ""


def test_bad_database_url_is_bad_usage(run_cli, tmp_path: Path) -> None:
    result = run_cli("init", "--db", "mysql://nobody@nowhere/x",
                     env={"LITFEED_DATA_DIR": str(tmp_path)})
    assert result.code == 2
    assert "unsupported backend" in result.stderr


def test_every_command_is_documented() -> None:
    """docs/cli.md names every command the CLI has (sqlite-utils' habit)."""
    from litfeed.cli import _register_more, cli

    _register_more()
    documented = (ROOT / "docs" / "cli.md").read_text()
    names: list[str] = []
    for name, command in cli.commands.items():
        sub = getattr(command, "commands", None)
        names.extend(f"{name} {s}" for s in sub) if sub else names.append(name)
    missing = [n for n in names if not re.search(rf"litfeed {re.escape(n)}\b", documented)]
    assert missing == []
