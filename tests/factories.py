"""Papers made by hand for tests that need a store with content (no parser involved).

Importable from any test module as ``from factories import …`` (the root conftest's folder is
on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import replace

from litfeed.config import Settings
from litfeed.models import AbstractSection, Author, Journal, MeshTerm, Paper
from litfeed.store import Store
from litfeed.store import papers as store_papers


def make_paper(pmid: str, *, title: str = "Psychotherapy plus medication for depression",
               title_html: str | None = None, published: str = "2021-03",
               publication_types: tuple[str, ...] = ("Randomized Controlled Trial",),
               retracted: bool = False, abstract_html: str | None = None,
               doi: str | None = None, pmcid: str | None = None, authors: int = 2) -> Paper:
    people = tuple(
        Author(last=f"Author{i}", fore=f"Fore{i}", initials="F",
               affiliations=(f"Department {i % 3}, University Hospital",))
        for i in range(authors))
    return Paper(
        pmid=pmid, title=title, title_html=title_html if title_html is not None else title,
        doi=doi, pmcid=pmcid,
        abstract=(
            AbstractSection(label="BACKGROUND", text="Depression is common.",
                            html="Depression is <i>common</i>."),
            AbstractSection(label="RESULTS", text="Remission improved (p < 0.05).",
                            html=abstract_html or "Remission improved (p &lt; 0.05)."),
        ),
        authors=(Author(last="Ünal", fore="Ayşe", initials="A",
                        affiliations=("Ankara University",)), *people),
        journal=Journal(title="The American Journal of Psychiatry",
                        iso_abbrev="Am J Psychiatry", issn="0002-953X", nlm_id="0370512",
                        volume="173", issue="3", pages="234-45"),
        published=published, year=int(published[:4]), publication_types=publication_types,
        mesh=(MeshTerm("Depressive Disorder", major=True, qualifiers=("therapy",)),
              MeshTerm("Humans")),
        keywords=("psychotherapy",), language="eng", retracted=retracted,
    )


def add_papers(store: Store, papers: list[Paper]) -> None:
    with store.transaction() as conn:
        store_papers.apply_batch(conn, papers)


def fast(settings: Settings, **changes: object) -> Settings:
    """The same settings with cheap password hashing (argon2 at its real cost is ~0.2 s)."""
    return replace(settings, argon2_time_cost=1, argon2_memory_kib=1024, **changes)
