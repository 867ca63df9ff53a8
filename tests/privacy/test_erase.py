"""Deleting an account leaves nothing, checked table by table on both backends, and the account
export holds everything. The tables are found from the schema (privacy_support.user_tables), so a
table added later is checked the day it lands."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from privacy_support import (
    BEN_MARK,
    MARK,
    PASSWORD,
    Filled,
    added_rows,
    column_values,
    fill_everything,
    references_to,
    removed_rows,
    snapshot,
    user_columns,
    user_tables,
)

from litfeed.config import Settings
from litfeed.service import account_io, accounts, privacy
from litfeed.store import Store
from litfeed.store import schema as s
from testkit import CliResult

ANA, BEN = "ana@example.org", "ben@example.org"


def test_the_schema_scan_finds_the_reader_tables() -> None:
    """Guards the scan itself: the tables we know hold a reader are among those it finds."""
    found = user_tables()
    assert {"users", "sessions", "api_tokens", "login_failures", "reactions", "collections",
            "collection_items", "paper_views", "cme_activities", "cme_audit", "cme_settings",
            "saved_searches"} <= set(found)
    assert "papers" not in found and "institutions" not in found
    assert found["collection_items"] == "child of collections"
    assert found["login_failures"] == "email in email"


def test_fill_reaches_every_user_table(stocked: Store, fast_settings: Settings) -> None:
    """The reader the deletion tests use owns a row in every table that can hold one; a new
    user table that fill_everything() does not reach fails here, by name."""
    before = snapshot(stocked)
    fill_everything(stocked, fast_settings, ANA)
    added = added_rows(before, snapshot(stocked))
    missing = sorted(set(user_tables()) - set(added))
    assert not missing, (f"fill_everything() puts no row in {missing}: give the reader data "
                         "there so account deletion and export are checked for it")


@pytest.mark.parametrize("how", ["service", "api", "cli"])
def test_deleting_an_account_leaves_no_row_that_refers_to_it(
        how: str, stocked: Store, fast_settings: Settings, client: TestClient,
        run: Callable[..., CliResult]) -> None:
    ben = fill_everything(stocked, fast_settings, BEN, BEN_MARK, admin=False)
    client_ben = accounts.login(stocked, fast_settings, email=BEN, password=PASSWORD)[1]
    before = snapshot(stocked)
    ana = fill_everything(stocked, fast_settings, ANA)
    assert references_to(stocked, ana.user.id, [ANA, MARK])  # the scan sees her before

    if how == "service":
        counts = privacy.delete_account(stocked, fast_settings, ana.user, password=PASSWORD,
                                        confirm=ANA)
    elif how == "api":
        r = client.request("DELETE", "/api/me", json={"password": PASSWORD, "confirm": ANA},
                           headers={"Authorization": f"Bearer {ana.token}"})
        assert r.status_code == 200, r.text
        counts = r.json()["deleted"]
    else:
        result = run("user", "delete", ANA, "--yes", "--json")
        assert result.code == 0, result.stderr
        counts = result.json()["deleted"]

    after = snapshot(stocked)
    # nothing anywhere still points at her: not her id, not her email, not a word she typed
    assert references_to(stocked, ana.user.id, [ANA, MARK]) == []
    # and the database is what it was before she came, table by table: a row of hers that
    # mentions nothing of her (a bare saved item) is caught here
    for name, rows in added_rows(before, after).items():
        table = s.metadata.tables[name]
        pointers = user_columns(table)
        assert pointers, f"{name} kept {len(rows)} of her rows: {rows[:3]}"
        # a row that is the server's (an admin rule she set) stays, with the pointer cleared
        assert all(v is None for p in pointers for v in column_values(table, rows, p)), name
    # the other reader lost nothing
    assert removed_rows(before, after) == {}
    assert accounts.find_session(stocked, client_ben.cookie) is not None
    assert accounts.find_token(stocked, ben.token) is not None
    # the tables she had rows in are reported (her failed logins already went when the
    # password she confirmed with was checked, like a successful login)
    assert {"users", "sessions", "api_tokens", "reactions", "collections", "collection_items",
            "paper_views", "cme_activities", "cme_audit", "saved_searches",
            "cme_settings"} <= set(counts)
    # she can sign up again: the address is free, and the new account starts empty
    again = accounts.register(stocked, fast_settings, email=ANA, password=PASSWORD)
    assert account_io.export_account(stocked, again.id)["reactions"] == []


def test_the_export_holds_every_row_of_every_user_table(stocked: Store,
                                                        fast_settings: Settings) -> None:
    fill_everything(stocked, fast_settings, BEN, BEN_MARK, admin=False)
    before = snapshot(stocked)
    ana = fill_everything(stocked, fast_settings, ANA)
    added = added_rows(before, snapshot(stocked))
    export = account_io.export_account(stocked, ana.user.id)
    security = export["security"]
    sections: dict[str, Callable[[], int]] = {
        "users": lambda: int(export["profile"]["email"] == ANA),
        "reactions": lambda: len(export["reactions"]),
        "collections": lambda: len(export["collections"]),
        "collection_items": lambda: sum(len(c["items"]) for c in export["collections"]),
        "paper_views": lambda: len(export["history"]),
        "sessions": lambda: len(security["sessions"]),
        "api_tokens": lambda: len(security["api_tokens"]),
        "login_failures": lambda: len(security["failed_logins"]),
    }
    # the server's CME rules remember which admin changed them: server data, not hers
    server_data = {"cme_settings"}
    for name in sorted(set(user_tables()) - server_data):
        rows = added.get(name, [])
        count = sections[name]() if name in sections else len(export["tables"].get(name, []))
        assert count == len(rows), f"{name}: {len(rows)} rows of hers, {count} in the export"
    # and every word she typed is in it, wherever it was stored
    leaves = list(_strings(export))
    for name, rows in added.items():
        for row in rows:
            for value in row:
                if isinstance(value, str) and MARK in value and name not in server_data:
                    assert any(value in leaf for leaf in leaves), f"{name}: {value!r}"
    text = json.dumps(export)
    assert BEN not in text and BEN_MARK not in text
    assert export["settings"]["timezone"] == "Europe/Berlin"


def _strings(value: Any) -> Any:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_user_delete_asks_first_and_names_an_unknown_account(
        stocked: Store, fast_settings: Settings, run: Callable[..., CliResult]) -> None:
    filled: Filled = fill_everything(stocked, fast_settings, ANA)
    refused = run("user", "delete", ANA, stdin="n\n")
    assert refused.code != 0
    assert references_to(stocked, filled.user.id, [ANA]) != []
    unknown = run("user", "delete", "nobody@example.org", "--yes")
    assert unknown.code == 1 and "nobody@example.org" in unknown.stderr
    done = run("user", "delete", ANA, stdin="y\n")
    assert done.code == 0, done.stderr
    assert f"deleted {ANA}" in done.stdout
    assert references_to(stocked, filled.user.id, [ANA, MARK]) == []


def test_a_deleted_readers_feed_url_does_not_show_the_next_readers_feed(
        stocked: Store, fast_settings: Settings) -> None:
    """SQLite gives the highest id to the next account once it is free again; a credential
    derived from the id alone (the private Atom URL) would then open the newcomer's feed."""
    from litfeed.errors import NotFound
    from litfeed.service import feed_delivery

    accounts.register(stocked, fast_settings, email=BEN, password=PASSWORD)
    ana = accounts.register(stocked, fast_settings, email=ANA, password=PASSWORD)
    old_url_token = feed_delivery.feed_token(fast_settings, ana)
    privacy.erase_user(stocked, ana)
    carl = accounts.register(stocked, fast_settings, email="carl@example.org", password=PASSWORD)
    with pytest.raises(NotFound):
        feed_delivery.user_for_token(stocked, fast_settings, old_url_token)
    carls_url = feed_delivery.feed_url(stocked, fast_settings, carl.id)
    carls_token = carls_url.rsplit("/", 1)[1].removesuffix(".atom")
    assert feed_delivery.user_for_token(stocked, fast_settings, carls_token).id == carl.id
