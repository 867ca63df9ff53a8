"""The erase plan is read from the schema: tables added later that follow the conventions (a
user id column with or without a foreign key, an email column, a child table, a pointer that an
admin row keeps) are erased with no change to the code. Run on real tables on both backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, Text, insert, select

from litfeed.store import Store
from litfeed.store import erase as store_erase
from litfeed.store import schema as s
from litfeed.store.clock import now


@pytest.fixture
def extra(store: Store) -> Iterator[MetaData]:
    """The real users table plus four made-up ones, created for the test and dropped after."""
    meta = MetaData()
    s.users.to_metadata(meta)
    Table("zz_mail_log", meta, Column("id", Integer, primary_key=True),
          Column("user_id", Integer), Column("recipient_email", String(320)),
          Column("body", Text))
    Table("zz_notes", meta, Column("id", Integer, primary_key=True),
          Column("owner", Integer, ForeignKey("users.id", ondelete="CASCADE")))
    Table("zz_note_tags", meta, Column("note_id", Integer, ForeignKey("zz_notes.id"),
                                       primary_key=True),
          Column("tag", String(20), primary_key=True))
    Table("zz_admin_log", meta, Column("id", Integer, primary_key=True),
          Column("changed_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
          Column("what", Text))
    made = [t for t in meta.sorted_tables if t.name.startswith("zz_")]
    meta.create_all(store.engine, tables=made)
    yield meta
    meta.drop_all(store.engine, tables=made)


def _user(conn: object, email: str) -> int:
    at = now()
    return int(conn.execute(insert(s.users).values(  # type: ignore[attr-defined]
        email=email, password_hash="x", settings="{}", created_at=at,
        password_changed_at=at).returning(s.users.c.id)).scalar_one())


def test_new_tables_that_follow_the_conventions_are_erased(store: Store,
                                                           extra: MetaData) -> None:
    t = extra.tables
    with store.transaction() as conn:
        ana, ben = _user(conn, "ana@example.org"), _user(conn, "ben@example.org")
        for uid, email in ((ana, "Ana@Example.org"), (ben, "ben@example.org")):
            conn.execute(insert(t["zz_mail_log"]).values(user_id=uid, recipient_email=email))
            conn.execute(insert(t["zz_mail_log"]).values(recipient_email=email, body="bounce"))
            note = conn.execute(insert(t["zz_notes"]).values(owner=uid)
                                .returning(t["zz_notes"].c.id)).scalar_one()
            conn.execute(insert(t["zz_note_tags"]).values(note_id=note, tag="x"))
            conn.execute(insert(t["zz_admin_log"]).values(changed_by=uid, what="rule"))
        counts = store_erase.erase_user(conn, ana, "ana@example.org", extra)
    assert counts == {"users": 1, "zz_mail_log": 2, "zz_notes": 1, "zz_note_tags": 1,
                      "zz_admin_log": 1}
    with store.read() as conn:
        assert conn.execute(select(t["zz_mail_log"].c.recipient_email)).scalars().all() == [
            "ben@example.org", "ben@example.org"]
        assert conn.execute(select(t["zz_notes"].c.owner)).scalars().all() == [ben]
        assert len(conn.execute(select(t["zz_note_tags"])).all()) == 1
        # the admin's row stays; only the pointer at her is cleared
        log = t["zz_admin_log"]
        assert conn.execute(select(log.c.changed_by).order_by(log.c.id)).scalars().all() == [
            None, ben]


def test_the_plan_for_the_real_schema() -> None:
    plan = store_erase.references()
    assert [(t.name, c.name) for t, c, _ in plan.clears] == [("cme_settings", "updated_by")]
    order = store_erase._children_first(plan)
    assert order.index("collection_items") < order.index("collections")
    assert order.index("cme_audit") < order.index("cme_activities")
    assert order.index("sessions") < order.index("users")
    assert "papers" not in plan.deletes and "institutions" not in plan.deletes
