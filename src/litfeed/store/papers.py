"""Reading and writing papers: the only code that knows how a Paper maps onto rows.

``apply_batch`` is the ingest hot path: one SELECT for what is stored, then bulk
executemany inserts per table, all inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from litfeed.models import Deletion, Paper
from litfeed.store import schema as s

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
    """The stored JSON document and its content hash (what 'unchanged' compares)."""
    doc = json.dumps(paper.to_json(), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return doc, hashlib.sha1(doc.encode("utf-8")).hexdigest()


def journal_key(paper: Paper) -> str | None:
    j = paper.journal
    if j.nlm_id:
        return f"nlm:{j.nlm_id}"
    if j.issn:
        return f"issn:{j.issn}"
    if j.title:
        return f"title:{j.title.strip().lower()[:280]}"
    return None


def _journal_ids(conn: Connection, batch: Sequence[Paper]) -> dict[str, int]:
    wanted: dict[str, Paper] = {}
    for paper in batch:
        key = journal_key(paper)
        if key and key not in wanted:
            wanted[key] = paper
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
        conn.execute(insert(s.journals), [
            {"key": k, "title": wanted[k].journal.title,
             "iso_abbrev": wanted[k].journal.iso_abbrev, "issn": wanted[k].journal.issn,
             "nlm_id": wanted[k].journal.nlm_id, "medline_ta": wanted[k].journal.medline_ta}
            for k in missing
        ])
        for chunk in _chunks(missing):
            for row in conn.execute(select(s.journals.c.key, s.journals.c.id)
                                    .where(s.journals.c.key.in_(chunk))):
                ids[row.key] = row.id
    return ids


def _stored_versions(conn: Connection, pmids: Sequence[str]) -> dict[str, tuple[int, str]]:
    found: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(pmids):
        rows = conn.execute(
            select(s.papers.c.pmid, s.papers.c.version, s.papers.c.content_hash)
            .where(s.papers.c.pmid.in_(chunk))
        )
        for row in rows:
            found[row.pmid] = (row.version, row.content_hash)
    return found


def _delete_children(conn: Connection, pmids: Sequence[str]) -> None:
    for table in (s.authors, s.mesh_terms, s.identifiers, s.publication_types):
        for chunk in _chunks(pmids):
            conn.execute(delete(table).where(table.c.pmid.in_(chunk)))


def apply_batch(conn: Connection, records: Sequence[Paper | Deletion]) -> BatchCounts:
    """Apply parsed records in order: add, replace (same or higher version with new content),
    skip (lower version or identical content) and delete. Returns what happened.

    Counting is per record, as if records were applied one by one, so the counts do not depend
    on where batch boundaries fall; only the final state of each PMID is written.
    """
    counts = BatchCounts()
    pmids = list(dict.fromkeys(r.pmid for r in records))
    stored = _stored_versions(conn, pmids)
    tombstoned: set[str] = set()
    for chunk in _chunks([p for p in pmids if p not in stored]):
        tombstoned.update(conn.execute(select(s.deleted_papers.c.pmid)
                                       .where(s.deleted_papers.c.pmid.in_(chunk))).scalars())
    # state: pmid -> (version, hash) while present, None once deleted
    state: dict[str, tuple[int, str] | None] = {
        p: stored.get(p) for p in pmids if p in stored or p in tombstoned}
    final: dict[str, Paper | Deletion] = {}
    docs: dict[str, tuple[str, str]] = {}
    for rec in records:
        current = state.get(rec.pmid)
        if isinstance(rec, Deletion):
            if current is None and rec.pmid in state:
                counts.unchanged += 1  # already deleted
            else:
                counts.deleted += 1
                final[rec.pmid] = rec
            state[rec.pmid] = None
            continue
        doc, digest = paper_doc(rec)
        if current is None:
            counts.added += 1
        elif rec.version < current[0] or digest == current[1]:
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
        state[rec.pmid] = (rec.version, digest)
        docs[rec.pmid] = (doc, digest)
        final[rec.pmid] = rec
    now = datetime.now(UTC)

    to_insert: list[Paper] = []
    to_replace: list[Paper] = []
    deleted = [p for p, rec in final.items() if isinstance(rec, Deletion)]
    for pmid, rec in final.items():
        if isinstance(rec, Paper):
            (to_replace if pmid in stored else to_insert).append(rec)
    present = [p for p in deleted if p in stored]
    if present:
        _delete_children(conn, present)
        for chunk in _chunks(present):
            conn.execute(delete(s.papers).where(s.papers.c.pmid.in_(chunk)))
        conn.execute(insert(s.paper_changes), [{"pmid": p, "op": "delete"} for p in present])
    new_tombs = [p for p in deleted if p not in tombstoned]
    if new_tombs:
        conn.execute(insert(s.deleted_papers),
                     [{"pmid": p, "deleted_at": now} for p in new_tombs])

    writes = to_insert + to_replace
    if not writes:
        return counts
    journal_ids = _journal_ids(conn, writes)
    if to_replace:
        replace_ids = [p.pmid for p in to_replace]
        _delete_children(conn, replace_ids)
        for chunk in _chunks(replace_ids):
            conn.execute(delete(s.papers).where(s.papers.c.pmid.in_(chunk)))
    created = {p.pmid: now for p in to_insert}
    paper_rows: list[dict[str, Any]] = []
    author_rows: list[dict[str, Any]] = []
    mesh_rows: list[dict[str, Any]] = []
    id_rows: list[dict[str, Any]] = []
    pt_rows: list[dict[str, Any]] = []
    for paper in writes:
        doc, digest = docs[paper.pmid]
        key = journal_key(paper)
        paper_rows.append({
            "pmid": paper.pmid, "version": paper.version, "title": paper.title,
            "doi": paper.doi, "pmcid": paper.pmcid,
            "journal_id": journal_ids.get(key) if key else None,
            "volume": paper.journal.volume, "issue": paper.journal.issue,
            "pages": paper.journal.pages, "published": paper.published, "year": paper.year,
            "language": paper.language, "retracted": paper.retracted, "is_book": paper.is_book,
            "has_abstract": paper.has_abstract, "status": paper.status, "doc": doc,
            "content_hash": digest, "created_at": created.get(paper.pmid, now), "updated_at": now,
        })
        for pos, a in enumerate(paper.authors):
            author_rows.append({
                "pmid": paper.pmid, "position": pos, "last": a.last, "fore": a.fore,
                "initials": a.initials, "collective": a.collective,
                "affiliations": json.dumps(list(a.affiliations), ensure_ascii=False)
                if a.affiliations else None,
            })
        for pos, m in enumerate(paper.mesh):
            mesh_rows.append({
                "pmid": paper.pmid, "position": pos, "descriptor": m.descriptor, "ui": m.ui,
                "major": m.major,
                "qualifiers": json.dumps(list(m.qualifiers), ensure_ascii=False)
                if m.qualifiers else None,
            })
        ids = {("doi", paper.doi), ("pmc", paper.pmcid), *paper.other_ids}
        for id_type, value in sorted((t, v) for t, v in ids if v):
            id_rows.append({"pmid": paper.pmid, "id_type": id_type, "value": value[:300]})
        for name in dict.fromkeys(paper.publication_types):
            pt_rows.append({"pmid": paper.pmid, "name": name[:200]})
    conn.execute(insert(s.papers), paper_rows)
    for table, rows in ((s.authors, author_rows), (s.mesh_terms, mesh_rows),
                        (s.identifiers, id_rows), (s.publication_types, pt_rows)):
        if rows:
            conn.execute(insert(table), rows)
    conn.execute(insert(s.paper_changes), [{"pmid": p.pmid, "op": "upsert"} for p in writes])
    revived = [p.pmid for p in to_insert if p.pmid in tombstoned]
    for chunk in _chunks(revived):
        conn.execute(delete(s.deleted_papers).where(s.deleted_papers.c.pmid.in_(chunk)))
    return counts


def find_paper(conn: Connection, pmid: str) -> Paper | None:
    doc = conn.execute(select(s.papers.c.doc).where(s.papers.c.pmid == pmid)).scalar()
    return Paper.from_json(json.loads(doc)) if doc is not None else None


def paper_exists(conn: Connection, pmid: str) -> bool:
    return conn.execute(select(s.papers.c.pmid).where(s.papers.c.pmid == pmid)).first() is not None


def get_papers(conn: Connection, pmids: Sequence[str]) -> dict[str, Paper]:
    """The stored papers among ``pmids`` (missing ones are simply absent)."""
    out: dict[str, Paper] = {}
    for chunk in _chunks(list(pmids)):
        for row in conn.execute(select(s.papers.c.pmid, s.papers.c.doc)
                                .where(s.papers.c.pmid.in_(chunk))):
            out[row.pmid] = Paper.from_json(json.loads(row.doc))
    return out


def find_pmid_by_doi(conn: Connection, doi: str) -> str | None:
    return conn.execute(
        select(s.papers.c.pmid).where(func.lower(s.papers.c.doi) == doi.strip().lower()).limit(1)
    ).scalar()


def count_papers(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.papers)).scalar() or 0)


def newest_published(conn: Connection) -> str | None:
    value = conn.execute(select(func.max(s.papers.c.published))).scalar()
    return str(value) if value else None


def touch_change_log(conn: Connection, pmids: Sequence[str], op: str) -> None:
    if pmids:
        conn.execute(insert(s.paper_changes), [{"pmid": p, "op": op} for p in pmids])


def mark_updated(conn: Connection, pmid: str) -> None:
    conn.execute(update(s.papers).where(s.papers.c.pmid == pmid)
                 .values(updated_at=datetime.now(UTC)))


def list_newest(conn: Connection, *, limit: int = 20, offset: int = 0) -> list[Paper]:
    """Dated papers, newest first (what the home page shows before there is a feed).

    Undated papers are left out rather than sorted, so both backends can walk the index.
    """
    rows = conn.execute(select(s.papers.c.doc).where(s.papers.c.published.is_not(None))
                        .order_by(s.papers.c.published.desc(), s.papers.c.pmid.desc())
                        .limit(limit).offset(offset))
    return [Paper.from_json(json.loads(row.doc)) for row in rows]
