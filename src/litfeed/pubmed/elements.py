"""Sub-elements shared by journal articles and book articles: authors, abstract, ids, keywords.

Each function takes an lxml element and returns plain values. They walk children once and
dispatch on the tag rather than calling ``find`` per field: one pass over a record's children is
what keeps the parser several times faster than XPath-style extraction.
"""

from __future__ import annotations

from typing import Any

from litfeed.errors import InvalidInput
from litfeed.models import AbstractSection, Author, MeshTerm
from litfeed.pubmed.markup import plain_text, text_and_html

#: The publication type NLM adds to a paper once a retraction notice for it is indexed.
RETRACTED_TYPE = "Retracted Publication"

_ORCID_PREFIXES = ("https://orcid.org/", "http://orcid.org/", "orcid.org/")


def abstract_sections(abstract: Any) -> list[AbstractSection]:
    """One section per non-empty ``<AbstractText>``; ``CopyrightInformation`` is not abstract."""
    sections = []
    for child in abstract:
        if child.tag != "AbstractText":
            continue
        text, html = text_and_html(child)
        if not text:
            continue
        label = child.get("Label") or None
        sections.append(AbstractSection(label, text, html, child.get("NlmCategory")))
    return sections


def authors(author_list: Any) -> list[Author]:
    """One :class:`Author` per ``<Author>``, in order.

    Authors with ``ValidYN="N"`` are kept: NLM marks names that were published wrongly that way,
    and the byline as printed is what a reader searches for.
    """
    out = []
    for author in author_list:
        if author.tag != "Author":
            continue
        last = fore = initials = suffix = collective = orcid = None
        affiliations: list[str] = []
        for child in author:
            tag = child.tag
            if tag == "AffiliationInfo":
                for info in child:
                    if info.tag == "Affiliation":
                        affiliation = plain_text(info)
                        if affiliation:
                            affiliations.append(affiliation)
            elif tag == "Identifier":
                if orcid is None and child.get("Source") == "ORCID":
                    orcid = normalize_orcid(child.text)
            else:
                # Names are leaf elements in practice; plain_text only for the odd one with markup.
                text = child.text
                if len(child):
                    text = plain_text(child)
                elif text:
                    text = text.strip()
                if not text:
                    continue
                if tag == "LastName":
                    last = text
                elif tag == "ForeName":
                    fore = text
                elif tag == "Initials":
                    initials = text
                elif tag == "Suffix":
                    suffix = text
                elif tag == "CollectiveName":
                    collective = text
                elif tag == "Affiliation":  # pre-2015 DTDs put it directly under Author
                    affiliations.append(text)
        if last or fore or initials or collective:
            out.append(Author(last, fore, initials, suffix, collective, tuple(affiliations), orcid))
    return out


def normalize_orcid(value: str | None) -> str | None:
    """The bare ``0000-0002-1825-0097`` form; records carry URLs and unhyphenated forms too."""
    if not value:
        return None
    value = value.strip()
    for prefix in _ORCID_PREFIXES:
        if value.startswith(prefix):
            value = value[len(prefix):]
            break
    if len(value) == 16 and "-" not in value:
        value = "-".join(value[i:i + 4] for i in range(0, 16, 4))
    return value or None


def article_ids(id_list: Any) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    """``(doi, pmcid, other_ids)`` from an ``ArticleIdList``; the PMID itself is not repeated."""
    doi = pmcid = None
    others: list[tuple[str, str]] = []
    for article_id in id_list:
        value = article_id.text
        if not value:
            continue
        value = value.strip()
        id_type = article_id.get("IdType") or ""
        if id_type == "doi":
            if doi is None:
                doi = value
        elif id_type == "pmc":
            if pmcid is None:
                pmcid = value if value.startswith("PMC") else f"PMC{value}"
        elif id_type != "pubmed" and value:
            others.append((id_type, value))
    return doi, pmcid, others


def keywords(keyword_list: Any, into: list[str]) -> None:
    """Append the list's keywords to ``into``, skipping ones already there (books repeat them)."""
    for keyword in keyword_list:
        if keyword.tag == "Keyword":
            text = plain_text(keyword)
            if text and text not in into:
                into.append(text)


def mesh_terms(heading_list: Any) -> list[MeshTerm]:
    """MeSH headings; a descriptor is major if it or any of its qualifiers is starred.

    That is PubMed's own ``[majr]`` rule: "Depression/drug therapy*" makes Depression a major
    topic of the paper even though the descriptor itself carries ``MajorTopicYN="N"``.

    MeSH is the bulk of a 1970s baseline record, so this walks the names with one C-filtered
    ``iter`` (the DTD puts each heading's ``DescriptorName`` before its ``QualifierName``s) and
    shares one immutable :class:`MeshTerm` per qualifier-less descriptor across records.
    """
    out: list[MeshTerm] = []
    descriptor: str | None = None
    ui: str | None = None
    major = False
    qualifiers: list[str] = []
    major_qualifiers: list[str] = []
    for child in heading_list.iter("DescriptorName", "QualifierName"):
        text = child.text
        if len(child):
            text = plain_text(child)
        elif text:
            text = text.strip()
        if child.tag == "DescriptorName":
            if descriptor:
                out.append(_mesh_term(descriptor, ui, major, qualifiers, major_qualifiers))
            descriptor = text
            ui = child.get("UI")
            major = child.get("MajorTopicYN") == "Y"
            qualifiers = []
            major_qualifiers = []
        elif text:
            qualifiers.append(text)
            if child.get("MajorTopicYN") == "Y":
                major_qualifiers.append(text)
    if descriptor:
        out.append(_mesh_term(descriptor, ui, major, qualifiers, major_qualifiers))
    return out


_PLAIN_MESH: dict[tuple[str, str | None, bool], MeshTerm] = {}
_PLAIN_MESH_LIMIT = 60_000  # MeSH has ~30k descriptors; a hostile file cannot grow this further


def _mesh_term(descriptor: str, ui: str | None, major: bool, qualifiers: list[str],
               major_qualifiers: list[str]) -> MeshTerm:
    if qualifiers:
        return MeshTerm(descriptor, major or bool(major_qualifiers), tuple(qualifiers), ui,
                        tuple(major_qualifiers))
    key = (descriptor, ui, major)
    term = _PLAIN_MESH.get(key)
    if term is None:
        term = MeshTerm(descriptor, major, (), ui, ())
        if len(_PLAIN_MESH) < _PLAIN_MESH_LIMIT:
            _PLAIN_MESH[key] = term
    return term


def publication_types(type_list: Any, into: list[str]) -> None:
    for child in type_list:
        if child.tag == "PublicationType":
            text = plain_text(child)
            if text:
                into.append(text)


def pmid_and_version(pmid: Any) -> tuple[str, int]:
    """The PMID text and its ``Version`` (1 when absent).

    :raise InvalidInput: empty or non-numeric PMID, or a ``Version`` that is not a positive integer.
    """
    value = (pmid.text or "").strip()
    if not value.isdigit():
        raise InvalidInput(f"PMID {value!r} is not a number" if value else "empty <PMID>")
    version_attr = pmid.get("Version")
    if version_attr is None:
        return value, 1
    version_text = version_attr.strip()
    if not version_text.isdigit() or int(version_text) < 1:
        raise InvalidInput(
            f"PMID {value} has Version={version_attr!r}, expected a positive integer")
    return value, int(version_text)


def pages(pagination: Any) -> str | None:
    """``MedlinePgn`` ("187-94"), else ``StartPage``-``EndPage``."""
    start = end = None
    for child in pagination:
        tag = child.tag
        if tag == "MedlinePgn":
            text = plain_text(child)
            if text:
                return text
        elif tag == "StartPage":
            start = plain_text(child) or None
        elif tag == "EndPage":
            end = plain_text(child) or None
    if start and end:
        return f"{start}-{end}"
    return start or end
