"""PubDate / MedlineDate to "YYYY", "YYYY-MM", "YYYY-MM-DD"."""

from __future__ import annotations

import pytest
from lxml import etree

from litfeed.pubmed.dates import date_parts, format_date, month_number, parse_medline_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1998 Dec-1999 Jan", (1998, 12, None)),
        ("2000 Spring", (2000, 3, None)),
        ("1979 Jul-Aug", (1979, 7, None)),
        ("Winter 2001-2002", (2001, 12, None)),
        ("1979-1980 Fall", (1979, 9, None)),
        ("1977 Fall-Winter", (1977, 9, None)),
        ("1999 Autumn", (1999, 9, None)),
        ("1979 Summer", (1979, 6, None)),
        ("1977 Jan 5-20", (1977, 1, 5)),
        ("1979 Aug 30-Sep 5", (1979, 8, 30)),
        ("2021 3rd Quarter", (2021, 7, None)),
        ("1978-1979", (1978, None, None)),
        ("1980", (1980, None, None)),
        ("In press", (None, None, None)),
        ("", (None, None, None)),
    ],
)
def test_medline_date(text, expected):
    assert parse_medline_date(text) == expected


@pytest.mark.parametrize(
    ("value", "month"),
    [("Dec", 12), ("December", 12), ("12", 12), ("04", 4), ("sep", 9), ("Spring", 3),
     ("13", None), ("0", None), ("", None), (None, None), ("Xyz", None)],
)
def test_month_number(value, month):
    assert month_number(value) == month


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ((2016, 3, None), "2016-03"),
        ((2016, None, 5), "2016"),  # a day without a month says nothing
        ((2016, 2, 29), "2016-02-29"),
        ((2015, 2, 29), "2015-02"),  # not a leap year: keep what is certain
        ((2016, 4, 31), "2016-04"),
        ((None, 4, 1), None),
    ],
)
def test_format_date(parts, expected):
    assert format_date(*parts) == expected


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<PubDate><Year>2000</Year><Month>Feb</Month><Day>24</Day></PubDate>", (2000, 2, 24)),
        ("<PubDate><Year>1979</Year><Season>Spring</Season></PubDate>", (1979, 3, None)),
        ("<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>", (1998, 12, None)),
        ("<ArticleDate><Year>2016</Year><Month>07</Month><Day>22</Day></ArticleDate>",
         (2016, 7, 22)),
        ("<PubDate><Year>20l6</Year></PubDate>", (None, None, None)),
        ("<PubDate/>", (None, None, None)),
    ],
)
def test_date_parts(xml, expected):
    assert date_parts(etree.fromstring(xml)) == expected
