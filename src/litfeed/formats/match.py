"""Match imported entries to stored papers: by PMID, then DOI, then normalised title + year.

The lookups are passed in by the caller (the store), so this module never touches storage.
Each lookup returns the stored paper's PMID or None:

- ``by_pmid(pmid)``: is this PMID stored?
- ``by_doi(doi)``: the paper with this DOI; compare case-insensitively (DOIs are).
- ``by_title_year(title, year)``: ``title`` is already :func:`normalise_title`-d; the store
  compares it with the same normalisation of its titles and should answer only when exactly
  one paper matches.

A title is only tried with a year (a bare "Editorial" would match hundreds), first the entry's
year, then the year before and after, because managers often record the online date while
PubMed's year is the issue's.
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .entries import ImportedEntry

Lookup = Callable[[str], str | None]
TitleLookup = Callable[[str, int], str | None]

_TAGS = re.compile(r"<[^>]+>")
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+\s*")
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)
# ASCII letters and digits stay, every other ASCII character becomes a space
_ASCII_TO_SPACE = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def normalise_title(title: str) -> str:
    """A title reduced to what survives every manager's rewriting.

    HTML tags and entities, LaTeX commands and braces, accents, case, punctuation and spacing
    are dropped, and PubMed's brackets around translated titles with them:
    ``[Depression in <i>vivo</i>: a {COVID}-19 study].`` → ``depression in vivo a covid 19 study``.
    """
    if title.isascii() and "<" not in title and "&" not in title and "\\" not in title:
        # the common case, and the ingest hot path (papers.title_key): the same result as below
        # (nothing to unescape or decompose; ASCII's modifier symbols ^ ` are not word
        # characters either) at a fifth of the cost
        return " ".join(title.lower().translate(_ASCII_TO_SPACE).split())
    text = html.unescape(_TAGS.sub("", title))
    text = _LATEX_COMMAND.sub("", text)
    text = unicodedata.normalize("NFKD", text)
    # accents go; modifier letters (ˆ, which LaTeX decoders give for \textasciicircum) split words
    text = "".join(
        " " if unicodedata.category(c) in ("Lm", "Sk") else c
        for c in text
        if not unicodedata.combining(c)
    )
    text = text.casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def title_key_of(normalised: str) -> str:
    """A short fixed-length key for an already :func:`normalise_title`-d title: what the store
    indexes (``papers.title_key``), so a title lookup is one index probe, not a scan."""
    return hashlib.sha1(normalised.encode("utf-8")).hexdigest()[:16]


def title_key(title: str) -> str:
    return title_key_of(normalise_title(title))


@dataclass
class MatchResult:
    """``matched`` pairs each entry with the stored PMID; ``unmatched`` keeps file order."""

    matched: list[tuple[ImportedEntry, str]] = field(default_factory=list)
    unmatched: list[ImportedEntry] = field(default_factory=list)

    @property
    def pmids(self) -> list[str]:
        """The matched PMIDs, once each, in file order."""
        return list(dict.fromkeys(pmid for _, pmid in self.matched))


def match_entry(
    entry: ImportedEntry, *, by_pmid: Lookup, by_doi: Lookup, by_title_year: TitleLookup
) -> str | None:
    """The stored PMID for one entry, or None."""
    if entry.pmid and (found := by_pmid(entry.pmid)):
        return found
    if entry.doi and (found := by_doi(entry.doi)):
        return found
    if entry.title and entry.year:
        title = normalise_title(entry.title)
        if title:
            for year in (entry.year, entry.year - 1, entry.year + 1):
                if found := by_title_year(title, year):
                    return found
    return None


def match_entries(
    entries: Iterable[ImportedEntry],
    *,
    by_pmid: Lookup,
    by_doi: Lookup,
    by_title_year: TitleLookup,
) -> MatchResult:
    """Try each entry's PMID, then DOI, then title + year; see the module docstring."""
    result = MatchResult()
    for entry in entries:
        found = match_entry(entry, by_pmid=by_pmid, by_doi=by_doi, by_title_year=by_title_year)
        if found:
            result.matched.append((entry, found))
        else:
            result.unmatched.append(entry)
    return result
