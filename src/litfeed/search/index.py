"""The full-text search index: an embedded Tantivy index in one directory.

Consistency with the store: the caller adds/replaces and deletes papers, then calls
:meth:`SearchIndex.commit`; when ``commit`` returns, every search in this process sees the
change, and searches in other processes see it on their next call (each search checks whether
``meta.json`` changed and reloads; a stat, not a reopen).

Crash safety: a Tantivy commit is atomic (segments are written first, then ``meta.json`` is
replaced by a rename), so after a crash the index is exactly its last commit and the writer
lock is released with the dead process. What the crash lost is recovered by the caller: it
passes an opaque ``checkpoint`` (say, the highest change sequence of the store that this commit
covers) to ``commit``; after the Tantivy commit succeeds it is written atomically to
``litfeed-search.json`` beside the index. On start the caller re-indexes everything changed
after :meth:`SearchIndex.checkpoint`; re-indexing is idempotent, so a crash between the two
writes (the checkpoint then lags the index) only costs repeated work. ``checkpoint()`` is
None for a new or rebuilt index: index everything.

An index written with another schema version is deleted (only Tantivy's own files and ours)
and recreated empty, checkpoint None, so an upgrade rebuilds instead of failing.
"""

from __future__ import annotations

import errno
import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape as html_escape
from pathlib import Path
from typing import Literal

import nh3
import tantivy
from tantivy import Occur, Query

from litfeed.errors import InvalidInput, StorageError
from litfeed.models import Paper
from litfeed.search.query import Node, format_query, parse_query
from litfeed.search.schema import (
    SCHEMA_VERSION,
    TEXT_TOKENIZER,
    added_value,
    build_schema,
    text_analyzer,
    to_document,
)
from litfeed.search.translate import Translator

META_FILE = "litfeed-search.json"
#: words of a "more like this" query: each costs a walk of its postings, so at a million
#: papers 48 took p50 17-24 / p95 40-57 ms, 32 took 10-13 / 23-26 and 24 took 8-9 / 20-21,
#: while the related-papers hybrid on the screening reviews moved from nDCG@10 0.485 (48)
#: to 0.484 (32 and 24) (docs/ranking.md)
SIMILAR_TERMS = 24
MAX_WINDOW = 10_000  # offset + limit: deeper pages cost memory for nothing a reader uses
SNIPPET_CHARS = 240
IDF_CACHE_WORDS = 500_000  # ~50 MB at most; emptied when full

#: relevance (BM25), date (publication, newest first), added (arrival in the store, newest first)
Sort = Literal["relevance", "date", "added"]
_SORT_FIELDS = {"date": "pubdate", "added": "added"}


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """Restrictions applied on top of the query; they never change scores."""

    year_from: int | None = None
    year_to: int | None = None
    publication_types: tuple[str, ...] = ()  # any of these
    languages: tuple[str, ...] = ()  # any of these, "eng" or "English"
    has_abstract: bool = False
    free_full_text: bool = False  # has a PMC copy
    hide_retracted: bool = False
    #: arrival in the store: after ``added_after`` (exclusive), up to ``added_until`` (inclusive)
    added_after: datetime | None = None
    added_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    pmid: str
    score: float  # BM25 sum for sort="relevance"; 0.0 for sort="date"
    snippet_html: str  # safe HTML: escaped text, matches in <b>; "" without an abstract


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    hits: tuple[Hit, ...]
    query: str  # the canonical query (format_query), PubMed's "search details"


class SearchIndex:
    """Search over papers, stored in ``path`` (created if missing).

    Only one process at a time can write (Tantivy's lock); any number can search. The writer
    is opened on the first write and kept until :meth:`close`, which waits for background
    segment merges; use the index as a context manager around an ingest.
    """

    def __init__(self, path: Path, *, writer_heap_bytes: int = 128_000_000,
                 writer_wait_s: float = 0.0) -> None:
        self.path = Path(path)
        self._heap = writer_heap_bytes
        # how long a write waits for another process's writer to finish (0: fail at once)
        self._writer_wait_s = writer_wait_s
        self._lock = threading.RLock()
        self._writer: tantivy.IndexWriter | None = None
        self._schema = build_schema()
        self._index = self._open()
        self._translator = Translator(self._schema)
        self._meta_stamp = self._stamp()
        self._idf: dict[str, float] = {}  # word → IDF (0.0: in no title or abstract)
        self._idf_docs = -1  # the number of documents the cached IDFs were computed for

    # ---------------------------------------------------------- lifecycle

    def _open(self) -> tantivy.Index:
        try:
            return self._open_or_create()
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def _unwritable(self, exc: Exception) -> StorageError:
        """One message for an index directory that cannot be written (read-only, full)."""
        text = str(exc)
        if "ReadOnlyFilesystem" in text or "PermissionDenied" in text or (
                isinstance(exc, OSError) and exc.errno in (errno.EROFS, errno.EACCES,
                                                           errno.EPERM)):
            return StorageError(
                f"the search index at {self.path} is in a read-only directory, and Tantivy "
                "writes a lock file even to search; make it writable (or point "
                "LITFEED_DATA_DIR at a writable copy). Nothing stored was changed.")
        if "StorageFull" in text or "No space left" in text or (
                isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)):
            return StorageError(
                f"the disk holding the search index at {self.path} is full; the index keeps "
                "its last complete state. Free some space: the next sync catches it up.")
        return StorageError(f"cannot write the search index at {self.path}: {exc}")

    def _open_or_create(self) -> tantivy.Index:
        self.path.mkdir(parents=True, exist_ok=True)
        if (self.path / "meta.json").exists() and (
            self._read_meta().get("schema") != SCHEMA_VERSION
        ):
            self._wipe()  # another version's index: rebuild from the store
        if not (self.path / "meta.json").exists():
            self._write_meta({"schema": SCHEMA_VERSION, "checkpoint": None})
        try:
            index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        except ValueError as exc:
            if "schema does not match" not in str(exc):
                if "IoError" in str(exc):
                    raise self._unwritable(exc) from exc
                raise StorageError(f"cannot open the search index at {self.path}: {exc}") from exc
            # fields changed without a version bump: same remedy, rebuild
            self._wipe()
            self._write_meta({"schema": SCHEMA_VERSION, "checkpoint": None})
            index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
        index.register_tokenizer(TEXT_TOKENIZER, text_analyzer())
        index.config_reader("manual")
        return index

    def _wipe(self) -> None:
        """Delete the index's files, and only those: the files Tantivy lists as its own in
        ``.managed.json``, its meta and lock files, and ours."""
        try:
            managed = json.loads((self.path / ".managed.json").read_text("utf-8"))
        except (OSError, ValueError):
            managed = []
        names = [n for n in managed if isinstance(n, str) and "/" not in n and "\\" not in n]
        names += ["meta.json", ".managed.json", ".tantivy-meta.lock", ".tantivy-writer.lock",
                  META_FILE]
        for name in names:
            (self.path / name).unlink(missing_ok=True)

    def close(self) -> None:
        """Release the writer (and its lock) after background merges finish."""
        with self._lock:
            if self._writer is not None:
                writer, self._writer = self._writer, None
                writer.wait_merging_threads()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get_writer(self) -> tantivy.IndexWriter:
        """The writer, waiting up to ``writer_wait_s`` for another process to release it.

        :raise StorageError: still held by another process when the wait is over.
        """
        if self._writer is None:
            deadline = time.monotonic() + self._writer_wait_s
            pause = 0.05
            while True:
                try:
                    self._writer = self._index.writer(heap_size=self._heap)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc):
                        raise self._unwritable(exc) from exc
                    if time.monotonic() >= deadline:
                        raise StorageError(
                            f"the search index at {self.path} is being written by another "
                            f"process; retry when it finishes ({exc})"
                        ) from exc
                time.sleep(min(pause, max(deadline - time.monotonic(), 0.0)))
                pause = min(pause * 2, 1.0)
        return self._writer

    def begin_writing(self) -> None:
        """Take the writer now (waiting as configured), before reading the checkpoint: what
        another writer committed meanwhile is then part of what this one sees.

        :raise StorageError: another process holds the writer.
        """
        with self._lock:
            self._get_writer()

    # ---------------------------------------------------------- checkpoint

    def _read_meta(self) -> dict[str, object]:
        try:
            data = json.loads((self.path / META_FILE).read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _write_meta(self, meta: dict[str, object]) -> None:
        """Replace our meta file atomically (a full disk leaves the old one in place).

        :raise StorageError: the directory cannot be written.
        """
        tmp = self.path / f".{META_FILE}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(meta, fh)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path / META_FILE)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise self._unwritable(exc) from exc

    def checkpoint(self) -> str | None:
        """The checkpoint passed to the last successful :meth:`commit`, or None."""
        value = self._read_meta().get("checkpoint")
        return value if isinstance(value, str) else None

    # ---------------------------------------------------------- writing

    def add_or_replace(self, papers: Iterable[Paper],
                       added: Mapping[str, datetime] | None = None, *,
                       known_new: bool = False) -> int:
        """Queue papers, replacing any indexed paper with the same PMID; returns how many.

        ``added`` maps PMIDs to when they first arrived in the store (what alerts filter on).
        ``known_new`` skips the replacing, for a caller that knows none of these PMIDs is
        indexed (a rebuild after :meth:`clear`). Nothing is visible until :meth:`commit`. A
        PMID repeated within the batch ends as its last occurrence.

        :raise InvalidInput: a PMID that is not a decimal number (nothing after it is queued).
        """
        n = 0
        with self._lock:
            writer = self._get_writer()
            for paper in papers:
                if not paper.pmid.isdigit():
                    raise InvalidInput(f"PMID {paper.pmid!r} is not a decimal number")
                if not known_new:
                    writer.delete_documents_by_term("pmid", int(paper.pmid))
                writer.add_document(to_document(paper, added.get(paper.pmid) if added else None))
                n += 1
        return n

    def delete(self, pmids: Iterable[str]) -> int:
        """Queue deletions (unknown PMIDs are fine); visible after :meth:`commit`."""
        n = 0
        with self._lock:
            writer = self._get_writer()
            for pmid in pmids:
                if pmid.isdigit():
                    writer.delete_documents_by_term("pmid", int(pmid))
                    n += 1
        return n

    def commit(self, checkpoint: str | None = None) -> None:
        """Make queued changes durable and visible; then record ``checkpoint`` if given.

        :raise StorageError: the index could not be written (disk full, read-only); the
            previous commit stays intact and the queued changes are dropped.
        """
        with self._lock:
            if self._writer is not None:
                try:
                    self._writer.commit()
                except ValueError as exc:
                    self._writer = None  # the writer is unusable after a failed commit
                    raise self._unwritable(exc) from exc
            if checkpoint is not None:
                meta = self._read_meta() or {"schema": SCHEMA_VERSION}
                meta["checkpoint"] = checkpoint
                self._write_meta(meta)
            self.reload()

    def clear(self) -> None:
        """Remove every paper and the checkpoint (committed at once)."""
        with self._lock:
            self._get_writer().delete_all_documents()
            self.commit()
            self._write_meta({"schema": SCHEMA_VERSION, "checkpoint": None})

    def reload(self) -> None:
        """Point searches at the latest commit, whoever made it."""
        self._index.reload()
        self._meta_stamp = self._stamp()

    def _stamp(self) -> tuple[int, int, int]:
        try:
            st = os.stat(self.path / "meta.json")
        except OSError:
            return (0, 0, 0)
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _searcher(self) -> tantivy.Searcher:
        if self._stamp() != self._meta_stamp:  # another process committed
            self.reload()
        return self._index.searcher()

    # ---------------------------------------------------------- reading

    def count(self) -> int:
        """Papers in the index (as of the last commit)."""
        return int(self._searcher().num_docs)

    def contains(self, pmid: str) -> bool:
        if not pmid.isdigit():
            return False
        query = Query.term_query(self._schema, "pmid", int(pmid))
        return _count(self._searcher().search(query, 1)) > 0

    def pmids(self) -> set[str]:
        """Every indexed PMID, for consistency checks against the store."""
        searcher = self._searcher()
        total = int(searcher.num_docs)
        if total == 0:
            return set()
        hits = searcher.search(Query.all_query(), total, count=False).hits
        out: set[str] = set()
        for start in range(0, len(hits), 10_000):
            addresses = [address for _, address in hits[start:start + 10_000]]
            out.update(str(v) for v in searcher.fast_field_values("pmid", addresses))
        return out

    def search(
        self,
        query: str | Node | None,
        *,
        sort: Sort = "relevance",
        filters: SearchFilters | None = None,
        offset: int = 0,
        limit: int = 20,
        snippets: bool = True,
    ) -> SearchResult:
        """Papers matching ``query`` (a query string, a parsed AST, or None for all papers).

        :raise QuerySyntaxError: ``query`` does not parse (HTTP 400, CLI exit 2).
        :raise InvalidInput: a bad sort, offset or limit.
        """
        if sort not in ("relevance", "date", "added"):
            raise InvalidInput(f"sort={sort!r}; expected relevance or date")
        if offset < 0 or limit < 0 or offset + limit > MAX_WINDOW:
            raise InvalidInput(
                f"offset={offset}, limit={limit}; expected 0 <= offset and 0 <= limit with "
                f"offset + limit <= {MAX_WINDOW}"
            )
        node = parse_query(query) if isinstance(query, str) else query
        main = Query.all_query() if node is None else self._translator.translate(node)
        full = self._filtered(main, filters or SearchFilters())
        searcher = self._searcher()
        window = max(limit, 1)  # Tantivy panics on limit 0; limit 0 asks only for the total
        if sort in _SORT_FIELDS:
            result = searcher.search(
                full, window, count=True, order_by_field=_SORT_FIELDS[sort], offset=offset,
                order=tantivy.Order.Desc,
            )
        else:
            result = searcher.search(full, window, count=True, offset=offset)
        found = result.hits[:limit]
        if not found:
            return SearchResult(_count(result), (), _describe(node))
        addresses = [address for _, address in found]
        pmids = searcher.fast_field_values("pmid", addresses)
        snippet_of = self._snippets(searcher, main, addresses) if snippets else None
        hits = tuple(
            Hit(
                pmid=str(pmid),
                score=float(value) if sort == "relevance" else 0.0,
                snippet_html=snippet_of[k] if snippet_of else "",
            )
            for k, ((value, _), pmid) in enumerate(zip(found, pmids, strict=True))
        )
        return SearchResult(_count(result), hits, _describe(node))

    def similar(self, text: str, *, limit: int, max_terms: int = SIMILAR_TERMS,
                exclude: str | None = None, max_df: float = 1.0) -> list[tuple[str, float]]:
        """Papers whose title/abstract best match ``text`` by BM25 (k1=1.2, b=0.75), best first.

        The query is the text's ``max_terms`` most distinctive words (term frequency × IDF in
        this index), each a ``term_query`` on title and abstract boosted by its frequency in
        ``text`` — a "more like this" query built from terms, never from a query string, so
        no word in an abstract can be read as syntax. ``exclude`` (the seed) is left out.
        Words in more than ``max_df`` of the papers are not asked for (their postings are the
        longest to walk, their weight the smallest).
        """
        words = word_counts(text)
        idf = self.idf(words)
        if max_df < 1.0:  # df <= max_df * N  <=>  IDF >= the IDF of that df (IDF falls with df)
            most = max_df * self._idf_docs
            floor = math.log(1 + (self._idf_docs - most + 0.5) / (most + 0.5))
            idf = {w: v for w, v in idf.items() if v >= floor}
        best = sorted(((tf * idf[w], w) for w, tf in words.items() if w in idf), reverse=True)
        return self.weighted_search({w: float(words[w]) for _, w in best[:max_terms]},
                                    limit=limit, exclude=exclude)

    def idf(self, words: Iterable[str]) -> dict[str, float]:
        """BM25's IDF in this index of each word found in a title or an abstract.

        Cached per word until the number of documents changes (related papers ask for the
        same few thousand words again and again; an IDF barely moves between commits).
        """
        searcher = self._searcher()
        total = max(int(searcher.num_docs), 1)
        if total != self._idf_docs or len(self._idf) > IDF_CACHE_WORDS:
            self._idf, self._idf_docs = {}, total
        cache = self._idf
        out: dict[str, float] = {}
        for word in words:
            value = cache.get(word)
            if value is None:
                df = max(searcher.doc_freq("title", word), searcher.doc_freq("abstract", word))
                value = cache[word] = math.log(1 + (total - df + 0.5) / (df + 0.5)) if df else 0.0
            if value > 0:
                out[word] = value
        return out

    def weighted_search(self, weights: Mapping[str, float], *, limit: int,
                        among: Collection[str] | None = None,
                        exclude: str | None = None, title_boost: float = 1.0
                        ) -> list[tuple[str, float]]:
        """Papers by the weighted sum of each word's BM25 in title and abstract, best first.

        A bag-of-words query (``weights``: word → boost) built from terms, never parsed.
        ``among`` restricts the ranking to these PMIDs (a re-scoring of candidates, cheap
        whatever the query's length: only their postings are visited); ``exclude`` is left out.
        ``title_boost`` weighs a word's BM25 in the title against its BM25 in the abstract.
        """
        boost = {"title": title_boost, "abstract": 1.0}
        clauses = [(Occur.Should, Query.boost_query(
            Query.term_query(self._schema, name, word), float(weight) * boost[name]))
            for word, weight in weights.items() if weight > 0 for name in ("title", "abstract")]
        if not clauses or limit <= 0 or (among is not None and not among):
            return []
        query = Query.boolean_query(clauses)
        if among is not None:
            ids = [int(p) for p in among if p.isdigit()]
            query = Query.boolean_query([
                (Occur.Must, query),
                (Occur.Must, Query.const_score_query(
                    Query.term_set_query(self._schema, "pmid", ids), 0.0))])
        searcher = self._searcher()
        result = searcher.search(query, limit + 1, count=False)
        pmids = searcher.fast_field_values("pmid", [address for _, address in result.hits])
        return [(str(pmid), float(score)) for (score, _), pmid
                in zip(result.hits, pmids, strict=True) if str(pmid) != exclude][:limit]

    def _filtered(self, query: Query, filters: SearchFilters) -> Query:
        clauses: list[tuple[Occur, Query]] = []
        if filters.year_from is not None or filters.year_to is not None:
            low = (filters.year_from or 0) * 10000
            high = (filters.year_to or 9999) * 10000 + 9999
            clauses.append((Occur.Must, Query.range_query(
                self._schema, "pubdate", tantivy.FieldType.Integer, low, high)))
        if filters.publication_types:
            clauses.append((Occur.Must, self._translator.value_any(
                "pt", filters.publication_types)))
        if filters.languages:
            clauses.append((Occur.Must, self._translator.value_any("la", filters.languages)))
        for name, wanted in (("has_abstract", filters.has_abstract),
                             ("free_full_text", filters.free_full_text)):
            if wanted:
                clauses.append((Occur.Must, Query.term_query(self._schema, name, True)))
        if filters.hide_retracted:
            clauses.append((Occur.MustNot, Query.term_query(self._schema, "retracted", True)))
        if filters.added_after is not None or filters.added_until is not None:
            low = added_value(filters.added_after) + 1 if filters.added_after else 1
            high = added_value(filters.added_until) if filters.added_until else 2**62
            clauses.append((Occur.Must, Query.range_query(
                self._schema, "added", tantivy.FieldType.Integer, low, high)))
        if not clauses:
            return query
        # filters score 0 so that a filtered search ranks exactly like the unfiltered one
        scored = [(o, Query.const_score_query(q, 0.0) if o == Occur.Must else q)
                  for o, q in clauses]
        return Query.boolean_query([(Occur.Must, query), *scored])

    def _snippets(
        self, searcher: tantivy.Searcher, query: Query, addresses: list[tantivy.DocAddress]
    ) -> list[str]:
        generator = tantivy.SnippetGenerator.create(searcher, query, self._schema, "abstract")
        generator.set_max_num_chars(SNIPPET_CHARS)
        out = []
        for address in addresses:
            doc = searcher.doc(address)
            fragment = generator.snippet_from_doc(doc).to_html()
            if not fragment:  # matched in the title only: show the abstract's opening
                text = doc.get_first("abstract") or ""
                fragment = html_escape(_cut(text, SNIPPET_CHARS))
            # Tantivy escapes the text and adds only <b>; keep it that way whatever changes
            out.append(nh3.clean(fragment, tags={"b"}, attributes={}))
        return out


def word_counts(text: str) -> dict[str, int]:
    """How often each word of ``text`` occurs, as the index analyses it (numbers and
    one-letter words left out: they say little about what a paper is about)."""
    counts = Counter(text_analyzer().analyze(text))
    return {word: n for word, n in counts.items() if len(word) > 1 and not word.isdigit()}


def _count(result: tantivy.SearchResult) -> int:
    return int(result.count)  # type: ignore[attr-defined]  # present at runtime, not in the stub


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _describe(node: Node | None) -> str:
    return "" if node is None else format_query(node)
