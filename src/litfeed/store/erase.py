"""Erasing a reader: every row of every table that refers to them, found from the schema.

Nothing here names a table. :func:`references` reads ``schema.metadata`` and finds how each table
points at a reader:

* a column with a foreign key to ``users.id``, or named ``user_id`` / ``*_user_id`` (a log
  that keeps no foreign key on purpose): the reader's id;
* a text column named ``email`` / ``*_email`` (login failures are kept by address, since a
  failed login may name an account that does not exist): the reader's address;
* a foreign key (declared, or one of :data:`SOFT_REFERENCES`) into a table whose rows go:
  a child row (a collection's items, an activity's audit trail).

A table added to schema.py later is covered the day it lands as long as it follows those
conventions, which the schema docstring states; ``tests/privacy`` checks the result against the
whole database, not against this module's idea of it. A foreign key declared ``ON DELETE SET
NULL`` (an admin setting that remembers who changed it) is cleared rather than deleted: the row
is the server's, only the pointer was the reader's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Column,
    MetaData,
    String,
    Table,
    Text,
    delete,
    false,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from litfeed.store import schema as s
from litfeed.store.account_data import SOFT_REFERENCES

#: builds the clause selecting the reader's rows of one table, given (user id, email)
Where = Callable[[int, str], ColumnElement[bool]]


def holds_user_id(column: Column[Any]) -> bool:
    """The column stores a reader's id (declared or by name)."""
    if any(fk.column.table.name == "users" and fk.column.name == "id"
           for fk in column.foreign_keys):
        return True
    return column.name == "user_id" or column.name.endswith("_user_id")


def holds_email(column: Column[Any]) -> bool:
    """The column stores an email address (by name: ``email`` or ``*_email``)."""
    return isinstance(column.type, String | Text) and (
        column.name == "email" or column.name.endswith("_email"))


def _nullable_pointer(column: Column[Any]) -> bool:
    return any((fk.ondelete or "").upper() == "SET NULL" for fk in column.foreign_keys)


@dataclass
class Plan:
    """What erasing one reader does: per table, the rows to delete and the columns to clear."""

    deletes: dict[str, tuple[Table, Where]] = field(default_factory=dict)
    clears: list[tuple[Table, Column[Any], Where]] = field(default_factory=list)


def _any_of(clauses: list[Where]) -> Where:
    def where(user_id: int, email: str) -> ColumnElement[bool]:
        return or_(false(), *(c(user_id, email) for c in clauses))
    return where


def _equals_id(column: Column[Any]) -> Where:
    def where(user_id: int, _email: str) -> ColumnElement[bool]:
        return column == user_id
    return where


def _equals_email(column: Column[Any]) -> Where:
    def where(_user_id: int, email: str) -> ColumnElement[bool]:
        return func.lower(column) == email.lower()
    return where


def _child_of(column: Column[Any], parent_column: Column[Any], parent: str,
              plan: Plan) -> Where:
    """Rows whose ``column`` points at a row of ``parent`` that goes (looked up when the
    statement is built, so a parent that gains a clause later is followed too)."""
    def where(user_id: int, email: str) -> ColumnElement[bool]:
        parent_where = plan.deletes[parent][1]
        return column.in_(select(parent_column).where(parent_where(user_id, email)))
    return where


def references(metadata: MetaData = s.metadata) -> Plan:
    """How every table of ``metadata`` refers to a reader (see the module docstring)."""
    plan = Plan()
    own: dict[str, list[Where]] = {}
    for table in metadata.sorted_tables:
        for column in table.c:
            if table.name == "users" and column.name == "id":
                own.setdefault(table.name, []).append(_equals_id(column))
            elif holds_user_id(column) and _nullable_pointer(column):
                plan.clears.append((table, column, _equals_id(column)))
            elif holds_user_id(column):
                own.setdefault(table.name, []).append(_equals_id(column))
            elif holds_email(column) and table.name != "users":
                own.setdefault(table.name, []).append(_equals_email(column))
    # (child, its column, parent, the parent's column) for every pointer that is not at users
    links: list[tuple[Table, Column[Any], Table, Column[Any]]] = [
        (table, fk.parent, fk.column.table, fk.column)
        for table in metadata.sorted_tables for fk in table.foreign_keys
        if fk.column.table.name != "users"]
    for (child_name, column_name), parent_name in SOFT_REFERENCES.items():
        if child_name in metadata.tables and parent_name in metadata.tables:
            soft_child, soft_parent = metadata.tables[child_name], metadata.tables[parent_name]
            links.append((soft_child, soft_child.c[column_name], soft_parent, soft_parent.c.id))
    # children of rows that go, to a fixed point (a soft reference may point "forwards")
    followed: set[tuple[str, str]] = set()
    changed = True
    while changed:
        changed = False
        for child, column, parent, parent_column in links:
            key = (child.name, column.name)
            if parent.name not in own or key in followed:
                continue
            followed.add(key)
            clause = _child_of(column, parent_column, parent.name, plan)
            if _nullable_pointer(column):
                plan.clears.append((child, column, clause))
            else:
                own.setdefault(child.name, []).append(clause)
                changed = True
    for table in metadata.sorted_tables:
        if table.name in own:
            plan.deletes[table.name] = (table, _any_of(own[table.name]))
    return plan


def _children_first(plan: Plan) -> list[str]:
    """The tables to delete from, every child (declared or soft) before its parent."""
    order = list(reversed(plan.deletes))
    for (child, _column), parent in SOFT_REFERENCES.items():
        if child in order and parent in order and order.index(child) > order.index(parent):
            order.remove(child)
            order.insert(order.index(parent), child)
    return order


def erase_user(conn: Connection, user_id: int, email: str,
               metadata: MetaData = s.metadata) -> dict[str, int]:
    """Delete every row that refers to the reader, children first, and clear the pointers
    that only remember them; returns rows deleted (or cleared) per table, zeros left out."""
    plan = references(metadata)
    counts: dict[str, int] = {}
    # clauses select children through their parents, so the parents must still be there
    for table, column, where in plan.clears:
        done = conn.execute(update(table).where(where(user_id, email))
                            .values({column.name: None})).rowcount or 0
        if done:
            counts[table.name] = counts.get(table.name, 0) + done
    for name in _children_first(plan):
        table, where = plan.deletes[name]
        done = conn.execute(delete(table).where(where(user_id, email))).rowcount or 0
        if done:
            counts[name] = counts.get(name, 0) + done
    return counts


# --- history --------------------------------------------------------------------------------------

def delete_views(conn: Connection, user_id: int) -> int:
    """The reader's reading history (every paper view); how many rows went."""
    v = s.paper_views
    return int(conn.execute(delete(v).where(v.c.user_id == user_id)).rowcount or 0)


def count_views(conn: Connection, user_id: int) -> int:
    v = s.paper_views
    return int(conn.execute(select(func.count()).select_from(v)
                            .where(v.c.user_id == user_id)).scalar() or 0)


def delete_reactions(conn: Connection, user_id: int) -> int:
    r = s.reactions
    return int(conn.execute(delete(r).where(r.c.user_id == user_id)).rowcount or 0)


def delete_collections(conn: Connection, user_id: int) -> int:
    """Every collection of the reader and what it holds; how many saved items went."""
    c, i = s.collections, s.collection_items
    mine = select(c.c.id).where(c.c.user_id == user_id)
    items = int(conn.execute(delete(i).where(i.c.collection_id.in_(mine))).rowcount or 0)
    conn.execute(delete(c).where(c.c.user_id == user_id))
    return items
