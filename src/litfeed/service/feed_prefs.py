"""One-click changes to a reader's feed settings: mute or unmute a topic; follow or unfollow a
journal, an author or a MeSH topic.

``PUT /api/me/settings`` replaces whole lists; the buttons on the pages change one entry.
Each change here is one locked read-modify-write of the stored settings, so two clicks sent
at the same moment (the page script does not wait for the first answer) both count.
The stored values have the same shape ``service.feed.update_settings`` writes: muted topics
lower-cased, names with their whitespace collapsed, no duplicates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litfeed.errors import InvalidInput
from litfeed.service.feed import FOLLOW_KINDS, feed_settings
from litfeed.service.text import plain_text
from litfeed.store import Store
from litfeed.store import feed as store_feed

MAX_ENTRIES = 200  # per list, as update_settings allows
MAX_NAME = 200


@dataclass(frozen=True)
class MuteChange:
    topic: str  # as the reader sees it (the button's label)
    key: str  # as stored and matched: lower-cased
    muted: bool
    muted_topics: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"topic": self.topic, "key": self.key, "muted": self.muted,
                "muted_topics": self.muted_topics}


@dataclass(frozen=True)
class FollowChange:
    kind: str
    name: str
    following: bool
    follows: dict[str, list[str]]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name, "key": self.name.lower(),
                "following": self.following, "follows": self.follows}


def clean_name(value: str | None, what: str) -> str:
    """A topic or a name as typed: whitespace collapsed.

    :raise InvalidInput: empty, too long, or with control characters.
    """
    name = " ".join(plain_text(value, what).split())
    if not name:
        raise InvalidInput(f"{what} is empty")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"{what} is longer than {MAX_NAME} characters")
    return name


def _check_size(values: list[str], what: str) -> None:
    if len(values) > MAX_ENTRIES:
        raise InvalidInput(f"{what} has at most {MAX_ENTRIES} entries; remove some first")


def set_muted(store: Store, user_id: int, topic: str | None, muted: bool) -> MuteChange:
    """Mute (hide papers whose MeSH or title has it) or unmute one topic.

    :raise InvalidInput: a bad topic, or the list is full.
    """
    label = clean_name(topic, "topic")
    key = label.lower()
    with store.transaction() as conn:
        stored = store_feed.user_settings_for_update(conn, user_id)
        current = feed_settings(stored)["muted_topics"]
        if muted:
            topics = current if key in current else [*current, key]
        else:
            topics = [t for t in current if t != key]
        _check_size(topics, "muted_topics")
        if topics != current:
            store_feed.set_user_settings(conn, user_id, {**stored, "muted_topics": topics})
    return MuteChange(topic=label, key=key, muted=muted, muted_topics=topics)


def set_followed(store: Store, user_id: int, kind: str, name: str | None,
                 following: bool) -> FollowChange:
    """Follow or unfollow one journal (``journals``), author (``authors``, "Last Initials") or
    MeSH descriptor (``mesh``); names compare without regard to case.

    :raise InvalidInput: an unknown kind, a bad name, or the list is full.
    """
    if kind not in FOLLOW_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(FOLLOW_KINDS)}, got {kind!r}")
    clean = clean_name(name, "name")
    with store.transaction() as conn:
        stored = store_feed.user_settings_for_update(conn, user_id)
        follows: dict[str, list[str]] = feed_settings(stored)["follows"]
        current = follows[kind]
        rest = [n for n in current if n.lower() != clean.lower()]
        names = [*rest, clean] if following and len(rest) == len(current) else (
            current if following else rest)
        _check_size(names, f"follows.{kind}")
        if names != current:
            follows = {**follows, kind: names}
            store_feed.set_user_settings(conn, user_id, {**stored, "follows": follows})
    return FollowChange(kind=kind, name=clean, following=following, follows=follows)
