"""Everything stored about one reader, read out and written back: the SQL behind the account
export (``service.account_io``).

The tables a reader knows by name (profile, settings, reactions, collections with their items
and notes, reading history) have their own functions here. Every other table that belongs to a
reader, meaning one with a ``user_id`` column or a foreign key to such a table, is carried
generically by :func:`owned_tables`, :func:`dump_rows` and :func:`load_rows`, so a table added to
schema.py later (saved searches, the CME log) is in the export the day it lands. Credentials
(session and token digests) are described but never carried: they cannot work on another server.

Rows leave as JSON-ready dicts ("portable" values: datetimes as ISO 8601 in UTC, bytes as
base64) and come back through the column types, so the two backends read each other's exports.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from litfeed.errors import InvalidInput
from litfeed.store import schema as s
from litfeed.store.clock import as_utc

#: security records: described in an export, never imported (a digest only works where it was made)
CREDENTIAL_TABLES = frozenset({"sessions", "api_tokens", "login_failures"})
#: tables with their own section in the export (service.account_io.SECTIONS)
KNOWN_TABLES = frozenset({"users", "reactions", "collections", "collection_items",
                          "paper_views"})

#: references the schema does not declare as foreign keys (so a row can outlive its parent),
#: remapped on import like one: (table, column) -> the table whose ``id`` it holds
SOFT_REFERENCES: dict[tuple[str, str], str] = {("cme_audit", "activity_id"): "cme_activities"}

Where = Callable[[int], ColumnElement[bool]]
IdMaps = dict[str, dict[Any, Any]]


# --- portable values -----------------------------------------------------------------------------

def portable(value: Any) -> Any:
    """A stored value as JSON can carry it."""
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return str(value)
    return value


def restore(column: Any, value: Any) -> Any:
    """A portable value back into what ``column`` stores.

    :raise ValueError: the value cannot be one of the column's.
    """
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        if not isinstance(value, str):
            raise ValueError(f"expected an ISO 8601 date-time, got {value!r}")
        return as_utc(datetime.fromisoformat(value))
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, LargeBinary):
        try:
            return base64.b64decode(str(value), validate=True)
        except binascii.Error as exc:
            raise ValueError(f"expected base64, got {str(value)[:40]!r}") from exc
    if isinstance(kind, Boolean):
        if not isinstance(value, bool | int):
            raise ValueError(f"expected true or false, got {value!r}")
        return bool(value)
    if isinstance(kind, Integer):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError(f"expected a whole number, got {value!r}")
        return int(value)
    if isinstance(kind, Float):
        return float(value)
    if not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {type(value).__name__}")
    return str(value)


def _time(value: datetime | None) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


# --- profile, security -----------------------------------------------------------------

def read_profile(conn: Connection, user_id: int) -> dict[str, Any]:
    u = s.users
    row = conn.execute(select(u.c.email, u.c.name, u.c.is_admin, u.c.created_at)
                       .where(u.c.id == user_id)).one()
    return {"email": row.email, "name": row.name, "is_admin": bool(row.is_admin),
            "created_at": _time(row.created_at)}


def set_name(conn: Connection, user_id: int, name: str) -> None:
    conn.execute(update(s.users).where(s.users.c.id == user_id).values(name=name))


def read_security(conn: Connection, user_id: int, email: str) -> dict[str, Any]:
    """What the account's security records say about the reader, without any secret."""
    t, se, f = s.api_tokens, s.sessions, s.login_failures
    tokens = conn.execute(select(t.c.name, t.c.created_at, t.c.last_used_at)
                          .where(t.c.user_id == user_id).order_by(t.c.id))
    sessions = conn.execute(select(se.c.created_at, se.c.expires_at)
                            .where(se.c.user_id == user_id).order_by(se.c.created_at))
    failures = conn.execute(select(f.c.ip, f.c.at).where(f.c.email == email).order_by(f.c.at))
    return {
        "api_tokens": [{"name": r.name, "created_at": _time(r.created_at),
                        "last_used_at": _time(r.last_used_at)} for r in tokens],
        "sessions": [{"created_at": _time(r.created_at), "expires_at": _time(r.expires_at)}
                     for r in sessions],
        "failed_logins": [{"ip": r.ip, "at": _time(r.at)} for r in failures],
    }


# --- reactions, collections, history -------------------------------------------------------------

def list_reactions(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    r = s.reactions
    rows = conn.execute(select(r.c.pmid, r.c.value, r.c.reason, r.c.created_at)
                        .where(r.c.user_id == user_id).order_by(r.c.created_at, r.c.pmid))
    return [{"pmid": row.pmid, "value": row.value, "reason": row.reason,
             "created_at": _time(row.created_at)} for row in rows]


def add_reaction(conn: Connection, *, user_id: int, pmid: str, value: str, reason: str | None,
                 created_at: datetime) -> bool:
    """Insert a reaction unless the reader already has one for ``pmid`` (theirs is kept)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(s.reactions).values(user_id=user_id, pmid=pmid, value=value,
                                            reason=reason, created_at=created_at)
    return conn.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "pmid"])
                        .returning(s.reactions.c.pmid)).first() is not None


def list_collections_with_items(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """Every collection, oldest first, each with its items (oldest saved first) and notes."""
    c, i = s.collections, s.collection_items
    collections = conn.execute(select(c.c.id, c.c.name, c.c.created_at)
                               .where(c.c.user_id == user_id)
                               .order_by(c.c.created_at, c.c.id)).all()
    items: dict[int, list[dict[str, Any]]] = {row.id: [] for row in collections}
    rows = conn.execute(select(i.c.collection_id, i.c.pmid, i.c.saved_at, i.c.note)
                        .join(c, c.c.id == i.c.collection_id).where(c.c.user_id == user_id)
                        .order_by(i.c.saved_at, i.c.pmid))
    for row in rows:
        items[row.collection_id].append({"pmid": row.pmid, "saved_at": _time(row.saved_at),
                                         "note": row.note})
    return [{"id": row.id, "name": row.name, "created_at": _time(row.created_at),
             "items": items[row.id]} for row in collections]


def list_views(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    v = s.paper_views
    rows = conn.execute(select(v.c.pmid, v.c.query, v.c.viewed_at)
                        .where(v.c.user_id == user_id).order_by(v.c.viewed_at, v.c.id))
    return [{"pmid": row.pmid, "query": row.query, "viewed_at": _time(row.viewed_at)}
            for row in rows]


def add_views(conn: Connection, user_id: int,
              views: Iterable[tuple[str, str | None, datetime]]) -> int:
    """Insert the (pmid, query, viewed_at) views the reader does not have yet."""
    have = {(v["pmid"], v["query"], v["viewed_at"]) for v in list_views(conn, user_id)}
    rows = []
    for pmid, query, at in views:
        key = (pmid, query, _time(at))
        if key not in have:
            have.add(key)
            rows.append({"user_id": user_id, "pmid": pmid, "query": query, "viewed_at": at})
    if rows:
        conn.execute(insert(s.paper_views), rows)
    return len(rows)


# --- every other table a reader owns -------------------------------------------------------------

def _by_user(table: Table) -> Where:
    def where(user_id: int) -> ColumnElement[bool]:
        return table.c.user_id == user_id
    return where


def _by_parent(column: Any, referred: Any, parent: Where) -> Where:
    def where(user_id: int) -> ColumnElement[bool]:
        clause: ColumnElement[bool] = column.in_(select(referred).where(parent(user_id)))
        return clause
    return where


def owned_tables(metadata: MetaData = s.metadata) -> dict[str, tuple[Table, Where]]:
    """The tables holding a reader's rows, parents before children, each with the clause that
    selects one reader's rows: ``user_id = ?``, or a foreign key into a table already owned."""
    owned: dict[str, tuple[Table, Where]] = {}
    for table in metadata.sorted_tables:
        if table.name == "users" or table.name in CREDENTIAL_TABLES:
            continue
        if "user_id" in table.c:
            owned[table.name] = (table, _by_user(table))
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name in owned:
                parent = owned[fk.column.table.name][1]
                owned[table.name] = (table, _by_parent(fk.parent, fk.column, parent))
                break
    # a soft reference's parent is loaded first, so its ids are mapped when the child comes
    order = list(owned)
    for (child, _column), referred in SOFT_REFERENCES.items():
        if child in order and referred in order and order.index(child) < order.index(referred):
            order.remove(child)
            order.insert(order.index(referred) + 1, child)
    return {name: owned[name] for name in order}


def generic_tables(metadata: MetaData = s.metadata) -> dict[str, tuple[Table, Where]]:
    """The owned tables without a section of their own (carried as rows)."""
    return {name: pair for name, pair in owned_tables(metadata).items()
            if name not in KNOWN_TABLES}


def dump_rows(conn: Connection, table: Table, where: Where, user_id: int
              ) -> list[dict[str, Any]]:
    """The reader's rows of ``table``, every column but ``user_id`` (implied), portable."""
    columns = [c for c in table.c if c.name != "user_id"]
    order = list(table.primary_key.columns) or columns[:1]
    rows = conn.execute(select(*columns).where(where(user_id)).order_by(*order))
    return [{c.name: portable(v) for c, v in zip(columns, row, strict=True)} for row in rows]


def _surrogate(table: Table) -> str | None:
    """The name of a single integer primary key the database numbers, else None."""
    pk = list(table.primary_key.columns)
    if len(pk) == 1 and isinstance(pk[0].type, Integer) and pk[0].autoincrement in (True,
                                                                                     "auto"):
        return pk[0].name
    return None


def _unique_sets(table: Table, surrogate: str | None) -> list[tuple[str, ...]]:
    sets = [tuple(c.name for c in con.columns) for con in table.constraints
            if isinstance(con, UniqueConstraint | PrimaryKeyConstraint)]
    sets += [tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique]
    return [u for u in sets if u and u != (surrogate,)]


def load_rows(conn: Connection, table: Table, where: Where, user_id: int,
              rows: list[Any], idmaps: IdMaps) -> int:
    """Insert the rows of an export that the reader does not have yet; returns how many.

    A row counts as present when every column it carries equals an existing row's, or when it
    shares an existing row's unique key (the existing one is kept). Row ids are the database's:
    an exported id is mapped to the new one in ``idmaps[table]``, and foreign keys into other
    owned tables (and :data:`SOFT_REFERENCES`) are rewritten through the maps (a row whose parent
    was not imported is left out). Importing the same rows twice adds nothing.

    :raise InvalidInput: a row that is not an object or a value the column cannot hold.
    """
    surrogate = _surrogate(table)
    uniques = _unique_sets(table, surrogate)
    fks = [(fk.parent.name, fk.column.table.name) for fk in table.foreign_keys
           if fk.column.table.name != "users"]
    fks += [(column, parent) for (child, column), parent in SOFT_REFERENCES.items()
            if child == table.name and column in table.c]
    existing = [{c.name: v for c, v in zip(table.c, row, strict=True)}
                for row in conn.execute(select(*table.c).where(where(user_id)))]
    mapping = idmaps.setdefault(table.name, {})
    added = 0
    for number, raw in enumerate(rows):
        path = f"tables.{table.name}[{number}]"
        if not isinstance(raw, dict):
            raise InvalidInput(f"{path} is not an object")
        row: dict[str, Any] = {}
        for col in table.c:
            if col.name == surrogate:
                continue
            if col.name == "user_id":
                row["user_id"] = user_id
            elif col.name in raw:
                try:
                    row[col.name] = restore(col, raw[col.name])
                except ValueError as exc:
                    raise InvalidInput(f"{path}.{col.name}: {exc}") from None
        if any(row.get(name) is not None and row[name] not in idmaps.get(parent, {})
               for name, parent in fks):
            continue
        for name, parent in fks:
            if row.get(name) is not None:
                row[name] = idmaps[parent][row[name]]
        same = _find_same(existing, row, uniques)
        if same is not None and surrogate:
            if raw.get(surrogate) is not None:
                mapping[raw[surrogate]] = same[surrogate]
            continue
        if same is not None:
            continue
        result = conn.execute(insert(table).values(**row))
        stored = dict(row)
        if surrogate:
            stored[surrogate] = (result.inserted_primary_key or (None,))[0]
            if raw.get(surrogate) is not None:
                mapping[raw[surrogate]] = stored[surrogate]
        existing.append(stored)
        added += 1
    return added


def _find_same(existing: list[dict[str, Any]], row: dict[str, Any],
               uniques: list[tuple[str, ...]]) -> dict[str, Any] | None:
    wanted = {k: portable(v) for k, v in row.items()}
    for other in existing:
        if all(portable(other.get(k)) == v for k, v in wanted.items()):
            return other
        for key in uniques:
            if all(k in row for k in key) and all(
                    portable(other.get(k)) == wanted[k] for k in key):
                return other
    return None
