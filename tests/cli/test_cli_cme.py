"""``litfeed cme settings`` and ``litfeed cme transcript`` against the test store."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from factories import add_papers, fast, make_paper
from litfeed.config import Settings
from litfeed.service import accounts, cme
from litfeed.store import Store


def test_settings_shows_and_changes_the_rules(store: Store, run_cli,
                                              cli_env: dict[str, str]) -> None:
    shown = run_cli("cme", "settings", "--json", env=cli_env)
    assert shown.code == 0, shown.stderr
    assert (shown.json()["credit_per_cycle"], shown.json()["yearly_cap"],
            shown.json()["accredited"]) == (0.5, None, False)
    changed = run_cli("cme", "settings", "--yearly-cap", "20", "--credit-per-cycle", "0.25",
                      "--provider-name", "St Elsewhere CME", "--json", env=cli_env)
    assert changed.code == 0, changed.stderr
    data = changed.json()
    assert (data["yearly_cap"], data["credit_per_cycle"], data["provider_name"]) == (
        20.0, 0.25, "St Elsewhere CME")
    assert "submitted to St Elsewhere CME" in data["statement"]
    cleared = run_cli("cme", "settings", "--yearly-cap", "none", "--json", env=cli_env).json()
    assert cleared["yearly_cap"] is None and cleared["credit_per_cycle"] == 0.25
    bad = run_cli("cme", "settings", "--credit-per-cycle", "lots", env=cli_env)
    assert bad.code == 2 and "not a number" in bad.stderr


def test_transcript_for_a_reader(store: Store, settings: Settings, run_cli,
                                 cli_env: dict[str, str], tmp_path: Path) -> None:
    add_papers(store, [make_paper("100")])
    reader = accounts.register(store, fast(settings), email="doc@example.org",
                               password="x1" * 6)
    cme.complete(store, settings, reader.id, {"question": "Q from the shell?",
                                              "sources": ["100"], "application": "confirmed"})
    out = tmp_path / "t.csv"
    result = run_cli("cme", "transcript", "doc@example.org", "--format", "csv", "-o", str(out),
                     "--json", env=cli_env)
    assert result.code == 0, result.stderr
    assert result.json()["file"] == str(out)
    [row] = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert row["question"] == "Q from the shell?" and row["credits"] == "0.50"
    assert run_cli("cme", "transcript", "nobody@example.org", env=cli_env).code == 1
