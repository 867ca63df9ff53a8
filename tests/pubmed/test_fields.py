"""Field values of real records, checked against what their XML says (quoted in comments)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from litfeed.models import Paper
from litfeed.pubmed import iter_records

N1298 = {"10704411", "31266900", "31974114", "29426732", "31719001", "27602157", "30271887",
         "33728380"}
N0014 = {"399296", "400712", "423962", "399332", "399903", "399354", "402031", "399570"}


def collect(path: Path, pmids: set[str]) -> dict[str, list[Paper]]:
    """One pass over a file, keeping only the papers a test looks at (all versions)."""
    found: dict[str, list[Paper]] = {}
    for record in iter_records(path):
        if isinstance(record, Paper) and record.pmid in pmids:
            found.setdefault(record.pmid, []).append(record)
    return found


@pytest.fixture(scope="module")
def update_file(real_file: Callable[[str], Path]) -> dict[str, list[Paper]]:
    return collect(real_file("pubmed21n1298.xml.gz"), N1298)


@pytest.fixture(scope="module")
def baseline_file(real_file: Callable[[str], Path]) -> dict[str, list[Paper]]:
    return collect(real_file("pubmed20n0014.xml.gz"), N0014)


def test_structured_abstract_journal_mesh_and_ids(update_file):
    (paper,) = update_file["10704411"]
    assert paper.title == ("Dopamine modulates acute responses to cocaine, nicotine and ethanol "
                           "in Drosophila.")
    assert [(s.label, s.nlm_category) for s in paper.abstract] == [
        ("BACKGROUND", "BACKGROUND"), ("RESULTS", "RESULTS"), ("CONCLUSIONS", "CONCLUSIONS")]
    assert paper.abstract[0].text.startswith("Drugs of abuse have a common property in mammals")
    assert paper.abstract_text.startswith("BACKGROUND: Drugs of abuse")
    j = paper.journal
    assert (j.title, j.iso_abbrev, j.issn, j.volume, j.issue, j.pages) == (
        "Current biology : CB", "Curr Biol", "0960-9822", "10", "4", "187-94")
    assert (j.nlm_id, j.medline_ta) == ("9107782", "Curr Biol")
    assert (paper.published, paper.year) == ("2000-02-24", 2000)  # <Year>2000 <Month>Feb <Day>24
    assert paper.doi == "10.1016/s0960-9822(00)00336-5"
    assert paper.pmcid is None
    assert ("pii", "S0960-9822(00)00336-5") in paper.other_ids
    assert paper.status == "MEDLINE" and paper.language == "eng"
    assert paper.publication_types == (
        "Journal Article", "Research Support, U.S. Gov't, Non-P.H.S.",
        "Research Support, U.S. Gov't, P.H.S.")
    assert [a.last for a in paper.authors] == ["Bainton", "Tsai", "Singh", "Moore",
                                               "Neckameyer", "Heberlein"]
    first = paper.authors[0]
    assert (first.fore, first.initials) == ("R J", "RJ")
    assert first.affiliations == ("Department of Anesthesia, University of California San "
                                  "Francisco, California 94143-0452, USA.",)
    mesh = {m.descriptor: m for m in paper.mesh}
    # <DescriptorName MajorTopicYN="N">Cocaine</DescriptorName>
    # <QualifierName MajorTopicYN="Y">metabolism</QualifierName>  -> major, as PubMed's [majr]
    assert mesh["Cocaine"].major and mesh["Cocaine"].major_qualifiers == ("metabolism",)
    assert mesh["Dopamine"].qualifiers == ("metabolism", "physiology")
    assert mesh["Animals"].major is False and mesh["Animals"].ui == "D000818"
    assert mesh["Drosophila"].major is False  # its only qualifier is MajorTopicYN="N"
    assert not paper.retracted and not paper.is_book


def test_title_with_italics(update_file):
    (paper,) = update_file["31266900"]
    # <ArticleTitle>An EDS1-SAG101 Complex Is Essential for TNL-Mediated Immunity in
    #   <i>Nicotiana benthamiana</i>.</ArticleTitle>
    assert paper.title == ("An EDS1-SAG101 Complex Is Essential for TNL-Mediated Immunity in "
                           "Nicotiana benthamiana.")
    assert paper.title_html == ("An EDS1-SAG101 Complex Is Essential for TNL-Mediated Immunity "
                                "in <i>Nicotiana benthamiana</i>.")


def test_title_with_superscript(update_file):
    (paper,) = update_file["31974114"]
    assert paper.title_html.startswith("Vav2 lacks Ca<sup>2+</sup> entry-promoting")
    assert paper.title.startswith("Vav2 lacks Ca2+ entry-promoting")


def test_medline_date_and_electronic_date(update_file):
    (paper,) = update_file["29426732"]
    # <PubDate><MedlineDate>2018 Jul-Aug</MedlineDate></PubDate>
    assert (paper.published, paper.year) == ("2018-07", 2018)
    assert paper.article_date == "2018-02-14"
    assert [s.label for s in paper.abstract][:2] == ["OBJECTIVE", "MATERIAL AND METHOD"]


def test_collective_author(update_file):
    (paper,) = update_file["31719001"]
    assert len(paper.authors) == 14
    group = paper.authors[-1]
    assert group.collective == "Collaborators" and group.last is None
    assert group.to_json()["collective"] == "Collaborators"
    assert paper.doi == "10.4244/EIJ-D-19-00534"
    assert paper.abstract[-1].label == "CLINICAL TRIAL REGISTRATION"
    assert paper.abstract[-1].text == "NCT03935542"


def test_retracted_paper(update_file):
    (paper,) = update_file["27602157"]
    assert paper.retracted
    assert "Retracted Publication" in paper.publication_types
    assert (paper.published, paper.year) == ("2016-09", 2016)


def test_versions_of_one_pmid(update_file):
    versions = {p.version: p for p in update_file["30271887"]}
    assert sorted(versions) == [1, 2, 3, 4]
    assert [versions[v].doi for v in (1, 2, 3, 4)] == [
        f"10.12688/wellcomeopenres.14677.{v}" for v in (1, 2, 3, 4)]
    assert versions[1].pmcid == "PMC6134338"
    # <AbstractText><b>Background</b>: The presence of an extra sex chromosome …
    section = versions[1].abstract[0]
    assert section.label is None
    assert section.html.startswith("<b>Background</b>: The presence of an extra")
    assert section.text.startswith("Background: The presence of an extra")
    assert "<i>CNTNAP2</i> and <i>NRXN1</i>" in section.html
    orcids = [a.orcid for a in versions[1].authors]
    assert orcids[0] == "0000-0002-9557-268X"


def test_baseline_dates(baseline_file):
    def published(pmid: str) -> str | None:
        return baseline_file[pmid][0].published

    assert published("399332") == "1979-03"  # <Year>1979</Year><Season>Spring</Season>
    assert published("399903") == "1979-09"  # <MedlineDate>1979-1980 Fall</MedlineDate>
    assert published("399354") == "1979-07"  # <MedlineDate>1979 Jul-Aug</MedlineDate>
    assert published("402031") == "1977-01-05"  # <MedlineDate>1977 Jan 5-20</MedlineDate>
    assert published("399570") == "1980"  # <Year>1980</Year> only
    assert {p: baseline_file[p][0].year for p in ("399332", "399903", "402031")} == {
        "399332": 1979, "399903": 1979, "402031": 1977}


def test_baseline_retractions_and_pmc(baseline_file):
    assert baseline_file["400712"][0].retracted
    assert baseline_file["423962"][0].retracted
    assert not baseline_file["399296"][0].retracted
    assert baseline_file["399570"][0].pmcid == "PMC2279436"
    # 1970s records carry no markup: html is the escaped text.
    first = baseline_file["399296"][0]
    assert first.title_html == first.title


def test_book_article(real_file):
    (paper,) = iter_records(real_file("efetch-2025-metapub/20301546.xml.gz"))
    assert paper.is_book and paper.pmid == "20301546"
    assert paper.title == ("Hereditary Motor and Sensory Neuropathy with Agenesis of the Corpus "
                           "Callosum")
    # <BookTitle book="gene">GeneReviews<sup>&#174;</sup></BookTitle>
    assert paper.journal.title == "GeneReviews®"
    assert paper.journal.publisher == "University of Washington, Seattle"
    assert (paper.year, paper.published) == (1993, "1993")
    assert [a.last for a in paper.authors] == ["Gauvreau", "Brisson", "Dupré"]  # not the editors
    assert paper.authors[0].affiliations[0].startswith("Neurology resident, CHU de Québec")
    assert [s.label for s in paper.abstract] == [
        "CLINICAL CHARACTERISTICS", "DIAGNOSIS/TESTING", "MANAGEMENT", "GENETIC COUNSELING"]
    assert paper.abstract[2].html.startswith("<i>Treatment of manifestations:</i> Walking aids")
    assert "Copyright" not in paper.abstract_text
    assert paper.publication_types == ("Review",)
    assert ("bookaccession", "NBK1372") in paper.other_ids
    assert paper.keywords.count("Andermann Syndrome") == 1  # the record lists it twice
    assert paper.language == "eng"


def test_edge_case_fixture(fixtures):
    first, ahead_of_print, undated = iter_records(fixtures / "edge_cases.xml")
    # MathML keeps its text; a comment inside the title is dropped.
    assert first.title == "Measuring T2 in vivo at 10-3 M"
    assert first.title_html == "Measuring T2 in <i>vivo</i> at 10<sup>-3</sup> M"
    (section,) = first.abstract
    assert section.label is None
    assert section.text == "An unlabeled abstract with H2O & CO2."
    assert section.html == "An unlabeled abstract with H<sub>2</sub>O &amp; CO<sub>2</sub>."
    assert "Somebody" not in first.abstract_text  # CopyrightInformation
    assert first.journal.issn == "1111-2222"  # the first ISSN listed (Electronic here)
    assert first.journal.pages == "e101-e109"  # StartPage-EndPage without MedlinePgn
    assert (first.published, first.year) == ("2020-12", 2020)  # Season Winter
    assert first.article_date == "2019-11-05"
    assert first.doi == "10.9999/edge.1"  # ELocationID with ValidYN="Y", not the "N" one
    assert first.pmcid == "PMC7000001"  # ArticleId pmc without the prefix, not the reference's
    assert ("mid", "NIHMS100001") in first.other_ids
    assert all(value != "10.9999/cited" for _, value in first.other_ids)
    author = first.authors[0]
    assert (author.last, author.fore, author.initials, author.suffix) == (
        "García-López", "María José", "MJ", "Jr")
    assert author.orcid == "0000-0002-1825-0097"
    assert author.affiliations == ("Hospital A, Madrid, Spain.", "University B, Madrid, Spain.")
    assert first.authors[1].last == "Misspelt"  # ValidYN="N" authors are kept
    assert first.authors[2].collective == "EDGE Study Group"
    assert first.language == "eng"
    assert first.retracted  # CommentsCorrections RefType="RetractionIn"
    mesh = {m.descriptor: m for m in first.mesh}
    assert mesh["Depression"].major and mesh["Depression"].major_qualifiers == ("drug therapy",)
    assert mesh["Water"].major and not mesh["Humans"].major
    assert first.keywords == ("edge cases", "parsing", "MathML")

    # No PubDate year ("In press"): the electronic date stands in; VernacularTitle for title.
    assert (ahead_of_print.year, ahead_of_print.published) == (2021, "2021-02-28")
    assert ahead_of_print.title == "Un título en español."
    assert ahead_of_print.title_html == "Un título en <i>español</i>."
    assert ahead_of_print.doi == "10.9999/casos.2"
    # No journal date at all: the Entrez date.
    assert (undated.year, undated.published) == (2018, "2018-01-03")


CONTRACT_KEYS = {"pmid", "doi", "pmcid", "title", "title_html", "abstract", "authors", "journal",
                 "published", "year", "publication_types", "mesh", "keywords", "language",
                 "retracted"}


def test_to_json_has_the_contract_shape(fixtures):
    for paper in iter_records(fixtures / "edge_cases.xml"):
        data = json.loads(json.dumps(paper.to_json()))
        assert set(data) >= CONTRACT_KEYS
        assert isinstance(data["pmid"], str) and isinstance(data["retracted"], bool)
        assert data["year"] is None or isinstance(data["year"], int)
        for section in data["abstract"]:
            assert set(section) == {"label", "text", "html"}
        for author in data["authors"]:
            assert {"last", "fore", "initials", "affiliations"} <= set(author)
        assert {"title", "iso_abbrev", "issn", "volume", "issue", "pages"} <= set(data["journal"])
        for term in data["mesh"]:
            assert {"descriptor", "major", "qualifiers"} <= set(term)
    first = next(iter(iter_records(fixtures / "edge_cases.xml")))
    data = first.to_json()
    assert data["abstract"] == [{"label": None, "text": "An unlabeled abstract with H2O & CO2.",
                                 "html": "An unlabeled abstract with H<sub>2</sub>O &amp; "
                                         "CO<sub>2</sub>."}]
    assert data["authors"][2] == {"last": None, "fore": None, "initials": None,
                                  "affiliations": [], "collective": "EDGE Study Group"}
    assert data["mesh"][0] == {"descriptor": "Depression", "major": True,
                               "qualifiers": ["drug therapy", "physiopathology"],
                               "ui": "D003863"}
