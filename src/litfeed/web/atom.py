"""An Atom 1.0 document (RFC 4287) for a saved search's private feed, built with lxml.

Entry ids are the papers' PubMed URLs, so they stay the same if the server moves; links point
at this server's paper pages. Text goes in as text (lxml escapes it); characters that XML 1.0
cannot carry are dropped first rather than failing the whole feed.
"""

from __future__ import annotations

import re
from datetime import datetime

from lxml import etree

from litfeed.service.alerts import SavedSearch
from litfeed.service.search import FoundPaper
from litfeed.web.paper_view import author_name, journal_name

ATOM_NS = "http://www.w3.org/2005/Atom"
SUMMARY_CHARS = 600
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str | None) -> str:
    return _NOT_XML.sub("", value or "")


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def _add(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: _text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = _text(text)
    return el


def _summary(item: FoundPaper) -> str:
    paper = item.paper
    cite = ", ".join(v for v in (journal_name(paper), paper.published or "") if v)
    body = paper.abstract_text if paper.has_abstract else ""
    if len(body) > SUMMARY_CHARS:
        body = body[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    return f"{cite}. {body}".strip() if cite else body


def search_feed(saved: SavedSearch, entries: list[FoundPaper], base_url: str) -> bytes:
    """The feed document: newest arrivals first."""
    base = base_url.rstrip("/")
    self_url = base + saved.feed_path
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _add(feed, "id", self_url)
    _add(feed, "title", f"litfeed: {saved.name}")
    _add(feed, "subtitle", f"New papers matching {saved.query}")
    updated = max([e.added for e in entries], default=saved.created_at)
    _add(feed, "updated", _stamp(updated))
    _add(_add(feed, "author"), "name", "litfeed")
    _add(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    _add(feed, "link", rel="alternate", type="text/html", href=base + saved.search_path)
    _add(feed, "generator", "litfeed")
    for item in entries:
        paper = item.paper
        entry = _add(feed, "entry")
        _add(entry, "id", f"https://pubmed.ncbi.nlm.nih.gov/{paper.pmid}/")
        _add(entry, "title", paper.title or f"PMID {paper.pmid}")
        _add(entry, "link", rel="alternate", type="text/html", href=f"{base}/papers/{paper.pmid}")
        _add(entry, "updated", _stamp(item.added))
        for author in paper.authors[:10]:
            _add(_add(entry, "author"), "name", author_name(author))
        for pt in paper.publication_types:
            _add(entry, "category", term=pt)
        _add(entry, "summary", _summary(item), type="text")
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="utf-8"))
