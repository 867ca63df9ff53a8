"""CME learning cycles: drafts, completion with credit, editing within the window, the log.

Each function is scoped to one reader; another reader's cycle answers NotFound, exactly as one
that does not exist. Every change writes an audit row in the same transaction (``draft``,
``update``, ``complete``, ``edit``, ``expire``, ``discard``). Drafts past their expiry are marked
``expired`` the next time the reader's log is read or changed. Functions that depend on the
time take ``now`` (default: the clock) so tests can move it.

What litfeed decides by itself is in :mod:`litfeed.cme`; capture from reading history is in
:mod:`litfeed.service.cme_capture`, transcripts in :mod:`litfeed.service.cme_transcript`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Connection

from litfeed.cme.credits import Total, credit_for_next, credit_year, totals, zone
from litfeed.cme.cycle import (
    EDITABLE,
    clean_fields,
    draft_expires_at,
    edit_deadline,
    missing,
    require_complete,
    snapshot,
)
from litfeed.cme.rules import CreditRules, parse_rule, rules_from_settings, with_overrides
from litfeed.config import Settings
from litfeed.errors import Conflict, Incomplete, InvalidInput, NotFound
from litfeed.models import CmeActivity
from litfeed.store import Store, user_settings
from litfeed.store import cme as store_cme
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now
from litfeed.store.cme import AuditRow

STATUSES = ("draft", "completed", "expired")


# --- rules and the reader's time zone -----------------------------------------------------------

def current_rules(store: Store, settings: Settings) -> CreditRules:
    """The server's defaults with the admin's stored values applied."""
    with store.read() as conn:
        stored = store_cme.read_rules(conn)
    return with_overrides(rules_from_settings(settings), stored)


def update_rules(store: Store, settings: Settings, changes: Mapping[str, object], *,
                 by: int | None = None) -> CreditRules:
    """Store an admin's values (only the keys given; a blank optional value clears it).

    :raise InvalidInput: an unknown key or a value that does not fit, before anything is kept.
    """
    cleaned: dict[str, str | None] = {}
    for key, value in changes.items():
        typed = parse_rule(key, value)
        cleaned[key] = None if typed is None else str(typed)
    if cleaned:
        with store.transaction() as conn:
            store_cme.write_rules(conn, cleaned, now=utc_now(), by=by)
    return current_rules(store, settings)


def _zone_of(conn: Connection, user_id: int) -> ZoneInfo:
    name = user_settings.read_user_settings(conn, user_id).get("timezone")
    try:
        return zone(name if isinstance(name, str) else None)
    except InvalidInput:  # a zone the system no longer knows never breaks the log
        return zone(None)


def reader_zone(store: Store, user_id: int) -> ZoneInfo:
    """The reader's ``timezone`` setting (UTC when unset): it decides a cycle's credit year."""
    with store.read() as conn:
        return _zone_of(conn, user_id)


def set_reader_zone(store: Store, user_id: int, name: str) -> str:
    """:raise InvalidInput: not an IANA time-zone name."""
    tz = zone(name)
    with store.transaction() as conn:
        user_settings.update_user_settings(conn, user_id, {"timezone": tz.key})
    return tz.key


# --- internals ----------------------------------------------------------------------------------

def _audit(conn: Connection, user_id: int, at: datetime, action: str,
           before: CmeActivity | None, after: CmeActivity | None) -> None:
    activity_id = (after or before).id  # type: ignore[union-attr]
    store_cme.insert_audit(conn, activity_id=activity_id, user_id=user_id, at=at, action=action,
                           before=snapshot(before) if before else None,
                           after=snapshot(after) if after else None)


def _expire_due(conn: Connection, user_id: int, now: datetime) -> int:
    due = store_cme.due_drafts(conn, user_id=user_id, now=now)
    for draft in due:
        store_cme.update_activity(conn, user_id=user_id, activity_id=draft.id,
                                  values={"status": "expired", "updated_at": now})
        _audit(conn, user_id, now, "expire", draft, _reload(conn, user_id, draft.id))
    return len(due)


def expire_drafts(store: Store, user_id: int, *, now: datetime | None = None) -> int:
    """Mark the reader's drafts past their expiry as ``expired``; returns how many.

    A read first, so looking at the log writes nothing when nothing is due.
    """
    at = now or utc_now()
    with store.read() as conn:
        if not store_cme.due_drafts(conn, user_id=user_id, now=at):
            return 0
    with store.transaction() as conn:
        return _expire_due(conn, user_id, at)


def _reload(conn: Connection, user_id: int, activity_id: int) -> CmeActivity:
    found = store_cme.find_activity(conn, user_id=user_id, activity_id=activity_id)
    if found is None:
        raise NotFound(f"no CME activity {activity_id}")
    return found


def _check_sources(conn: Connection, pmids: Iterable[str]) -> None:
    wanted = list(pmids)
    if not wanted:
        return
    found = store_papers.get_papers(conn, wanted)
    unknown = [p for p in wanted if p not in found]
    if unknown:
        raise InvalidInput(f"source(s) {', '.join(unknown)} are not in this litfeed database; "
                           "list PMIDs of papers you read here")


def _merged(base: CmeActivity | None, given: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: getattr(base, k) for k in EDITABLE} if base else dict.fromkeys(
        EDITABLE)
    out.update(given)
    out["sources"] = tuple(out.get("sources") or ())
    # "" clears a text; the store keeps None for it
    for key in ("question", "query", "application_text"):
        if out.get(key) == "":
            out[key] = None
    return out


def _open_draft_for(conn: Connection, user_id: int, query: str) -> CmeActivity | None:
    for draft in store_cme.list_activities(conn, user_id=user_id, statuses=["draft"]):
        if draft.query == query:
            return draft
    return None


# --- drafts -------------------------------------------------------------------------------------

def save_draft(store: Store, settings: Settings, user_id: int, raw: Mapping[str, object], *,
               draft_id: int | None = None, now: datetime | None = None) -> CmeActivity:
    """Start a draft, or update one: ``draft_id``, else the reader's open draft for the same
    search (so a second "save for later" does not make a twin). Nothing needs to be filled in.

    :raise NotFound: ``draft_id`` is not the reader's. :raise Conflict: it is not a draft any
        more. :raise InvalidInput: a malformed value or a PMID not in the store.
    """
    fields = clean_fields(raw)
    rules = current_rules(store, settings)
    at = now or utc_now()
    with store.transaction() as conn:
        _expire_due(conn, user_id, at)
        existing: CmeActivity | None = None
        if draft_id is not None:
            existing = _reload(conn, user_id, draft_id)
            _must_be_draft(existing)
        elif fields.query:
            existing = _open_draft_for(conn, user_id, fields.query)
        values = _merged(existing, fields.given())
        if fields.sources:
            _check_sources(conn, fields.sources)
        if existing is None:
            new_id = store_cme.insert_activity(conn, user_id=user_id, values={
                **values, "status": "draft", "created_at": at, "updated_at": at,
                "expires_at": draft_expires_at(at, rules)})
            created = _reload(conn, user_id, new_id)
            _audit(conn, user_id, at, "draft", None, created)
            return created
        if all(values[k] == getattr(existing, k) for k in EDITABLE):
            return existing
        store_cme.update_activity(conn, user_id=user_id, activity_id=existing.id,
                                  values={**values, "updated_at": at})
        changed = _reload(conn, user_id, existing.id)
        _audit(conn, user_id, at, "update", existing, changed)
        return changed


def _must_be_draft(activity: CmeActivity) -> None:
    if activity.status == "completed":
        raise Conflict(f"CME activity {activity.id} is already completed")
    if activity.status == "expired":
        expired = activity.expires_at.date().isoformat() if activity.expires_at else "earlier"
        raise Conflict(f"this draft expired on {expired}; start a new cycle")


def discard_draft(store: Store, user_id: int, draft_id: int, *,
                  now: datetime | None = None) -> None:
    """Delete a draft (or an expired one); its audit rows stay.

    :raise NotFound: not the reader's. :raise Conflict: a completed cycle is part of the
        transcript and is never deleted (except with the whole account).
    """
    at = now or utc_now()
    with store.transaction() as conn:
        found = _reload(conn, user_id, draft_id)
        if found.status == "completed":
            raise Conflict("a completed CME activity cannot be deleted; it is part of your "
                           "transcript")
        store_cme.delete_activity(conn, user_id=user_id, activity_id=draft_id)
        _audit(conn, user_id, at, "discard", found, None)


# --- completing and editing -----------------------------------------------------------------------

def complete(store: Store, settings: Settings, user_id: int, raw: Mapping[str, object], *,
             draft_id: int | None = None, now: datetime | None = None) -> CmeActivity:
    """Complete a cycle (a new one, or the draft ``draft_id`` with ``raw`` applied) and give it
    its credit: the per-cycle credit, cut to what the yearly cap leaves in the calendar year of
    ``now`` in the reader's time zone. The credit, its type and year never change afterwards.

    :raise Incomplete: (422) the question, sources or application is missing.
    :raise NotFound: ``draft_id`` is not the reader's. :raise Conflict: it is not a draft.
    :raise InvalidInput: a malformed value or a PMID not in the store.
    """
    fields = clean_fields(raw)
    rules = current_rules(store, settings)
    at = now or utc_now()
    with store.transaction() as conn:
        store_cme.lock_reader(conn, user_id)
        tz = _zone_of(conn, user_id)
        _expire_due(conn, user_id, at)
        draft = None
        if draft_id is not None:
            draft = _reload(conn, user_id, draft_id)
            _must_be_draft(draft)
        values = _merged(draft, fields.given())
        require_complete(values["question"], values["sources"], values["application"])
        _check_sources(conn, values["sources"])
        year = credit_year(at, tz)
        label = rules.claimed_label
        earned = store_cme.earned_in_year(conn, user_id=user_id, year=year, credit_type=label)
        values.update(status="completed", credits=credit_for_next(rules, earned),
                      credit_type=label, credit_year=year, completed_at=at, updated_at=at,
                      edit_until=edit_deadline(at, rules), expires_at=None)
        if draft is None:
            activity_id = store_cme.insert_activity(conn, user_id=user_id,
                                                    values={**values, "created_at": at})
        else:
            activity_id = draft.id
            store_cme.update_activity(conn, user_id=user_id, activity_id=activity_id,
                                      values=values)
        done = _reload(conn, user_id, activity_id)
        _audit(conn, user_id, at, "complete", draft, done)
        return done


def complete_or_keep_draft(store: Store, settings: Settings, user_id: int,
                           raw: Mapping[str, object], *, draft_id: int | None = None,
                           now: datetime | None = None) -> tuple[CmeActivity, list[str]]:
    """What the pages' "Claim" button does: complete when the cycle is complete, otherwise keep
    what was written as a draft. Returns the activity and what it still lacks (empty when it
    was completed)."""
    try:
        return complete(store, settings, user_id, raw, draft_id=draft_id, now=now), []
    except Incomplete:
        draft = save_draft(store, settings, user_id, raw, draft_id=draft_id, now=now)
        return draft, missing(draft.question, draft.sources, draft.application)


def edit(store: Store, settings: Settings, user_id: int, activity_id: int,
         raw: Mapping[str, object], *, now: datetime | None = None) -> CmeActivity:
    """Change a cycle: a draft freely (see :func:`save_draft`), a completed one only within its
    edit window and only so that it stays complete; credit, type and year are kept.

    :raise NotFound: not the reader's. :raise Conflict: locked, or an expired draft.
    :raise Incomplete: the edit would leave the cycle incomplete.
    """
    at = now or utc_now()
    with store.read() as conn:
        found = _reload(conn, user_id, activity_id)
    if found.status != "completed":
        return save_draft(store, settings, user_id, raw, draft_id=activity_id, now=at)
    fields = clean_fields(raw)
    with store.transaction() as conn:
        current = _reload(conn, user_id, activity_id)
        if current.locked(at):
            until = current.edit_until.isoformat(timespec="minutes") if current.edit_until else ""
            raise Conflict(f"CME activity {activity_id} is locked (it could be edited until "
                           f"{until} UTC); the record is final")
        values = _merged(current, fields.given())
        require_complete(values["question"], values["sources"], values["application"])
        if fields.sources is not None:
            _check_sources(conn, values["sources"])
        if all(values[k] == getattr(current, k) for k in EDITABLE):
            return current
        store_cme.update_activity(conn, user_id=user_id, activity_id=activity_id,
                                  values={**{k: values[k] for k in EDITABLE}, "updated_at": at})
        changed = _reload(conn, user_id, activity_id)
        _audit(conn, user_id, at, "edit", current, changed)
        return changed


# --- reading the log ----------------------------------------------------------------------------

def list_activities(store: Store, user_id: int, *, statuses: Iterable[str] | None = None,
                    year: int | None = None, now: datetime | None = None) -> list[CmeActivity]:
    """The reader's cycles (expired drafts marked first): completed ones in completion order,
    then drafts by start; narrowed to ``statuses`` and to a credit ``year`` when given.

    :raise InvalidInput: an unknown status.
    """
    wanted = list(statuses or ())
    bad = [s for s in wanted if s not in STATUSES]
    if bad:
        raise InvalidInput(f"status {bad[0]!r} is not one of {', '.join(STATUSES)}")
    expire_drafts(store, user_id, now=now)
    with store.read() as conn:
        return store_cme.list_activities(conn, user_id=user_id, statuses=wanted or None,
                                         year=year)


def get_activity(store: Store, user_id: int, activity_id: int, *,
                 now: datetime | None = None) -> CmeActivity:
    """:raise NotFound: no such cycle for this reader."""
    expire_drafts(store, user_id, now=now)
    with store.read() as conn:
        return _reload(conn, user_id, activity_id)


def audit_trail(store: Store, user_id: int, activity_id: int | None = None) -> list[AuditRow]:
    """The reader's audit rows (of one cycle when given), oldest first.

    :raise NotFound: ``activity_id`` has no rows for this reader.
    """
    with store.read() as conn:
        rows = store_cme.list_audit(conn, user_id=user_id, activity_id=activity_id)
    if activity_id is not None and not rows:
        raise NotFound(f"no CME activity {activity_id}")
    return rows


def totals_of(store: Store, user_id: int) -> list[Total]:
    """Completed cycles and credits per calendar year and credit type, newest year first."""
    with store.read() as conn:
        return totals(store_cme.list_activities(conn, user_id=user_id, statuses=["completed"]))
