"""PubMed date elements to ISO-like strings (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD``).

A journal issue date is either ``Year``/``Month``/``Day`` (months as "Dec" or "12", or a
``Season``) or one free-text ``MedlineDate`` ("1998 Dec-1999 Jan", "2000 Spring",
"Winter 2001-2002", "2021 3rd Quarter"). We keep the *first* date such a range names, at the
precision it is determinable, because "published" is used for sorting and freshness and the start
of an issue's cover period is the conservative reading.

Seasons map to the month in which the season starts, northern hemisphere: Spring=03, Summer=06,
Fall/Autumn=09, Winter=12; quarters to their first month (1st=01, 2nd=04, 3rd=07, 4th=10).
"Winter 2001-2002" is therefore 2001-12. These months are conventions, not facts in the record.
"""

from __future__ import annotations

import re
from typing import Any

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}
SEASONS = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_TOKEN = re.compile(r"\d+(?:st|nd|rd|th)?\s+quarter|[A-Za-z]+|\d+", re.IGNORECASE)
_QUARTER = re.compile(r"(\d)")

DateParts = tuple[int | None, int | None, int | None]


def month_number(value: str | None) -> int | None:
    """1-12 for "Dec", "December", "12", "Spring"…; None when it names no month."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return number if 1 <= number <= 12 else None
    month = MONTHS.get(value[:3].lower())
    if month is not None and value[:3].isalpha():
        return month
    return SEASONS.get(value.lower())


def format_date(year: int | None, month: int | None = None, day: int | None = None) -> str | None:
    """"YYYY", "YYYY-MM" or "YYYY-MM-DD" at the precision given; None without a year.

    A day is kept only with a month and only if it exists in that month (leap years included),
    so a record's "Feb 30" degrades to "YYYY-02" rather than producing an invalid date.
    """
    if year is None:
        return None
    if month is None:
        return f"{year:04d}"
    if day is None or not 1 <= day <= _days_in_month(year, month):
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_medline_date(value: str | None) -> DateParts:
    """First (year, month, day) a ``MedlineDate`` string names; parts it does not give are None.

    >>> parse_medline_date("1998 Dec-1999 Jan")
    (1998, 12, None)
    >>> parse_medline_date("Winter 2001-2002")
    (2001, 12, None)
    >>> parse_medline_date("1977 Apr 12-18")
    (1977, 4, 12)
    """
    if not value:
        return None, None, None
    year: int | None = None
    month: int | None = None
    day: int | None = None
    after_month = False  # the token right after a month after the year may be its day
    for token in _TOKEN.findall(value):
        if token.isdigit():
            if len(token) == 4 and year is None:
                year = int(token)
            elif after_month and day is None and len(token) <= 2 and year is not None:
                day = int(token)
            after_month = False
            continue
        after_month = False
        if month is not None:
            continue
        low = token.lower()
        if low.endswith("quarter"):
            quarter = int(_QUARTER.findall(low)[0])
            if 1 <= quarter <= 4:
                month = 3 * quarter - 2
            continue
        found = month_number(token)
        if found is not None:
            month = found
            after_month = year is not None and low[:3] in MONTHS
    return year, month, day


def parse_year(value: str | None) -> int | None:
    """The year of a ``<Year>`` element, or None when it is not four digits."""
    if value:
        value = value.strip()
        if len(value) == 4 and value.isdigit():
            return int(value)
    return None


def parse_day(value: str | None) -> int | None:
    if value:
        value = value.strip()
        if value.isdigit():
            return int(value)
    return None


def date_parts(elem: Any) -> DateParts:
    """(year, month, day) from a ``PubDate``-like element (also ``ArticleDate``, ``PubMedPubDate``).

    ``MedlineDate`` is used only where the element has no ``Year``.
    """
    year = month = day = None
    medline = season = None
    for child in elem:
        tag = child.tag
        if tag == "Year":
            year = parse_year(child.text)
        elif tag == "Month":
            month = month_number(child.text)
        elif tag == "Day":
            day = parse_day(child.text)
        elif tag == "Season":
            season = child.text
        elif tag == "MedlineDate":
            medline = child.text
    if year is None:
        if medline:
            return parse_medline_date(medline)
        return None, None, None
    if month is None and season:
        month = month_number(season)
    return year, month, day


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28
    return 30 if month in (4, 6, 9, 11) else 31
