"""Everything mine, out and back: the account export (``GET /api/me/export``) and its import
into another litfeed server (``litfeed import-account``), so leaving is never lock-in.

The export is one JSON object made of :data:`SECTIONS`; a new kind of personal data gets one
``Section`` there. Tables without a section are carried anyway, as rows under ``"tables"``
(see :mod:`litfeed.store.account_data`), so nothing a reader owns is left behind.

An import adds and never overwrites: what the target account already has (a reaction, a note, a
setting, a name) is kept, and importing the same file twice changes nothing. Papers are
referred to by PMID; those the target server does not store are listed in ``missing_papers``
(and fetched from PubMed with ``fetch_missing``), and saved items and reactions are kept for
them all the same.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Connection

from litfeed.config import Settings
from litfeed.errors import InvalidInput, LitfeedError
from litfeed.models import DISLIKE_REASONS
from litfeed.service.fetch import fetch_pmids
from litfeed.service.library import MAX_NOTE, clean_collection_name
from litfeed.service.papers import PMID_RE
from litfeed.service.text import plain_text
from litfeed.store import Store, user_settings
from litfeed.store import account_data as data_store
from litfeed.store import library as store_library
from litfeed.store import papers as store_papers
from litfeed.store.clock import as_utc
from litfeed.store.clock import now as utc_now

#: settings that name a row of this server (an institution's id): meaningless on another one,
#: so an import leaves them out (there the email domain, or the reader, picks again)
SERVER_LOCAL_SETTINGS = frozenset({"institution"})

EXPORT_FORMAT = "litfeed-account"
EXPORT_VERSION = 1
MAX_ACCOUNT_BYTES = 50 << 20
MAX_FETCH = 2_000


@dataclass
class Loading:
    """What an import is doing: the target reader, counts, ids mapped, PMIDs referred to."""

    user_id: int
    counts: dict[str, Any]
    idmaps: data_store.IdMaps
    pmids: set[str]


@dataclass(frozen=True)
class Section:
    """One part of the export: how it is read out, and how it is added back (None: it is only
    described, like the security records)."""

    name: str
    dump: Callable[[Connection, int, str], Any]
    load: Callable[[Connection, Any, Loading], None] | None = None


# --- checking what a file says -------------------------------------------------------------------

def _items(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise InvalidInput(f"{path} must be a list")
    return value


def _obj(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{path} must be an object")
    return value


def _pmid(value: Any, path: str) -> str:
    if not isinstance(value, str | int) or not PMID_RE.fullmatch(str(value).strip()):
        raise InvalidInput(f"{path}.pmid: {value!r} is not a PMID")
    return str(value).strip()


def _when(value: Any, path: str) -> datetime:
    if value is None:
        return utc_now()
    try:
        return as_utc(datetime.fromisoformat(str(value)))
    except ValueError:
        raise InvalidInput(f"{path}: {value!r} is not an ISO 8601 date-time") from None


def _text(value: Any, path: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{path} must be text")
    cleaned = plain_text(value, path).strip()
    if len(cleaned) > limit:
        raise InvalidInput(f"{path} is longer than {limit} characters")
    return cleaned or None


# --- sections ------------------------------------------------------------------------------------

def _load_profile(conn: Connection, value: Any, job: Loading) -> None:
    profile = _obj(value, "profile")
    name = _text(profile.get("name"), "profile.name", 200)
    if name and not data_store.read_profile(conn, job.user_id)["name"]:
        data_store.set_name(conn, job.user_id, name)
        job.counts["profile"] = 1


def _load_settings(conn: Connection, value: Any, job: Loading) -> None:
    incoming = _obj(value, "settings")
    current = user_settings.read_user_settings(conn, job.user_id)
    local = {k for k, v in incoming.items() if k in SERVER_LOCAL_SETTINGS and v != "none"}
    added = {k: v for k, v in incoming.items()
             if k not in current and v is not None and k not in local}
    if added:
        user_settings.update_user_settings(conn, job.user_id, added)
    job.counts["settings"] = len(added)
    job.counts["settings_left_out"] = sorted(local)


def _load_reactions(conn: Connection, value: Any, job: Loading) -> None:
    for number, raw in enumerate(_items(value, "reactions")):
        path = f"reactions[{number}]"
        entry = _obj(raw, path)
        pmid = _pmid(entry.get("pmid"), path)
        reaction = entry.get("value")
        if reaction not in ("like", "dislike"):
            raise InvalidInput(f"{path}.value: {reaction!r} is not like or dislike")
        reason = entry.get("reason") if reaction == "dislike" else None
        if reason is not None and reason not in DISLIKE_REASONS:
            raise InvalidInput(f"{path}.reason: {reason!r} is not one of "
                               f"{', '.join(DISLIKE_REASONS)}")
        job.pmids.add(pmid)
        if data_store.add_reaction(conn, user_id=job.user_id, pmid=pmid, value=reaction,
                                   reason=reason,
                                   created_at=_when(entry.get("created_at"), path)):
            job.counts["reactions"] += 1


def _load_collections(conn: Connection, value: Any, job: Loading) -> None:
    mapped = job.idmaps.setdefault("collections", {})
    for number, raw in enumerate(_items(value, "collections")):
        path = f"collections[{number}]"
        entry = _obj(raw, path)
        try:
            name = clean_collection_name(entry.get("name") if isinstance(entry.get("name"), str)
                                         else None)
        except InvalidInput as exc:
            raise InvalidInput(f"{path}.name: {exc.message}") from None
        existed = store_library.find_collection_by_name(conn, user_id=job.user_id, name=name)
        target = existed or store_library.ensure_collection(
            conn, user_id=job.user_id, name=name, now=_when(entry.get("created_at"), path))
        job.counts["collections"] += existed is None
        if entry.get("id") is not None:
            mapped[entry["id"]] = target.id
        for position, item_raw in enumerate(_items(entry.get("items", []), f"{path}.items")):
            where = f"{path}.items[{position}]"
            item = _obj(item_raw, where)
            pmid = _pmid(item.get("pmid"), where)
            note = _text(item.get("note"), f"{where}.note", MAX_NOTE)
            job.pmids.add(pmid)
            kept = store_library.find_note(conn, user_id=job.user_id, pmid=pmid)
            if store_library.add_item(conn, collection_id=target.id, pmid=pmid, note=kept,
                                      now=_when(item.get("saved_at"), where)):
                job.counts["items"] += 1
            if note and not kept:
                store_library.set_note(conn, user_id=job.user_id, pmid=pmid, note=note)
                job.counts["notes"] += 1


def _load_history(conn: Connection, value: Any, job: Loading) -> None:
    views = []
    for number, raw in enumerate(_items(value, "history")):
        path = f"history[{number}]"
        entry = _obj(raw, path)
        pmid = _pmid(entry.get("pmid"), path)
        views.append((pmid, _text(entry.get("query"), f"{path}.query", 10_000),
                      _when(entry.get("viewed_at"), path)))
    job.counts["history"] = data_store.add_views(conn, job.user_id, views)


def _dump_tables(conn: Connection, user_id: int, _email: str) -> dict[str, Any]:
    return {name: data_store.dump_rows(conn, table, where, user_id)
            for name, (table, where) in data_store.generic_tables().items()}


def _load_tables(conn: Connection, value: Any, job: Loading) -> None:
    incoming = _obj(value, "tables")
    known = data_store.generic_tables()
    for name, (table, where) in known.items():
        if name in incoming:
            job.counts["tables"][name] = data_store.load_rows(
                conn, table, where, job.user_id, _items(incoming[name], f"tables.{name}"),
                job.idmaps)
    job.counts["skipped_tables"] = sorted(set(incoming) - set(known))


SECTIONS: tuple[Section, ...] = (
    Section("profile", lambda conn, uid, _e: data_store.read_profile(conn, uid), _load_profile),
    Section("settings", lambda conn, uid, _e: user_settings.read_user_settings(conn, uid),
            _load_settings),
    Section("reactions", lambda conn, uid, _e: data_store.list_reactions(conn, uid),
            _load_reactions),
    Section("collections", lambda conn, uid, _e: data_store.list_collections_with_items(
        conn, uid), _load_collections),
    Section("history", lambda conn, uid, _e: data_store.list_views(conn, uid), _load_history),
    # tokens, sessions and failed logins: shown, never moved (they only work where made)
    Section("security", data_store.read_security),
    # every other table the reader owns (saved searches, the CME log, …), row by row
    Section("tables", _dump_tables, _load_tables),
)


# --- the two directions ---------------------------------------------------------------------------

def export_account(store: Store, user_id: int) -> dict[str, Any]:
    """Everything stored about the reader, as one JSON-ready object (read in one snapshot)."""
    out: dict[str, Any] = {"format": EXPORT_FORMAT, "version": EXPORT_VERSION,
                           "exported_at": utc_now().isoformat()}
    with store.read() as conn:
        email = data_store.read_profile(conn, user_id)["email"]
        for section in SECTIONS:
            out[section.name] = section.dump(conn, user_id, email)
    return out


def read_export(data: str | bytes | dict[str, Any]) -> dict[str, Any]:
    """An account export as an object, checked to be one.

    :raise InvalidInput: not JSON, not a litfeed account export, or from a newer litfeed.
    """
    if isinstance(data, bytes | str):
        if len(data) > MAX_ACCOUNT_BYTES:
            raise InvalidInput(f"the file is too large: at most {MAX_ACCOUNT_BYTES >> 20} MiB")
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidInput(f"the account file is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise InvalidInput('not a litfeed account export: expected a JSON object with '
                           f'"format": "{EXPORT_FORMAT}" (what GET /api/me/export writes)')
    version = data.get("version")
    if not isinstance(version, int) or version > EXPORT_VERSION:
        raise InvalidInput(f"this account export has version {version!r}; this server reads "
                           f"version {EXPORT_VERSION} and older")
    return data


def import_account(store: Store, user_id: int, data: str | bytes | dict[str, Any], *,
                   fetch_missing: bool = False, settings: Settings | None = None,
                   http: httpx.Client | None = None) -> dict[str, Any]:
    """Add an account export to the reader's account, in one transaction (all or nothing).

    Returns counts of what was added per section, ``missing_papers`` (PMIDs this server does
    not store) and ``fetched`` (papers fetched from PubMed for them, with ``fetch_missing``).

    :raise InvalidInput: not an account export, or a value in it that is wrong (the message
        names where: ``reactions[3].value: 'meh' is not like or dislike``).
    """
    export = read_export(data)
    job = Loading(user_id=user_id, idmaps={}, pmids=set(), counts={
        "profile": 0, "settings": 0, "reactions": 0, "collections": 0, "items": 0, "notes": 0,
        "history": 0, "tables": {}, "skipped_tables": [], "settings_left_out": []})
    with store.transaction() as conn:
        for section in SECTIONS:
            if section.load is not None and export.get(section.name) is not None:
                section.load(conn, export[section.name], job)
    missing = _missing(store, job.pmids)
    job.counts["fetched"] = 0
    if missing and fetch_missing and settings is not None:
        job.counts["fetched"], job.counts["fetch_error"] = _fetch(store, settings, missing,
                                                                 http)
        missing = _missing(store, set(missing))
    job.counts["missing_papers"] = missing
    return job.counts


def _missing(store: Store, pmids: set[str]) -> list[str]:
    with store.read() as conn:
        stored = store_papers.stored_pmids(conn, sorted(pmids))
    return sorted((p for p in pmids if p not in stored), key=int)


def _fetch(store: Store, settings: Settings, pmids: list[str], http: httpx.Client | None
           ) -> tuple[int, str | None]:
    try:
        summary = fetch_pmids(store, settings, pmids[:MAX_FETCH], http=http)
    except (LitfeedError, httpx.HTTPError, OSError) as exc:
        return 0, f"PubMed could not be reached ({getattr(exc, 'message', exc)})"
    return summary.counts.added + summary.counts.updated, None
