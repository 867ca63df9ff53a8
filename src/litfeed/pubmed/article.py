"""One PubMed record element to a :class:`~litfeed.models.Paper`.

Handles ``PubmedArticle`` (baseline, update files, efetch, pubmed.gov "Save as XML"), a bare
``MedlineCitation`` (the pre-2017 ``MedlineCitationSet`` distribution, which has no
``PubmedData``) and ``PubmedBookArticle`` (see :mod:`litfeed.pubmed.book`).
"""

from __future__ import annotations

from typing import Any

from litfeed.errors import InvalidInput
from litfeed.models import AbstractSection, Author, Journal, MeshTerm, Paper
from litfeed.pubmed import elements
from litfeed.pubmed.book import parse_book_article
from litfeed.pubmed.dates import date_parts, format_date
from litfeed.pubmed.markup import plain_text, text_and_html


def parse_article(elem: Any) -> Paper:
    """The :class:`Paper` for one ``PubmedArticle``, ``PubmedBookArticle`` or ``MedlineCitation``.

    :raise InvalidInput: the element is no PubMed record, or lacks a usable PMID.
    """
    tag = elem.tag
    if tag == "PubmedArticle":
        citation = data = None
        for child in elem:
            child_tag = child.tag
            if child_tag == "MedlineCitation":
                citation = child
            elif child_tag == "PubmedData":
                data = child
        if citation is None:
            raise InvalidInput("<PubmedArticle> has no <MedlineCitation>")
        return _citation(citation, data)
    if tag == "MedlineCitation":
        return _citation(elem, None)
    if tag == "PubmedBookArticle":
        return parse_book_article(elem)
    raise InvalidInput(f"<{tag}> is not a PubMed record")


def _citation(citation: Any, data: Any | None) -> Paper:
    pmid: str | None = None
    version = 1
    article = journal_info = None
    mesh: list[MeshTerm] = []
    keywords: list[str] = []
    retracted = False
    nlm_pmcid = None
    for child in citation:
        tag = child.tag
        if tag == "PMID":
            if pmid is None:
                pmid, version = elements.pmid_and_version(child)
        elif tag == "Article":
            article = child
        elif tag == "MedlineJournalInfo":
            journal_info = child
        elif tag == "MeshHeadingList":
            mesh = elements.mesh_terms(child)
        elif tag == "KeywordList":
            elements.keywords(child, keywords)
        elif tag == "CommentsCorrectionsList":
            if not retracted:
                retracted = any(c.get("RefType") == "RetractionIn" for c in child)
        elif tag == "OtherID":
            # Legacy MEDLINE records carry the PMCID here, having no PubmedData.
            value = (child.text or "").strip()
            if nlm_pmcid is None and value.startswith("PMC") and child.get("Source") == "NLM":
                nlm_pmcid = value.split()[0]
    if pmid is None:
        raise InvalidInput("record has no <PMID>")
    if article is None:
        raise InvalidInput(f"PMID {pmid} has no <Article>")

    title = title_html = ""
    vernacular: Any = None
    abstract: list[AbstractSection] = []
    authors: list[Author] = []
    language = None
    publication_types: list[str] = []
    article_date = None
    article_year = None
    journal_elem = pagination = None
    eloc_doi = None
    other_ids: list[tuple[str, str]] = []
    for child in article:
        tag = child.tag
        if tag == "ArticleTitle":
            title, title_html = text_and_html(child)
        elif tag == "Abstract":
            abstract = elements.abstract_sections(child)
        elif tag == "AuthorList":
            authors = elements.authors(child)
        elif tag == "Journal":
            journal_elem = child
        elif tag == "Pagination":
            pagination = child
        elif tag == "ELocationID":
            value = (child.text or "").strip()
            if value and child.get("ValidYN") != "N":
                id_type = child.get("EIdType") or ""
                if id_type == "doi":
                    if eloc_doi is None:
                        eloc_doi = value
                elif id_type:
                    other_ids.append((id_type, value))
        elif tag == "Language":
            if language is None:
                language = (child.text or "").strip() or None
        elif tag == "PublicationTypeList":
            elements.publication_types(child, publication_types)
        elif tag == "ArticleDate":
            if article_date is None and child.get("DateType", "Electronic") == "Electronic":
                year, month, day = date_parts(child)
                article_year = year
                article_date = format_date(year, month, day)
        elif tag == "VernacularTitle":
            vernacular = child
    if not title and vernacular is not None:
        title, title_html = text_and_html(vernacular)

    journal, pub_year, pub_month, pub_day = _journal(journal_elem, pagination, journal_info)

    doi = pmcid = None
    history = None
    if data is not None:
        for child in data:
            tag = child.tag
            if tag == "ArticleIdList":
                doi, pmcid, ids = elements.article_ids(child)
                other_ids.extend(i for i in ids if i not in other_ids)
            elif tag == "History":
                history = child
    if doi is None:
        doi = eloc_doi
    if pmcid is None:
        pmcid = nlm_pmcid

    # ``year`` is the journal issue's year; an issue without one (ahead-of-print, some
    # MedlineDate strings) falls back to the electronic date, then to the Entrez date.
    if pub_year is not None:
        published = format_date(pub_year, pub_month, pub_day)
    elif article_year is not None:
        pub_year, published = article_year, article_date
    else:
        pub_year, published = _entrez_date(history)

    if not retracted and elements.RETRACTED_TYPE in publication_types:
        retracted = True

    return Paper(
        pmid=pmid,
        title=title,
        title_html=title_html,
        version=version,
        doi=doi,
        pmcid=pmcid,
        abstract=tuple(abstract),
        authors=tuple(authors),
        journal=journal,
        published=published,
        year=pub_year,
        article_date=article_date,
        publication_types=tuple(publication_types),
        mesh=tuple(mesh),
        keywords=tuple(keywords),
        language=language,
        retracted=retracted,
        is_book=False,
        status=citation.get("Status"),
        other_ids=tuple(other_ids),
    )


def _journal(
    journal: Any | None, pagination: Any | None, journal_info: Any | None
) -> tuple[Journal, int | None, int | None, int | None]:
    """The :class:`Journal` and the issue's (year, month, day)."""
    title = iso_abbrev = issn = volume = issue = nlm_id = medline_ta = None
    year = month = day = None
    if journal is not None:
        for child in journal:
            tag = child.tag
            if tag == "JournalIssue":
                for part in child:
                    part_tag = part.tag
                    if part_tag == "Volume":
                        volume = plain_text(part) or None
                    elif part_tag == "Issue":
                        issue = plain_text(part) or None
                    elif part_tag == "PubDate":
                        year, month, day = date_parts(part)
            elif tag == "Title":
                title = plain_text(child) or None
            elif tag == "ISOAbbreviation":
                iso_abbrev = plain_text(child) or None
            elif tag == "ISSN" and issn is None:
                # The first ISSN as listed (Print or Electronic, whichever NLM put first).
                issn = (child.text or "").strip() or None
    if journal_info is not None:
        linking = None
        for child in journal_info:
            tag = child.tag
            if tag == "MedlineTA":
                medline_ta = plain_text(child) or None
            elif tag == "NlmUniqueID":
                nlm_id = (child.text or "").strip() or None
            elif tag == "ISSNLinking":
                linking = (child.text or "").strip() or None
        if issn is None:
            issn = linking
    pages = elements.pages(pagination) if pagination is not None else None
    return (
        Journal(title, iso_abbrev, issn, volume, issue, pages, nlm_id, medline_ta),
        year,
        month,
        day,
    )


def _entrez_date(history: Any | None) -> tuple[int | None, str | None]:
    """(year, "YYYY-MM-DD") of the ``PubMedPubDate PubStatus="entrez"``, if any."""
    if history is not None:
        for child in history:
            if child.get("PubStatus") == "entrez":
                year, month, day = date_parts(child)
                return year, format_date(year, month, day)
    return None, None
