"""Matching imported entries: PMID, then DOI, then normalised title + year."""

from __future__ import annotations

import pytest

from litfeed.formats import ImportedEntry, match_entries, normalise_title


@pytest.mark.parametrize(("title", "expected"), [
    ("Depression in COVID-19: a trial.", "depression in covid 19 a trial"),
    ("[Depression in <i>vivo</i>: a {COVID}-19 study].", "depression in vivo a covid 19 study"),
    ("Ünal's   cohort &amp; the Kylänpää data", "unal s cohort the kylanpaa data"),
    ("Caustic soda—Georgia", "caustic soda georgia"),
    ("Caustic soda--Georgia.", "caustic soda georgia"),
    ("Effect of \\textit{E. coli}", "effect of e coli"),
    ("β-blockers", "β blockers"),
    ("", ""),
])
def test_normalise_title(title: str, expected: str) -> None:
    assert normalise_title(title) == expected


def entry(**fields: object) -> ImportedEntry:
    base: dict[str, object] = {"pmid": None, "doi": None, "title": None, "year": None,
                               "source_line": 1}
    base.update(fields)
    return ImportedEntry(**base)  # type: ignore[arg-type]


class Calls:
    """Lookups over a two-paper store that record what they were asked."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, object]] = []

    def by_pmid(self, pmid: str) -> str | None:
        self.asked.append(("pmid", pmid))
        return pmid if pmid in {"111", "222"} else None

    def by_doi(self, doi: str) -> str | None:
        self.asked.append(("doi", doi))
        return {"10.1/a": "111", "10.1/b": "222"}.get(doi.lower())

    def by_title_year(self, title: str, year: int) -> str | None:
        self.asked.append(("title", (title, year)))
        return "222" if (title, year) == ("depression in covid 19", 2021) else None

    def run(self, *entries: ImportedEntry) -> list[str | None]:
        result = match_entries(entries, by_pmid=self.by_pmid, by_doi=self.by_doi,
                               by_title_year=self.by_title_year)
        found = {id(e): pmid for e, pmid in result.matched}
        assert all(id(e) not in found for e in result.unmatched)
        return [found.get(id(e)) for e in entries]


def test_pmid_wins_and_later_lookups_are_not_made() -> None:
    calls = Calls()
    assert calls.run(entry(pmid="111", doi="10.1/b", title="Depression in COVID-19",
                           year=2021)) == ["111"]
    assert calls.asked == [("pmid", "111")]


def test_doi_when_the_pmid_is_not_stored() -> None:
    calls = Calls()
    assert calls.run(entry(pmid="999", doi="10.1/B")) == ["222"]
    assert calls.asked == [("pmid", "999"), ("doi", "10.1/B")]


def test_title_and_year_last_with_a_year_either_side() -> None:
    calls = Calls()
    assert calls.run(entry(title="Depression in COVID-19.", year=2022)) == ["222"]
    assert calls.asked == [("title", ("depression in covid 19", 2022)),
                           ("title", ("depression in covid 19", 2021))]


def test_no_title_match_without_a_year() -> None:
    calls = Calls()
    assert calls.run(entry(title="Depression in COVID-19")) == [None]
    assert calls.asked == []


def test_unmatched_keep_file_order_and_pmids_are_unique() -> None:
    calls = Calls()
    a, b, c, d = (entry(pmid="111", source_line=1), entry(pmid="5", source_line=2),
                  entry(doi="10.1/a", source_line=3), entry(doi="10.9/x", source_line=4))
    result = match_entries([a, b, c, d], by_pmid=calls.by_pmid, by_doi=calls.by_doi,
                           by_title_year=calls.by_title_year)
    assert [e.source_line for e in result.unmatched] == [2, 4]
    assert result.pmids == ["111"]
    assert [e.describe() for e in result.unmatched] == ["line 2: PMID 5", "line 4: doi:10.9/x"]
