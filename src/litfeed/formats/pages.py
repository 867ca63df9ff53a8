"""Page ranges: MEDLINE abbreviates them (``123-9``), most other formats want them whole.

MEDLINE keeps only the digits that change in the last page (``1653-786``) and may list several
ranges (``67-8, 73``) or electronic locators (``e0092424``, ``ooae099``). Formats with separate
start and end fields (RIS ``SP``/``EP``) take the first range.
"""

from __future__ import annotations

import re

_RANGE = re.compile(
    r"^\s*([A-Za-z]*)(\d+)([A-Za-z]*)\s*[-\u2013\u2014]+\s*([A-Za-z]*)(\d+)([A-Za-z]*)\s*$"
)


def _expand_one(part: str) -> str:
    """``123-9`` → ``123-129``; ``S12-5`` → ``S12-S15``; anything else unchanged."""
    match = _RANGE.match(part)
    if not match:
        return part.strip()
    prefix, first, suffix, end_prefix, last, end_suffix = match.groups()
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{prefix}{first}{suffix}-{end_prefix or prefix}{last}{end_suffix or suffix}"


def expand_pages(pages: str | None) -> str | None:
    """Every range in a MEDLINE page string written out in full, separators kept."""
    if not pages or not pages.strip():
        return None
    return ", ".join(_expand_one(p) for p in re.split(r"\s*[,;]\s*", pages.strip()) if p)


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """(first page, last page) of the first range; last is None for a single page."""
    full = expand_pages(pages)
    if not full:
        return None, None
    first = re.split(r"\s*,\s*", full)[0]
    start, dash, end = first.partition("-")
    return start.strip() or None, (end.strip() or None) if dash else None
