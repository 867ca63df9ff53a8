"""Accounts: registration, login with throttling, sessions, API tokens, passwords, admins.

Secrets handed to a client (the session cookie, an API token) exist in clear only in the
return value of the function that made them; the store keeps their SHA-256. Passwords are
hashed with argon2id and must pass the policy in :mod:`litfeed.service.passwords`. Logging in
always starts a new session (a fresh id), so a session id an attacker planted before login is
worthless after it; logging out ends the credential used (the session, or the API token), "log
out everywhere" and changing the password end every session and token of the account.
Registration attempts are counted per client address in the store, so the limit holds across
every app process.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from litfeed.config import Settings
from litfeed.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from litfeed.models import User
from litfeed.service.passwords import check_password
from litfeed.service.text import is_plain, plain_text
from litfeed.store import Store
from litfeed.store import users as store_users
from litfeed.store.clock import now as utc_now
from litfeed.store.users import TokenRow

EMAIL_RE = re.compile(r"^[^@\s]{1,200}@[^@\s]+\.[^@\s]+$")
TOKEN_PREFIX = "lf_"
#: a token's last_used_at is written at most this often, so reads stay reads
TOKEN_TOUCH_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class NewSession:
    """A session just started: ``cookie`` is the only copy of its id in clear."""

    cookie: str
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignedIn:
    """Who made a request, and how they proved it."""

    user: User
    via: Literal["session", "token"]
    csrf_token: str | None = None


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str | None
    created_at: datetime
    last_used_at: datetime | None

    def to_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at.isoformat(),
                "last_used_at": self.last_used_at.isoformat() if self.last_used_at else None}


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=1)


def hasher(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib)


@lru_cache(maxsize=8)
def _dummy_hash(time_cost: int, memory_kib: int) -> str:
    return _hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(16))


def normalize_email(email: str) -> str:
    """:raise InvalidInput: when ``email`` does not look like an address."""
    cleaned = plain_text(email, "an email address").strip().lower()
    if not EMAIL_RE.match(cleaned) or len(cleaned) > 320:
        raise InvalidInput(f"{email!r} is not an email address; expected name@example.org")
    return cleaned


# --- users ---------------------------------------------------------------------------------------

REGISTER_WINDOW = timedelta(hours=1)


def _count_registration(store: Store, settings: Settings, ip: str) -> None:
    """Count one registration attempt from ``ip`` (made or not: a failed attempt also tells
    whether an email has an account), refusing it past the hourly limit.

    :raise RateLimited: ``settings.rate_register_per_ip`` attempts in the last hour.
    """
    key, at = ip[:64], utc_now()
    since = at - REGISTER_WINDOW
    with store.transaction() as conn:
        count, oldest = store_users.count_rate_events(conn, kind="register", key=key,
                                                      since=since)
        if count >= settings.rate_register_per_ip and oldest is not None:
            wait = int((oldest + REGISTER_WINDOW - at).total_seconds()) + 1
            raise RateLimited(f"too many registrations from your address; try again in "
                              f"{max(1, wait)} s", retry_after=max(1, wait))
        store_users.record_rate_event(conn, kind="register", key=key, at=at)
        store_users.delete_old_rate_events(conn, kind="register", before=since)


def register(store: Store, settings: Settings, *, email: str, password: str,
             name: str | None = None, is_admin: bool = False, by_admin: bool = False,
             ip: str | None = None) -> User:
    """Create an account; ``ip`` is the client address of a self-registration (counted).

    :raise Forbidden: registration is closed and no admin is asking.
    :raise RateLimited: too many registrations from ``ip`` in the last hour.
    :raise InvalidInput: bad email, or a password the policy refuses. :raise Conflict: the
        email is taken.
    """
    if settings.registration == "closed" and not by_admin:
        raise Forbidden("registration is closed on this server; ask an administrator for an "
                        "account")
    if ip and not by_admin and settings.rate_register_per_ip > 0:
        _count_registration(store, settings, ip)
    email = normalize_email(email)
    check_password(password, email=email)
    password_hash = hasher(settings).hash(password)
    clean_name = plain_text(name, "a name").strip()[:200] or None
    try:
        with store.transaction() as conn:
            if store_users.find_user_by_email(conn, email) is not None:
                raise Conflict(f"an account for {email} already exists")
            return store_users.insert_user(conn, email=email, password_hash=password_hash,
                                           name=clean_name, is_admin=is_admin, now=utc_now())
    except IntegrityError as exc:  # two registrations racing for the same address
        raise Conflict(f"an account for {email} already exists") from exc


def get_user_by_email(store: Store, email: str) -> User:
    """:raise NotFound: no account has this email."""
    cleaned = plain_text(email, "an email address").strip().lower()
    with store.read() as conn:
        user = store_users.find_user_by_email(conn, cleaned)
    if user is None:
        raise NotFound(f"no account for {email!r}")
    return user


def list_users(store: Store) -> list[User]:
    with store.read() as conn:
        return store_users.list_users(conn)


def set_admin(store: Store, email: str, is_admin: bool) -> User:
    user = get_user_by_email(store, email)
    with store.transaction() as conn:
        store_users.set_admin(conn, user.id, is_admin)
    return User(id=user.id, email=user.email, name=user.name, is_admin=is_admin,
                created_at=user.created_at)


# --- logging in -----------------------------------------------------------------------------------

def _throttle(store: Store, settings: Settings, email: str, ip: str | None,
              at: datetime) -> None:
    since = at - timedelta(seconds=settings.login_window_s)
    checks: list[tuple[str | None, str | None, int, str]] = [
        (email, None, settings.login_max_failures, "this account")]
    if ip:
        checks.append((None, ip, settings.login_max_failures_ip, "your address"))
    with store.read() as conn:
        for by_email, by_ip, limit, who in checks:
            count, oldest = store_users.recent_failures(conn, since=since, email=by_email,
                                                        ip=by_ip)
            if count >= limit and oldest is not None:
                wait = int((oldest + timedelta(seconds=settings.login_window_s) - at)
                           .total_seconds()) + 1
                raise RateLimited(f"too many failed logins for {who}; try again in {wait} s",
                                  retry_after=max(1, wait))


def authenticate(store: Store, settings: Settings, *, email: str, password: str,
                 ip: str | None = None) -> User:
    """Check an email and password.

    :raise RateLimited: too many recent failures for the account or the address (checked
        before the password, so a locked account cannot be probed).
    :raise Unauthorized: wrong email or password (one message for both).
    """
    cleaned = (email or "").strip().lower()[:320]
    if not is_plain(cleaned):
        raise Unauthorized("wrong email or password")
    at = utc_now()
    _throttle(store, settings, cleaned, ip, at)
    with store.read() as conn:
        found = store_users.find_credentials(conn, cleaned)
    ph = hasher(settings)
    ok = False
    try:
        # an unknown email still costs one hash, so timing does not reveal which emails exist
        stored = found[1] if found else _dummy_hash(settings.argon2_time_cost,
                                                     settings.argon2_memory_kib)
        ok = ph.verify(stored, password) and found is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or found is None:
        with store.transaction() as conn:
            store_users.record_login_failure(conn, email=cleaned, ip=ip, at=at)
            store_users.delete_old_failures(
                conn, at - timedelta(seconds=settings.login_window_s))
        raise Unauthorized("wrong email or password")
    user, stored_hash = found
    with store.transaction() as conn:
        store_users.clear_login_failures(conn, cleaned)
        if ph.check_needs_rehash(stored_hash):
            store_users.update_password(conn, user.id, ph.hash(password), at)
    return user


def start_session(store: Store, settings: Settings, user_id: int, *,
                  replacing: str | None = None) -> NewSession:
    """A new session for ``user_id``; the session whose cookie is ``replacing`` ends."""
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(24)
    at = utc_now()
    expires = at + timedelta(days=settings.session_days)
    with store.transaction() as conn:
        if replacing:
            store_users.delete_session(conn, digest(replacing))
        store_users.delete_expired_sessions(conn, at)
        store_users.insert_session(conn, id_hash=digest(cookie), user_id=user_id,
                                   csrf_token=csrf, now=at, expires_at=expires)
    return NewSession(cookie=cookie, csrf_token=csrf, expires_at=expires)


def login(store: Store, settings: Settings, *, email: str, password: str,
          ip: str | None = None, replacing: str | None = None) -> tuple[User, NewSession]:
    """Authenticate and start a session with a fresh id (see :func:`authenticate`)."""
    user = authenticate(store, settings, email=email, password=password, ip=ip)
    return user, start_session(store, settings, user.id, replacing=replacing)


def logout(store: Store, cookie: str) -> None:
    """End the session whose cookie is ``cookie`` (on the server: a copied cookie dies too)."""
    with store.transaction() as conn:
        store_users.delete_session(conn, digest(cookie))


def logout_token(store: Store, token: str) -> None:
    """Revoke the API token ``token`` (a script "logging out")."""
    with store.transaction() as conn:
        store_users.delete_token_by_hash(conn, digest(token))


def logout_everywhere(store: Store, user_id: int) -> None:
    """End every session and revoke every API token of the account (a lost laptop, a leaked
    token): whoever held one must log in again."""
    with store.transaction() as conn:
        store_users.delete_user_sessions(conn, user_id)
        store_users.delete_user_tokens(conn, user_id)


def find_session(store: Store, cookie: str) -> SignedIn | None:
    """The signed-in user for a session cookie, or None when unknown or expired."""
    if not cookie or len(cookie) > 200:
        return None
    with store.read() as conn:
        row = store_users.find_session(conn, digest(cookie))
    if row is None or row.expires_at <= utc_now():
        return None
    return SignedIn(user=row.user, via="session", csrf_token=row.csrf_token)


# --- API tokens -----------------------------------------------------------------------------------

def create_token(store: Store, user_id: int, name: str | None = None) -> tuple[int, str]:
    """A new API token for scripts: ``(id, token)``; the token is shown once."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as conn:
        token_id = store_users.insert_token(conn, token_hash=digest(token), user_id=user_id,
                                            name=plain_text(name, "a token name").strip()[:200]
                                            or None,
                                            now=utc_now())
    return token_id, token


def find_token(store: Store, token: str) -> SignedIn | None:
    if not token or len(token) > 200:
        return None
    with store.read() as conn:
        found = store_users.find_token_user(conn, digest(token))
    if found is None:
        return None
    user, row = found
    at = utc_now()
    if row.last_used_at is None or at - row.last_used_at > TOKEN_TOUCH_INTERVAL:
        with store.transaction() as conn:
            store_users.touch_token(conn, row.id, at)
    return SignedIn(user=user, via="token")


def _info(row: TokenRow) -> TokenInfo:
    return TokenInfo(id=row.id, name=row.name, created_at=row.created_at,
                     last_used_at=row.last_used_at)


def list_tokens(store: Store, user_id: int) -> list[TokenInfo]:
    with store.read() as conn:
        return [_info(r) for r in store_users.list_tokens(conn, user_id)]


def revoke_token(store: Store, user_id: int, token_id: int) -> None:
    """:raise NotFound: the token does not exist or belongs to someone else."""
    with store.transaction() as conn:
        if not store_users.delete_token(conn, user_id, token_id):
            raise NotFound(f"no token {token_id} on this account")


# --- passwords ------------------------------------------------------------------------------------

def change_password(store: Store, settings: Settings, user_id: int, *, current: str,
                    new: str) -> NewSession:
    """Replace the password, end every session and token of the account, and return a new
    session for the caller.

    :raise Unauthorized: ``current`` is wrong. :raise InvalidInput: the policy refuses ``new``.
    """
    with store.read() as conn:
        stored = store_users.password_hash_of(conn, user_id)
        user = store_users.find_user(conn, user_id)
    if stored is None or user is None:
        raise NotFound(f"no account {user_id}")
    check_password(new, email=user.email)
    try:
        hasher(settings).verify(stored, current)
    except (VerificationError, InvalidHashError):
        raise Unauthorized("the current password is wrong") from None
    set_password(store, settings, user_id, new)
    return start_session(store, settings, user_id)


def set_password(store: Store, settings: Settings, user_id: int, new: str) -> None:
    """Set a password without the old one (administrators, the CLI); ends all sessions/tokens."""
    with store.read() as conn:
        user = store_users.find_user(conn, user_id)
    check_password(new, email=user.email if user else None)
    new_hash = hasher(settings).hash(new)
    with store.transaction() as conn:
        store_users.update_password(conn, user_id, new_hash, utc_now())
        store_users.delete_user_sessions(conn, user_id)
        store_users.delete_user_tokens(conn, user_id)
