"""Delivering the feed outside the app: a private Atom URL per reader.

The URL's token is ``<user id>-<HMAC of the id under the secret key>``: checked without a
lookup, never guessable, and changed for every reader at once by rotating
``LITFEED_SECRET_KEY``.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime
from xml.sax.saxutils import escape

from litfeed.config import Settings
from litfeed.errors import NotFound
from litfeed.models import User
from litfeed.service.feed import feed_for
from litfeed.store import Store
from litfeed.store import users as store_users


def _mac(settings: Settings, user_id: int) -> str:
    return hmac.new(settings.secret_key.encode(), f"atom:{user_id}".encode(),
                    hashlib.sha256).hexdigest()[:32]


def feed_token(settings: Settings, user_id: int) -> str:
    return f"{user_id}-{_mac(settings, user_id)}"


def user_for_token(store: Store, settings: Settings, token: str) -> User:
    """:raise NotFound: a token that is not one of ours (the same answer as an unknown one)."""
    uid, _, mac = token.partition("-")
    if uid.isdigit() and hmac.compare_digest(mac, _mac(settings, int(uid))):
        with store.read() as conn:
            user = store_users.find_user(conn, int(uid))
        if user is not None:
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
