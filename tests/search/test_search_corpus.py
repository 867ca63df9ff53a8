"""The index on a real PubMed update file (pubmed21n1298: 20,788 records, versioned duplicates,
a DeleteCitation of 20 PMIDs): every hit really satisfies the query."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from litfeed.models import Deletion, Paper
from litfeed.search.index import SearchFilters, SearchIndex
from litfeed.search.schema import pubdate

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "pubmed-xml"
UPDATE_FILE = DATA / "pubmed21n1298.xml.gz"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not UPDATE_FILE.exists(), reason=f"shared data not found at {UPDATE_FILE}"),
]


class Corpus:
    def __init__(self, index: SearchIndex, papers: dict[str, Paper], deleted: list[str]):
        self.index = index
        self.papers = papers
        self.deleted = deleted

    def hits(self, query: str, **kw: object) -> list[Paper]:
        result = self.index.search(query, limit=10_000, snippets=False, **kw)  # type: ignore[arg-type]
        assert result.total == len(result.hits) < 10_000
        return [self.papers[h.pmid] for h in result.hits]

    def total(self, query: str) -> int:
        return self.index.search(query, limit=0).total


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Corpus:
    from litfeed.pubmed import parse

    papers: dict[str, Paper] = {}
    deleted: list[str] = []
    index = SearchIndex(tmp_path_factory.mktemp("corpus") / "search")
    batch: list[Paper] = []
    for record in parse.iter_records(UPDATE_FILE):
        if isinstance(record, Paper):
            batch.append(record)
            papers[record.pmid] = record  # a later version replaces an earlier one
        elif isinstance(record, Deletion):
            deleted.append(record.pmid)
    index.add_or_replace(batch)
    index.delete(deleted)
    index.commit()
    for pmid in deleted:
        papers.pop(pmid, None)
    return Corpus(index, papers, deleted)


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def test_the_index_holds_each_surviving_pmid_once(corpus: Corpus) -> None:
    assert len(corpus.deleted) == 20
    assert corpus.index.pmids() == set(corpus.papers)
    assert corpus.index.count() == len(corpus.papers)
    assert not any(corpus.index.contains(p) for p in corpus.deleted)


def test_title_word_and_year(corpus: Corpus) -> None:
    hits = corpus.hits("depression[ti] AND 2021[dp]")
    assert len(hits) > 20
    for paper in hits:
        # stems: "depression", "depressive", "depressed" all index as "depress"
        assert re.search(r"\bdepress", paper.title, re.I), paper.title
        assert pubdate(paper) // 10000 == 2021


def test_phrase_hits_contain_the_phrase(corpus: Corpus) -> None:
    hits = corpus.hits('"heart failure"')
    assert len(hits) > 20
    for paper in hits:
        text = fold(f"{paper.title} {paper.abstract_text} {' '.join(paper.keywords)} "
                    + " ".join(m.descriptor for m in paper.mesh))
        assert re.search(r"heart\W+failure", text), paper.pmid


def test_boolean_algebra_holds_on_totals(corpus: Corpus) -> None:
    a, b = "covid-19", "vaccine"
    both = corpus.total(f"{a} AND {b}")
    assert 0 < both < corpus.total(a)
    assert corpus.total(f"{a} NOT {b}") == corpus.total(a) - both
    assert corpus.total(f"{a} OR {b}") == corpus.total(a) + corpus.total(b) - both
    assert corpus.total(f"NOT {a}") == len(corpus.papers) - corpus.total(a)


def test_value_fields_match_whole_values(corpus: Corpus) -> None:
    for paper in corpus.hits("humans[mh] AND female[mh] AND aged[mh]"):
        assert {"Humans", "Female", "Aged"} <= {m.descriptor for m in paper.mesh}
    reviews = corpus.hits("systematic review[pt]")
    assert reviews and all("Systematic Review" in p.publication_types for p in reviews)
    for paper in corpus.hits("wang[au] AND 2021[dp]"):
        assert any(fold(a.last or "") == "wang" for a in paper.authors), paper.pmid


def test_filters_and_date_sort(corpus: Corpus) -> None:
    filters = SearchFilters(has_abstract=True, free_full_text=True, year_from=2020)
    hits = corpus.hits("covid-19", filters=filters)
    assert hits
    assert all(p.has_abstract and p.pmcid and pubdate(p) >= 20200000 for p in hits)
    dated = corpus.hits("covid-19", sort="date")
    dates = [pubdate(p) for p in dated]
    assert dates == sorted(dates, reverse=True)
