"""The Tantivy index on hand-built papers: what a user gets back for each kind of query."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litfeed.errors import InvalidInput, QuerySyntaxError, StorageError
from litfeed.models import AbstractSection, Author, Journal, MeshTerm, Paper
from litfeed.search.index import SearchFilters, SearchIndex
from litfeed.search.query import parse_query
from litfeed.search.schema import SCHEMA_VERSION


def paper(pmid: str, title: str, abstract: str = "", **kw: object) -> Paper:
    sections = (AbstractSection(None, abstract, abstract),) if abstract else ()
    return Paper(pmid=pmid, title=title, abstract=sections, **kw)  # type: ignore[arg-type]


PAPERS = [
    paper("1", "Ketamine for treatment-resistant depression",
          "A randomized trial of ketamine in adults with major depression.",
          published="2021-03-15", year=2021, pmcid="PMC111",
          authors=(Author(last="Smith", fore="John A", initials="JA"),),
          journal=Journal(title="The New England journal of medicine",
                          iso_abbrev="N. Engl. J. Med.", medline_ta="N Engl J Med"),
          mesh=(MeshTerm("Depressive Disorder, Treatment-Resistant", True, ("drug therapy",)),
                MeshTerm("Ketamine", False, ("therapeutic use",))),
          publication_types=("Randomized Controlled Trial", "Journal Article"),
          language="eng", keywords=("esketamine",)),
    paper("2", "Exercise and mood in older adults",
          "Walking reduced symptoms of depression. Heart attack risk was unchanged.",
          published="2019-06", year=2019,
          authors=(Author(last="Smithson", fore="Kate", initials="K"),
                   Author(last="Müller", fore="Anna", initials="A")),
          journal=Journal(title="Lancet (London, England)", medline_ta="Lancet"),
          mesh=(MeshTerm("Depression", False, ("prevention & control",)),),
          publication_types=("Review",), language="ger", retracted=True),
    paper("3", "Neurogenesis in the adult hippocampus", "",
          published="2015", year=2015,
          authors=(Author(collective="ENIGMA Consortium"),),
          publication_types=("Journal Article",), doi="10.1000/ABC.123"),
    paper("4", "Attack of the heart: a case report",
          "The heart was normal. An attack of panic followed; neurogenic causes excluded.",
          published="2020-01-02", year=2020, publication_types=("Case Reports",)),
    paper("5", "Studies of depression treatment",
          "<script>alert('x')</script> depression <b>bold</b> & more",
          published="2021", year=2021),
]


@pytest.fixture
def index(tmp_path: Path) -> SearchIndex:
    ix = SearchIndex(tmp_path / "search")
    ix.add_or_replace(PAPERS)
    ix.commit()
    return ix


def pmids(ix: SearchIndex, query: str, **kw: object) -> list[str]:
    return [h.pmid for h in ix.search(query, limit=100, **kw).hits]  # type: ignore[arg-type]


def found(ix: SearchIndex, query: str, **kw: object) -> set[str]:
    return set(pmids(ix, query, **kw))


def test_untagged_words_search_title_abstract_and_subjects(index: SearchIndex) -> None:
    assert found(index, "depression") == {"1", "2", "5"}
    assert found(index, "esketamine") == {"1"}  # an author keyword
    assert found(index, "hippocampus") == {"3"}
    # no stemming, as in PubMed: a word matches itself; truncation widens it on purpose
    assert found(index, "treatments") == set()
    assert found(index, "treatment") == {"1", "5"}
    assert found(index, "treat*") == {"1", "5"}


def test_implicit_and_and_boolean_operators(index: SearchIndex) -> None:
    assert found(index, "depression ketamine") == {"1"}
    assert found(index, "ketamine OR neurogenesis") == {"1", "3"}
    assert found(index, "depression NOT ketamine") == {"2", "5"}
    assert found(index, "NOT depression") == {"3", "4"}
    assert found(index, "depression AND NOT (ketamine OR exercise)") == {"5"}
    # left to right: (ketamine OR neurogenesis) AND adult
    assert found(index, "ketamine OR neurogenesis AND hippocampus") == {"3"}


def test_fielded_words(index: SearchIndex) -> None:
    assert found(index, "depression[ti]") == {"1", "5"}
    assert found(index, "depression[ab]") == {"1", "2", "5"}
    assert found(index, "walking[tiab]") == {"2"}
    assert found(index, "esketamine[tiab]") == set()


def test_phrases_need_adjacent_words_in_order(index: SearchIndex) -> None:
    assert found(index, '"heart attack"') == {"2"}
    assert found(index, "heart attack") == {"2", "4"}
    assert found(index, '"attack heart"') == set()
    assert found(index, '"major depression"[ab]') == {"1"}
    assert found(index, '"treatment-resistant depression"[ti]') == {"1"}


def test_truncation(index: SearchIndex) -> None:
    assert found(index, "neurogen*") == {"3", "4"}
    assert found(index, "neurogen*[ti]") == {"3"}
    assert found(index, "studies*") == {"5"}  # index terms are stems; "studies" still matches
    assert found(index, '"heart att*"') == {"2"}


def test_authors_pubmed_style(index: SearchIndex) -> None:
    assert found(index, "smith[au]") == {"1"}  # not Smithson
    assert found(index, "smith j[au]") == {"1"}  # Smith JA
    assert found(index, "smith john a[au]") == {"1"}
    assert found(index, '"smith j"[au]') == set()  # quoted: exactly "Smith J"
    assert found(index, '"smith ja"[au]') == {"1"}
    assert found(index, "smith*[au]") == {"1", "2"}
    assert found(index, "muller a[au]") == {"2"}  # accents folded both ways
    assert found(index, "müller[au]") == {"2"}
    assert found(index, "enigma consortium[au]") == {"3"}


def test_journal_mesh_and_publication_type(index: SearchIndex) -> None:
    assert found(index, "n engl j med[ta]") == {"1"}
    assert found(index, "N. Engl. J. Med.[ta]") == {"1"}
    assert found(index, "new england journal of medicine[ta]") == set()  # needs "the"
    assert found(index, "lancet[journal]") == {"2"}
    assert found(index, "ketamine[mh]") == {"1"}
    assert found(index, "ketamine[majr]") == set()  # not a major topic there
    assert found(index, "Depressive Disorder, Treatment-Resistant[majr]") == {"1"}
    assert found(index, "depression/prevention & control[mh]") == {"2"}
    assert found(index, "depression[mh]") == {"2"}  # the heading, not words in headings
    assert found(index, "randomized controlled trial[pt]") == {"1"}
    assert found(index, "journal article[pt] NOT randomized controlled trial[pt]") == {"3"}
    assert found(index, "german[la]") == {"2"}
    assert found(index, "ger[la]") == {"2"}


def test_identifiers(index: SearchIndex) -> None:
    assert found(index, "3[pmid]") == {"3"}
    assert found(index, "1 4[pmid]") == {"1", "4"}
    assert found(index, "abc[pmid]") == set()
    assert found(index, "10.1000/abc.123[doi]") == {"3"}
    assert found(index, '"https://doi.org/10.1000/ABC.123"[doi]') == {"3"}


def test_publication_dates(index: SearchIndex) -> None:
    assert found(index, "2021[dp]") == {"1", "5"}
    assert found(index, "2021/03[dp]") == {"1"}
    assert found(index, "2021/03/15[dp]") == {"1"}
    assert found(index, "2021/04[dp]") == set()
    assert found(index, "2019:2020[dp]") == {"2", "4"}
    assert found(index, "2019/07:2020/01[dp]") == {"4"}
    assert found(index, "depression AND 2015:2020[dp]") == {"2"}


def test_stopwords_alone_are_ignored_not_required(index: SearchIndex) -> None:
    assert found(index, "the hippocampus") == {"3"}
    assert index.search("the of").total == 0


def test_title_outranks_abstract(index: SearchIndex) -> None:
    # "exercise" is only in paper 2's title, "walking" only in its abstract; add rivals
    index.add_or_replace([
        paper("10", "Walking speed", "Exercise was not measured here."),
        paper("11", "Gait", "Walking and exercise programmes for exercise capacity."),
    ])
    index.commit()
    assert pmids(index, "walking")[0] == "10"
    ranked = pmids(index, "exercise")
    assert ranked.index("2") < ranked.index("10")


def test_weighted_search_rescores_only_the_given_candidates(index: SearchIndex) -> None:
    weights = {"depression": 1.0, "ketamine": 2.0, "heart": 0.5}
    every = dict(index.weighted_search(weights, limit=10))
    assert set(every) == {"1", "2", "4", "5"} and max(every, key=every.__getitem__) == "1"
    among = dict(index.weighted_search(weights, limit=10, among=["2", "4", "3"], exclude="4"))
    assert set(among) == {"2"}  # 3 shares no word, 4 is excluded, 1 and 5 are not candidates
    assert among["2"] == pytest.approx(every["2"])  # restricting never changes a score
    assert index.weighted_search(weights, limit=10, among=[]) == []
    assert index.weighted_search({"depression": 0.0}, limit=10) == []


def test_weighted_search_title_boost_weighs_titles(index: SearchIndex) -> None:
    # "heart" is in paper 4's title and abstract, in paper 2's abstract only
    plain = dict(index.weighted_search({"heart": 1.0}, limit=10))
    boosted = dict(index.weighted_search({"heart": 1.0}, limit=10, title_boost=3.0))
    assert boosted["2"] == pytest.approx(plain["2"])
    assert boosted["4"] > plain["4"]


def test_idf_and_similar(index: SearchIndex) -> None:
    idf = index.idf(["depression", "hippocampus", "absentword"])
    assert set(idf) == {"depression", "hippocampus"}
    assert idf["hippocampus"] > idf["depression"]  # rarer, more telling
    index.add_or_replace([paper("12", "Hippocampus volume", "Hippocampus and depression")])
    index.commit()
    assert index.idf(["hippocampus"])["hippocampus"] < idf["hippocampus"]  # not a stale cache
    similar = [p for p, _ in index.similar("Ketamine trial for major depression", limit=10,
                                           exclude="1")]
    assert "1" not in similar and similar[0] in {"2", "5"}


def test_sort_by_date_newest_first(index: SearchIndex) -> None:
    # 2021-03-15, 2021 (year only), 2020-01-02, 2019-06
    assert pmids(index, "depression OR heart", sort="date") == ["1", "5", "4", "2"]
    dated = index.search("depression", sort="date")
    assert dated.hits[-1].pmid == "2"
    assert all(h.score == 0.0 for h in dated.hits)


def test_filters_restrict_without_changing_scores(index: SearchIndex) -> None:
    plain = {h.pmid: h.score for h in index.search("depression").hits}
    assert found(index, "depression", filters=SearchFilters(hide_retracted=True)) == {"1", "5"}
    assert found(index, "depression", filters=SearchFilters(free_full_text=True)) == {"1"}
    assert found(index, "depression", filters=SearchFilters(year_from=2020)) == {"1", "5"}
    assert found(index, "depression", filters=SearchFilters(year_to=2019)) == {"2"}
    assert found(index, "heart", filters=SearchFilters(has_abstract=True)) == {"2", "4"}
    types = SearchFilters(publication_types=("Review", "randomized controlled trial"))
    filtered = index.search("depression", filters=types)
    assert {h.pmid for h in filtered.hits} == {"1", "2"}
    assert {h.pmid: h.score for h in filtered.hits} == {k: plain[k] for k in ("1", "2")}
    assert found(index, "depression", filters=SearchFilters(languages=("English",))) == {"1"}


def test_total_and_pagination(index: SearchIndex) -> None:
    everything = index.search("depression OR heart OR neurogenesis", limit=2)
    assert everything.total == 5 and len(everything.hits) == 2
    pages = [
        h.pmid
        for off in range(0, 6, 2)
        for h in index.search("depression OR heart OR neurogenesis", offset=off, limit=2).hits
    ]
    assert sorted(pages) == ["1", "2", "3", "4", "5"]
    assert index.search(None).total == 5
    counted = index.search("depression", limit=0)  # the total alone
    assert counted.total == 3 and counted.hits == ()
    with pytest.raises(InvalidInput):
        index.search("x", offset=9_999, limit=20)
    with pytest.raises(InvalidInput):
        index.search("x", sort="title")  # type: ignore[arg-type]


def test_snippets_are_safe_html_with_matches_in_bold(index: SearchIndex) -> None:
    hit = index.search("depression", limit=10).hits
    snippet = {h.pmid: h.snippet_html for h in hit}["5"]
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet
    assert "<b>depression</b>" in snippet
    assert "<b>bold</b>" not in snippet  # the record's own markup is text here
    assert "&amp;" in snippet
    # title-only matches show the abstract's opening; no abstract, no snippet
    assert index.search("exercise[ti]").hits[0].snippet_html.startswith("Walking reduced")
    assert index.search("hippocampus").hits[0].snippet_html == ""


def test_syntax_errors_surface_from_search(index: SearchIndex) -> None:
    with pytest.raises(QuerySyntaxError):
        index.search("depression AND")


def test_query_syntax_is_never_interpreted_by_tantivy(index: SearchIndex) -> None:
    # characters meaningful to Tantivy's own query parser or to regexes are just text here
    for query in ["title:depression", "depression^10", "dep~2", "a.*[au]", "(.*)[mh]",
                  "*.*[pt]", 'x" OR "y', "+depression -ketamine", "ketamine)[ti"]:
        try:
            result = index.search(query)
        except QuerySyntaxError:
            continue
        assert result.total <= 1, query
    assert found(index, "smi.h[au]") == set()  # "." is a dot, not any character
    assert found(index, "smit?[au]") == set()
    assert found(index, "smith|smithson[au]") == set()


def test_changes_are_visible_right_after_commit(index: SearchIndex, tmp_path: Path) -> None:
    index.add_or_replace([paper("1", "Ketamine retitled", "nothing about mood")])
    index.delete(["2", "999"])
    assert found(index, "depression") == {"1", "2", "5"}  # not yet committed
    index.commit()
    assert found(index, "depression") == {"5"}
    assert found(index, "retitled") == {"1"}
    assert index.count() == 4
    assert index.pmids() == {"1", "3", "4", "5"}
    assert index.contains("1") and not index.contains("2")
    # another handle on the same directory (another process) sees it too, and later commits
    other = SearchIndex(tmp_path / "search")
    assert other.pmids() == {"1", "3", "4", "5"}
    index.add_or_replace([paper("6", "Brand new depression paper")])
    index.commit()
    assert "6" in found(other, "depression")
    index.close()


def test_a_pmid_repeated_in_one_batch_keeps_the_last(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "s")
    ix.add_or_replace([paper("7", "first version"), paper("7", "second version")])
    ix.commit()
    assert ix.count() == 1
    assert found(ix, "second") == {"7"} and found(ix, "first") == set()


def test_non_numeric_pmid_is_refused(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "s")
    with pytest.raises(InvalidInput, match="PMID"):
        ix.add_or_replace([paper("PMC123", "x")])


def test_clear_and_checkpoint(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "s")
    assert ix.checkpoint() is None
    ix.add_or_replace(PAPERS)
    ix.commit(checkpoint="seq:5")
    assert SearchIndex(tmp_path / "s").checkpoint() == "seq:5"
    ix.clear()
    assert ix.count() == 0 and ix.checkpoint() is None


def test_a_second_writer_is_told_to_wait(tmp_path: Path) -> None:
    first = SearchIndex(tmp_path / "s")
    first.add_or_replace(PAPERS[:1])
    second = SearchIndex(tmp_path / "s")
    with pytest.raises(StorageError, match="another process"):
        second.add_or_replace(PAPERS[1:2])
    first.commit()
    first.close()
    second.add_or_replace(PAPERS[1:2])
    second.commit()
    assert second.count() == 2


def test_an_index_of_another_schema_version_is_rebuilt_empty(tmp_path: Path) -> None:
    ix = SearchIndex(tmp_path / "s")
    ix.add_or_replace(PAPERS)
    ix.commit(checkpoint="c1")
    ix.close()
    (tmp_path / "s" / "litfeed-search.json").write_text('{"schema": 0, "checkpoint": "c1"}')
    (tmp_path / "s" / "notes.txt").write_text("not the index's")
    again = SearchIndex(tmp_path / "s")
    assert again.count() == 0 and again.checkpoint() is None
    assert (tmp_path / "s" / "notes.txt").read_text() == "not the index's"
    again.add_or_replace(PAPERS[:2])
    again.commit()
    assert again.count() == 2


def test_an_index_with_other_fields_is_rebuilt_even_without_a_version_bump(
    tmp_path: Path,
) -> None:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("something_else", stored=True)
    foreign = tantivy.Index(builder.build(), path=str(tmp_path))
    writer = foreign.writer()
    writer.add_document(tantivy.Document(something_else="x"))
    writer.commit()
    writer.wait_merging_threads()
    meta = {"schema": SCHEMA_VERSION, "checkpoint": "old"}  # claims to be current
    (tmp_path / "litfeed-search.json").write_text(json.dumps(meta))
    ix = SearchIndex(tmp_path)
    assert ix.count() == 0 and ix.checkpoint() is None


CRASH = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    from litfeed.models import Paper
    from litfeed.search.index import SearchIndex
    ix = SearchIndex(Path(sys.argv[1]))
    ix.add_or_replace(Paper(pmid=str(i), title=f"committed {i}") for i in range(1, 101))
    ix.commit(checkpoint="batch-1")
    ix.add_or_replace(Paper(pmid=str(i), title=f"lost {i}") for i in range(50, 301))
    ix.delete(["1"])
    os._exit(9)  # die mid-indexing: no commit, no close, the writer lock still held
    """
)


def test_a_crash_mid_indexing_leaves_the_last_commit(tmp_path: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    proc = subprocess.run(
        [sys.executable, "-c", CRASH, str(tmp_path / "s")],
        env={"PYTHONPATH": str(src)}, capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 9, proc.stderr
    ix = SearchIndex(tmp_path / "s")
    assert ix.count() == 100 and ix.contains("1")
    assert ix.checkpoint() == "batch-1"
    assert ix.search("lost").total == 0
    # the lock died with the process: recovery re-indexes what came after the checkpoint
    ix.add_or_replace(Paper(pmid=str(i), title=f"lost {i}") for i in range(50, 301))
    ix.delete(["1"])
    ix.commit(checkpoint="batch-2")
    assert ix.count() == 299 and ix.search("lost").total == 251
    assert ix.checkpoint() == "batch-2"


def test_a_parsed_query_can_be_passed_directly(index: SearchIndex) -> None:
    node = parse_query("depression[ti]")
    assert found(index, node) == {"1", "5"}  # type: ignore[arg-type]
    assert index.search(node).query == "depression[ti]"


_PIECES = st.sampled_from(
    [*'ab019 *:/-"()', "AND ", "OR ", "NOT ", "[ti]", "[au]", "[dp]", "[pt]", "[mh]",
     "[pmid]", "[doi]", "[la]", "heart", "smith", "2021", "depress", ".*", "\\", "é"]
)


@pytest.fixture(scope="module")
def shared_index(tmp_path_factory: pytest.TempPathFactory) -> SearchIndex:
    ix = SearchIndex(tmp_path_factory.mktemp("fuzz") / "s")
    ix.add_or_replace(PAPERS)
    ix.commit()
    return ix


@settings(max_examples=300, deadline=None)
@given(
    text=st.lists(_PIECES, max_size=25).map("".join),
    sort=st.sampled_from(["relevance", "date"]),
    offset=st.integers(0, 3),
    limit=st.integers(0, 4),
)
def test_any_query_runs_or_is_a_syntax_error(
    shared_index: SearchIndex, text: str, sort: str, offset: int, limit: int
) -> None:
    try:
        result = shared_index.search(text, sort=sort, offset=offset, limit=limit)  # type: ignore[arg-type]
    except QuerySyntaxError:
        return
    assert 0 <= result.total <= len(PAPERS)
    assert len(result.hits) == max(0, min(limit, result.total - offset))


def test_arrival_time_filter_and_sort(tmp_path: Path) -> None:
    """Saved-search alerts ask for matches that arrived in the store within a window."""
    from datetime import UTC, datetime, timedelta

    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    ix = SearchIndex(tmp_path / "search")
    ix.add_or_replace(PAPERS[:3], {"1": monday - timedelta(days=3),
                                   "2": monday + timedelta(microseconds=1),
                                   "3": monday + timedelta(days=2)})
    ix.commit()

    def found(**window: datetime) -> list[str]:
        result = ix.search(None, sort="added", filters=SearchFilters(**window))  # type: ignore[arg-type]
        return [h.pmid for h in result.hits]

    assert found() == ["3", "2", "1"]  # newest arrival first
    assert found(added_after=monday) == ["3", "2"]  # strictly after, to the microsecond
    assert found(added_after=monday, added_until=monday + timedelta(days=1)) == ["2"]
    assert found(added_until=monday - timedelta(days=3)) == ["1"]  # inclusive
    ix.close()


def test_similar_asks_for_the_most_distinctive_words_only(index: SearchIndex) -> None:
    text = "Ketamine trial, major depression"
    assert next(p for p, _ in index.similar(text, limit=5)) == "1"
    assert "1" not in {p for p, _ in index.similar(text, limit=5, exclude="1")}
    # "depression" is in three of the five abstracts: left out, only ketamine's paper matches
    broad = {p for p, _ in index.similar(text, limit=5)}
    narrow = {p for p, _ in index.similar(text, limit=5, max_df=0.5)}
    assert {"2", "5"} <= broad and narrow == {"1"}
    # one word only: the most distinctive (ketamine: one paper; depression: three)
    assert {p for p, _ in index.similar("depression depression ketamine", limit=5,
                                        max_terms=1)} == {"1"}
