"""Papers and paths for the format tests (imported by conftest, tests and bench/).

Three are transcribed from real PubMed records in ../shared/data/pubmed-xml/efetch-2025-metapub
(abstracts and author lists shortened): non-ASCII names, a structured abstract with ``p<0.0001``
and ``α1``, a collective author beside people, and a 1981 record with nothing but a collective
author, split pages and no abstract or DOI. Three are made up (PMIDs 9000000x) for what the real
ones lack: a key collision, LaTeX special characters, initials-only authors with a suffix, a
retraction, missing volume/pages/DOI, a book.
"""

from __future__ import annotations

from pathlib import Path

from litfeed.models import AbstractSection, Author, Journal, MeshTerm, Paper

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "formats"
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"


def _section(label: str | None, text: str) -> AbstractSection:
    return AbstractSection(label=label, text=text, html=text.replace("<", "&lt;"))


def sample_papers() -> list[Paper]:
    spink = Paper(
        pmid="15764155",
        title="Mutations N34S and P55S of the SPINK1 gene in patients with chronic pancreatitis "
        "or pancreatic cancer and in healthy subjects: a report from Finland.",
        doi="10.1080/00365520510011560",
        abstract=(
            _section("OBJECTIVE", "Mutations in the Kazal type 1 serine protease inhibitor "
                     "(SPINK1) gene have recently been associated with chronic pancreatitis (CP), "
                     "an established risk factor for pancreatic cancer."),
            _section("MATERIAL AND METHODS", "The N34S and P55S mutations were determined by "
                     "PCR amplification followed by solid-phase minisequencing in 116 patients "
                     "with CP and in 188 with pancreatic cancer."),
            _section("RESULTS", "The frequency of the N34S mutation was significantly higher in "
                     "patients with CP (14/116, 12%) than in controls (12/459, 2.6%) "
                     "(p<0.0001)."),
            _section("CONCLUSIONS", "The SPINK1 N34S mutation was significantly associated with "
                     "an increased risk of CP."),
        ),
        authors=(
            Author(last="Lempinen", fore="Marko", initials="M", affiliations=(
                "Fourth Department of Surgery, Helsinki University Central Hospital, FI-00029 "
                "Helsinki, Finland. marko.lempinen@hus.fi",)),
            Author(last="Paju", fore="Annukka", initials="A"),
            Author(last="Kylänpää", fore="Marja-Leena", initials="ML"),
            Author(last="Stenman", fore="Jakob", initials="J"),
            Author(last="Stenman", fore="Ulf-Håkan", initials="UH"),
        ),
        journal=Journal(title="Scandinavian journal of gastroenterology",
                        iso_abbrev="Scand J Gastroenterol", issn="0036-5521", volume="40",
                        issue="2", pages="225-30", nlm_id="0060105",
                        medline_ta="Scand J Gastroenterol"),
        published="2005-02", year=2005,
        publication_types=("Journal Article", "Research Support, Non-U.S. Gov't"),
        mesh=(
            MeshTerm("Carrier Proteins", qualifiers=("genetics",), major_qualifiers=("genetics",)),
            MeshTerm("Finland"),
            MeshTerm("Humans"),
            MeshTerm("Pancreatitis", qualifiers=("genetics",), major_qualifiers=("genetics",)),
        ),
        language="eng", status="MEDLINE",
    )
    urinalysis = Paper(
        pmid="38534005",
        title="The EFLM European Urinalysis Guideline 2023.",
        doi="10.1515/cclm-2024-0070",
        abstract=(
            _section("BACKGROUND", "The EFLM Task and Finish Group Urinalysis has updated the "
                     "ECLM European Urinalysis Guidelines (2000)."),
            _section("CHEMISTRY", "Measurements of both urine albumin and α1-microglobulin are "
                     "recommended for sensitive detection of kidney disease."),
            _section("BACTERIOLOGY", "Chromogenic agar is recommended as primary medium in urine "
                     "cultures."),
        ),
        authors=(
            Author(last="Kouri", fore="Timo T", initials="TT", orcid="0000-0002-3282-232X",
                   affiliations=("Department of Clinical Chemistry, University of Helsinki, "
                                 "Helsinki, Finland.",)),
            Author(last="Schubert", fore="Sören", initials="S"),
            Author(collective="Task and Finish Group for Urinalysis (TFG-U), European "
                   "Federation of Clinical Chemistry and Laboratory Medicine (EFLM)"),
        ),
        journal=Journal(title="Clinical chemistry and laboratory medicine",
                        iso_abbrev="Clin Chem Lab Med", issn="1437-4331", volume="62",
                        issue="9", pages="1653-1786", nlm_id="9806306",
                        medline_ta="Clin Chem Lab Med"),
        published="2024-08-27", year=2024, article_date="2024-06-05",
        publication_types=("Journal Article",),
        mesh=(
            MeshTerm("Humans"),
            MeshTerm("Urinalysis", major=True, qualifiers=("standards", "methods")),
        ),
        keywords=("urinalysis", "practice guideline"),
        language="eng", status="MEDLINE",
    )
    caustic = Paper(
        pmid="6789123",
        title="Community water supply contaminated with caustic soda--Georgia.",
        authors=(Author(collective="Centers for Disease Control (CDC)"),),
        journal=Journal(title="MMWR. Morbidity and mortality weekly report",
                        iso_abbrev="MMWR Morb Mortal Wkly Rep", issn="0149-2195", volume="30",
                        issue="6", pages="67-8, 73", nlm_id="7802429",
                        medline_ta="MMWR Morb Mortal Wkly Rep"),
        published="1981-02-20", year=1981,
        publication_types=("Journal Article",),
        mesh=(
            MeshTerm("Sodium Hydroxide", qualifiers=("poisoning",),
                     major_qualifiers=("poisoning",)),
            MeshTerm("Water Pollution, Chemical", major=True),
        ),
        language="eng", status="MEDLINE",
    )
    collision = Paper(
        pmid="90000001",
        title="Mutations of SPINK1 revisited.",
        authors=(Author(last="Lempinen", fore="Marko", initials="M"),),
        journal=Journal(title="Scandinavian journal of gastroenterology",
                        iso_abbrev="Scand J Gastroenterol", volume="40", issue="9",
                        pages="1001-2"),
        published="2005-09", year=2005,
        abstract=(_section(None, "An unlabeled abstract about SPINK1 in one paragraph."),),
        language="eng",
    )
    specials = Paper(
        pmid="90000002",
        title="[Effect of β-blockers on 10% of A&E visits: #1 cost_driver, {not} ~$5 or "
        "x^2 in C:\\data for children <5 years].",
        authors=(
            Author(last="O'Brien", initials="JP", suffix="Jr"),
            Author(last="van der Berg", fore="Anna", initials="A"),
        ),
        journal=Journal(title="Zeitschrift für Kinderheilkunde", iso_abbrev="Z Kinderheilkd"),
        published="2019", year=2019,
        pmcid="PMC9000002",
        publication_types=("Journal Article", "Retracted Publication"),
        keywords=("β-blockers",),
        language="ger", retracted=True,
    )
    book = Paper(
        pmid="90000003",
        title="Hereditary Hemochromatosis",
        authors=(Author(last="Dupré", fore="Jean", initials="J"),),
        journal=Journal(title="GeneReviews®", publisher="University of Washington, Seattle"),
        published="1993", year=1993, is_book=True,
        abstract=(_section("CLINICAL CHARACTERISTICS", "Iron overload in adults."),),
        language="eng",
    )
    return [spink, urinalysis, caustic, collision, specials, book]



#: Real records for the round trips: non-ASCII names (Finnish, Danish, Spanish, Turkish,
#: German), collective authors, structured abstracts, inline markup, a book, e-page locators,
#: and records missing abstract, DOI or pages.
REAL_PMIDS = (
    "15764155", "38534005", "6789123", "39382274", "7550356", "34843274", "38909159",
    "32935693", "20301546", "36644330", "7518611", "35123456", "29226023", "10440612",
    "36987902", "39166619",
)


def load_real_papers() -> list[Paper] | str:
    """Papers parsed from the shared efetch files, or why they cannot be loaded."""
    try:
        from litfeed.pubmed.parse import iter_records
    except ImportError:
        return "litfeed.pubmed.parse is not on this branch; real-record round trips need it"
    folder = SHARED_DATA / "pubmed-xml" / "efetch-2025-metapub"
    if not folder.is_dir():
        return f"shared PubMed data not found at {folder}"
    out = []
    for pmid in REAL_PMIDS:
        for record in iter_records(folder / f"{pmid}.xml.gz"):
            if isinstance(record, Paper):
                out.append(record)
    return out
