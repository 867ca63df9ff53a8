"""A learning cycle's life: what a complete one has, when a draft expires, when editing stops.

A cycle is complete with a clinical question, at least one source (a PMID) and an application
to practice (``changed``, ``confirmed`` or ``no_change``; the free text is optional). Anything
less is a draft, which expires ``draft_days`` after it was started. A completed cycle may be
edited for ``edit_hours``, then it is locked; completing never changes after the fact which
year or how much credit it counted for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from litfeed.cme.rules import CreditRules
from litfeed.errors import Incomplete, InvalidInput
from litfeed.models import CmeActivity, CmeApplication

#: the application choices, as forms and transcripts label them
APPLICATIONS: dict[CmeApplication, str] = {
    "changed": "Changed practice",
    "confirmed": "Confirmed current practice",
    "no_change": "No change to practice",
}
MAX_QUESTION = 2000
MAX_QUERY = 1000
MAX_TEXT = 5000
MAX_SOURCES = 100
EDITABLE = ("question", "query", "sources", "application", "application_text")
_PMID = re.compile(r"^[1-9][0-9]{0,19}$")
_SPLIT = re.compile(r"[\s,;]+")


@dataclass(frozen=True)
class CycleFields:
    """The reader-written part of a cycle, cleaned; ``None`` is "not given"."""

    question: str | None = None
    query: str | None = None
    sources: tuple[str, ...] | None = None
    application: CmeApplication | None = None
    application_text: str | None = None

    def given(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in EDITABLE if getattr(self, k) is not None}


def _plain(value: object, name: str, limit: int, *, lines: bool = False) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{name} must be text")
    text = value.strip() if lines else " ".join(value.split())
    if any(ord(c) < 32 and c not in "\n\r\t" for c in text):
        raise InvalidInput(f"{name} contains control characters")
    if len(text) > limit:
        raise InvalidInput(f"{name} has at most {limit} characters")
    return text


def parse_pmids(value: object) -> tuple[str, ...]:
    """PMIDs from a list or from text separated by spaces, commas or semicolons; duplicates
    dropped, order kept.

    :raise InvalidInput: something that is not a PMID, or more than :data:`MAX_SOURCES`.
    """
    items: Iterable[object]
    if isinstance(value, str):
        items = [p for p in _SPLIT.split(value) if p]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise InvalidInput("sources must be a list of PMIDs")
    out: list[str] = []
    for item in items:
        pmid = str(item).strip()
        if pmid.lower().startswith("pmid:"):
            pmid = pmid[5:].strip()
        if not _PMID.match(pmid):
            raise InvalidInput(f"source {item!r} is not a PMID; expected digits like 31978945")
        if pmid not in out:
            out.append(pmid)
    if len(out) > MAX_SOURCES:
        raise InvalidInput(f"a cycle lists at most {MAX_SOURCES} sources")
    return tuple(out)


def clean_fields(raw: Mapping[str, object]) -> CycleFields:
    """Check and tidy what a reader sent; keys absent from ``raw`` stay ``None``.

    An empty text is kept as ``""`` so an edit can clear it.

    :raise InvalidInput: an unknown key, a bad application, a malformed PMID, too long a text.
    """
    unknown = set(raw) - set(EDITABLE)
    if unknown:
        raise InvalidInput(f"unknown field(s) {', '.join(sorted(unknown))}; expected "
                           f"{', '.join(EDITABLE)}")
    application = raw.get("application") or None  # "" (no radio ticked) is "not given"
    if application is not None and application not in APPLICATIONS:
        raise InvalidInput(f"application {application!r} is not one of "
                           f"{', '.join(APPLICATIONS)}")
    sources = raw.get("sources")
    return CycleFields(
        question=_plain(raw.get("question"), "question", MAX_QUESTION, lines=True),
        query=_plain(raw.get("query"), "query", MAX_QUERY),
        sources=None if sources is None else parse_pmids(sources),
        application=application,
        application_text=_plain(raw.get("application_text"), "application_text", MAX_TEXT,
                                lines=True),
    )


def missing(question: str | None, sources: Iterable[str] | None,
            application: str | None) -> list[str]:
    """What a cycle still lacks to be complete (empty when it is complete)."""
    out = []
    if not (question or "").strip():
        out.append("question")
    if not list(sources or ()):
        out.append("sources")
    if application not in APPLICATIONS:
        out.append("application")
    return out


def require_complete(question: str | None, sources: Iterable[str] | None,
                     application: str | None) -> None:
    """:raise Incomplete: (422) naming what is missing."""
    lacking = missing(question, sources, application)
    if lacking:
        names = {"question": "the clinical question", "sources": "at least one source (PMID)",
                 "application": "the application to practice (changed, confirmed or "
                                "no_change)"}
        raise Incomplete("a completed cycle needs " + ", ".join(names[m] for m in lacking)
                         + "; save it as a draft to finish later")


def draft_expires_at(started_at: datetime, rules: CreditRules) -> datetime:
    return started_at + timedelta(days=rules.draft_days)


def edit_deadline(completed_at: datetime, rules: CreditRules) -> datetime:
    return completed_at + timedelta(hours=rules.edit_hours)


def is_expired(activity: CmeActivity, now: datetime) -> bool:
    """A draft past its expiry (the store marks it ``expired`` when it next looks)."""
    if activity.status == "expired":
        return True
    return (activity.status == "draft" and activity.expires_at is not None
            and now >= activity.expires_at)


def snapshot(activity: CmeActivity) -> dict[str, Any]:
    """The activity as the audit trail keeps it (before/after a change)."""
    return {
        "status": activity.status, "question": activity.question, "query": activity.query,
        "sources": list(activity.sources), "application": activity.application,
        "application_text": activity.application_text,
        "credits": str(activity.credits) if activity.credits is not None else None,
        "credit_type": activity.credit_type, "credit_year": activity.credit_year,
        "completed_at": activity.completed_at.isoformat() if activity.completed_at else None,
    }
