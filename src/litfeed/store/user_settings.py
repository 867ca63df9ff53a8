"""A reader's own settings (``users.settings``, one JSON object): personalization, time zone…

Read and merged key by key, so features that own different keys never overwrite each other.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from litfeed.store import schema as s


def read_user_settings(conn: Connection, user_id: int) -> dict[str, Any]:
    """The reader's settings (``{}`` for an unknown reader or unreadable JSON)."""
    raw = conn.execute(select(s.users.c.settings).where(s.users.c.id == user_id)).scalar()
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def update_user_settings(conn: Connection, user_id: int,
                         changes: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``changes`` into the reader's settings (a ``None`` value removes the key)."""
    current = read_user_settings(conn, user_id)
    for key, value in changes.items():
        if value is None:
            current.pop(key, None)
        else:
            current[key] = value
    conn.execute(update(s.users).where(s.users.c.id == user_id)
                 .values(settings=json.dumps(current, ensure_ascii=False, sort_keys=True)))
    return current
