"""Reading and writing papers: the only code that knows how a Paper maps onto rows.

``apply_batch`` is the ingest hot path: one SELECT for what is stored, then bulk
executemany inserts per table, all inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Column, Table, delete, func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from litfeed.formats.match import normalise_title, title_key, title_key_of
from litfeed.models import Deletion, Paper
from litfeed.store import schema as s
from litfeed.store.clock import as_utc

CHUNK = 500  # bind-parameter lists stay well under SQLite's limit


@dataclass
class BatchCounts:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0

    def add(self, other: BatchCounts) -> None:
        self.added += other.added
        self.updated += other.updated
        self.deleted += other.deleted
        self.unchanged += other.unchanged


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def paper_doc(paper: Paper) -> tuple[str, str]:
    """The stored document and its content hash (what 'unchanged' compares)."""
    raw = orjson.dumps(paper)  # every field, in definition order: lossless and deterministic
    return raw.decode("utf-8"), hashlib.sha1(raw).hexdigest()


def journal_key(paper: Paper) -> str | None:
    j = paper.journal
    if j.nlm_id:
        return f"nlm:{j.nlm_id}"
    if j.issn:
        return f"issn:{j.issn}"
    if j.title:
        return f"title:{j.title.strip().lower()[:280]}"
    return None


def _json_list(items: Sequence[str]) -> str | None:
    return orjson.dumps(list(items)).decode("utf-8") if items else None


class PreparedPaper(NamedTuple):
    """A Paper already turned into row tuples: the expensive, database-free half of a write.

    Ingest builds these in a parser process so the writer only decides and inserts; a tuple
    pickles several times faster than a dataclass on the way between the two.
    """

    pmid: str
    version: int
    doc: str
    digest: str
    paper_row: tuple[Any, ...]  # PAPER_COLUMNS
    journal: tuple[str, str | None, str | None, str | None, str | None, str | None] | None
    authors: tuple[tuple[Any, ...], ...]
    mesh: tuple[tuple[Any, ...], ...]
    ids: tuple[tuple[Any, ...], ...]
    pts: tuple[tuple[Any, ...], ...]


PAPER_COLUMNS = ("pmid", "version", "title", "doi", "pmcid", "volume", "issue", "pages",
                 "published", "year", "language", "retracted", "is_book", "has_abstract",
                 "status", "doc", "content_hash", "title_key")
AUTHOR_COLUMNS = ("pmid", "position", "last", "fore", "initials", "collective", "affiliations")
MESH_COLUMNS = ("pmid", "position", "descriptor", "ui", "major", "qualifiers")
ID_COLUMNS = ("pmid", "id_type", "value")
PT_COLUMNS = ("pmid", "name")


def prepare(paper: Paper) -> PreparedPaper:
    doc, digest = paper_doc(paper)
    pmid = paper.pmid
    j = paper.journal
    key = journal_key(paper)
    ids = {("doi", paper.doi), ("pmc", paper.pmcid), *paper.other_ids}
    return PreparedPaper(
        pmid=pmid, version=paper.version, doc=doc, digest=digest,
        paper_row=(pmid, paper.version, paper.title, paper.doi, paper.pmcid, j.volume, j.issue,
                   j.pages, paper.published, paper.year, paper.language, paper.retracted,
                   paper.is_book, paper.has_abstract, paper.status, doc, digest,
                   title_key(paper.title)),
        journal=(key, j.title, j.iso_abbrev, j.issn, j.nlm_id, j.medline_ta) if key else None,
        authors=tuple((pmid, pos, a.last, a.fore, a.initials, a.collective,
                       _json_list(a.affiliations)) for pos, a in enumerate(paper.authors)),
        mesh=tuple((pmid, pos, m.descriptor, m.ui, m.major, _json_list(m.qualifiers))
                   for pos, m in enumerate(paper.mesh)),
        ids=tuple((pmid, t, v[:300]) for t, v in sorted((t, v) for t, v in ids if v)),
        pts=tuple((pmid, name[:200]) for name in dict.fromkeys(paper.publication_types)),
    )


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str],
                 rows: Sequence[tuple[Any, ...]]) -> None:
    """executemany straight through the driver: the ingest hot path skips SQLAlchemy's
    per-row parameter processing. Column names come from our schema, values are bound."""
    if not rows:
        return
    quote = conn.dialect.identifier_preparer.quote
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
           f"VALUES ({', '.join([mark] * len(columns))})")
    cursor = conn.connection.cursor()  # the DBAPI cursor of this same transaction
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        cursor.executemany(sql, rows)
    except dbapi_error as exc:
        # wrapped as SQLAlchemy wraps its own statements, so callers (and the store's
        # translation of a full disk or a read-only file) see one kind of error
        raise DBAPIError.instance(sql, None, exc, dbapi_error, dialect=conn.dialect,
                                  ismulti=True) from exc
    finally:
        cursor.close()


def _bind(conn: Connection, column: Column[Any], value: Any) -> Any:
    processor = column.type.bind_processor(conn.dialect)
    return processor(value) if processor else value


def _journal_ids(conn: Connection, batch: Sequence[PreparedPaper]) -> dict[str, int]:
    wanted: dict[str, tuple[Any, ...]] = {}
    for paper in batch:
        if paper.journal and paper.journal[0] not in wanted:
            wanted[paper.journal[0]] = paper.journal
    if not wanted:
        return {}
    ids: dict[str, int] = {}
    keys = list(wanted)
    for chunk in _chunks(keys):
        for row in conn.execute(select(s.journals.c.key, s.journals.c.id)
                                .where(s.journals.c.key.in_(chunk))):
            ids[row.key] = row.id
    missing = [k for k in keys if k not in ids]
    if missing:
        bulk_insert(conn, s.journals,
                     ("key", "title", "iso_abbrev", "issn", "nlm_id", "medline_ta"),
                     [wanted[k] for k in missing])
        for chunk in _chunks(missing):
            for row in conn.execute(select(s.journals.c.key, s.journals.c.id)
                                    .where(s.journals.c.key.in_(chunk))):
                ids[row.key] = row.id
    return ids


def _stored_versions(conn: Connection, pmids: Sequence[str]
                     ) -> dict[str, tuple[int, str, datetime]]:
    found: dict[str, tuple[int, str, datetime]] = {}
    for chunk in _chunks(pmids):
        rows = conn.execute(
            select(s.papers.c.pmid, s.papers.c.version, s.papers.c.content_hash,
                   s.papers.c.created_at)
            .where(s.papers.c.pmid.in_(chunk))
        )
        for row in rows:
            found[row.pmid] = (row.version, row.content_hash, row.created_at)
    return found


def _delete_children(conn: Connection, pmids: Sequence[str]) -> None:
    for table in (s.authors, s.mesh_terms, s.identifiers, s.publication_types):
        for chunk in _chunks(pmids):
            conn.execute(delete(table).where(table.c.pmid.in_(chunk)))


def apply_batch(conn: Connection, records: Sequence[Paper | PreparedPaper | Deletion]
                ) -> BatchCounts:
    """Apply parsed records in order: add, replace (same or higher version with new content),
    skip (lower version or identical content) and delete. Returns what happened.

    Counting is per record, as if records were applied one by one, so the counts do not depend
    on where batch boundaries fall; only the final state of each PMID is written.
    """
    counts = BatchCounts()
    prepared = [prepare(r) if isinstance(r, Paper) else r for r in records]
    pmids = list(dict.fromkeys(r.pmid for r in prepared))
    stored = _stored_versions(conn, pmids)
    tombstoned: set[str] = set()
    for chunk in _chunks([p for p in pmids if p not in stored]):
        tombstoned.update(conn.execute(select(s.deleted_papers.c.pmid)
                                       .where(s.deleted_papers.c.pmid.in_(chunk))).scalars())
    # state: pmid -> (version, hash) while present, None once deleted
    state: dict[str, tuple[int, str] | None] = {
        p: stored[p][:2] if p in stored else None for p in pmids if p in stored or p in tombstoned}
    final: dict[str, PreparedPaper | Deletion] = {}
    for rec in prepared:
        current = state.get(rec.pmid)
        if isinstance(rec, Deletion):
            if current is None and rec.pmid in state:
                counts.unchanged += 1  # already deleted
            else:
                counts.deleted += 1
                final[rec.pmid] = rec
            state[rec.pmid] = None
            continue
        if current is None:
            counts.added += 1
        elif rec.version < current[0] or rec.digest == current[1]:
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        state[rec.pmid] = (rec.version, rec.digest)
        final[rec.pmid] = rec
    now = datetime.now(UTC)

    deleted = [p for p, rec in final.items() if isinstance(rec, Deletion)]
    writes = [rec for rec in final.values() if isinstance(rec, PreparedPaper)]
    gone = [p for p in deleted if p in stored] + [p.pmid for p in writes if p.pmid in stored]
    if gone:
        _delete_children(conn, gone)
        for chunk in _chunks(gone):
            conn.execute(delete(s.papers).where(s.papers.c.pmid.in_(chunk)))
    new_tombs = [p for p in deleted if p not in tombstoned]
    if new_tombs:
        stamp = _bind(conn, s.deleted_papers.c.deleted_at, now)
        bulk_insert(conn, s.deleted_papers, ("pmid", "deleted_at"),
                     [(p, stamp) for p in new_tombs])
    revived = [p.pmid for p in writes if p.pmid in tombstoned]
    for chunk in _chunks(revived):
        conn.execute(delete(s.deleted_papers).where(s.deleted_papers.c.pmid.in_(chunk)))
    changes = [(p, "delete") for p in deleted if p in stored]
    if writes:
        journal_ids = _journal_ids(conn, writes)
        stamp = _bind(conn, s.papers.c.created_at, now)

        def created(pmid: str) -> Any:  # a replaced paper keeps the day it first arrived
            return _bind(conn, s.papers.c.created_at, stored[pmid][2]) if pmid in stored else stamp

        bulk_insert(conn, s.papers, (*PAPER_COLUMNS, "journal_id", "created_at", "updated_at"),
                     [(*p.paper_row, journal_ids.get(p.journal[0]) if p.journal else None,
                       created(p.pmid), stamp) for p in writes])
        bulk_insert(conn, s.authors, AUTHOR_COLUMNS, [r for p in writes for r in p.authors])
        bulk_insert(conn, s.mesh_terms, MESH_COLUMNS, [r for p in writes for r in p.mesh])
        bulk_insert(conn, s.identifiers, ID_COLUMNS, [r for p in writes for r in p.ids])
        bulk_insert(conn, s.publication_types, PT_COLUMNS, [r for p in writes for r in p.pts])
        changes += [(p.pmid, "upsert") for p in writes]
    bulk_insert(conn, s.paper_changes, ("pmid", "op"), changes)
    return counts


def find_paper(conn: Connection, pmid: str) -> Paper | None:
    doc = conn.execute(select(s.papers.c.doc).where(s.papers.c.pmid == pmid)).scalar()
    return Paper.from_doc(orjson.loads(doc)) if doc is not None else None


def paper_exists(conn: Connection, pmid: str) -> bool:
    return conn.execute(select(s.papers.c.pmid).where(s.papers.c.pmid == pmid)).first() is not None


def get_papers(conn: Connection, pmids: Sequence[str]) -> dict[str, Paper]:
    """The stored papers among ``pmids`` (missing ones are simply absent)."""
    out: dict[str, Paper] = {}
    for chunk in _chunks(list(pmids)):
        for row in conn.execute(select(s.papers.c.pmid, s.papers.c.doc)
                                .where(s.papers.c.pmid.in_(chunk))):
            out[row.pmid] = Paper.from_doc(orjson.loads(row.doc))
    return out


def get_papers_with_arrival(conn: Connection, pmids: Sequence[str]
                            ) -> dict[str, tuple[Paper, datetime]]:
    """Like :func:`get_papers`, each with when it first arrived (``created_at``, UTC): what the
    search index and saved-search alerts need."""
    out: dict[str, tuple[Paper, datetime]] = {}
    for chunk in _chunks(list(pmids)):
        for row in conn.execute(select(s.papers.c.pmid, s.papers.c.doc, s.papers.c.created_at)
                                .where(s.papers.c.pmid.in_(chunk))):
            out[row.pmid] = (Paper.from_doc(orjson.loads(row.doc)), as_utc(row.created_at))
    return out


def page_papers_with_arrival(conn: Connection, *, after_pmid: str, limit: int
                             ) -> list[tuple[Paper, datetime]]:
    """Stored papers in PMID (string) order after ``after_pmid``, with their arrival times: a
    keyset walk over the primary key, for rebuilding the search index."""
    rows = conn.execute(select(s.papers.c.doc, s.papers.c.created_at)
                        .where(s.papers.c.pmid > after_pmid)
                        .order_by(s.papers.c.pmid).limit(limit))
    return [(Paper.from_doc(orjson.loads(row.doc)), as_utc(row.created_at)) for row in rows]


def stored_pmids(conn: Connection, pmids: Sequence[str]) -> set[str]:
    """Which of ``pmids`` are stored (without reading their documents)."""
    found: set[str] = set()
    for chunk in _chunks(list(pmids)):
        found.update(conn.execute(select(s.papers.c.pmid)
                                  .where(s.papers.c.pmid.in_(chunk))).scalars())
    return found


def find_pmid_by_doi(conn: Connection, doi: str) -> str | None:
    """The paper with this DOI, compared case-insensitively (served by ix_papers_doi_lower)."""
    return conn.execute(
        select(s.papers.c.pmid).where(func.lower(s.papers.c.doi) == doi.strip().lower())
        .order_by(s.papers.c.pmid).limit(1)
    ).scalar()


def find_pmid_by_title_year(conn: Connection, normalised_title: str, year: int) -> str | None:
    """The one paper of ``year`` whose title normalises to ``normalised_title``
    (:func:`litfeed.formats.match.normalise_title`), or None when none or several do: a
    reference is only matched by title when the match is unambiguous.
    """
    if not normalised_title:
        return None
    rows = conn.execute(
        select(s.papers.c.pmid, s.papers.c.title)
        .where(s.papers.c.title_key == title_key_of(normalised_title), s.papers.c.year == year)
        .limit(10)).all()
    # the key is a hash prefix: confirm the titles really are equal
    found = [r.pmid for r in rows if normalise_title(r.title) == normalised_title]
    return found[0] if len(found) == 1 else None


def count_papers(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.papers)).scalar() or 0)


def newest_published(conn: Connection) -> str | None:
    value = conn.execute(select(func.max(s.papers.c.published))).scalar()
    return str(value) if value else None


def touch_change_log(conn: Connection, pmids: Sequence[str], op: str) -> None:
    if pmids:
        conn.execute(insert(s.paper_changes), [{"pmid": p, "op": op} for p in pmids])


def list_newest(conn: Connection, *, limit: int = 20, offset: int = 0) -> list[Paper]:
    """Dated papers, newest first (what the home page shows before there is a feed).

    Undated papers are left out rather than sorted, so both backends can walk the index.
    """
    rows = conn.execute(select(s.papers.c.doc).where(s.papers.c.published.is_not(None))
                        .order_by(s.papers.c.published.desc(), s.papers.c.pmid.desc())
                        .limit(limit).offset(offset))
    return [Paper.from_doc(orjson.loads(row.doc)) for row in rows]
