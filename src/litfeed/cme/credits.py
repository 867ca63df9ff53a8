"""Credit arithmetic: what a completed cycle earns, which year it counts for, the totals.

Credits are ``Decimal`` hundredths throughout (0.5 + 0.25 is exactly 0.75). A yearly cap is
applied in completion order within the reader's calendar year, reckoned in the reader's time
zone (the ``timezone`` user setting; UTC when unset): a cycle completed at 23:30 on
31 December in New York counts for that year even though it is already January in UTC.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from litfeed.cme.rules import CENT, CreditRules
from litfeed.errors import InvalidInput
from litfeed.models import CmeActivity

K = TypeVar("K", bound=Hashable)
UTC_NAME = "UTC"
ZERO = Decimal("0.00")


def zone(name: str | None) -> ZoneInfo:
    """The reader's time zone from its IANA name (``None`` or ``""``: UTC).

    :raise InvalidInput: a name the time-zone database does not know.
    """
    cleaned = (name or "").strip() or UTC_NAME
    if len(cleaned) > 64 or cleaned.startswith(("/", ".")) or ".." in cleaned:
        raise InvalidInput(f"time zone {name!r} is not valid; expected e.g. America/New_York")
    try:
        return ZoneInfo(cleaned)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name!r}; expected an IANA name such as "
                           "America/New_York or Europe/Berlin") from None


def zone_names() -> list[str]:
    """Every IANA time-zone name this system knows, sorted (for the picker)."""
    return sorted(n for n in available_timezones() if "/" in n or n == UTC_NAME)


def credit_year(completed_at: datetime, tz: ZoneInfo) -> int:
    """The calendar year, in ``tz``, a cycle completed at ``completed_at`` counts for."""
    return completed_at.astimezone(tz).year


def credit_for_next(rules: CreditRules, earned_this_year: Decimal) -> Decimal:
    """What the next completed cycle earns when ``earned_this_year`` credits of the same type
    are already counted in its year: the per-cycle credit, cut to what the cap leaves."""
    per_cycle = rules.credit_per_cycle.quantize(CENT, rounding=ROUND_HALF_UP)
    if rules.yearly_cap is None:
        return per_cycle
    left = rules.yearly_cap - earned_this_year
    return max(ZERO, min(per_cycle, left)).quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(completions: Iterable[tuple[K, datetime]], rules: CreditRules,
             tz: ZoneInfo) -> dict[K, Decimal]:
    """Credits for each of a reader's completions, the cap applied in completion order per
    calendar year in ``tz`` (what the service does one completion at a time)."""
    earned: dict[int, Decimal] = {}
    out: dict[K, Decimal] = {}
    for key, at in sorted(completions, key=lambda pair: pair[1]):
        year = credit_year(at, tz)
        credit = credit_for_next(rules, earned.get(year, ZERO))
        earned[year] = earned.get(year, ZERO) + credit
        out[key] = credit
    return out


def to_hundredths(credit: Decimal) -> int:
    return int((credit * 100).to_integral_value(rounding=ROUND_HALF_UP))


def from_hundredths(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(CENT)


def format_credits(credit: Decimal | None) -> str:
    """'0.50' — two decimals, as a transcript prints credit."""
    return f"{(credit or ZERO).quantize(CENT, rounding=ROUND_HALF_UP)}"


@dataclass(frozen=True)
class Total:
    """Completed cycles and credits for one calendar year and credit type."""

    year: int
    credit_type: str
    activities: int
    credits: Decimal

    def to_json(self) -> dict[str, object]:
        return {"year": self.year, "credit_type": self.credit_type,
                "activities": self.activities, "credits": float(self.credits)}


def totals(activities: Iterable[CmeActivity]) -> list[Total]:
    """Totals per (year, credit type) of the completed ones, newest year first."""
    sums: dict[tuple[int, str], tuple[int, Decimal]] = {}
    for a in activities:
        if a.status != "completed" or a.credit_year is None:
            continue
        key = (a.credit_year, a.credit_type or "")
        count, credit = sums.get(key, (0, ZERO))
        sums[key] = (count + 1, credit + (a.credits or ZERO))
    return [Total(year, kind, count, credit)
            for (year, kind), (count, credit) in sorted(sums.items(),
                                                        key=lambda kv: (-kv[0][0], kv[0][1]))]


def year_totals(per_type: Iterable[Total]) -> dict[int, Decimal]:
    """Credits per year, all credit types together, newest first."""
    out: dict[int, Decimal] = {}
    for t in per_type:
        out[t.year] = out.get(t.year, ZERO) + t.credits
    return dict(sorted(out.items(), reverse=True))
