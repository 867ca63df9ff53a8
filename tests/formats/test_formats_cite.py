"""Formatted citations through citeproc-py and the packaged CSL styles."""

from __future__ import annotations

import pytest

from litfeed.errors import InvalidInput
from litfeed.formats.cite import format_citation, format_citations
from litfeed.models import Paper


def test_one_citation_per_paper_in_the_given_order(papers: list[Paper]) -> None:
    # APA would sort Centers before Lempinen; a Cite box keeps the order it was asked for
    out = format_citations([papers[2], papers[0]], "apa")
    assert out[0].startswith("Centers for Disease Control (CDC). (1981).")
    assert out[1].startswith("Lempinen, M., Paju, A.")


@pytest.mark.parametrize("style", ["ama", "vancouver"])
def test_numeric_styles_drop_the_reference_number(papers: list[Paper], style: str) -> None:
    assert format_citation(papers[0], style).startswith("Lempinen M, Paju A")  # type: ignore[arg-type]


def test_vancouver_dates_keep_their_spaces(papers: list[Paper]) -> None:
    assert "Clin Chem Lab Med. 2024 Aug 27;62(9):1653–786." in format_citation(
        papers[1], "vancouver")


def test_html_escapes_the_record_and_marks_up_the_style(papers: list[Paper]) -> None:
    html = format_citation(papers[4], "ama", "html")
    assert "A&amp;E" in html and "&lt;5 years" in html and "<i>Z Kinderheilkd</i>" in html
    text = format_citation(papers[4], "ama", "text")
    assert "A&E" in text and "<5 years" in text and "<i>" not in text


def test_unknown_style_or_format() -> None:
    paper = Paper(pmid="1", title="t")
    with pytest.raises(InvalidInput, match="expected one of: ama, vancouver, apa"):
        format_citation(paper, "harvard")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="'text' or 'html'"):
        format_citation(paper, "ama", "rtf")  # type: ignore[arg-type]
