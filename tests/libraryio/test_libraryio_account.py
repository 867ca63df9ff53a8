"""Everything mine, out and back: /api/me/export round-trips into another server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from libraryio_support import EFLM, MMWR, SPINK, TITLE_ONLY, Readers
from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.service import accounts, cme, library, library_io
from litfeed.service.accounts import digest
from litfeed.store import Store, account_data, user_settings
from litfeed.store import schema as s
from testkit import CliResult, backend_url

VIEWED = datetime(2024, 5, 2, 8, 15, 11, 123456, tzinfo=UTC)


def fill_account(store: Store, readers: Readers) -> str:
    """Give Ana one of everything; returns her API token."""
    uid = readers.ana.id
    library.react(store, uid, SPINK, "like")
    library.react(store, uid, MMWR, "dislike", "weak_study")
    library.save(store, uid, SPINK, "Journal club", note="Discuss the controls")
    library.save(store, uid, EFLM, "Journal club")
    library.save(store, uid, SPINK, "Teaching")
    library.save(store, uid, TITLE_ONLY)
    with store.transaction() as conn:
        user_settings.update_user_settings(conn, uid, {"personalization": True,
                                                       "specialties": ["GI"],
                                                       "institution": 3})
        account_data.add_views(conn, uid, [(EFLM, "urinalysis guideline", VIEWED)])
    library.react(store, readers.ben.id, EFLM, "like")
    library.save(store, readers.ben.id, MMWR, "Ben's")
    return accounts.create_token(store, uid, "my script")[1]


def comparable(export: dict[str, Any]) -> dict[str, Any]:
    """What must survive a move: everything but the server's own bookkeeping."""
    out = {k: v for k, v in export.items() if k not in ("exported_at", "profile", "security")}
    out["collections"] = [{k: v for k, v in c.items() if k != "id"}
                          for c in export["collections"]]
    return out


def test_export_holds_everything_and_no_secret(stocked: Store, readers: Readers) -> None:
    token = fill_account(stocked, readers)
    export = library_io.export_account(stocked, readers.ana.id)
    assert set(export) == {"format", "version", "exported_at", "profile", "settings",
                           "reactions", "collections", "history", "security", "tables"}
    assert export["profile"]["email"] == "ana@example.org"
    assert export["settings"] == {"personalization": True, "specialties": ["GI"],
                                  "institution": 3}
    assert [(r["pmid"], r["value"], r["reason"]) for r in export["reactions"]] == [
        (SPINK, "like", None), (MMWR, "dislike", "weak_study")]
    assert all(r["created_at"] for r in export["reactions"])
    club = next(c for c in export["collections"] if c["name"] == "Journal club")
    assert [(i["pmid"], i["note"]) for i in club["items"]] == [
        (SPINK, "Discuss the controls"), (EFLM, None)]
    teaching = next(c for c in export["collections"] if c["name"] == "Teaching")
    assert teaching["items"][0]["note"] == "Discuss the controls"  # one note per paper
    assert export["history"] == [{"pmid": EFLM, "query": "urinalysis guideline",
                                  "viewed_at": VIEWED.isoformat()}]
    assert export["security"]["api_tokens"][0]["name"] == "my script"
    # tables without a section of their own are carried too (the CME log: empty here)
    assert export["tables"] == {"cme_activities": [], "cme_audit": [], "saved_searches": []}
    text = json.dumps(export)
    assert token not in text and digest(token) not in text
    assert "ben@example.org" not in text and "Ben's" not in text


@pytest.fixture
def other_url(db_url: str, tmp_path: Path):
    """A fresh database on the other backend: a second litfeed server."""
    other = "sqlite" if db_url.startswith("postgresql") else "postgresql"
    with backend_url(other, tmp_path / "other") as url:
        yield url


def test_account_moves_to_another_server_and_importing_twice_changes_nothing(
        stocked: Store, readers: Readers, run: Callable[..., CliResult], other_url: str,
        tmp_path: Path, fast_settings: Settings) -> None:
    fill_account(stocked, readers)
    exported = run("export-account", "ana@example.org")
    assert exported.code == 0, exported.stderr
    path = tmp_path / "ana.json"
    path.write_text(exported.stdout)

    target = Store.from_url(other_url)
    try:
        new = accounts.register(target, fast_settings, email="ana@elsewhere.org",
                                password="another long password")
        result = run("import-account", "ana@elsewhere.org", str(path), "--db", other_url,
                     "--json")
        assert result.code == 0, result.stderr
        counts = result.json()
        assert (counts["reactions"], counts["collections"], counts["items"], counts["notes"],
                counts["history"], counts["settings"]) == (2, 3, 4, 1, 1, 2)
        # an institution id of the old server means nothing here
        assert counts["settings_left_out"] == ["institution"]
        # the other server has none of the papers: kept all the same, and listed
        assert counts["missing_papers"] == sorted([SPINK, EFLM, MMWR, TITLE_ONLY], key=int)
        moved = library_io.export_account(target, new.id)
        original = comparable(json.loads(path.read_text()))
        del original["settings"]["institution"]
        assert comparable(moved) == original
        assert library.saved_in(target, new.id, SPINK) == ["Journal club", "Teaching"]

        again = library_io.import_account(target, new.id, path.read_bytes())
        assert [again[k] for k in ("reactions", "collections", "items", "notes", "history",
                                   "settings")] == [0, 0, 0, 0, 0, 0]
        assert comparable(library_io.export_account(target, new.id)) == comparable(moved)
    finally:
        target.close()


def test_import_adds_and_never_overwrites(stocked: Store, readers: Readers) -> None:
    fill_account(stocked, readers)
    export = library_io.export_account(stocked, readers.ana.id)
    ben = readers.ben.id
    library.react(stocked, ben, SPINK, "dislike", "already_read")
    library.save(stocked, ben, SPINK, "Journal club", note="Ben's own note")
    with stocked.transaction() as conn:
        user_settings.update_user_settings(conn, ben, {"personalization": False})
    counts = library_io.import_account(stocked, ben, export)
    assert counts["reactions"] == 1  # MMWR; his SPINK dislike stays
    reaction = library.find_reaction(stocked, ben, SPINK)
    assert reaction is not None and reaction.value == "dislike"
    assert library.paper_state(stocked, ben, SPINK).note == "Ben's own note"
    mine = library_io.export_account(stocked, ben)
    assert mine["settings"] == {"personalization": False, "specialties": ["GI"]}
    assert counts["settings_left_out"] == ["institution"]
    # and Ana's account is as it was
    assert library_io.export_account(stocked, readers.ana.id)["reactions"] == \
        export["reactions"]


def test_api_me_export_and_import(stocked: Store, readers: Readers, client: TestClient,
                                  login: Callable[[str], dict[str, Any]]) -> None:
    fill_account(stocked, readers)
    login("ana@example.org")
    r = client.get("/api/me/export")
    assert r.status_code == 200
    assert r.headers["content-disposition"].startswith(
        'attachment; filename="litfeed-account-')
    export = r.json()
    assert export["profile"]["email"] == "ana@example.org"
    client.post("/api/auth/logout")
    login("ben@example.org")
    before = client.get("/api/me/export").json()
    assert [c["name"] for c in before["collections"]] == ["Ben's"]
    imported = client.post("/api/me/import", json=export)
    assert imported.status_code == 200, imported.text
    assert imported.json()["items"] == 4
    uploaded = client.post("/api/me/import", files={"file": ("a.json", r.content)})
    assert uploaded.json()["items"] == 0
    assert {c["name"] for c in client.get("/api/collections").json()["collections"]} == {
        "Ben's", "Journal club", "Teaching", "Saved"}
    bad = client.post("/api/me/import", json={"reactions": []})
    assert bad.status_code == 400 and "not a litfeed account export" in bad.json()["message"]
    client.post("/api/auth/logout")
    assert client.get("/api/me/export").status_code == 401


def test_a_bad_value_names_where_and_nothing_is_added(stocked: Store,
                                                      readers: Readers) -> None:
    export = {"format": "litfeed-account", "version": 1,
              "collections": [{"name": "Fine", "items": [{"pmid": SPINK}]}],
              "reactions": [{"pmid": SPINK, "value": "like"},
                            {"pmid": MMWR, "value": "meh"}]}
    with pytest.raises(InvalidInput, match=r"reactions\[1\]\.value: 'meh' is not like"):
        library_io.import_account(stocked, readers.ben.id, export)
    assert library.list_collections(stocked, readers.ben.id) == []
    with pytest.raises(InvalidInput, match="not valid JSON"):
        library_io.import_account(stocked, readers.ben.id, b"{nope")
    with pytest.raises(InvalidInput, match="version 2"):
        library_io.import_account(stocked, readers.ben.id,
                                  {"format": "litfeed-account", "version": 2})
    with pytest.raises(InvalidInput, match=r"collections\[0\]\.items\[0\]\.pmid"):
        library_io.import_account(stocked, readers.ben.id, {
            "format": "litfeed-account", "version": 1,
            "collections": [{"name": "X", "items": [{"pmid": "abc"}]}]})


# --- tables added later (saved searches, the CME log) travel without new code -----------------

def later_tables() -> tuple[MetaData, Table, Table, Table]:
    """A schema with tables like the ones other features will add: one keyed by user_id with a
    unique name, one numbered, and a child of the numbered one."""
    meta = MetaData()
    s.users.to_metadata(meta)
    searches = Table("test_saved_searches", meta,
                     Column("id", Integer, primary_key=True, autoincrement=True),
                     Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
                     Column("name", String(100), nullable=False),
                     Column("query", Text, nullable=False),
                     UniqueConstraint("user_id", "name"))
    activities = Table("test_cme_activities", meta,
                       Column("id", Integer, primary_key=True, autoincrement=True),
                       Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
                       Column("question", Text, nullable=False),
                       Column("completed_at", DateTime(timezone=True)))
    sources = Table("test_cme_sources", meta,
                    Column("activity_id", Integer, ForeignKey("test_cme_activities.id"),
                           primary_key=True),
                    Column("pmid", String(20), primary_key=True))
    return meta, searches, activities, sources


def test_tables_without_a_section_round_trip_with_their_children(
        stocked: Store, readers: Readers) -> None:
    meta, searches, activities, sources = later_tables()
    extra = [searches, activities, sources]
    meta.create_all(stocked.engine, tables=extra)
    try:
        ana, ben = readers.ana.id, readers.ben.id
        with stocked.transaction() as conn:
            conn.execute(searches.insert(), [{"user_id": ana, "name": "IBD", "query": "crohn"},
                                             {"user_id": ben, "name": "IBD", "query": "ben's"}])
            first = conn.execute(activities.insert().values(
                user_id=ana, question="Which test?", completed_at=VIEWED)).inserted_primary_key
            conn.execute(activities.insert().values(user_id=ben, question="Ben's question"))
            conn.execute(sources.insert(), [{"activity_id": first[0], "pmid": SPINK},
                                            {"activity_id": first[0], "pmid": EFLM}])
        owned = account_data.owned_tables(meta)
        assert list(owned) == ["test_cme_activities", "test_saved_searches", "test_cme_sources"]
        with stocked.read() as conn:
            dump = {name: account_data.dump_rows(conn, table, where, ana)
                    for name, (table, where) in owned.items()}
        assert [r["question"] for r in dump["test_cme_activities"]] == ["Which test?"]
        assert dump["test_cme_activities"][0]["completed_at"] == VIEWED.isoformat()
        assert [r["pmid"] for r in dump["test_cme_sources"]] == [SPINK, EFLM]

        json_dump = json.loads(json.dumps(dump))  # as it travels
        for _ in range(2):  # the second time adds nothing
            idmaps: dict[str, dict[Any, Any]] = {}
            with stocked.transaction() as conn:
                added = [account_data.load_rows(conn, table, where, ben, json_dump[name],
                                                idmaps)
                         for name, (table, where) in owned.items()]
            assert added == ([1, 0, 2] if _ == 0 else [0, 0, 0])
        with stocked.read() as conn:
            bens = {name: account_data.dump_rows(conn, table, where, ben)
                    for name, (table, where) in owned.items()}
        # his own "IBD" search keeps its query; the CME activity and its sources arrived
        assert [r["query"] for r in bens["test_saved_searches"]] == ["ben's"]
        moved = [r for r in bens["test_cme_activities"] if r["question"] == "Which test?"]
        assert moved[0]["completed_at"] == VIEWED.isoformat()
        assert {(r["activity_id"], r["pmid"]) for r in bens["test_cme_sources"]} == {
            (moved[0]["id"], EFLM), (moved[0]["id"], SPINK)}
    finally:
        meta.drop_all(stocked.engine, tables=list(reversed(extra)))


def test_the_cme_log_moves_with_its_audit_trail(stocked: Store, readers: Readers,
                                                fast_settings: Settings) -> None:
    ana, ben = readers.ana.id, readers.ben.id
    at = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
    done = cme.complete(stocked, fast_settings, ana, {
        "question": "Is SPINK1 N34S a risk factor?", "query": "spink1",
        "sources": [SPINK, EFLM], "application": "confirmed"}, now=at)
    cme.save_draft(stocked, fast_settings, ana, {"question": "Later?"}, now=at)
    cme.complete(stocked, fast_settings, ben, {
        "question": "Ben's own question", "sources": [MMWR], "application": "changed"}, now=at)
    export = json.loads(json.dumps(library_io.export_account(stocked, ana)))
    assert [r["question"] for r in export["tables"]["cme_activities"]] == [
        "Is SPINK1 N34S a risk factor?", "Later?"]
    assert "Ben's own question" not in json.dumps(export)

    counts = library_io.import_account(stocked, ben, export)
    assert counts["tables"] == {"cme_activities": 2, "cme_audit": 2, "saved_searches": 0}
    moved = cme.list_activities(stocked, ben, statuses=["completed"], now=at)
    copy = next(a for a in moved if a.question == "Is SPINK1 N34S a risk factor?")
    assert copy.id != done.id and copy.sources == done.sources
    assert copy.credits == done.credits and copy.completed_at == done.completed_at
    # the audit row follows its cycle to its new id
    assert [r.action for r in cme.audit_trail(stocked, ben, copy.id)] == ["complete"]
    again = library_io.import_account(stocked, ben, export)
    assert again["tables"] == {"cme_activities": 0, "cme_audit": 0, "saved_searches": 0}
