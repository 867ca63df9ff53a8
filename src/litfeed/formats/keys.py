"""Citation keys like ``smith2021depression``: readable, unique in a file, stable across exports.

A key is built from the paper alone: first author's last name (or the collective's first word),
the year, and the first word of the title that is not a stop word, all folded to ASCII
lower case. When several papers in one export share a key, the one with the lowest PMID keeps
it and the others get ``b``, ``c``, … in PMID order. PMIDs grow with time, so a paper saved later
rarely takes a key an earlier export already used; the same set of papers always gets the same
keys, whatever order they come in. BibTeX and CSL-JSON (``id``) use the same keys, so a pandoc
user can switch between them without touching a manuscript.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence

from litfeed.models import Paper

from .dates import year_of

#: Words skipped when choosing the title word (English titles dominate PubMed).
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "has",
    "have", "how", "in", "into", "is", "it", "its", "not", "of", "on", "or", "the", "their",
    "there", "this", "to", "use", "using", "versus", "vs", "was", "were", "what", "when",
    "which", "who", "why", "with",
})

# Letters that do not decompose into ASCII under NFKD.
_FOLD = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "œ": "oe",
                       "Œ": "OE", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "þ": "th",
                       "ı": "i"})


def ascii_fold(text: str) -> str:
    """``Ünal Ø`` → ``Unal O``: accents dropped, non-Latin letters removed."""
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return text.encode("ascii", "ignore").decode("ascii")


def _word(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", ascii_fold(text).lower())


def base_key(paper: Paper) -> str:
    """The key before de-duplication: ``{author}{year}{titleword}``."""
    author = "anon"
    if paper.authors:
        first = paper.authors[0]
        name = first.last if not first.collective else first.collective.split()[0]
        author = _word(name or "") or "anon"
    year = year_of(paper)
    word = ""
    for token in re.split(r"[\s\-/]+", ascii_fold(paper.title or "").lower()):
        token = re.sub(r"[^a-z0-9]", "", token)
        if token and token not in STOP_WORDS:
            word = token
            break
    return f"{author}{year if year else 'nd'}{word}"


def _pmid_order(paper: Paper) -> tuple[int, str]:
    return (int(paper.pmid), paper.pmid) if paper.pmid.isdigit() else (1 << 62, paper.pmid)


def _suffix(index: int) -> str:
    """1 → ``b``, 25 → ``z``, 26 → ``aa``: the lowest PMID keeps the bare key (as if ``a``)."""
    number = index + 1
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("a") + rest) + letters
    return letters


def cite_keys(papers: Sequence[Paper]) -> dict[str, str]:
    """PMID → unique key for every paper; a PMID given twice gets one key."""
    groups: dict[str, list[Paper]] = defaultdict(list)
    seen: set[str] = set()
    for paper in papers:
        if paper.pmid in seen:
            continue
        seen.add(paper.pmid)
        groups[base_key(paper)].append(paper)
    keys: dict[str, str] = {}
    taken = set(groups)
    for base in sorted(groups):
        for index, paper in enumerate(sorted(groups[base], key=_pmid_order)):
            key = base
            if index:
                n = index
                key = base + _suffix(n)
                while key in taken:  # a base key that happens to end in our suffix
                    n += 1
                    key = base + _suffix(n)
                taken.add(key)
            keys[paper.pmid] = key
    return keys
