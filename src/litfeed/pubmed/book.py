"""``PubmedBookArticle`` (NCBI Bookshelf: GeneReviews, StatPearls, reports) to a Paper.

A book record is a chapter (``ArticleTitle``) or a whole book (only ``BookTitle``). We map it onto
the journal-shaped :class:`Paper` so it can be searched and listed like an article: the book
title and publisher take the journal's place, ``is_book`` tells them apart.
"""

from __future__ import annotations

from typing import Any

from litfeed.errors import InvalidInput
from litfeed.models import AbstractSection, Author, Journal, Paper
from litfeed.pubmed import elements
from litfeed.pubmed.dates import date_parts, format_date
from litfeed.pubmed.markup import plain_text, text_and_html


def parse_book_article(elem: Any) -> Paper:
    """The Paper (``is_book=True``) for one ``PubmedBookArticle`` element.

    :raise InvalidInput: no ``BookDocument`` or no usable PMID.
    """
    document = data = None
    for child in elem:
        tag = child.tag
        if tag == "BookDocument":
            document = child
        elif tag == "PubmedBookData":
            data = child
    if document is None:
        raise InvalidInput("<PubmedBookArticle> has no <BookDocument>")

    pmid: str | None = None
    version = 1
    book = None
    title = title_html = ""
    vernacular: Any = None
    abstract: list[AbstractSection] = []
    authors: list[Author] = []
    language = None
    publication_types: list[str] = []
    keywords: list[str] = []
    doi = pmcid = None
    other_ids: list[tuple[str, str]] = []
    pagination = None
    for child in document:
        tag = child.tag
        if tag == "PMID":
            if pmid is None:
                pmid, version = elements.pmid_and_version(child)
        elif tag == "Book":
            book = child
        elif tag == "ArticleTitle":
            title, title_html = text_and_html(child)
        elif tag == "VernacularTitle":
            vernacular = child
        elif tag == "Abstract":
            abstract = elements.abstract_sections(child)
        elif tag == "AuthorList":
            if not authors and child.get("Type") != "editors":
                authors = elements.authors(child)
        elif tag == "Language":
            if language is None:
                language = (child.text or "").strip() or None
        elif tag == "PublicationType":
            text = plain_text(child)
            if text:
                publication_types.append(text)
        elif tag == "KeywordList":
            elements.keywords(child, keywords)
        elif tag == "ArticleIdList":
            doi, pmcid, other_ids = elements.article_ids(child)
        elif tag == "Pagination":
            pagination = child
    if pmid is None:
        raise InvalidInput("book record has no <PMID>")
    if not title and vernacular is not None:
        title, title_html = text_and_html(vernacular)

    book_title = book_title_html = ""
    publisher = volume = None
    year = month = day = None
    book_authors: list[Author] = []
    if book is not None:
        for child in book:
            tag = child.tag
            if tag == "BookTitle":
                book_title, book_title_html = text_and_html(child)
            elif tag == "Publisher":
                for part in child:
                    if part.tag == "PublisherName":
                        publisher = plain_text(part) or None
            elif tag == "PubDate":
                year, month, day = date_parts(child)
            elif tag == "Volume":
                volume = plain_text(child) or None
            elif tag == "AuthorList":
                if not book_authors and child.get("Type") != "editors":
                    book_authors = elements.authors(child)
            elif tag == "Isbn":
                isbn = plain_text(child)
                if isbn:
                    other_ids.append(("isbn", isbn))
            elif tag == "ELocationID" and child.get("EIdType") == "doi" and doi is None:
                doi = plain_text(child) or None
    if not title:  # a whole-book record: the book is the title
        title, title_html = book_title, book_title_html
    if not authors:
        authors = book_authors

    if data is not None:
        for child in data:
            if child.tag == "ArticleIdList":
                extra_doi, extra_pmcid, ids = elements.article_ids(child)
                doi = doi or extra_doi
                pmcid = pmcid or extra_pmcid
                other_ids.extend(i for i in ids if i not in other_ids)

    journal = Journal(
        title=book_title or None,
        volume=volume,
        pages=elements.pages(pagination) if pagination is not None else None,
        publisher=publisher,
    )
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
        published=format_date(year, month, day),
        year=year,
        publication_types=tuple(publication_types),
        keywords=tuple(keywords),
        language=language,
        retracted=elements.RETRACTED_TYPE in publication_types,
        is_book=True,
        other_ids=tuple(other_ids),
    )
