"""How saved-search alerts read on a page: "3 new since Monday"."""

from __future__ import annotations

from datetime import UTC, datetime

from litfeed.search.index import SearchFilters
from litfeed.web.render import short_datetime

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def since_label(when: datetime, now: datetime | None = None) -> str:
    """'today', 'yesterday', a weekday within the last week, else '24 Nov 2026' (UTC days)."""
    now = now or datetime.now(UTC)
    days = (now.date() - when.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return WEEKDAYS[when.weekday()]
    return short_datetime(when)


def describe_filters(filters: SearchFilters) -> list[str]:
    """Short labels for a saved search's filters: '2015–2020', 'Review', 'free full text'."""
    out: list[str] = []
    if filters.year_from is not None or filters.year_to is not None:
        low = filters.year_from if filters.year_from is not None else "…"
        high = filters.year_to if filters.year_to is not None else "…"
        out.append(f"{low}–{high}")
    out.extend(filters.publication_types)
    for name, label in (("has_abstract", "has abstract"), ("free_full_text", "free full text"),
                        ("hide_retracted", "no retracted")):
        if getattr(filters, name):
            out.append(label)
    return out
