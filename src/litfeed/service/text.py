"""Text as readers type it. A NUL or another control character is never meaningful in a
name, an email or a note, and PostgreSQL refuses NUL outright, so it is turned away here, as
bad input, before it can reach the store (tabs and newlines are fine)."""

from __future__ import annotations

import re

from litfeed.errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def is_plain(text: str) -> bool:
    return _CONTROL.search(text) is None


def plain_text(value: str | None, what: str) -> str:
    """``value`` (None becomes ""), checked.

    :raise InvalidInput: it holds control characters.
    """
    text = value or ""
    if not is_plain(text):
        raise InvalidInput(f"{what} cannot contain control characters")
    return text
