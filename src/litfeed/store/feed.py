"""The SQL behind the personal feed: a reader's signals and settings, and the candidate pool."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection

from litfeed.store import schema as s


@dataclass(frozen=True)
class CandidateRow:
    pmid: str
    published: str | None
    year: int | None
    retracted: bool
    doc: str


def reactions_of(conn: Connection, user_id: int) -> list[tuple[str, str, str | None]]:
    """(pmid, value, reason) of every reaction of the reader, oldest first."""
    r = s.reactions
    rows = conn.execute(select(r.c.pmid, r.c.value, r.c.reason)
                        .where(r.c.user_id == user_id).order_by(r.c.created_at, r.c.pmid))
    return [(row.pmid, row.value, row.reason) for row in rows]


def saved_pmids(conn: Connection, user_id: int) -> list[str]:
    c, i = s.collections, s.collection_items
    rows = conn.execute(select(i.c.pmid).join(c, c.c.id == i.c.collection_id)
                        .where(c.c.user_id == user_id).distinct())
    return sorted(rows.scalars())


def signal_signature(conn: Connection, user_id: int) -> tuple[int, str, int]:
    """Changes whenever the reader's reactions or saves change (the model cache key)."""
    r, c, i = s.reactions, s.collections, s.collection_items
    n, newest = conn.execute(select(func.count(), func.max(r.c.created_at))
                             .where(r.c.user_id == user_id)).one()
    saved = conn.execute(select(func.count()).select_from(i.join(c, c.c.id == i.c.collection_id))
                         .where(c.c.user_id == user_id)).scalar() or 0
    return int(n or 0), str(newest), int(saved)


def user_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    raw = conn.execute(select(s.users.c.settings).where(s.users.c.id == user_id)).scalar()
    try:
        value = orjson.loads(raw or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def set_user_settings(conn: Connection, user_id: int, settings: dict[str, Any]) -> None:
    conn.execute(update(s.users).where(s.users.c.id == user_id)
                 .values(settings=orjson.dumps(settings).decode()))


def user_ids(conn: Connection) -> list[int]:
    return list(conn.execute(select(s.users.c.id).order_by(s.users.c.id)).scalars())


def candidate_rows(conn: Connection, pmids: list[str]) -> Iterator[CandidateRow]:
    p = s.papers
    for start in range(0, len(pmids), 5000):
        chunk = pmids[start:start + 5000]
        for row in conn.execute(select(p.c.pmid, p.c.published, p.c.year, p.c.retracted, p.c.doc)
                                .where(p.c.pmid.in_(chunk))):
            yield CandidateRow(row.pmid, row.published, row.year, bool(row.retracted), row.doc)


def change_head(conn: Connection) -> int:
    """The newest ``paper_changes`` sequence number (0 for none)."""
    return int(conn.execute(select(func.max(s.paper_changes.c.seq))).scalar() or 0)


def changed_since(conn: Connection, after: int, upto: int) -> list[str]:
    """PMIDs with a change logged after ``after`` up to ``upto``, each once."""
    rows = conn.execute(select(s.paper_changes.c.pmid).where(s.paper_changes.c.seq > after)
                        .where(s.paper_changes.c.seq <= upto))
    return list(dict.fromkeys(rows.scalars()))


def retraction_flags(conn: Connection, pmids: list[str]) -> dict[str, bool]:
    """``retracted`` of each stored paper among ``pmids`` (a deleted one is absent)."""
    p = s.papers
    out: dict[str, bool] = {}
    for start in range(0, len(pmids), 500):
        for row in conn.execute(select(p.c.pmid, p.c.retracted)
                                .where(p.c.pmid.in_(pmids[start:start + 500]))):
            out[row.pmid] = bool(row.retracted)
    return out


def user_settings_for_update(conn: Connection, user_id: int) -> dict[str, Any]:
    """``user_settings``, with the reader's row locked until the transaction ends (PostgreSQL;
    SQLite writers are serialised anyway): a read-modify-write of one list (mute a topic,
    follow a journal) does not lose a change made at the same moment."""
    raw = conn.execute(select(s.users.c.settings).where(s.users.c.id == user_id)
                       .with_for_update()).scalar()
    try:
        value = orjson.loads(raw or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def feed_token_version(conn: Connection, user_id: int) -> int | None:
    """The generation of the reader's private feed URL (0 for the first); None: no such user."""
    row = conn.execute(select(s.users.c.feed_token_version)
                       .where(s.users.c.id == user_id)).first()
    return None if row is None else int(row.feed_token_version or 0)


def bump_feed_token_version(conn: Connection, user_id: int) -> int:
    """Move the reader's feed URL to its next generation; returns the new one."""
    version = (feed_token_version(conn, user_id) or 0) + 1
    conn.execute(update(s.users).where(s.users.c.id == user_id)
                 .values(feed_token_version=version))
    return version
