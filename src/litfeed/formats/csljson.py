"""CSL-JSON: the input of every CSL processor (citeproc-js in Zotero, pandoc, citeproc-py).

Each paper becomes one item with the same ``id`` as its BibTeX key (see :mod:`.keys`), so
pandoc users can switch files without touching a manuscript. Variables follow the CSL 1.0.2
schema; strings are plain text (no HTML markup), so any processor prints them as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from litfeed.models import Paper

from .dates import date_parts
from .keys import cite_keys
from .names import csl_name
from .pages import expand_pages
from .subjects import subjects

#: variable → value from the paper; ``None`` or empty values are left out.
FIELDS: tuple[tuple[str, Callable[[Paper], Any]], ...] = (
    ("type", lambda p: "book" if p.is_book else "article-journal"),
    ("title", lambda p: p.title or None),
    ("author", lambda p: [csl_name(a) for a in p.authors]),
    ("container-title", lambda p: p.journal.title or p.journal.iso_abbrev),
    ("container-title-short", lambda p: p.journal.iso_abbrev),
    ("publisher", lambda p: p.journal.publisher),
    ("ISSN", lambda p: p.journal.issn),
    ("volume", lambda p: p.journal.volume),
    ("issue", lambda p: p.journal.issue),
    ("page", lambda p: expand_pages(p.journal.pages)),
    ("issued", lambda p: {"date-parts": [parts]} if (parts := date_parts(p)) else None),
    ("DOI", lambda p: p.doi),
    ("PMID", lambda p: p.pmid),
    ("PMCID", lambda p: p.pmcid),
    ("abstract", lambda p: p.abstract_text or None),
    ("keyword", lambda p: ", ".join(subjects(p)) or None),
    ("language", lambda p: p.language),
    ("note", lambda p: "Retracted publication" if p.retracted else None),
)


def to_csl(paper: Paper, key: str) -> dict[str, Any]:
    """One CSL-JSON item; ``key`` becomes its ``id`` (what pandoc cites it by)."""
    item: dict[str, Any] = {"id": key}
    for name, getter in FIELDS:
        value = getter(paper)
        if value:
            item[name] = value
    return item


def to_items(papers: Sequence[Paper]) -> list[dict[str, Any]]:
    """The items for ``papers`` in order (a PMID given twice once), keyed like BibTeX."""
    keys = cite_keys(papers)
    seen: set[str] = set()
    items = []
    for paper in papers:
        if paper.pmid not in seen:
            seen.add(paper.pmid)
            items.append(to_csl(paper, keys[paper.pmid]))
    return items


def export(papers: Sequence[Paper]) -> str:
    """A JSON array of items, UTF-8 as is (no ``\\u`` escapes), indented for people."""
    return json.dumps(to_items(papers), ensure_ascii=False, indent=2) + "\n"
