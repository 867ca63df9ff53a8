"""Saved searches: the SQL behind ``service.alerts``.

Every function that reads or changes one reader's searches takes their ``user_id`` and filters
on it, so another reader's search id behaves exactly like one that does not exist. The feed
token is the one way in without a user id: it is the credential of the private Atom feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection

from litfeed.store import schema as s
from litfeed.store.clock import as_utc, as_utc_or_none

_t = s.saved_searches


@dataclass(frozen=True)
class SavedSearchRow:
    id: int
    user_id: int
    name: str
    query: str
    filters: str  # JSON
    created_at: datetime
    last_seen_at: datetime
    digest: str
    last_digest_at: datetime | None
    feed_token: str


_COLUMNS = (_t.c.id, _t.c.user_id, _t.c.name, _t.c.query, _t.c.filters, _t.c.created_at,
            _t.c.last_seen_at, _t.c.digest, _t.c.last_digest_at, _t.c.feed_token)


def _row(r: Any) -> SavedSearchRow:
    return SavedSearchRow(id=int(r.id), user_id=int(r.user_id), name=r.name, query=r.query,
                          filters=r.filters, created_at=as_utc(r.created_at),
                          last_seen_at=as_utc(r.last_seen_at), digest=r.digest,
                          last_digest_at=as_utc_or_none(r.last_digest_at),
                          feed_token=r.feed_token)


def insert_search(conn: Connection, *, user_id: int, name: str, query: str, filters: str,
                  digest: str, feed_token: str, now: datetime) -> SavedSearchRow:
    new_id = conn.execute(insert(_t).values(
        user_id=user_id, name=name, query=query, filters=filters, created_at=now,
        last_seen_at=now, digest=digest, last_digest_at=None, feed_token=feed_token,
    ).returning(_t.c.id)).scalar_one()
    return SavedSearchRow(id=int(new_id), user_id=user_id, name=name, query=query,
                          filters=filters, created_at=now, last_seen_at=now, digest=digest,
                          last_digest_at=None, feed_token=feed_token)


def list_searches(conn: Connection, user_id: int) -> list[SavedSearchRow]:
    rows = conn.execute(select(*_COLUMNS).where(_t.c.user_id == user_id)
                        .order_by(_t.c.created_at, _t.c.id))
    return [_row(r) for r in rows]


def find_search(conn: Connection, *, user_id: int, search_id: int) -> SavedSearchRow | None:
    row = conn.execute(select(*_COLUMNS)
                       .where(_t.c.user_id == user_id, _t.c.id == search_id)).first()
    return _row(row) if row else None


def find_search_by_name(conn: Connection, *, user_id: int, name: str) -> SavedSearchRow | None:
    row = conn.execute(select(*_COLUMNS)
                       .where(_t.c.user_id == user_id, _t.c.name == name)).first()
    return _row(row) if row else None


def find_by_feed_token(conn: Connection, token: str) -> SavedSearchRow | None:
    row = conn.execute(select(*_COLUMNS).where(_t.c.feed_token == token)).first()
    return _row(row) if row else None


def update_search(conn: Connection, *, user_id: int, search_id: int,
                  **values: Any) -> bool:
    """Set columns of one of the reader's searches (name, query, filters, digest,
    last_seen_at); False when the reader has no such search."""
    return conn.execute(update(_t).where(_t.c.user_id == user_id, _t.c.id == search_id)
                        .values(**values)).rowcount > 0


def delete_search(conn: Connection, *, user_id: int, search_id: int) -> bool:
    return conn.execute(delete(_t).where(_t.c.user_id == user_id, _t.c.id == search_id)
                        ).rowcount > 0


@dataclass(frozen=True)
class DigestRow:
    search: SavedSearchRow
    email: str


def list_digest_searches(conn: Connection, digests: tuple[str, ...]) -> list[DigestRow]:
    """Every saved search whose digest is one of ``digests``, with its owner's email,
    grouped by owner."""
    rows = conn.execute(select(*_COLUMNS, s.users.c.email)
                        .join(s.users, s.users.c.id == _t.c.user_id)
                        .where(_t.c.digest.in_(list(digests)))
                        .order_by(_t.c.user_id, _t.c.created_at, _t.c.id))
    return [DigestRow(search=_row(r), email=r.email) for r in rows]


def mark_digested(conn: Connection, search_ids: list[int], until: datetime) -> None:
    """Record that digests covered arrivals up to ``until`` for these searches."""
    if search_ids:
        conn.execute(update(_t).where(_t.c.id.in_(search_ids)).values(last_digest_at=until))
