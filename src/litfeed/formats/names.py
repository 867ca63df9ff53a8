"""Author names in the shape each format wants.

PubMed gives a person as last name, fore name and initials (``Ünal``, ``Ömer F``, ``ÖF``) and a
group as one collective name. Each format spells these differently; the irregular cases are a
missing fore name (initials only), a suffix (``Jr``) and a collective author, which must stay one
name and never be split into "last, first".
"""

from __future__ import annotations

import re
from typing import Any

from litfeed.models import Author


def _spell_initials(letters: str) -> list[str]:
    """``JA`` → ``[J, A]``, ``ÖF`` → ``[Ö, F]``; a lower-case letter continues one (``Th``)."""
    parts: list[str] = []
    for char in letters:
        if not char.isalpha():
            continue
        if char.isupper() or not parts:
            parts.append(char)
        else:
            parts[-1] += char
    return parts


def given_name(author: Author) -> str | None:
    """The fore name, or the initials spelled as ``J. A.`` when the record has no fore name."""
    if author.fore:
        return author.fore
    if author.initials:
        return " ".join(part + "." for part in _spell_initials(author.initials))
    return None


def initials(author: Author) -> str:
    """``JA`` for John A Smith: the record's initials, or the fore name's first letters."""
    if author.initials:
        return author.initials
    if author.fore:
        return "".join(part[0] for part in re.split(r"[\s\-.]+", author.fore) if part)
    return ""


def last_comma_given(author: Author) -> str:
    """``Smith, John A`` / ``Smith, John A, Jr`` (RIS: last, first, suffix)."""
    if author.collective:
        return author.collective
    return ", ".join(p for p in (author.last, given_name(author), author.suffix) if p)


def medline_full_name(author: Author) -> str:
    """MEDLINE ``FAU``: ``Smith, John A Jr``; initials as written when there is no fore name."""
    if author.collective:
        return author.collective
    given = " ".join(p for p in (author.fore or author.initials, author.suffix) if p)
    return ", ".join(p for p in (author.last, given) if p)


def last_initials(author: Author) -> str:
    """``Smith JA`` (MEDLINE AU, Vancouver lists); ``Smith JA Jr`` with a suffix."""
    if author.collective:
        return author.collective
    return " ".join(p for p in (author.last, initials(author), author.suffix) if p)


def bibtex_name(author: Author) -> str:
    """``Smith, John A`` or ``Smith, Jr, John A``; a collective is braced to stay one name."""
    if author.collective:
        return "{" + author.collective + "}"
    given = given_name(author)
    parts = [author.last, author.suffix, given] if author.suffix else [author.last, given]
    return ", ".join(p for p in parts if p)


def csl_name(author: Author) -> dict[str, Any]:
    """A CSL-JSON name object; a collective author is a ``literal`` name."""
    if author.collective:
        return {"literal": author.collective}
    out: dict[str, Any] = {"family": author.last or ""}
    given = given_name(author)
    if given:
        out["given"] = given
    if author.suffix:
        out["suffix"] = author.suffix
    return out


def first_author_label(author: Author | None) -> str | None:
    """What a report shows for the first author: ``Smith JA`` or the collective's name."""
    return last_initials(author) if author else None


def short_written_name(text: str) -> str:
    """An imported author as a report shows it: ``Kouri, Timo T.`` → ``Kouri T``.

    A name without a comma (``Marko Lempinen``, or a collective author, which no format marks
    as such) is kept as written: splitting it would garble ``Centers for Disease Control``.
    """
    text = " ".join(text.split())
    last, comma, given = text.partition(",")
    if not comma:
        return text
    # "Jr" after a second comma (RIS: last, first, suffix) is not an initial
    given = given.split(",")[0].strip()
    letters = "".join(part[0] for part in re.split(r"[\s.\-]+", given) if part)
    return f"{last.strip()} {letters}".strip()
