"""Delivering the feed outside the app: a private Atom URL per reader, and email digests.

The URL's token is ``<user id>-<HMAC of the id, the account's creation time and the URL's
generation under the secret key>``: never guessable, and checked with one small lookup. The
creation time is in it because SQLite hands a deleted account's id to the next one registered:
a URL of the deleted account must not open the newcomer's feed. A reader replaces
a URL that leaked with ``regenerate_feed_url`` (the old one stops working); rotating
``LITFEED_SECRET_KEY`` changes every reader's URL at once.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.engine import Connection

from litfeed.config import Settings
from litfeed.errors import ConfigError, InvalidInput, NetworkError, NotFound
from litfeed.models import User
from litfeed.service.feed import feed_for, get_settings
from litfeed.store import Store
from litfeed.store import feed as store_feed
from litfeed.store import users as store_users

MAX_ROW_ID = 2_147_483_647  # a user id beyond the database's integer is not one of ours


def _mac(settings: Settings, user: User, version: int = 0) -> str:
    created = user.created_at
    if created is not None and created.tzinfo is not None:  # PostgreSQL: aware; SQLite: UTC
        created = created.astimezone(UTC).replace(tzinfo=None)
    message = f"atom:{user.id}:{created.isoformat() if created else ''}:{version}"
    return hmac.new(settings.secret_key.encode(), message.encode(),
                    hashlib.sha256).hexdigest()[:32]


def feed_token(settings: Settings, user: User, version: int = 0) -> str:
    """The token of generation ``version`` of the reader's URL (see ``feed_url``)."""
    return f"{user.id}-{_mac(settings, user, version)}"


def _url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/feeds/users/{token}.atom"


def feed_url(store: Store, settings: Settings, user_id: int) -> str:
    """The reader's current private Atom feed URL."""
    with store.read() as conn:
        version = store_feed.feed_token_version(conn, user_id) or 0
        user = _user(conn, user_id)
    return _url(settings, feed_token(settings, user, version))


def regenerate_feed_url(store: Store, settings: Settings, user_id: int) -> str:
    """A new private URL for the reader; the old one answers 404 from now on."""
    with store.transaction() as conn:
        version = store_feed.bump_feed_token_version(conn, user_id)
        user = _user(conn, user_id)
    return _url(settings, feed_token(settings, user, version))


def _user(conn: Connection, user_id: int) -> User:
    user = store_users.find_user(conn, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def user_for_token(store: Store, settings: Settings, token: str) -> User:
    """:raise NotFound: a token that is not one of ours, or an old generation (the same
    answer as an unknown one)."""
    uid, _, mac = token.partition("-")
    if uid.isascii() and uid.isdigit() and int(uid) <= MAX_ROW_ID:
        with store.read() as conn:
            version = store_feed.feed_token_version(conn, int(uid))
            user = store_users.find_user(conn, int(uid))
            if version is not None and user is not None and hmac.compare_digest(
                    mac, _mac(settings, user, version)):
                return user
    raise NotFound("no such feed")


def atom_feed(store: Store, settings: Settings, token: str, limit: int = 50) -> str:
    """The reader's feed as an Atom 1.0 document (newest ranking, default freshness window)."""
    user = user_for_token(store, settings, token)
    feed = feed_for(store, settings, user, limit=limit)
    base = settings.base_url.rstrip("/")
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = []
    for item in feed["results"]:
        url = f"{base}/papers/{item['pmid']}"
        entries.append(
            f"<entry><id>{escape(url)}</id><title>{escape(item['title'])}</title>"
            f'<link href="{escape(url)}"/><updated>{now}</updated>'
            f"<summary>{escape('Because: ' + '; '.join(item['because']))}</summary></entry>")
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom">'
            f"<id>{escape(base)}/feeds/users/{escape(token)}.atom</id>"
            f"<title>litfeed: papers for {escape(user.email)}</title><updated>{now}</updated>"
            f'<link rel="alternate" href="{escape(base)}/"/>' + "".join(entries) + "</feed>\n")


def _digest_message(settings: Settings, user: User, items: list[dict[str, Any]]) -> EmailMessage:
    base = settings.base_url.rstrip("/")
    lines = [f"Papers for you from litfeed ({len(items)}):", ""]
    for item in items:
        lines += [item["title"], f"  {base}/papers/{item['pmid']}",
                  f"  because: {'; '.join(item['because'])}", ""]
    lines.append(f"Change or stop this digest at {base}/settings")
    message = EmailMessage()
    message["Subject"] = f"litfeed: {len(items)} papers for you"
    message["From"] = settings.smtp_from
    message["To"] = user.email
    message.set_content("\n".join(lines))
    return message


def send_digests(store: Store, settings: Settings, frequency: str, *, limit: int = 10
                 ) -> dict[str, Any]:
    """Email each reader whose ``digest`` setting is ``frequency`` their top ``limit`` papers
    (run it from cron: daily, and weekly). Readers with an empty feed get no mail.

    :raise ConfigError: no SMTP host configured. :raise InvalidInput: unknown frequency.
    :raise NetworkError: the SMTP server refused or could not be reached.
    """
    if frequency not in ("daily", "weekly"):
        raise InvalidInput(f"frequency {frequency!r} is not daily or weekly")
    if not settings.smtp_host:
        raise ConfigError("LITFEED_SMTP_HOST is missing; set it to send email digests")
    with store.read() as conn:
        readers = [u for u in (store_users.find_user(conn, uid)
                               for uid in store_feed.user_ids(conn)) if u is not None]
    sent: list[str] = []
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            for user in readers:
                if get_settings(store, user.id)["digest"] != frequency:
                    continue
                items = feed_for(store, settings, user, limit=limit)["results"]
                if items:
                    smtp.send_message(_digest_message(settings, user, items))
                    sent.append(user.email)
    except (OSError, smtplib.SMTPException) as exc:
        raise NetworkError(f"sending the digest failed: {exc}") from exc
    return {"frequency": frequency, "sent": len(sent), "readers": sent}
