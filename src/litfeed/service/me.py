"""A reader's settings in one place: the feed's (personalization, specialties, follows, muted
topics, digest) and the library access (institution), behind ``/api/me/settings``."""

from __future__ import annotations

from typing import Any

from litfeed.errors import InvalidInput
from litfeed.models import User
from litfeed.service import feed, institutions, privacy
from litfeed.store import Store


def get_my_settings(store: Store, user: User) -> dict[str, Any]:
    return {**feed.get_settings(store, user.id),
            **institutions.reader_institution(store, user).to_json()}


def update_my_settings(store: Store, user: User, patch: dict[str, Any]) -> dict[str, Any]:
    """Change the keys given, keep the rest; answers like :func:`get_my_settings`. Setting
    ``personalization`` to false also deletes the reading history kept so far.

    :raise InvalidInput: an unknown key or a value of the wrong kind.
    :raise NotFound: an unknown institution.
    """
    rest = dict(patch)
    if "institution" in rest:
        choice = rest.pop("institution")
        if isinstance(choice, bool) or not isinstance(choice, int | str | None):
            raise InvalidInput("institution must be an institution's id or name, \"none\", "
                               "or null (match my email domain)")
        institutions.set_reader_institution(store, user, choice)
    if rest:
        feed.update_settings(store, user.id, rest)
        if rest.get("personalization") is False:  # off: no reading history used or kept
            privacy.personalization_switched_off(store, user.id)
    return get_my_settings(store, user)
