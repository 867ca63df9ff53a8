"""Reactions, collections and saved papers: the SQL behind ``service.library``.

Every function takes the owner's ``user_id`` and filters on it, so one reader's rows can never
be read or changed through another reader's call. Writes that two requests may race on
(setting a reaction, creating the default collection, saving) are upserts, so a double click
never becomes an integrity error.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from litfeed.models import Collection, Reaction
from litfeed.store import schema as s
from litfeed.store.clock import as_utc, as_utc_or_none


def _insert(conn: Connection, table: Any) -> Any:
    """A dialect insert that understands ON CONFLICT (both backends spell it the same)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# --- reactions -----------------------------------------------------------------------------------

def set_reaction(conn: Connection, *, user_id: int, pmid: str, value: str, reason: str | None,
                 now: datetime) -> None:
    stmt = _insert(conn, s.reactions).values(user_id=user_id, pmid=pmid, value=value,
                                            reason=reason, created_at=now)
    conn.execute(stmt.on_conflict_do_update(
        index_elements=["user_id", "pmid"],
        set_={"value": value, "reason": reason, "created_at": now}))


def delete_reaction(conn: Connection, *, user_id: int, pmid: str) -> None:
    r = s.reactions
    conn.execute(delete(r).where(r.c.user_id == user_id, r.c.pmid == pmid))


def find_reaction(conn: Connection, *, user_id: int, pmid: str) -> Reaction | None:
    r = s.reactions
    row = conn.execute(select(r.c.value, r.c.reason, r.c.created_at)
                       .where(r.c.user_id == user_id, r.c.pmid == pmid)).first()
    if row is None:
        return None
    return Reaction(pmid=pmid, value=row.value, reason=row.reason,
                    created_at=as_utc_or_none(row.created_at))


def reactions_for(conn: Connection, *, user_id: int, pmids: Sequence[str]) -> dict[str, Reaction]:
    r = s.reactions
    if not pmids:
        return {}
    rows = conn.execute(select(r.c.pmid, r.c.value, r.c.reason)
                        .where(r.c.user_id == user_id, r.c.pmid.in_(list(pmids))))
    return {row.pmid: Reaction(pmid=row.pmid, value=row.value, reason=row.reason)
            for row in rows}


# --- collections ---------------------------------------------------------------------------------

def list_collections(conn: Connection, user_id: int) -> list[Collection]:
    c, i = s.collections, s.collection_items
    rows = conn.execute(
        select(c.c.id, c.c.name, c.c.created_at, func.count(i.c.pmid).label("n"))
        .select_from(c.outerjoin(i, i.c.collection_id == c.c.id))
        .where(c.c.user_id == user_id)
        .group_by(c.c.id, c.c.name, c.c.created_at)
        .order_by(c.c.created_at, c.c.id))
    return [Collection(id=r.id, name=r.name, count=int(r.n), created_at=as_utc(r.created_at))
            for r in rows]


def find_collection(conn: Connection, *, user_id: int, collection_id: int) -> Collection | None:
    c = s.collections
    row = conn.execute(select(c.c.id, c.c.name, c.c.created_at)
                       .where(c.c.user_id == user_id, c.c.id == collection_id)).first()
    return Collection(id=row.id, name=row.name, created_at=as_utc(row.created_at)) if row else None


def find_collection_by_name(conn: Connection, *, user_id: int, name: str) -> Collection | None:
    c = s.collections
    row = conn.execute(select(c.c.id, c.c.name, c.c.created_at)
                       .where(c.c.user_id == user_id, c.c.name == name)).first()
    return Collection(id=row.id, name=row.name, created_at=as_utc(row.created_at)) if row else None


def ensure_collection(conn: Connection, *, user_id: int, name: str, now: datetime) -> Collection:
    """The reader's collection called ``name``, created when missing (race-safe)."""
    stmt = _insert(conn, s.collections).values(user_id=user_id, name=name,
                                                      created_at=now)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["user_id", "name"]))
    found = find_collection_by_name(conn, user_id=user_id, name=name)
    if found is None:  # pragma: no cover - the row was inserted or already there
        raise RuntimeError(f"collection {name!r} vanished while being created")
    return found


def rename_collection(conn: Connection, *, user_id: int, collection_id: int, name: str) -> bool:
    c = s.collections
    return conn.execute(update(c).where(c.c.user_id == user_id, c.c.id == collection_id)
                        .values(name=name)).rowcount > 0


def delete_collection(conn: Connection, *, user_id: int, collection_id: int) -> bool:
    c, i = s.collections, s.collection_items
    owned = select(c.c.id).where(c.c.user_id == user_id, c.c.id == collection_id)
    conn.execute(delete(i).where(i.c.collection_id.in_(owned)))
    return conn.execute(delete(c).where(c.c.user_id == user_id, c.c.id == collection_id)
                        ).rowcount > 0


# --- saved papers --------------------------------------------------------------------------------

def _owned_ids(user_id: int) -> Any:
    return select(s.collections.c.id).where(s.collections.c.user_id == user_id)


def add_item(conn: Connection, *, collection_id: int, pmid: str, note: str | None,
             now: datetime) -> bool:
    """Put ``pmid`` in the collection; False when it was already there (nothing changes)."""
    stmt = _insert(conn, s.collection_items).values(collection_id=collection_id, pmid=pmid,
                                                   note=note, saved_at=now)
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT … ON CONFLICT DO NOTHING
    return conn.execute(stmt.on_conflict_do_nothing(index_elements=["collection_id", "pmid"])
                        .returning(s.collection_items.c.pmid)).first() is not None


def remove_item(conn: Connection, *, collection_id: int, pmid: str) -> bool:
    i = s.collection_items
    return conn.execute(delete(i).where(i.c.collection_id == collection_id, i.c.pmid == pmid)
                        ).rowcount > 0


def remove_everywhere(conn: Connection, *, user_id: int, pmid: str) -> None:
    i = s.collection_items
    conn.execute(delete(i).where(i.c.pmid == pmid, i.c.collection_id.in_(_owned_ids(user_id))))


def collections_with(conn: Connection, *, user_id: int, pmid: str) -> list[Collection]:
    """The reader's collections that hold ``pmid``, oldest collection first."""
    c, i = s.collections, s.collection_items
    rows = conn.execute(
        select(c.c.id, c.c.name, c.c.created_at)
        .join(i, and_(i.c.collection_id == c.c.id, i.c.pmid == pmid))
        .where(c.c.user_id == user_id).order_by(c.c.created_at, c.c.id))
    return [Collection(id=r.id, name=r.name, created_at=as_utc(r.created_at)) for r in rows]


@dataclass(frozen=True)
class PaperInCollections:
    collections: list[Collection]  # all of the reader's collections, oldest first
    holding: list[Collection]  # those that hold the paper
    note: str | None


def paper_in_collections(conn: Connection, *, user_id: int, pmid: str) -> PaperInCollections:
    """The reader's collections and which of them hold ``pmid``, in one query (the paper page
    needs both for its picker)."""
    c, i = s.collections, s.collection_items
    rows = conn.execute(
        select(c.c.id, c.c.name, c.c.created_at, i.c.pmid, i.c.note, i.c.saved_at)
        .select_from(c.outerjoin(i, and_(i.c.collection_id == c.c.id, i.c.pmid == pmid)))
        .where(c.c.user_id == user_id).order_by(c.c.created_at, c.c.id)).all()
    every = [Collection(id=r.id, name=r.name, created_at=as_utc(r.created_at)) for r in rows]
    holding = [col for col, r in zip(every, rows, strict=True) if r.pmid is not None]
    noted = sorted((r for r in rows if r.note), key=lambda r: r.saved_at, reverse=True)
    return PaperInCollections(collections=every, holding=holding,
                              note=noted[0].note if noted else None)


def find_note(conn: Connection, *, user_id: int, pmid: str) -> str | None:
    i = s.collection_items
    return conn.execute(
        select(i.c.note).where(i.c.pmid == pmid, i.c.collection_id.in_(_owned_ids(user_id)),
                               i.c.note.is_not(None))
        .order_by(i.c.saved_at.desc()).limit(1)).scalar()


def set_note(conn: Connection, *, user_id: int, pmid: str, note: str | None) -> int:
    """The note lives on every copy of the paper in the reader's collections (one per paper)."""
    i = s.collection_items
    return conn.execute(update(i).where(i.c.pmid == pmid,
                                        i.c.collection_id.in_(_owned_ids(user_id)))
                        .values(note=note)).rowcount


@dataclass(frozen=True)
class ItemRow:
    pmid: str
    collection: str
    saved_at: datetime
    note: str | None


def list_items(conn: Connection, *, user_id: int, collection_id: int | None = None
               ) -> list[ItemRow]:
    """Every (paper, collection) pair the reader has, optionally narrowed to one collection,
    newest first."""
    c, i = s.collections, s.collection_items
    query = (select(i.c.pmid, c.c.name, i.c.saved_at, i.c.note)
             .join(c, c.c.id == i.c.collection_id).where(c.c.user_id == user_id))
    if collection_id is not None:
        query = query.where(c.c.id == collection_id)
    rows = conn.execute(query.order_by(i.c.saved_at.desc(), i.c.pmid))
    return [ItemRow(pmid=r.pmid, collection=r.name, saved_at=as_utc(r.saved_at), note=r.note)
            for r in rows]


def items_for(conn: Connection, *, user_id: int, pmids: Sequence[str]
                               ) -> list[ItemRow]:
    """All of the reader's items for ``pmids`` (to show every collection a paper is in)."""
    if not pmids:
        return []
    c, i = s.collections, s.collection_items
    rows = conn.execute(
        select(i.c.pmid, c.c.name, i.c.saved_at, i.c.note)
        .join(c, c.c.id == i.c.collection_id)
        .where(c.c.user_id == user_id, i.c.pmid.in_(list(pmids)))
        .order_by(c.c.created_at, c.c.id))
    return [ItemRow(pmid=r.pmid, collection=r.name, saved_at=as_utc(r.saved_at), note=r.note)
            for r in rows]
