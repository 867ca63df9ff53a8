"""The Tantivy schema of the search index and how a :class:`Paper` becomes one document.

Two kinds of field: *word* fields (title, abstract, subjects) go through :data:`TEXT_TOKENIZER`
(split on non-alphanumerics, lower case, ASCII-folded, not stemmed) and are ranked by BM25;
*value* fields (authors, journal, MeSH, publication type, DOI, language) hold whole values
normalised by :func:`normalize_value` and indexed untokenized, so ``Breast Neoplasms[mh]``
matches that heading and not every paper with "breast" in a heading.
Dates are one integer ``pubdate`` = ``YYYYMMDD`` with 00 for an unknown month or day.
``added`` is when the paper first arrived in the store (microseconds since the epoch, UTC; a
replacement keeps it): saved-search alerts ask for matches that arrived after a given time.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import tantivy

from litfeed.models import Paper

#: bump when fields or analysis change: an index with another version is rebuilt
SCHEMA_VERSION = 3
TEXT_TOKENIZER = "litfeed_en"

WORD_FIELDS = ("title", "abstract", "subjects")
VALUE_FIELDS = ("authors", "journal", "mesh", "majr", "pt", "doi", "language")


def build_schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_integer_field("pmid", stored=True, indexed=True, fast=True)
    sb.add_text_field("title", tokenizer_name=TEXT_TOKENIZER)
    # stored for snippets; the store keeps the paper itself
    sb.add_text_field("abstract", stored=True, tokenizer_name=TEXT_TOKENIZER)
    sb.add_text_field("subjects", tokenizer_name=TEXT_TOKENIZER)  # keywords + MeSH words
    for name in VALUE_FIELDS:
        sb.add_text_field(name, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("pubdate", indexed=True, fast=True)
    sb.add_integer_field("added", indexed=True, fast=True)
    for name in ("has_abstract", "free_full_text", "retracted"):
        sb.add_boolean_field(name, indexed=True)
    return sb.build()


def text_analyzer() -> tantivy.TextAnalyzer:
    """The analyzer of the word fields; queries use it too.

    No stemming, as in PubMed: ``depression[ti]`` finds titles with the word "depression", not
    "depressive"; readers widen a word on purpose with truncation (``depress*``).
    """
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(40))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def prefix_analyzer() -> tantivy.TextAnalyzer:
    """Like :func:`text_analyzer` without stemming: what a truncated word is matched with."""
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def normalize_value(text: str) -> str:
    """A value field's form: accents dropped, lower case, single spaces, no trailing period.

    Applied to indexed values and query values alike, so ``"N Engl J Med."`` and
    ``n engl j med`` meet.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().replace(".", " ").split())


_LANGUAGES = {
    "english": "eng", "french": "fre", "german": "ger", "spanish": "spa", "italian": "ita",
    "chinese": "chi", "japanese": "jpn", "russian": "rus", "portuguese": "por",
    "dutch": "dut", "polish": "pol", "korean": "kor", "turkish": "tur", "swedish": "swe",
}


def normalize_language(text: str) -> str:
    """``English`` or ``eng`` -> ``eng`` (MEDLINE's three-letter codes)."""
    value = normalize_value(text)
    return _LANGUAGES.get(value, value)


def normalize_doi(text: str) -> str:
    value = text.strip().lower()
    for prefix in ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "doi:"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value.strip()


def pubdate(paper: Paper) -> int:
    """``YYYYMMDD`` with 00 for unknown parts; 0 when the paper has no date at all."""
    if paper.published:
        parts: list[int] = []
        for part in paper.published.split("-")[:3]:
            if not part.isdigit():
                break
            parts.append(int(part))
        if parts:
            parts += [0] * (3 - len(parts))
            return parts[0] * 10000 + parts[1] * 100 + parts[2]
    return paper.year * 10000 if paper.year else 0


def author_values(paper: Paper) -> list[str]:
    """Each author as ``last initials`` and ``last fore``, e.g. "smith ja", "smith john a".

    An [au] query matches a value equal to it or starting with it plus a space, so
    ``smith[au]`` finds every Smith and ``smith j[au]`` Smith J and Smith JA.
    """
    values: list[str] = []
    for author in paper.authors:
        if author.collective:
            values.append(normalize_value(author.collective))
            continue
        if not author.last:
            continue
        for given in (author.initials, author.fore):
            values.append(normalize_value(f"{author.last} {given or ''}"))
    return sorted({v for v in values if v})


def mesh_values(paper: Paper) -> tuple[list[str], list[str]]:
    """(all headings, major headings), each also as ``descriptor/qualifier``."""
    every: set[str] = set()
    major: set[str] = set()
    for term in paper.mesh:
        name = normalize_value(term.descriptor)
        every.add(name)
        if term.major:
            major.add(name)
        for qualifier in term.qualifiers:
            pair = f"{name}/{normalize_value(qualifier)}"
            every.add(pair)
            if term.major or qualifier in term.major_qualifiers:
                major.add(pair)
                major.add(name)
    return sorted(every), sorted(major)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def added_value(when: datetime | None) -> int:
    """The ``added`` field's value: microseconds since the epoch (0 when unknown).

    A naive datetime is taken as UTC, as the store keeps every time in UTC.
    """
    if when is None:
        return 0
    aware = when.replace(tzinfo=UTC) if when.tzinfo is None else when
    return (aware - _EPOCH) // timedelta(microseconds=1)  # exact, unlike timestamp() * 1e6


def to_document(paper: Paper, added: datetime | None = None) -> tantivy.Document:
    """The index document of ``paper``; ``pmid`` must be the decimal PubMed id; ``added`` is
    when the paper first arrived in the store."""
    doc = tantivy.Document()
    doc.add_integer("pmid", int(paper.pmid))
    doc.add_text("title", paper.title or "")
    if paper.has_abstract:
        doc.add_text("abstract", paper.abstract_text)
    for keyword in paper.keywords:
        doc.add_text("subjects", keyword)
    for term in paper.mesh:
        doc.add_text("subjects", term.descriptor)
    for value in author_values(paper):
        doc.add_text("authors", value)
    journal = paper.journal
    for name in {journal.title, journal.iso_abbrev, journal.medline_ta}:
        if name and normalize_value(name):
            doc.add_text("journal", normalize_value(name))
    every, major = mesh_values(paper)
    for value in every:
        doc.add_text("mesh", value)
    for value in major:
        doc.add_text("majr", value)
    for value in {normalize_value(pt) for pt in paper.publication_types}:
        doc.add_text("pt", value)
    if paper.doi:
        doc.add_text("doi", normalize_doi(paper.doi))
    if paper.language:
        doc.add_text("language", normalize_language(paper.language))
    doc.add_integer("pubdate", pubdate(paper))
    doc.add_integer("added", added_value(added))
    doc.add_boolean("has_abstract", paper.has_abstract)
    doc.add_boolean("free_full_text", bool(paper.pmcid))
    doc.add_boolean("retracted", paper.retracted)
    return doc
