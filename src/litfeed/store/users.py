"""Accounts, sessions, API tokens and login failures: the SQL behind ``service.accounts``.

Session ids and API tokens are stored only as SHA-256 digests, so a copy of the database does
not let anyone sign in. Functions take the connection they run on; the caller owns the
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from litfeed.models import User
from litfeed.store import schema as s
from litfeed.store.clock import as_utc, as_utc_or_none

_USER_COLUMNS = (s.users.c.id, s.users.c.email, s.users.c.name, s.users.c.is_admin,
                 s.users.c.created_at)


def _user(row: Any) -> User:
    return User(id=row.id, email=row.email, name=row.name, is_admin=bool(row.is_admin),
                created_at=as_utc_or_none(row.created_at))


# --- users ---------------------------------------------------------------------------------------

def insert_user(conn: Connection, *, email: str, password_hash: str, name: str | None,
                is_admin: bool, now: datetime) -> User:
    user_id = conn.execute(insert(s.users).values(
        email=email, password_hash=password_hash, name=name, is_admin=is_admin, settings="{}",
        created_at=now, password_changed_at=now).returning(s.users.c.id)).scalar_one()
    return User(id=int(user_id), email=email, name=name,
                is_admin=is_admin, created_at=now)


def find_user(conn: Connection, user_id: int) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(s.users.c.id == user_id)).first()
    return _user(row) if row else None


def find_user_by_email(conn: Connection, email: str) -> User | None:
    row = conn.execute(select(*_USER_COLUMNS).where(s.users.c.email == email)).first()
    return _user(row) if row else None


def find_credentials(conn: Connection, email: str) -> tuple[User, str] | None:
    """The user and their password hash, for checking a login."""
    row = conn.execute(select(*_USER_COLUMNS, s.users.c.password_hash)
                       .where(s.users.c.email == email)).first()
    return (_user(row), row.password_hash) if row else None


def password_hash_of(conn: Connection, user_id: int) -> str | None:
    return conn.execute(select(s.users.c.password_hash).where(s.users.c.id == user_id)).scalar()


def update_password(conn: Connection, user_id: int, password_hash: str, now: datetime) -> None:
    conn.execute(update(s.users).where(s.users.c.id == user_id)
                 .values(password_hash=password_hash, password_changed_at=now))


def set_admin(conn: Connection, user_id: int, is_admin: bool) -> None:
    conn.execute(update(s.users).where(s.users.c.id == user_id).values(is_admin=is_admin))


def list_users(conn: Connection) -> list[User]:
    return [_user(r) for r in conn.execute(select(*_USER_COLUMNS).order_by(s.users.c.id))]


def count_users(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.users)).scalar() or 0)


# --- sessions ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SessionRow:
    user: User
    csrf_token: str
    expires_at: datetime


def insert_session(conn: Connection, *, id_hash: str, user_id: int, csrf_token: str,
                   now: datetime, expires_at: datetime) -> None:
    conn.execute(insert(s.sessions).values(id_hash=id_hash, user_id=user_id,
                                           csrf_token=csrf_token, created_at=now,
                                           expires_at=expires_at))


def find_session(conn: Connection, id_hash: str) -> SessionRow | None:
    row = conn.execute(
        select(*_USER_COLUMNS, s.sessions.c.csrf_token, s.sessions.c.expires_at)
        .join(s.sessions, s.sessions.c.user_id == s.users.c.id)
        .where(s.sessions.c.id_hash == id_hash)).first()
    if row is None:
        return None
    return SessionRow(user=_user(row), csrf_token=row.csrf_token,
                      expires_at=as_utc(row.expires_at))


def delete_session(conn: Connection, id_hash: str) -> None:
    conn.execute(delete(s.sessions).where(s.sessions.c.id_hash == id_hash))


def delete_user_sessions(conn: Connection, user_id: int) -> None:
    conn.execute(delete(s.sessions).where(s.sessions.c.user_id == user_id))


def delete_expired_sessions(conn: Connection, now: datetime) -> int:
    return conn.execute(delete(s.sessions).where(s.sessions.c.expires_at < now)).rowcount


# --- API tokens --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str | None
    created_at: datetime
    last_used_at: datetime | None


def insert_token(conn: Connection, *, token_hash: str, user_id: int, name: str | None,
                 now: datetime) -> int:
    token_id = conn.execute(insert(s.api_tokens).values(
        token_hash=token_hash, user_id=user_id, name=name, created_at=now
    ).returning(s.api_tokens.c.id)).scalar_one()
    return int(token_id)


def find_token_user(conn: Connection, token_hash: str) -> tuple[User, TokenRow] | None:
    t = s.api_tokens
    row = conn.execute(
        select(*_USER_COLUMNS, t.c.id.label("token_id"), t.c.name.label("token_name"),
               t.c.created_at.label("token_created"), t.c.last_used_at)
        .join(t, t.c.user_id == s.users.c.id).where(t.c.token_hash == token_hash)).first()
    if row is None:
        return None
    return _user(row), TokenRow(id=row.token_id, name=row.token_name,
                                created_at=as_utc(row.token_created),
                                last_used_at=as_utc_or_none(row.last_used_at))


def touch_token(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(s.api_tokens).where(s.api_tokens.c.id == token_id)
                 .values(last_used_at=now))


def list_tokens(conn: Connection, user_id: int) -> list[TokenRow]:
    t = s.api_tokens
    rows = conn.execute(select(t.c.id, t.c.name, t.c.created_at, t.c.last_used_at)
                        .where(t.c.user_id == user_id).order_by(t.c.id))
    return [TokenRow(id=r.id, name=r.name, created_at=as_utc(r.created_at),
                     last_used_at=as_utc_or_none(r.last_used_at)) for r in rows]


def delete_token(conn: Connection, user_id: int, token_id: int) -> bool:
    t = s.api_tokens
    return conn.execute(delete(t).where(t.c.id == token_id, t.c.user_id == user_id)
                        ).rowcount > 0


def delete_user_tokens(conn: Connection, user_id: int) -> None:
    conn.execute(delete(s.api_tokens).where(s.api_tokens.c.user_id == user_id))


def delete_token_by_hash(conn: Connection, token_hash: str) -> None:
    conn.execute(delete(s.api_tokens).where(s.api_tokens.c.token_hash == token_hash))


# --- login failures ------------------------------------------------------------------------------

def record_login_failure(conn: Connection, *, email: str, ip: str | None, at: datetime) -> None:
    conn.execute(insert(s.login_failures).values(email=email, ip=ip, at=at))


def recent_failures(conn: Connection, *, since: datetime, email: str | None = None,
                    ip: str | None = None) -> tuple[int, datetime | None]:
    """How many failures since ``since`` for this email (or IP), and the oldest one's time."""
    f = s.login_failures
    query = select(func.count(), func.min(f.c.at)).where(f.c.at >= since)
    if email is not None:
        query = query.where(f.c.email == email)
    if ip is not None:
        query = query.where(f.c.ip == ip)
    count, oldest = conn.execute(query).one()
    return int(count or 0), as_utc_or_none(oldest)


def clear_login_failures(conn: Connection, email: str) -> None:
    conn.execute(delete(s.login_failures).where(s.login_failures.c.email == email))


def delete_old_failures(conn: Connection, before: datetime) -> None:
    conn.execute(delete(s.login_failures).where(s.login_failures.c.at < before))


# --- attempts counted per client address (registrations) ----------------------------------------

def count_rate_events(conn: Connection, *, kind: str, key: str, since: datetime
                      ) -> tuple[int, datetime | None]:
    """How many ``kind`` attempts from ``key`` since ``since``, and the oldest one's time."""
    e = s.rate_events
    count, oldest = conn.execute(
        select(func.count(), func.min(e.c.at))
        .where(e.c.kind == kind, e.c.key == key, e.c.at >= since)).one()
    return int(count or 0), as_utc_or_none(oldest)


def record_rate_event(conn: Connection, *, kind: str, key: str, at: datetime) -> None:
    conn.execute(insert(s.rate_events).values(kind=kind, key=key, at=at))


def delete_old_rate_events(conn: Connection, *, kind: str, before: datetime) -> None:
    conn.execute(delete(s.rate_events).where(s.rate_events.c.kind == kind,
                                             s.rate_events.c.at < before))
