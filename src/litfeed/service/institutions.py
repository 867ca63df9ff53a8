"""Institutions and which one a reader belongs to (CLI ``litfeed institution``, the admin page,
``/api/institutions``, the settings picker).

Every write passes ``fulltext.validate_institution`` first, so a bad EZproxy prefix or a
``javascript:`` resolver URL is refused when an admin saves it, with a message naming the
field, instead of producing broken or unsafe links on every paper page later.

A reader's institution is their explicit choice (``users.settings["institution"]``: an
institution id, or ``"none"`` to have none), else the institution whose email domain matches
their address. A choice that points at a removed institution counts as no choice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from litfeed.errors import Conflict, InvalidInput, NotFound
from litfeed.fulltext.institutions import (
    Institution,
    institution_for_email,
    validate_institution,
)
from litfeed.models import User
from litfeed.store import Store, clock, user_settings
from litfeed.store import institutions as rows
from litfeed.store.institutions import InstitutionRow

SETTING = "institution"  # the key in users.settings
NONE: Final = "none"  # the stored choice "no institution, even if my email domain matches"
MAX_NAME = 200
MAX_URL = 2000
MAX_DOMAINS = 50

Choice = int | Literal["none"] | None  # an id, "none", or None = from my email domain


def _institution(row: InstitutionRow) -> Institution:
    return Institution(name=row.name, ezproxy_prefix=row.ezproxy_prefix,
                       openurl_base=row.openurl_base, ill_url=row.ill_url,
                       email_domains=row.email_domains, id=row.id)


def checked(institution: Institution) -> Institution:
    """Validated and normalised, within the sizes the store keeps.

    :raise InvalidInput: naming the field that is wrong and what was expected.
    """
    valid = validate_institution(institution)
    if len(valid.name) > MAX_NAME:
        raise InvalidInput(f"institution name is {len(valid.name)} characters; at most "
                           f"{MAX_NAME} are allowed")
    for label, value in (("EZproxy prefix", valid.ezproxy_prefix),
                         ("OpenURL resolver base URL", valid.openurl_base),
                         ("interlibrary-loan URL", valid.ill_url)):
        if value is not None and len(value) > MAX_URL:
            raise InvalidInput(f"{label} is {len(value)} characters; at most {MAX_URL}")
    if len(valid.email_domains) > MAX_DOMAINS:
        raise InvalidInput(f"{len(valid.email_domains)} email domains; at most {MAX_DOMAINS}")
    return valid


def _fields(institution: Institution) -> dict[str, Any]:
    return {"name": institution.name, "ezproxy_prefix": institution.ezproxy_prefix,
            "openurl_base": institution.openurl_base, "ill_url": institution.ill_url,
            "email_domains": institution.email_domains}


def _name_taken(all_rows: list[InstitutionRow], name: str, except_id: int | None) -> bool:
    return any(r.name.casefold() == name.casefold() and r.id != except_id for r in all_rows)


def add_institution(store: Store, institution: Institution) -> Institution:
    """Save a new institution.

    :raise InvalidInput: a field is not valid. :raise Conflict: the name is taken (any case).
    """
    valid = checked(institution)
    with store.transaction() as conn:
        if _name_taken(rows.list_institutions(conn), valid.name, None):
            raise Conflict(f"an institution named {valid.name!r} already exists")
        new_id = rows.insert_institution(conn, **_fields(valid), now=clock.now())
    return replace(valid, id=new_id)


def update_institution(store: Store, institution_id: int,
                       institution: Institution) -> Institution:
    """Replace every field of an institution (readers who chose it keep it).

    :raise NotFound: no such id. :raise InvalidInput, Conflict: as :func:`add_institution`.
    """
    valid = checked(institution)
    with store.transaction() as conn:
        if _name_taken(rows.list_institutions(conn), valid.name, institution_id):
            raise Conflict(f"an institution named {valid.name!r} already exists")
        if not rows.update_institution(conn, institution_id, **_fields(valid)):
            raise NotFound(f"there is no institution with id {institution_id}")
    return replace(valid, id=institution_id)


def remove_institution(store: Store, id_or_name: int | str) -> Institution:
    """Delete an institution; readers who had chosen it fall back to their email domain.

    :raise NotFound: no such id or name.
    """
    with store.transaction() as conn:
        row = _find(conn, id_or_name)
        rows.delete_institution(conn, row.id)
    return _institution(row)


def list_institutions(store: Store) -> list[Institution]:
    """Every institution, by name."""
    with store.read() as conn:
        return [_institution(r) for r in rows.list_institutions(conn)]


def get_institution(store: Store, id_or_name: int | str) -> Institution:
    """By id, or by name (any case). :raise NotFound:"""
    with store.read() as conn:
        return _institution(_find(conn, id_or_name))


def _find(conn: Any, id_or_name: int | str) -> InstitutionRow:
    if isinstance(id_or_name, int) or id_or_name.strip().isdigit():
        found = rows.find_institution(conn, int(id_or_name))
        if found is not None:
            return found
        if isinstance(id_or_name, int):
            raise NotFound(f"there is no institution with id {id_or_name}")
    name = " ".join(str(id_or_name).split())
    found = rows.find_institution_by_name(conn, name)
    if found is None:
        found = next((r for r in rows.list_institutions(conn)
                      if r.name.casefold() == name.casefold()), None)
    if found is None:
        raise NotFound(f"there is no institution named {name!r}; "
                       "`litfeed institution list` shows them")
    return found


# --- the reader's institution ------------------------------------------------------------------

@dataclass(frozen=True)
class ReaderInstitution:
    """Which institution applies to a reader, and why.

    ``choice`` is what the reader stored (an id, ``"none"``, or None: "from my email");
    ``institution`` is what applies; ``source`` is ``"chosen"``, ``"email"`` or ``"none"``.
    """

    choice: Choice
    institution: Institution | None
    source: Literal["chosen", "email", "none"]

    def to_json(self) -> dict[str, Any]:
        return {"institution": self.choice,
                "effective_institution": (self.institution.to_json()
                                          if self.institution else None),
                "institution_source": self.source}


def _stored_choice(settings: dict[str, Any] | None) -> Choice:
    value = (settings or {}).get(SETTING)
    if value == NONE:
        return NONE
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return None


def reader_institution(store: Store, user: User) -> ReaderInstitution:
    """The reader's institution: their explicit choice, else the one matching their email
    domain (the most specific domain wins), else none."""
    with store.read() as conn:
        choice = _stored_choice(user_settings.read_user_settings(conn, user.id))
        all_rows = rows.list_institutions(conn)
    return _resolve(choice, [_institution(r) for r in all_rows], user.email)


def _resolve(choice: Choice, institutions: list[Institution], email: str
             ) -> ReaderInstitution:
    if choice == NONE:
        return ReaderInstitution(NONE, None, "none")
    if choice is not None:
        chosen = next((i for i in institutions if i.id == choice), None)
        if chosen is not None:
            return ReaderInstitution(choice, chosen, "chosen")
    matched = institution_for_email(email, institutions)
    return ReaderInstitution(choice, matched, "email" if matched else "none")


def set_reader_institution(store: Store, user: User, choice: int | str | None
                           ) -> ReaderInstitution:
    """Store the reader's choice: an institution id or name, ``"none"``, or None (back to
    matching the email domain).

    :raise NotFound: no institution with that id or name.
    """
    with store.transaction() as conn:
        stored: Choice
        if choice is None or (isinstance(choice, str) and not choice.strip()):
            stored = None
        elif isinstance(choice, str) and choice.strip().lower() == NONE:
            stored = NONE
        else:
            stored = _find(conn, choice).id
        user_settings.update_user_settings(conn, user.id, {SETTING: stored})
        all_rows = rows.list_institutions(conn)
    return _resolve(stored, [_institution(r) for r in all_rows], user.email)
