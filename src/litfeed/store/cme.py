"""CME learning cycles, their audit trail and the admin's credit rules: the SQL behind
``service.cme``.

Every activity function takes the owner's ``user_id`` and filters on it, so one reader's
cycles can never be read or changed through another reader's call. Audit rows are only ever
inserted. Credits are stored as whole hundredths, exact on both backends.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from litfeed.models import CmeActivity
from litfeed.store import schema as s
from litfeed.store.clock import as_utc, as_utc_or_none

a = s.cme_activities


def _activity(row: Any) -> CmeActivity:
    try:
        sources = tuple(str(p) for p in json.loads(row.sources or "[]"))
    except ValueError:
        sources = ()
    hundredths = row.credit_hundredths
    return CmeActivity(
        id=row.id, user_id=row.user_id, status=row.status, question=row.question,
        query=row.query, sources=sources, application=row.application,
        application_text=row.application_text,
        credits=(Decimal(hundredths) / 100).quantize(Decimal("0.01"))
        if hundredths is not None else None,
        credit_type=row.credit_type, credit_year=row.credit_year,
        created_at=as_utc(row.created_at), updated_at=as_utc(row.updated_at),
        completed_at=as_utc_or_none(row.completed_at), expires_at=as_utc_or_none(row.expires_at),
        edit_until=as_utc_or_none(row.edit_until))


def _values(values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values from service names (``sources`` as a JSON list, ``credits`` as
    hundredths)."""
    out = dict(values)
    if "sources" in out:
        out["sources"] = json.dumps(list(out["sources"] or ()))
    if "credits" in out:
        credit = out.pop("credits")
        out["credit_hundredths"] = None if credit is None else int(Decimal(credit) * 100)
    return out


def insert_activity(conn: Connection, *, user_id: int, values: Mapping[str, Any]) -> int:
    new_id = conn.execute(insert(a).values(user_id=user_id, **_values(values))
                          .returning(a.c.id)).scalar_one()
    return int(new_id)


def find_activity(conn: Connection, *, user_id: int, activity_id: int) -> CmeActivity | None:
    row = conn.execute(select(a).where(a.c.user_id == user_id, a.c.id == activity_id)).first()
    return _activity(row) if row else None


def list_activities(conn: Connection, *, user_id: int, statuses: Sequence[str] | None = None,
                    year: int | None = None) -> list[CmeActivity]:
    """The reader's activities: completed ones in completion order, then the others by start."""
    stmt = select(a).where(a.c.user_id == user_id)
    if statuses:
        stmt = stmt.where(a.c.status.in_(list(statuses)))
    if year is not None:
        stmt = stmt.where(a.c.credit_year == year)
    rows = conn.execute(stmt.order_by(a.c.completed_at.is_(None), a.c.completed_at,
                                      a.c.created_at, a.c.id))
    return [_activity(r) for r in rows]


def update_activity(conn: Connection, *, user_id: int, activity_id: int,
                    values: Mapping[str, Any]) -> None:
    conn.execute(update(a).where(a.c.user_id == user_id, a.c.id == activity_id)
                 .values(**_values(values)))


def delete_activity(conn: Connection, *, user_id: int, activity_id: int) -> bool:
    return conn.execute(delete(a).where(a.c.user_id == user_id, a.c.id == activity_id)
                        ).rowcount > 0


def due_drafts(conn: Connection, *, user_id: int, now: datetime) -> list[CmeActivity]:
    """The reader's drafts whose expiry has passed (still marked ``draft``)."""
    rows = conn.execute(select(a).where(a.c.user_id == user_id, a.c.status == "draft",
                                        a.c.expires_at <= now).order_by(a.c.id))
    return [_activity(r) for r in rows]


def earned_in_year(conn: Connection, *, user_id: int, year: int, credit_type: str) -> Decimal:
    """Credits of ``credit_type`` the reader's completed cycles already count in ``year``."""
    total = conn.execute(select(func.coalesce(func.sum(a.c.credit_hundredths), 0))
                         .where(a.c.user_id == user_id, a.c.status == "completed",
                                a.c.credit_year == year, a.c.credit_type == credit_type)
                         ).scalar()
    return (Decimal(int(total or 0)) / 100).quantize(Decimal("0.01"))


def lock_reader(conn: Connection, user_id: int) -> None:
    """Serialise one reader's completions (PostgreSQL row lock; SQLite has one writer anyway),
    so two at once cannot both fit under the yearly cap."""
    conn.execute(select(s.users.c.id).where(s.users.c.id == user_id).with_for_update())


# --- audit ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditRow:
    id: int
    activity_id: int
    at: datetime
    action: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "activity_id": self.activity_id, "at": self.at.isoformat(),
                "action": self.action, "before": self.before, "after": self.after}


def _json_or_none(value: str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    try:
        loaded = json.loads(value)
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def insert_audit(conn: Connection, *, activity_id: int, user_id: int, at: datetime,
                 action: str, before: Mapping[str, Any] | None,
                 after: Mapping[str, Any] | None) -> None:
    def dump(value: Mapping[str, Any] | None) -> str | None:
        return None if value is None else json.dumps(dict(value), ensure_ascii=False,
                                                     sort_keys=True)

    conn.execute(insert(s.cme_audit).values(activity_id=activity_id, user_id=user_id, at=at,
                                            action=action, before=dump(before),
                                            after=dump(after)))


def list_audit(conn: Connection, *, user_id: int, activity_id: int | None = None
               ) -> list[AuditRow]:
    t = s.cme_audit
    stmt = select(t).where(t.c.user_id == user_id)
    if activity_id is not None:
        stmt = stmt.where(t.c.activity_id == activity_id)
    rows = conn.execute(stmt.order_by(t.c.at, t.c.id))
    return [AuditRow(id=r.id, activity_id=r.activity_id, at=as_utc(r.at), action=r.action,
                     before=_json_or_none(r.before), after=_json_or_none(r.after))
            for r in rows]


# --- the admin's rules ---------------------------------------------------------------------------

def read_rules(conn: Connection) -> dict[str, str | None]:
    t = s.cme_settings
    return {r.key: r.value for r in conn.execute(select(t.c.key, t.c.value))}


def write_rules(conn: Connection, values: Mapping[str, str | None], *, now: datetime,
                by: int | None) -> None:
    """Store each key's value (``None``: back to the server default)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    for key, value in values.items():
        stmt = dialect.insert(s.cme_settings).values(key=key, value=value, updated_at=now,
                                                     updated_by=by)
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["key"], set_={"value": value, "updated_at": now, "updated_by": by}))
