"""Institutions: how a reader's library gives access, and which readers belong to it.

An admin saves an institution once (``litfeed institution add``); :func:`validate_institution`
runs then, so a bad proxy prefix is refused with a clear message instead of producing broken
or unsafe links on every paper page later.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from litfeed.errors import InvalidInput
from litfeed.fulltext.ezproxy import is_hostname, parse_prefix
from litfeed.fulltext.links import safe_url


@dataclass(frozen=True, slots=True)
class Institution:
    """A library. Every access route is optional; ``email_domains`` are lower-case, no ``@``.

    ``ezproxy_prefix``: login form (``https://ezproxy.x.edu/login?url=``) or hostname form
    (``ezproxy.x.edu``), see :mod:`litfeed.fulltext.ezproxy`. ``openurl_base``: the link
    resolver's base URL (SFX, 360 Link, Alma…). ``ill_url``: the interlibrary-loan form.
    ``id`` is the store's, once saved.
    """

    name: str
    ezproxy_prefix: str | None = None
    openurl_base: str | None = None
    ill_url: str | None = None
    email_domains: tuple[str, ...] = ()
    id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **({"id": self.id} if self.id is not None else {}),
            "name": self.name,
            "ezproxy_prefix": self.ezproxy_prefix,
            "openurl_base": self.openurl_base,
            "ill_url": self.ill_url,
            "email_domains": list(self.email_domains),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Institution:
        return cls(
            name=data["name"],
            ezproxy_prefix=data.get("ezproxy_prefix"),
            openurl_base=data.get("openurl_base"),
            ill_url=data.get("ill_url"),
            email_domains=tuple(data.get("email_domains") or ()),
            id=data.get("id"),
        )


def validate_institution(institution: Institution) -> Institution:
    """The institution with every field checked and normalised, ready to store.

    :raise InvalidInput: naming the field, the value and what was expected.
    """
    name = " ".join((institution.name or "").split())
    if not name:
        raise InvalidInput("institution name is empty")
    ezproxy = _blank_to_none(institution.ezproxy_prefix)
    if ezproxy is not None:
        ezproxy = parse_prefix(ezproxy).value
    return replace(
        institution,
        name=name,
        ezproxy_prefix=ezproxy,
        openurl_base=_checked_url(institution.openurl_base, "OpenURL resolver base URL"),
        ill_url=_checked_url(institution.ill_url, "interlibrary-loan URL"),
        email_domains=tuple(dict.fromkeys(_checked_domain(d) for d in institution.email_domains)),
    )


def institution_for_email(email: str, institutions: list[Institution]) -> Institution | None:
    """The institution whose email domain matches ``email``'s, the most specific one first.

    ``med.x.edu`` readers belong to an institution listing ``x.edu``; an institution listing
    ``med.x.edu`` itself wins over one listing ``x.edu``. None when nothing matches or the
    address has no domain.
    """
    _, at, domain = (email or "").strip().rpartition("@")
    domain = domain.lower().rstrip(".")
    if not at or not domain:
        return None
    best: Institution | None = None
    best_len = -1
    for institution in institutions:
        for listed in institution.email_domains:
            listed = listed.lower().lstrip("@")
            if (domain == listed or domain.endswith("." + listed)) and len(listed) > best_len:
                best, best_len = institution, len(listed)
    return best


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _checked_url(value: str | None, what: str) -> str | None:
    url = _blank_to_none(value)
    if url is None:
        return None
    if safe_url(url) is None:
        raise InvalidInput(f"{what} {url!r} must be an absolute https:// or http:// URL")
    if urlsplit(url).fragment or "#" in url:
        raise InvalidInput(f"{what} {url!r} must not contain '#'")
    return url


def _checked_domain(value: str) -> str:
    domain = (value or "").strip().lower().lstrip("@").rstrip(".")
    if not is_hostname(domain, min_labels=2):
        raise InvalidInput(f"email domain {value!r} is not a domain name such as example.edu")
    return domain
