"""The publication date as each format writes it.

``Paper.published`` is ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (whatever precision the record
had); ``Paper.year`` is the journal issue's year and is the fallback when ``published`` is empty.
"""

from __future__ import annotations

from litfeed.models import Paper

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso_parts(value: str | None) -> list[int]:
    """``2021-03-15`` → ``[2021, 3, 15]``; stops at the first part that is not a valid number."""
    parts: list[int] = []
    for piece in (value or "").split("-"):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    if len(parts) > 1 and not 1 <= parts[1] <= 12:
        parts = parts[:1]
    if len(parts) > 2 and not 1 <= parts[2] <= 31:
        parts = parts[:2]
    return parts[:3]


def date_parts(paper: Paper) -> list[int]:
    """``[2021, 3, 15]``, ``[2021, 3]``, ``[2021]`` or ``[]`` for the paper's publication date."""
    parts = iso_parts(paper.published)
    if not parts and paper.year:
        parts = [paper.year]
    if parts and paper.year and parts[0] != paper.year:
        # ``year`` is the year by contract; trust it over a mismatched date
        parts = [paper.year]
    return parts[:3]


def year_of(paper: Paper) -> int | None:
    parts = date_parts(paper)
    return parts[0] if parts else None


def medline_date(paper: Paper) -> str | None:
    """``2021 Mar 15`` (MEDLINE ``DP``)."""
    return medline_spelling(date_parts(paper))


def medline_spelling(parts: list[int]) -> str | None:
    """``[2021, 3, 15]`` → ``2021 Mar 15``."""
    if not parts:
        return None
    out = [str(parts[0])]
    if len(parts) > 1:
        out.append(MONTHS[parts[1] - 1])
    if len(parts) > 2:
        out.append(str(parts[2]))
    return " ".join(out)


def slash_date(paper: Paper) -> str | None:
    """``2021/03/15/`` (RIS ``DA``: year/month/day/other, empty parts left empty)."""
    parts = date_parts(paper)
    if not parts:
        return None
    padded = [f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]]
    padded += [""] * (3 - len(padded))
    return "/".join(padded) + "/"


def iso_date(paper: Paper) -> str | None:
    """``2021-03-15`` / ``2021-03`` / ``2021`` (biblatex ``date``, CSV)."""
    parts = date_parts(paper)
    if not parts:
        return None
    return "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]])


def compact_date(value: str | None) -> str | None:
    """``2021-03-15`` → ``20210315`` (MEDLINE ``DEP``)."""
    if not value:
        return None
    digits = value.replace("-", "")
    return digits if digits.isdigit() and len(digits) == 8 else None
