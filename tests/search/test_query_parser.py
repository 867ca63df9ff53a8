"""The query language: what a query means, and what a user is told when it does not parse."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litfeed.errors import InvalidInput, QuerySyntaxError
from litfeed.search.query import (
    And,
    DateRange,
    Node,
    Not,
    Or,
    Phrase,
    Term,
    format_query,
    parse_query,
)

T = Term


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("depression", T("depression")),
        ("depression anxiety", And((T("depression"), T("anxiety")))),
        ("a AND b AND c", And((T("a"), T("b"), T("c")))),
        ("a OR b", Or((T("a"), T("b")))),
        ("a NOT b", And((T("a"), Not(T("b"))))),
        ("a AND NOT b", And((T("a"), Not(T("b"))))),
        ("NOT b", Not(T("b"))),
        # lower-case operators are words, as in PubMed
        ("cancer and not lung", And((T("cancer"), T("and"), T("not"), T("lung")))),
        ('"heart attack"', Phrase(("heart", "attack"))),
        ('"heart   attack"[TI]', Phrase(("heart", "attack"), "ti")),
        ("“heart attack”", Phrase(("heart", "attack"))),
        ("neurogen*", T("neurogen", None, prefix=True)),
        ('"breast canc*"', Phrase(("breast", "canc"), None, prefix=True)),
        ("depression[ti]", T("depression", "ti")),
        ("depression [Title]", T("depression", "ti")),
        ("depression[tiab]", T("depression", "tiab")),
        ("depression[Title/Abstract]", T("depression", "tiab")),
        ("depression[ab]", T("depression", "ab")),
        ("depression[all fields]", T("depression")),
        ("smith j[au]", T("smith j", "au")),
        ("smith j*[author]", T("smith j", "au", prefix=True)),
        ('"smith j"[au]', Phrase(("smith", "j"), "au")),
        ("n engl j med[ta]", T("n engl j med", "ta")),
        ("lancet[journal]", T("lancet", "ta")),
        ("depression[mh]", T("depression", "mh")),
        ("depression[MeSH Terms]", T("depression", "mh")),
        ("depression/therapy[majr]", T("depression/therapy", "majr")),
        ("randomized controlled trial[pt]", T("randomized controlled trial", "pt")),
        ("12345[pmid]", T("12345", "pmid")),
        ("12345[uid]", T("12345", "pmid")),
        ("10.1056/NEJMoa2034577[doi]", T("10.1056/NEJMoa2034577", "doi")),
        ("english[la]", T("english", "la")),
        # a tag binds the run of words since the last operator: each word in a word field
        ("stem cell*[tiab]", And((T("stem", "tiab"), T("cell", "tiab", prefix=True)))),
        ("x OR stem cells[ti]", Or((T("x"), And((T("stem", "ti"), T("cells", "ti")))))),
        ("COVID-19", T("COVID-19")),
    ],
)
def test_valid_queries_parse_to_their_ast(text: str, expected: Node) -> None:
    assert parse_query(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021[dp]", DateRange(20210000, 20219999)),
        ("2021/03[dp]", DateRange(20210300, 20210399)),
        ("2021/03/15[dp]", DateRange(20210315, 20210315)),
        ("2021-3-5[pdat]", DateRange(20210305, 20210305)),
        ("2015:2020[dp]", DateRange(20150000, 20209999)),
        ("2015/01:2016/06[dp]", DateRange(20150100, 20160699)),
        ('"2015:2020"[dp]', DateRange(20150000, 20209999)),
        ("2020/01/01:3000[dp]", DateRange(20200101, 30009999)),
    ],
)
def test_publication_dates_become_inclusive_ranges(text: str, expected: DateRange) -> None:
    assert parse_query(text) == expected


def test_operators_apply_left_to_right_like_pubmed() -> None:
    # PubMed: "a OR b AND c" is "(a OR b) AND c", not "a OR (b AND c)"
    assert parse_query("a OR b AND c") == And((Or((T("a"), T("b"))), T("c")))
    assert parse_query("a AND b OR c") == Or((And((T("a"), T("b"))), T("c")))
    assert parse_query("a OR b NOT c") == And((Or((T("a"), T("b"))), Not(T("c"))))
    # an implicit AND takes its place in the chain like a written one
    assert parse_query("a OR b c") == And((Or((T("a"), T("b"))), T("c")))


def test_parentheses_override_left_to_right() -> None:
    assert parse_query("a OR (b AND c)") == Or((T("a"), And((T("b"), T("c")))))
    assert parse_query("(a OR b) NOT (c OR d)") == And(
        (Or((T("a"), T("b"))), Not(Or((T("c"), T("d")))))
    )
    assert parse_query("((a))") == T("a")


@pytest.mark.parametrize(
    ("text", "position", "says"),
    [
        ("", 0, "empty query"),
        ("   ", 0, "empty query"),
        ("depression AND", 14, "expected a term, quoted phrase or '(' after AND"),
        ("depression AND OR x", 15, "after AND, found OR"),
        ("OR depression", 0, "found OR"),
        ("(a OR b", 0, "expected ')' to close the '('"),
        ("a OR b)", 6, "unexpected ')'"),
        ("a ()", 3, "expected a term inside the parentheses"),
        ('a "heart attack', 2, "closing '\"'"),
        ('a ""', 2, "expected words inside the quotes"),
        ("a[xyz]", 1, "unknown field tag [xyz]: expected one of [ti]"),
        ("a[ti", 1, "expected ']'"),
        ("a ] b", 2, "unexpected ']'"),
        ("[ti]", 0, "before the field tag [ti]"),
        ("a AND [ti]", 6, "before the field tag [ti]"),
        ("a[ti][ab]", 5, "before the field tag [ab]"),
        ("(a OR b)[ti]", 8, "not after ')'"),
        ("ne*uro", 2, "expected '*' only at the end"),
        ("ne*", 0, "at least 3 characters before the truncation"),
        ("a* b[au]", 1, "expected '*' only at the end"),
        ("123*[pmid]", 3, "no truncation"),
        ("2021/13[dp]", 0, "expected a date like 2021"),
        ("yesterday[dp]", 0, "expected a date like 2021"),
        ("2020 2021[dp]", 5, "expected a date like 2021"),
        ("2020:2015[dp]", 0, "start of the date range before its end"),
        ("2015:202[dp]", 5, "expected a date like 2021"),
    ],
)
def test_syntax_errors_name_position_and_expectation(text: str, position: int, says: str) -> None:
    with pytest.raises(QuerySyntaxError) as info:
        parse_query(text)
    assert info.value.position == position
    assert says in info.value.message
    assert info.value.message.endswith(f"at position {position}")


def test_a_syntax_error_is_a_bad_request() -> None:
    with pytest.raises(InvalidInput) as info:
        parse_query("a AND")
    assert info.value.status == 400
    assert info.value.exit_code == 2


def test_runaway_input_is_refused_not_crashed_on() -> None:
    with pytest.raises(QuerySyntaxError, match="too deeply nested"):
        parse_query("(" * 500 + "a" + ")" * 500)
    with pytest.raises(QuerySyntaxError, match="too deeply nested"):
        parse_query("NOT " * 500 + "a")
    with pytest.raises(QuerySyntaxError, match="too deeply nested"):
        parse_query("a OR b AND " * 100 + "c")  # each change of operator nests
    long_flat = parse_query("a " * 4000)  # but a long chain of one operator is flat
    assert isinstance(long_flat, And) and len(long_flat.items) == 4000
    with pytest.raises(QuerySyntaxError, match="too long"):
        parse_query("a " * 6000)


@pytest.mark.parametrize(
    "text",
    [
        "a OR b AND c",
        'neurogen* "stem cell*"[tiab] NOT mice[mh]',
        "smith j[au] AND (2015/01:2016/06[dp] OR 2021[dp])",
        '"smith j"[au] NOT NOT review[pt]',
        "NOT (a OR b) AND 123 456[pmid]",
    ],
)
def test_canonical_form_parses_back_to_the_same_query(text: str) -> None:
    node = parse_query(text)
    assert parse_query(format_query(node)) == node


_ALPHABET = st.sampled_from(
    [*'abcXYZ019 *:/-"“”()[]', "AND ", "OR ", "NOT ", "[ti]", "[au]", "[dp]", "[pt]",
     "[majr]", "2021", "é", "\x00", "\t"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_any_string_gives_an_ast_or_a_syntax_error(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        return
    assert parse_query(format_query(node)) == node


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_unicode_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(QuerySyntaxError):
        parse_query(text)
