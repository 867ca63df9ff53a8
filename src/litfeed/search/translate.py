"""Turn a query AST into Tantivy ``Query`` objects, programmatically.

User text only ever becomes a term value, a phrase's words or a regular expression built from
escaped literal characters; it is never handed to Tantivy's query-string parser.

Ranking: BM25 per field, summed; a word found in the title counts :data:`TITLE_BOOST` times a
word found in the abstract. Truncated words match every indexed word with that beginning (at
constant score). Common English stopwords standing alone (``the``, ``of``, lower-case ``and``)
are ignored as PubMed does; inside a quoted phrase they count.
"""

from __future__ import annotations

from collections.abc import Sequence

import tantivy
from tantivy import Occur, Query

from litfeed.search.query import And, DateRange, Node, Not, Phrase, Term
from litfeed.search.schema import (
    normalize_doi,
    normalize_language,
    normalize_value,
    prefix_analyzer,
    text_analyzer,
)

TITLE_BOOST = 3.0

#: query field -> (index field, boost) pairs searched for it
_WORD_FIELDS: dict[str | None, tuple[tuple[str, float], ...]] = {
    None: (("title", TITLE_BOOST), ("abstract", 1.0), ("subjects", 1.0)),
    "tiab": (("title", TITLE_BOOST), ("abstract", 1.0)),
    "ti": (("title", 1.0),),
    "ab": (("abstract", 1.0),),
}
_VALUE_FIELDS = {
    "au": "authors", "ta": "journal", "mh": "mesh", "majr": "majr", "pt": "pt",
    "doi": "doi", "la": "language",
}
STOPWORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "in", "into", "is", "it", "its", "not", "of", "on", "or", "that", "the", "their", "then",
    "there", "these", "they", "this", "to", "was", "were", "which", "with",
})


def regex_literal(text: str) -> str:
    """``text`` as a regular expression matching exactly it: every character but ASCII
    letters and digits becomes ``\\x{..}``, so no user character is ever regex syntax."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


class Translator:
    """Builds queries for one schema; holds the analyzers so it is created once per index."""

    def __init__(self, schema: tantivy.Schema) -> None:
        self.schema = schema
        self.words = text_analyzer()
        self.fold = prefix_analyzer()

    # ---------------------------------------------------------- tree

    def translate(self, node: Node) -> Query:
        """The query for ``node``; a query of stopwords only matches nothing."""
        query = self._node(node)
        return query if query is not None else Query.empty_query()

    def _node(self, node: Node) -> Query | None:
        """None means "ignore me" (a stopword, punctuation) to the enclosing AND/OR."""
        if isinstance(node, Term):
            return self._term(node)
        if isinstance(node, Phrase):
            return self._phrase(node)
        if isinstance(node, DateRange):
            return Query.range_query(
                self.schema, "pubdate", tantivy.FieldType.Integer, node.start, node.end
            )
        if isinstance(node, Not):
            inner = self._node(node.item)
            if inner is None:
                return None
            return Query.boolean_query(
                [(Occur.Must, Query.all_query()), (Occur.MustNot, inner)]
            )
        if isinstance(node, And):
            clauses: list[tuple[Occur, Query]] = []
            for item in node.items:
                negated = isinstance(item, Not)
                query = self._node(item.item if isinstance(item, Not) else item)
                if query is not None:
                    clauses.append((Occur.MustNot if negated else Occur.Must, query))
            if not clauses:
                return None
            if all(occur == Occur.MustNot for occur, _ in clauses):
                clauses.insert(0, (Occur.Must, Query.all_query()))
            return clauses[0][1] if len(clauses) == 1 else Query.boolean_query(clauses)
        children = [q for q in (self._node(item) for item in node.items) if q is not None]
        return _any(children)

    # ---------------------------------------------------------- leaves

    def _term(self, term: Term) -> Query | None:
        if term.field in _WORD_FIELDS:
            if term.prefix:
                return self._words(term.field, [term.text], prefix=True)
            if term.text.lower() in STOPWORDS:
                return None
            return self._words(term.field, [term.text], prefix=False)
        if term.field == "pmid":
            ids = term.text.replace(",", " ").split()
            if not ids or not all(i.isdigit() and len(i) < 19 for i in ids):
                return Query.empty_query()
            return Query.term_set_query(self.schema, "pmid", [int(i) for i in ids])
        return self._value(term.field, term.text, prefix=term.prefix, exact=False)

    def _phrase(self, phrase: Phrase) -> Query | None:
        if phrase.field in _WORD_FIELDS:
            return self._words(phrase.field, list(phrase.words), prefix=phrase.prefix)
        if phrase.field == "pmid":
            return self._term(Term(" ".join(phrase.words), "pmid"))
        text = " ".join(phrase.words)
        return self._value(phrase.field, text, prefix=phrase.prefix, exact=True)

    def _words(self, field: str | None, words: list[str], *, prefix: bool) -> Query | None:
        """Words in a word field: one token is a term, several a phrase (``covid-19`` too)."""
        tokens: list[str] = []
        last: str | None = None
        if prefix:
            folded = self.fold.analyze(words[-1])
            if folded:
                last = folded[-1]
                words = [*words[:-1], " ".join(folded[:-1])]
        for word in words:
            tokens.extend(self.words.analyze(word))
        if not tokens and last is None:
            return None
        per_field = []
        for name, boost in _WORD_FIELDS[field]:
            query = self._field_words(name, tokens, last)
            per_field.append(Query.boost_query(query, boost) if boost != 1.0 else query)
        return _any(per_field)

    def _field_words(self, name: str, tokens: list[str], last: str | None) -> Query:
        if last is None:
            if len(tokens) == 1:
                return Query.term_query(self.schema, name, tokens[0])
            words: list[str | tuple[int, str]] = list(tokens)
            return Query.phrase_query(self.schema, name, words)
        if tokens:
            return Query.phrase_prefix_query(self.schema, name, [*tokens, last])
        return Query.regex_query(self.schema, name, regex_literal(last) + ".*")

    def _value(self, field: str | None, text: str, *, prefix: bool, exact: bool) -> Query:
        name = _VALUE_FIELDS[str(field)]
        if field == "doi":
            value = normalize_doi(text)
        elif field == "la":
            value = normalize_language(text)
        else:
            value = normalize_value(text)
        if not value:
            return Query.empty_query()  # "...[au]" asks for something that cannot exist
        if prefix:
            return Query.regex_query(self.schema, name, regex_literal(value) + ".*")
        if field == "au" and not exact:
            # PubMed: "smith[au]" is every Smith, "smith j[au]" also Smith JA
            tail = ".*" if " " in value else "(\\x{20}.*)?"
            return Query.regex_query(self.schema, name, regex_literal(value) + tail)
        return Query.term_query(self.schema, name, value)

    # ---------------------------------------------------------- filters

    def value_any(self, field: str, values: Sequence[str]) -> Query:
        """Any of ``values`` in a value field (a filter: publication types, languages)."""
        return _any([self._value(field, v, prefix=False, exact=True) for v in values]) or (
            Query.empty_query()
        )


def _any(queries: list[Query]) -> Query | None:
    if not queries:
        return None
    if len(queries) == 1:
        return queries[0]
    return Query.boolean_query([(Occur.Should, q) for q in queries])
