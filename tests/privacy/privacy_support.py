"""What the privacy tests share: a reader with a row in every table that can hold one, and a
view of the whole database derived from the schema (importable: this folder is on sys.path).

Nothing here lists tables by hand. :func:`user_tables` reads ``schema.metadata`` and finds every
table that can refer to a reader, by any of: a foreign key to ``users``, a column named like a
user id or an email address, or a foreign key into such a table. :func:`fill_everything` must put
a row of the reader in each of them; a table added to the schema later that it does not fill
makes ``test_fill_reaches_every_user_table`` fail and says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, String, Table, Text, select

from litfeed.config import Settings
from litfeed.errors import Unauthorized
from litfeed.models import User
from litfeed.service import accounts, alerts, cme, library, me, reading
from litfeed.store import Store
from litfeed.store import schema as s

PASSWORD = "a long password"
#: in every free text Ana types, so a leftover is found wherever it hides (JSON, logs, keys)
MARK = "zqanamark"
BEN_MARK = "zqbenmark"
PMIDS = ("100", "101", "102")
_USERISH = re.compile(r"(^|_)user_id$|^user$|^owner(_id)?$|_by$")
_EMAILISH = re.compile(r"(^|_)e?mail(_address)?$|^recipient$|^to_addr(ess)?$")
Rows = dict[str, Counter[tuple[Any, ...]]]


@dataclass(frozen=True)
class Filled:
    user: User
    token: str


def user_columns(table: Table) -> list[str]:
    """Columns of ``table`` that hold a reader's id: a foreign key to ``users.id``, or a name
    that says so (``user_id``, ``*_user_id``, ``owner``, ``*_by``)."""
    return [c.name for c in table.c
            if any(fk.column.table.name == "users" for fk in c.foreign_keys)
            or (isinstance(c.type, Integer) and _USERISH.search(c.name))]


def email_columns(table: Table) -> list[str]:
    return [c.name for c in table.c
            if isinstance(c.type, String | Text) and _EMAILISH.search(c.name)]


def text_columns(table: Table) -> list[str]:
    return [c.name for c in table.c if isinstance(c.type, String | Text)]


def user_tables() -> dict[str, str]:
    """Every table that can hold a reader's row, with how it refers to them."""
    found: dict[str, str] = {}
    for table in s.metadata.sorted_tables:
        if table.name == "users":
            found[table.name] = "the account"
        elif user_columns(table):
            found[table.name] = f"user id in {', '.join(user_columns(table))}"
        elif email_columns(table):
            found[table.name] = f"email in {', '.join(email_columns(table))}"
    changed = True
    while changed:
        changed = False
        for table in s.metadata.sorted_tables:
            if table.name in found:
                continue
            parents = [fk.column.table.name for fk in table.foreign_keys
                       if fk.column.table.name in found]
            if parents:
                found[table.name] = f"child of {', '.join(parents)}"
                changed = True
    return found


def snapshot(store: Store) -> Rows:
    """Every row of every table of the schema (a multiset of value tuples per table)."""
    with store.read() as conn:
        return {t.name: Counter(tuple(row) for row in conn.execute(select(*t.c)))
                for t in s.metadata.sorted_tables}


def added_rows(before: Rows, after: Rows) -> dict[str, list[tuple[Any, ...]]]:
    """Rows in ``after`` that ``before`` does not have, per table (tables with none left out)."""
    out = {name: list((after[name] - before.get(name, Counter())).elements())
           for name in after}
    return {name: rows for name, rows in out.items() if rows}


def removed_rows(before: Rows, after: Rows) -> dict[str, list[tuple[Any, ...]]]:
    return added_rows(after, before)


def column_values(table: Table, rows: Iterable[tuple[Any, ...]], column: str) -> list[Any]:
    index = [c.name for c in table.c].index(column)
    return [row[index] for row in rows]


def references_to(store: Store, user_id: int, needles: Iterable[str]) -> list[str]:
    """Every cell of the database that still points at the reader: their id in a user column,
    or one of ``needles`` (their email, their marker) inside any text column of any table."""
    needles = [n.lower() for n in needles]
    found = []
    with store.read() as conn:
        for table in s.metadata.sorted_tables:
            for name in user_columns(table):
                n = len(conn.execute(select(table.c[name])
                                     .where(table.c[name] == user_id)).all())
                if n:
                    found.append(f"{table.name}.{name} = {user_id} ({n} rows)")
            for name in text_columns(table):
                for value in conn.execute(select(table.c[name])).scalars():
                    if value is not None and any(n in str(value).lower() for n in needles):
                        found.append(f"{table.name}.{name} contains {str(value)[:80]!r}")
    return found


def fill_everything(store: Store, settings: Settings, email: str, mark: str = MARK,
                    *, admin: bool = True) -> Filled:
    """A reader who has used every feature, each through its service, so they own a row in
    every table of :func:`user_tables` (and ``mark`` in every free text they typed)."""
    user = accounts.register(store, settings, email=email, password=PASSWORD,
                             name=f"Reader {mark}", is_admin=admin, by_admin=True)
    uid = user.id
    me.update_my_settings(store, user, {"digest": "weekly", "personalization": True})
    cme.set_reader_zone(store, uid, "Europe/Berlin")
    library.react(store, uid, PMIDS[0], "like")
    library.react(store, uid, PMIDS[1], "dislike", "weak_study")
    library.save(store, uid, PMIDS[0], f"Journal club {mark}", note=f"note {mark}")
    library.save(store, uid, PMIDS[2])
    reading.record_view(store, uid, PMIDS[0], f"depression {mark}")
    reading.record_view(store, uid, PMIDS[2], None)
    alerts.save_search(store, uid, query="depression", name=f"alert {mark}", digest="weekly")
    cme.complete(store, settings, uid, {
        "question": f"Does therapy help? {mark}", "query": f"depression {mark}",
        "sources": [PMIDS[0], PMIDS[2]], "application": "changed",
        "application_text": f"I changed my practice {mark}"})
    cme.save_draft(store, settings, uid, {"question": f"A draft {mark}"})
    if admin:
        cme.update_rules(store, settings, {"provider_name": "Hospital CME office"}, by=uid)
    accounts.login(store, settings, email=email, password=PASSWORD, ip="192.0.2.7")
    _id, token = accounts.create_token(store, uid, f"script {mark}")
    with suppress(Unauthorized):  # a failed login last: a successful one clears them
        accounts.authenticate(store, settings, email=email, password="wrong password",
                              ip="192.0.2.7")
    return Filled(user=user, token=token)


def now() -> datetime:
    return datetime.now(UTC)
