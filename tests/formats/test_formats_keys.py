"""Citation keys: readable, unique within a file, the same for the same paper."""

from __future__ import annotations

import dataclasses

import pytest

from litfeed.formats.keys import base_key, cite_keys
from litfeed.models import Author, Paper


def paper(pmid: str, last: str | None = "Smith", year: int | None = 2021,
          title: str = "Depression in adults", collective: str | None = None) -> Paper:
    authors: tuple[Author, ...] = ()
    if collective:
        authors = (Author(collective=collective),)
    elif last:
        authors = (Author(last=last, fore="Jo"),)
    return Paper(pmid=pmid, title=title, authors=authors, year=year,
                 published=str(year) if year else None)


@pytest.mark.parametrize(("kwargs", "key"), [
    ({}, "smith2021depression"),
    ({"last": "Kylänpää"}, "kylanpaa2021depression"),
    ({"last": "Løvig"}, "lovig2021depression"),
    ({"last": "O'Brien-Smith"}, "obriensmith2021depression"),
    ({"last": "van der Berg"}, "vanderberg2021depression"),
    ({"title": "The effect of a β-blocker"}, "smith2021effect"),
    ({"title": "[Is it a COVID-19 problem?]"}, "smith2021covid"),
    ({"collective": "Centers for Disease Control (CDC)"}, "centers2021depression"),
    ({"last": None}, "anon2021depression"),
    ({"year": None}, "smithnddepression"),
    ({"title": "Иммунитет"}, "smith2021"),
])
def test_base_key(kwargs: dict[str, object], key: str) -> None:
    assert base_key(paper("1", **kwargs)) == key  # type: ignore[arg-type]


def test_collisions_get_letters_in_pmid_order_whatever_the_input_order() -> None:
    papers = [paper("300"), paper("20"), paper("1000"), paper("5", title="Other")]
    expected = {"20": "smith2021depression", "300": "smith2021depressionb",
                "1000": "smith2021depressionc", "5": "smith2021other"}
    assert cite_keys(papers) == expected
    assert cite_keys(list(reversed(papers))) == expected


def test_a_later_paper_does_not_change_earlier_keys() -> None:
    before = cite_keys([paper("20"), paper("300")])
    after = cite_keys([paper("20"), paper("300"), paper("99999")])
    assert {k: after[k] for k in before} == before
    assert after["99999"] == "smith2021depressionc"


def test_keys_are_unique_even_when_a_suffix_meets_a_base_key() -> None:
    papers = [paper("1"), paper("2"), dataclasses.replace(paper("3"), title="Depressionb")]
    keys = cite_keys(papers)
    assert len(set(keys.values())) == 3
