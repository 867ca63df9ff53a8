"""How a Paper is shown: evidence badges, the short author line, identifier links.

Pure functions of a Paper, so the page template stays declarative and the rules are testable.
"""

from __future__ import annotations

from dataclasses import dataclass

from litfeed.models import Author, Paper

AUTHORS_SHOWN = 3

# publication type → (badge text, style); the order is the order badges appear in
BADGES: tuple[tuple[str, str, str], ...] = (
    ("Practice Guideline", "Guideline", "guideline"),
    ("Guideline", "Guideline", "guideline"),
    ("Meta-Analysis", "Meta-analysis", "meta"),
    ("Systematic Review", "Systematic review", "sr"),
    ("Randomized Controlled Trial", "RCT", "rct"),
    ("Clinical Trial", "Clinical trial", "trial"),
    ("Observational Study", "Observational", "plain"),
    ("Case Reports", "Case report", "plain"),
    ("Review", "Review", "review"),
)


@dataclass(frozen=True)
class Badge:
    label: str
    kind: str


@dataclass(frozen=True)
class IdLink:
    label: str
    value: str
    url: str


def badges(paper: Paper) -> list[Badge]:
    """Badges for the study designs a clinician filters on; one per label.

    A systematic review that is also tagged "Review" shows only the stronger badge.
    """
    types = set(paper.publication_types)
    out: list[Badge] = []
    seen: set[str] = set()
    for pub_type, label, kind in BADGES:
        if pub_type in types and label not in seen:
            if label == "Review" and seen & {"Systematic review", "Meta-analysis"}:
                continue
            out.append(Badge(label, kind))
            seen.add(label)
    return out


def author_name(author: Author) -> str:
    return author.display_name or "Anonymous"


def author_line(paper: Paper, shown: int = AUTHORS_SHOWN) -> str:
    """'Ayşe Ünal, Bo Li, Cara Diaz, et al.' — the byline of lists and the page header."""
    names = [author_name(a) for a in paper.authors]
    if len(names) <= shown + 1:
        return ", ".join(names)
    return ", ".join(names[:shown]) + f" + {len(names) - shown} more"


def affiliations(paper: Paper) -> list[str]:
    """Distinct affiliations in first-seen order (numbered on the page)."""
    return list(dict.fromkeys(aff for a in paper.authors for aff in a.affiliations))


def identifier_links(paper: Paper) -> list[IdLink]:
    links = [IdLink("PMID", paper.pmid, f"https://pubmed.ncbi.nlm.nih.gov/{paper.pmid}/")]
    if paper.doi:
        links.append(IdLink("DOI", paper.doi, f"https://doi.org/{paper.doi}"))
    if paper.pmcid:
        links.append(IdLink("PMCID", paper.pmcid,
                            f"https://pmc.ncbi.nlm.nih.gov/articles/{paper.pmcid}/"))
    return links


def journal_name(paper: Paper) -> str:
    return paper.journal.iso_abbrev or paper.journal.title or paper.journal.medline_ta or ""


def citation_tail(paper: Paper) -> str:
    """'12(3):45-67' — volume, issue and pages as a citation prints them."""
    j = paper.journal
    out = j.volume or ""
    if j.issue:
        out += f"({j.issue})"
    if j.pages:
        out += f":{j.pages}" if out else j.pages
    return out
