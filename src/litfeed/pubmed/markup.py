"""Inline markup in PubMed text elements: plain text and sanitised HTML from one element.

PubMed titles and abstracts are mixed content: text with ``<i> <sup> <sub> <b> <u>`` and,
since 2019, MathML (``<mml:math>…``). We keep two renderings: ``text`` (markup removed, entities
decoded, what search and embeddings read) and ``html`` (only the five inline tags, no attributes,
everything else escaped). The parser has already decoded character references, so an element
without children is plain text and needs no sanitiser: that fast path covers nearly every title
and abstract section, which matters because the parser's speed is a published figure.
"""

from __future__ import annotations

from typing import Any

import nh3

#: The inline tags PubMed uses for typography; everything else keeps only its text.
INLINE_TAGS = frozenset({"i", "sup", "sub", "b", "u"})
#: Elements whose content is code, not prose: dropped from text and html alike (as nh3 does).
DROP_CONTENT_TAGS = frozenset({"script", "style"})
_NH3_TAGS = set(INLINE_TAGS)

def escape_text(text: str) -> str:
    """Escape ``& < >`` for element content; cheap no-op for the common string without them."""
    # str.replace is far faster than str.translate with a dict on abstract-sized strings.
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def plain_text(elem: Any) -> str:
    """The element's text with all markup removed (stripped); ``""`` for an empty element."""
    if len(elem) == 0:
        text = elem.text
        return text.strip() if text else ""
    parts: list[str] = []
    _walk(elem, parts, None)
    return "".join(parts).strip()


def text_and_html(elem: Any) -> tuple[str, str]:
    """``(text, html)`` for a mixed-content element such as ``ArticleTitle`` or ``AbstractText``.

    ``html`` is built from the tree (allowed tags kept bare, other elements reduced to their text,
    comments and unresolved entity references dropped) and then passed through nh3 as a second,
    independent guarantee that nothing but the five inline tags can reach a page.
    """
    if len(elem) == 0:
        text = elem.text
        if not text:
            return "", ""
        text = text.strip()
        return text, escape_text(text)
    parts: list[str] = []
    html_parts: list[str] = []
    _walk(elem, parts, html_parts)
    html = nh3.clean("".join(html_parts).strip(), tags=_NH3_TAGS, attributes={})
    return "".join(parts).strip(), html


def _walk(elem: Any, parts: list[str], html: list[str] | None) -> None:
    """Append the text (and, when ``html`` is given, the markup) of ``elem``'s content."""
    text = elem.text
    if text:
        parts.append(text)
        if html is not None:
            html.append(escape_text(text))
    for child in elem:
        tag = child.tag
        if isinstance(tag, str) and tag not in DROP_CONTENT_TAGS:
            if html is not None and tag in INLINE_TAGS:
                html.append(f"<{tag}>")
                _walk(child, parts, html)
                html.append(f"</{tag}>")
            else:
                # MathML and any other namespaced or unknown element: keep its text only.
                _walk(child, parts, html)
        # Comments, processing instructions and unresolved entity references contribute
        # nothing themselves (an entity left unexpanded must not leak as "&name;").
        tail = child.tail
        if tail:
            parts.append(tail)
            if html is not None:
                html.append(escape_text(tail))
