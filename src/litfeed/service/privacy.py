"""Privacy choices: clear my history, delete my account, and personalization switched off.

Deleting an account removes every row that refers to the reader in every table, found from the
schema (:mod:`litfeed.store.erase`), in one transaction: their sessions and API tokens stop
working at once. A reader deletes their own account only with their password and their email
address typed out (:func:`delete_account`), so neither a stolen token nor an unattended browser
nor a stray click can do it; ``litfeed user delete`` (the operator) needs neither.

"Clear my history" removes the reading history (every paper view: what the CME log prefills
from) and what the feed learned and keeps in memory; likes, dislikes and saved papers go only
when asked, since the reader made them on purpose. Switching personalization off clears the
reading history as well (:func:`personalization_switched_off`): off means none is used or kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from litfeed.config import Settings
from litfeed.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from litfeed.models import User
from litfeed.service import accounts, feed
from litfeed.store import Store
from litfeed.store import erase as store_erase


@dataclass(frozen=True)
class Cleared:
    """What "clear my history" removed: paper views, reactions, saved items."""

    views: int
    reactions: int
    saved: int

    def to_json(self) -> dict[str, int]:
        return {"views": self.views, "reactions": self.reactions, "saved": self.saved}


def history_size(store: Store, user_id: int) -> int:
    """How many paper views the reader's history holds (the settings page shows it)."""
    with store.read() as conn:
        return store_erase.count_views(conn, user_id)


def clear_history(store: Store, user_id: int, *, reactions: bool = False,
                  saves: bool = False) -> Cleared:
    """Delete the reader's reading history and the feed model learned in this process; with
    ``reactions`` their likes and dislikes, with ``saves`` every collection and saved paper."""
    with store.transaction() as conn:
        views = store_erase.delete_views(conn, user_id)
        liked = store_erase.delete_reactions(conn, user_id) if reactions else 0
        saved = store_erase.delete_collections(conn, user_id) if saves else 0
    feed.forget_reader(store, user_id)
    return Cleared(views=views, reactions=liked, saved=saved)


def personalization_switched_off(store: Store, user_id: int) -> int:
    """Called when the reader turns personalization off: their reading history goes (no new
    view is recorded from now on, see ``service.reading``). Returns how many views went."""
    return clear_history(store, user_id).views


def erase_user(store: Store, user: User) -> dict[str, int]:
    """Delete the account and every row that refers to it, without asking (the operator's
    ``litfeed user delete``; readers go through :func:`delete_account`). Returns the rows
    removed per table."""
    with store.transaction() as conn:
        counts = store_erase.erase_user(conn, user.id, user.email)
    feed.forget_reader(store, user.id)
    return counts


def check_confirmation(store: Store, settings: Settings, user: User, *, password: str,
                       confirm: str, ip: str | None = None) -> None:
    """The reader typed their own email address and their current password.

    :raise InvalidInput: ``confirm`` is not the account's email address.
    :raise Forbidden: the password is wrong (counted like a failed login).
    :raise RateLimited: too many wrong passwords lately (as for logging in).
    """
    if (confirm or "").strip().lower() != user.email.lower():
        raise InvalidInput(f"to delete the account, type its email address ({user.email}) "
                           "as the confirmation")
    if not password:
        raise InvalidInput("to delete the account, enter its password")
    try:
        accounts.authenticate(store, settings, email=user.email, password=password, ip=ip)
    except Unauthorized:
        raise Forbidden("the password is wrong; nothing was deleted") from None


def delete_account(store: Store, settings: Settings, user: User, *, password: str,
                   confirm: str, ip: str | None = None) -> dict[str, int]:
    """A reader deletes their own account (see :func:`check_confirmation` for what it takes).

    :raise NotFound: the account is already gone.
    """
    check_confirmation(store, settings, user, password=password, confirm=confirm, ip=ip)
    counts = erase_user(store, user)
    if not counts.get("users"):
        raise NotFound("this account no longer exists")
    return counts
