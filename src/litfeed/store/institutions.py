"""Institutions (readers' libraries): the SQL behind ``service.institutions``.

Values arrive already validated (``fulltext.validate_institution``); this module only stores
and reads them. ``email_domains`` is a JSON list in one column: an institution has a handful,
and matching a reader's address against them happens in Python
(``fulltext.institution_for_email``), where subdomain rules live. Functions take the connection
they run on; the caller owns the transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from litfeed.errors import Conflict
from litfeed.store import schema as s
from litfeed.store.clock import as_utc

_t = s.institutions


@dataclass(frozen=True)
class InstitutionRow:
    id: int
    name: str
    ezproxy_prefix: str | None
    openurl_base: str | None
    ill_url: str | None
    email_domains: tuple[str, ...]
    created_at: datetime


def _row(row: Any) -> InstitutionRow:
    try:
        domains = json.loads(row.email_domains or "[]")
    except ValueError:  # edited by hand: better no domains than a broken settings page
        domains = []
    return InstitutionRow(
        id=int(row.id), name=row.name, ezproxy_prefix=row.ezproxy_prefix,
        openurl_base=row.openurl_base, ill_url=row.ill_url,
        email_domains=tuple(str(d) for d in domains if isinstance(d, str)),
        created_at=as_utc(row.created_at))


def _values(*, name: str, ezproxy_prefix: str | None, openurl_base: str | None,
            ill_url: str | None, email_domains: tuple[str, ...]) -> dict[str, Any]:
    return {"name": name, "ezproxy_prefix": ezproxy_prefix, "openurl_base": openurl_base,
            "ill_url": ill_url, "email_domains": json.dumps(list(email_domains))}


def insert_institution(conn: Connection, *, name: str, ezproxy_prefix: str | None,
                       openurl_base: str | None, ill_url: str | None,
                       email_domains: tuple[str, ...], now: datetime) -> int:
    """The new id. :raise Conflict: the name is taken (two admins racing)."""
    try:
        new_id = conn.execute(insert(_t).values(
            **_values(name=name, ezproxy_prefix=ezproxy_prefix, openurl_base=openurl_base,
                      ill_url=ill_url, email_domains=email_domains),
            created_at=now).returning(_t.c.id)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"an institution named {name!r} already exists") from exc
    return int(new_id)


def update_institution(conn: Connection, institution_id: int, *, name: str,
                       ezproxy_prefix: str | None, openurl_base: str | None,
                       ill_url: str | None, email_domains: tuple[str, ...]) -> bool:
    """Replace every field; False when there is no such id.

    :raise Conflict: the new name is another institution's.
    """
    try:
        return conn.execute(update(_t).where(_t.c.id == institution_id).values(
            **_values(name=name, ezproxy_prefix=ezproxy_prefix, openurl_base=openurl_base,
                      ill_url=ill_url, email_domains=email_domains))).rowcount > 0
    except IntegrityError as exc:
        raise Conflict(f"an institution named {name!r} already exists") from exc


def delete_institution(conn: Connection, institution_id: int) -> bool:
    return conn.execute(delete(_t).where(_t.c.id == institution_id)).rowcount > 0


def find_institution(conn: Connection, institution_id: int) -> InstitutionRow | None:
    row = conn.execute(select(_t).where(_t.c.id == institution_id)).first()
    return _row(row) if row else None


def find_institution_by_name(conn: Connection, name: str) -> InstitutionRow | None:
    row = conn.execute(select(_t).where(_t.c.name == name)).first()
    return _row(row) if row else None


def list_institutions(conn: Connection) -> list[InstitutionRow]:
    return [_row(r) for r in conn.execute(select(_t).order_by(_t.c.name, _t.c.id))]
