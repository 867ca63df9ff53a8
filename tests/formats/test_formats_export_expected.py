"""Each exporter's output for the sample papers, compared with a reviewed expected file.

Regenerate after a deliberate change with ``LITFEED_UPDATE_EXPECTED=1 pytest tests/formats``
and review the diff: the expected files are the specification a user sees.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from formats_support import FIXTURES

from litfeed.formats import EXPORTERS
from litfeed.formats.cite import STYLES, format_citations
from litfeed.models import Paper

EXPECTED = {
    "bibtex": "expected.bib",
    "ris": "expected.ris",
    "csljson": "expected.json",
    "nbib": "expected.nbib",
    "csv": "expected.csv",
}


def check_expected(name: str, text: str) -> None:
    path = FIXTURES / name
    if os.environ.get("LITFEED_UPDATE_EXPECTED"):
        path.write_bytes(text.encode("utf-8"))
    # bytes, not read_text: universal newlines would hide a CRLF/LF difference
    assert text == path.read_bytes().decode("utf-8")


@pytest.mark.parametrize("fmt", sorted(EXPECTED))
def test_export_matches_expected_file(fmt: str, papers: list[Paper]) -> None:
    check_expected(EXPECTED[fmt], EXPORTERS[fmt].export(papers))


def test_every_exporter_has_an_expected_file() -> None:
    assert set(EXPECTED) == set(EXPORTERS)


def test_citations_match_expected_file(papers: list[Paper]) -> None:
    rendered = {
        f"{style}/{fmt}": format_citations(papers, style, fmt)
        for style in STYLES
        for fmt in ("text", "html")
    }
    check_expected("expected-citations.json",
                   json.dumps(rendered, ensure_ascii=False, indent=2) + "\n")


def test_exports_are_independent_of_input_order(papers: list[Paper]) -> None:
    # keys and content depend on the set of papers, so reordering only reorders entries
    forward = EXPORTERS["bibtex"].export(papers)
    backward = EXPORTERS["bibtex"].export(list(reversed(papers)))
    assert forward != backward
    assert sorted(forward.strip().split("\n\n")) == sorted(backward.strip().split("\n\n"))


def test_a_paper_listed_twice_is_exported_once(papers: list[Paper]) -> None:
    for exporter in EXPORTERS.values():
        once = exporter.export(papers[:1])
        assert exporter.export([papers[0], papers[0]]) == once, exporter.name


def test_empty_export_is_valid(tmp_path: Path) -> None:
    assert json.loads(EXPORTERS["csljson"].export([])) == []
    assert EXPORTERS["bibtex"].export([]) == ""
    assert EXPORTERS["csv"].export([]).startswith("\ufeffpmid,doi,")
