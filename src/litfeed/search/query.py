"""The search query language: a PubMed-style syntax parsed by hand into a small typed AST.

The parser never builds a query string for a search engine: the index translates the AST into
engine query objects (:mod:`litfeed.search.translate`), so no user text reaches an engine's own
query parser or the database unescaped.

Grammar (EBNF; tokens below)::

    query    = expr EOF ;
    expr     = operand { [ op ] operand } ;      (* evaluated left to right, see below *)
    op       = "AND" | "OR" | "NOT" ;            (* upper case only; no op = AND *)
    operand  = "NOT" operand
             | "(" expr ")"
             | PHRASE [ TAG ]
             | WORD { WORD } TAG                 (* a tag applies to the whole run of words *)
             | WORD ;

    WORD     = any characters but white space and ( ) " [ ] ; a trailing "*" truncates ;
    PHRASE   = '"' { any character but '"' } '"' ;  (* curly quotes “ ” count as quotes *)
    TAG      = "[" name "]" ;                    (* name case-insensitive, see FIELD_TAGS *)

Precedence: PubMed's. Operators have equal precedence and are applied left to right, so
``a OR b AND c`` means ``(a OR b) AND c``. We follow PubMed rather than the NOT > AND > OR
convention because our users paste search strategies written for PubMed (systematic-review
filters, colleagues' saved searches); the same string giving a different set here would be a
silent error. Parentheses group as usual. Binary ``a NOT b`` means ``a AND NOT b``; a leading
``NOT b`` means every paper except those matching ``b``. Lower-case and/or/not are plain words.

Fields: an untagged word or phrase searches "all fields", which here means title, abstract,
author keywords and MeSH heading words (PubMed also maps to authors and journals; we do not).
A tag applies to the run of words since the previous operator, parenthesis or phrase:
``smith j[au]`` is one author and ``randomized controlled trial[pt]`` one publication type. For
the word fields ([ti], [ab], [tiab], [all]) the run means each word in that field (AND); quote
it for adjacency. Truncation ``neurogen*`` needs at least 3 characters before the ``*``.
Dates ([dp]): ``2021``, ``2021/03``, ``2021/03/15`` (``-`` also separates) and ranges
``2015:2020`` or ``2015/01:2016/06``, inclusive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from litfeed.errors import QuerySyntaxError

MAX_QUERY_LENGTH = 10_000
MAX_DEPTH = 50
MIN_PREFIX = 3

FieldName = Literal["ti", "ab", "tiab", "au", "ta", "mh", "majr", "pt", "pmid", "doi", "la"]

#: tag (lower case, inner spaces collapsed) -> canonical field; None is "all fields".
FIELD_TAGS: dict[str, str | None] = {
    "ti": "ti", "title": "ti",
    "ab": "ab", "abstract": "ab",
    "tiab": "tiab", "title/abstract": "tiab",
    "au": "au", "author": "au", "auth": "au", "fau": "au", "full author name": "au",
    "ta": "ta", "journal": "ta", "jour": "ta",
    "mh": "mh", "mesh": "mh", "mesh terms": "mh", "mh:noexp": "mh", "mesh:noexp": "mh",
    "majr": "majr", "mesh major topic": "majr", "majr:noexp": "majr",
    "pt": "pt", "publication type": "pt", "ptyp": "pt",
    "dp": "dp", "pdat": "dp", "publication date": "dp",
    "pmid": "pmid", "uid": "pmid",
    "doi": "doi", "aid": "doi",
    "la": "la", "lang": "la", "language": "la",
    "all": None, "all fields": None, "tw": None, "text word": None,
}
#: fields searched word by word (a tagged run of words is one AND group)
WORD_FIELDS = frozenset({None, "ti", "ab", "tiab"})
#: fields compared with a whole value (a tagged run of words is one value)
VALUE_FIELDS = frozenset({"au", "ta", "mh", "majr", "pt", "pmid", "doi", "la"})
_NO_TRUNCATION = frozenset({"pmid", "dp"})
_TAG_LIST = "[ti], [ab], [tiab], [au], [ta], [mh], [majr], [pt], [dp], [pmid], [doi], [la], [all]"


# ---------------------------------------------------------------- AST


@dataclass(frozen=True, slots=True)
class Term:
    """A word (``field`` in WORD_FIELDS) or a whole value such as an author or MeSH heading."""

    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    """Words that must appear adjacent and in order; ``prefix`` truncates the last word.

    With a value field ([au], [mh], [pt], ...) a phrase is the exact value as written, so
    ``"smith j"[au]`` is that author only while ``smith j[au]`` also finds Smith JA.
    """

    words: tuple[str, ...]
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class DateRange:
    """Publication dates ``start..end`` inclusive, as ``YYYYMMDD`` integers.

    A missing month or day is 00 in ``start`` and 99 in ``end``, so ``2021[dp]`` is
    ``20210000..20219999`` and also matches papers dated only by year (``20210000``).
    """

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node = Term | Phrase | DateRange | And | Or | Not


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class _Token:
    kind: Literal["word", "phrase", "tag", "op", "(", ")", "eof"]
    text: str
    pos: int


_QUOTES = '"“”'
_DELIMS = frozenset('()[]' + _QUOTES)
_OPERATORS = frozenset({"AND", "OR", "NOT"})


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "(":
            tokens.append(_Token("(", ch, i))
            i += 1
        elif ch == ")":
            tokens.append(_Token(")", ch, i))
            i += 1
        elif ch in _QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in _QUOTES), -1)
            if end < 0:
                raise QuerySyntaxError("expected a closing '\"' for the phrase opened", i)
            tokens.append(_Token("phrase", text[i + 1:end], i))
            i = end + 1
        elif ch == "[":
            end = text.find("]", i + 1)
            if end < 0:
                raise QuerySyntaxError("expected ']' to close the field tag opened", i)
            tokens.append(_Token("tag", text[i + 1:end], i))
            i = end + 1
        elif ch == "]":
            raise QuerySyntaxError("unexpected ']' without a matching '['", i)
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _DELIMS:
                j += 1
            word = text[i:j]
            tokens.append(_Token("op" if word in _OPERATORS else "word", word, i))
            i = j
    tokens.append(_Token("eof", "", n))
    return tokens


# ---------------------------------------------------------------- parser


def parse_query(text: str) -> Node:
    """Parse ``text`` into an AST.

    :raise QuerySyntaxError: with the 0-based position and what was expected there.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"query too long: expected at most {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH
        )
    tokens = _tokenize(text)
    if tokens[0].kind == "eof":
        raise QuerySyntaxError("empty query: expected a search term", 0)
    return _Parser(tokens).parse()


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0
        self.untagged_until = 0  # words before this token index are known to carry no tag

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        node = self.expr(0)
        tok = self.peek()
        if tok.kind == ")":
            raise QuerySyntaxError("unexpected ')' without a matching '('", tok.pos)
        return node

    def expr(self, depth: int) -> Node:
        """A left-to-right chain: consecutive operands under the same operator are gathered
        into one And/Or; a change of operator wraps what came before."""
        chain: type[And] | type[Or] | None = None
        items = [self.operand(depth, after=None)]
        while True:
            tok = self.peek()
            if tok.kind == "op":
                self.take()
                right = self.operand(depth, after=tok)
                cls: type[And] | type[Or] = Or if tok.text == "OR" else And
                if tok.text == "NOT":
                    right = Not(right)
            elif tok.kind in ("word", "phrase", "("):
                cls, right = And, self.operand(depth, after=None)
            elif tok.kind == "tag":
                raise QuerySyntaxError(
                    f"expected a term or quoted phrase before the field tag [{tok.text}]",
                    tok.pos,
                )
            else:
                return items[0] if chain is None else _flat(chain, items)
            if chain is not None and cls is not chain:
                items = [_flat(chain, items)]  # one level deeper, like a parenthesis
                depth += 1
                if depth > MAX_DEPTH:
                    raise _too_deep(tok.pos)
            chain = cls
            items.append(right)

    def operand(self, depth: int, after: _Token | None) -> Node:
        if depth > MAX_DEPTH:
            raise _too_deep(self.peek().pos)
        tok = self.peek()
        if tok.kind == "op" and tok.text == "NOT":
            self.take()
            return Not(self.operand(depth + 1, after=tok))
        if tok.kind == "(":
            self.take()
            if self.peek().kind == ")":
                raise QuerySyntaxError("expected a term inside the parentheses", self.peek().pos)
            inner = self.expr(depth + 1)
            if self.peek().kind != ")":
                raise QuerySyntaxError("expected ')' to close the '(' opened", tok.pos)
            self.take()
            if self.peek().kind == "tag":
                raise QuerySyntaxError(
                    "expected a field tag only after a term or quoted phrase, not after ')'",
                    self.peek().pos,
                )
            return inner
        if tok.kind == "phrase":
            self.take()
            tag = self.take() if self.peek().kind == "tag" else None
            return _phrase(tok, tag)
        if tok.kind == "word":
            if self.i >= self.untagged_until:
                run = 0
                while self.peek(run).kind == "word":
                    run += 1
                if self.peek(run).kind == "tag":
                    words = [self.take() for _ in range(run)]
                    return _tagged_words(words, self.take())
                self.untagged_until = self.i + run
            self.take()
            return _word(tok, None)
        where = f" after {after.text}" if after else ""
        if tok.kind == "tag":
            raise QuerySyntaxError(
                f"expected a term or quoted phrase before the field tag [{tok.text}]", tok.pos
            )
        found = {"eof": "the end of the query", ")": "')'"}.get(tok.kind, tok.text)
        raise QuerySyntaxError(
            f"expected a term, quoted phrase or '('{where}, found {found}", tok.pos
        )


def _too_deep(pos: int) -> QuerySyntaxError:
    return QuerySyntaxError(
        f"too deeply nested: expected at most {MAX_DEPTH} levels of parentheses, NOT, "
        "or changes between AND and OR (parentheses make a long chain flat)", pos,
    )


def _flat(cls: type[And] | type[Or], items: list[Node]) -> Node:
    """``cls(items)``, with items that are already ``cls`` (parenthesised) spliced in."""
    out: list[Node] = []
    for item in items:
        out.extend(item.items if isinstance(item, cls) else (item,))
    return cls(tuple(out))


def _field(tag: _Token) -> str | None:
    name = " ".join(tag.text.lower().split())
    if name not in FIELD_TAGS:
        raise QuerySyntaxError(
            f"unknown field tag [{tag.text}]: expected one of {_TAG_LIST}", tag.pos
        )
    return FIELD_TAGS[name]


def _split_star(text: str, pos: int, field: str | None, *, last: bool) -> tuple[str, bool]:
    """Strip a truncation ``*`` from ``text``; refuse one anywhere but at the very end."""
    star = text.find("*")
    if star < 0:
        return text, False
    if star != len(text) - 1 or not last:
        raise QuerySyntaxError("expected '*' only at the end of a term", pos + star)
    if field in _NO_TRUNCATION:
        raise QuerySyntaxError(f"expected no truncation '*' with [{field}]", pos + star)
    return text[:-1], True


def _check_prefix(text: str, pos: int) -> None:
    """A truncated term needs a few characters: ``a*`` would expand to most of the index."""
    if len(text.replace(" ", "")) < MIN_PREFIX:
        raise QuerySyntaxError(
            f"expected at least {MIN_PREFIX} characters before the truncation '*'", pos
        )


def _word(tok: _Token, field: str | None) -> Term:
    text, prefix = _split_star(tok.text, tok.pos, field, last=True)
    if prefix:
        _check_prefix(text, tok.pos)
    return Term(text, field, prefix)


def _tagged_words(words: list[_Token], tag: _Token) -> Node:
    field = _field(tag)
    if field == "dp":
        if len(words) != 1:
            raise _date_error(words[1].pos)
        return parse_date(words[0].text, words[0].pos)
    if field in WORD_FIELDS:
        terms = [_word(w, field) for w in words]
        return terms[0] if len(terms) == 1 else And(tuple(terms))
    parts = [
        _split_star(w.text, w.pos, field, last=k == len(words) - 1)
        for k, w in enumerate(words)
    ]
    text = " ".join(p for p, _ in parts)
    if parts[-1][1]:
        _check_prefix(text, words[0].pos)
    return Term(text, field, parts[-1][1])


def _phrase(tok: _Token, tag: _Token | None) -> Node:
    field = _field(tag) if tag else None
    words = tok.text.split()
    if not words:
        raise QuerySyntaxError("expected words inside the quotes", tok.pos)
    if field == "dp":
        return parse_date(" ".join(words), tok.pos + 1)
    inner = tok.pos + 1  # where the phrase's text starts, to point at a misplaced '*'
    stripped = [
        _split_star(w, inner + tok.text.find(w), field, last=k == len(words) - 1)
        for k, w in enumerate(words)
    ]
    texts = tuple(w for w, _ in stripped if w)
    prefix = stripped[-1][1]
    if prefix:
        _check_prefix(" ".join(texts), tok.pos)
    return Phrase(texts, field, prefix)


_DATE = re.compile(r"(\d{4})(?:[/-](\d{1,2})(?:[/-](\d{1,2}))?)?")


def _date_error(pos: int) -> QuerySyntaxError:
    return QuerySyntaxError(
        "expected a date like 2021, 2021/03 or 2021/03/15, or a range like 2015:2020, "
        "before [dp]", pos,
    )


def _date_bound(text: str, pos: int, *, end: bool) -> int:
    m = _DATE.fullmatch(text)
    if not m:
        raise _date_error(pos)
    year, month, day = int(m[1]), m[2], m[3]
    if month is not None and not 1 <= int(month) <= 12:
        raise _date_error(pos)
    if day is not None and not 1 <= int(day) <= 31:
        raise _date_error(pos)
    fill = 99 if end else 0
    return year * 10000 + (int(month) if month else fill) * 100 + (int(day) if day else fill)


def parse_date(text: str, pos: int = 0) -> DateRange:
    """``2021``, ``2021/03``, ``2021/03/15`` or ``start:end`` -> an inclusive DateRange."""
    start_text, sep, end_text = text.strip().partition(":")
    end_text = end_text if sep else start_text
    start = _date_bound(start_text.strip(), pos, end=False)
    end = _date_bound(end_text.strip(), pos + len(start_text) + 1 if sep else pos, end=True)
    if start > end:
        raise QuerySyntaxError("expected the start of the date range before its end", pos)
    return DateRange(start, end)


# ---------------------------------------------------------------- rendering


def format_query(node: Node) -> str:
    """The canonical text of ``node``: fully tagged and parenthesised, and parsed back by
    :func:`parse_query` to the same AST (PubMed's "search details")."""
    if isinstance(node, Term):
        star = "*" if node.prefix else ""
        tag = f"[{node.field}]" if node.field else ""
        return f"{node.text}{star}{tag}"
    if isinstance(node, Phrase):
        star = "*" if node.prefix else ""
        tag = f"[{node.field}]" if node.field else ""
        return f'"{" ".join(node.words)}{star}"{tag}'
    if isinstance(node, DateRange):
        start, end = _format_date(node.start, end=False), _format_date(node.end, end=True)
        return f"{start}[dp]" if start == end else f"{start}:{end}[dp]"
    if isinstance(node, Not):
        return f"NOT {_group(node.item)}"
    joiner = " AND " if isinstance(node, And) else " OR "
    return joiner.join(_group(item) for item in node.items)


def _group(node: Node) -> str:
    return f"({format_query(node)})" if isinstance(node, And | Or) else format_query(node)


def _format_date(value: int, *, end: bool) -> str:
    year, month, day = value // 10000, value // 100 % 100, value % 100
    fill = 99 if end else 0
    if month == fill:
        return f"{year:04d}"
    if day == fill:
        return f"{year:04d}/{month:02d}"
    return f"{year:04d}/{month:02d}/{day:02d}"
