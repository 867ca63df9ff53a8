"""A reader's settings: the JSON object in ``users.settings``.

Each capability owns its keys (``institution`` for full-text links, ``personalization``…);
:func:`update_settings` changes only the keys it is given, so two features never overwrite
each other's choices. A value of None removes the key.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from litfeed.store import schema as s


def _decode(raw: str | None) -> dict[str, Any]:
    try:
        data = json.loads(raw or "{}")
    except ValueError:  # a hand-edited row must not lock the reader out of their settings
        return {}
    return data if isinstance(data, dict) else {}


def get_settings(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """The reader's settings, or None when there is no such user."""
    row = conn.execute(select(s.users.c.settings).where(s.users.c.id == user_id)).first()
    return None if row is None else _decode(row.settings)


def update_settings(conn: Connection, user_id: int, changes: dict[str, Any]
                    ) -> dict[str, Any] | None:
    """Merge ``changes`` into the stored settings (None deletes a key); the result, or None
    when there is no such user. Reads with ``FOR UPDATE`` on PostgreSQL so two concurrent
    changes to different keys both survive."""
    query = select(s.users.c.settings).where(s.users.c.id == user_id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    merged = _decode(row.settings)
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    conn.execute(update(s.users).where(s.users.c.id == user_id)
                 .values(settings=json.dumps(merged, ensure_ascii=False)))
    return merged
