"""The store's side of related papers: major MeSH topics, and which candidates are live."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from litfeed.store import schema as s

#: a major topic on more papers than this says little about any pair of them; skipping it
#: keeps the query bounded at millions of papers
MAX_TOPIC_PAPERS = 20_000


class Candidate(NamedTuple):
    pmid: str
    title: str
    retracted: bool


def major_topics(conn: Connection, pmid: str) -> list[str]:
    m = s.mesh_terms
    return list(dict.fromkeys(conn.execute(
        select(m.c.descriptor).where(m.c.pmid == pmid).where(m.c.major.is_(True))
        .order_by(m.c.position)).scalars()))


def count_papers(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(s.papers)).scalar() or 0)


def papers_sharing_topics(conn: Connection, topics: Sequence[str], *, limit: int, total: int
                          ) -> tuple[list[tuple[str, float]], dict[str, list[str]]]:
    """Papers with any of ``topics`` as a major topic, scored by the summed IDF of the shared
    ones (rarer shared topics say more; ``total`` is the corpus size); best first, and each
    paper's shared topics, rarest first."""
    if not topics:
        return [], {}
    m = s.mesh_terms
    total = max(total, 1)
    counts: dict[str, int] = dict(conn.execute(
        select(m.c.descriptor, func.count(func.distinct(m.c.pmid)))
        .where(m.c.descriptor.in_(topics)).where(m.c.major.is_(True))
        .group_by(m.c.descriptor)).all())
    idf = {t: math.log(1 + total / n) for t, n in counts.items()
           if 0 < n <= MAX_TOPIC_PAPERS}
    if not idf:
        return [], {}
    scores: dict[str, float] = {}
    shared: dict[str, list[str]] = {}
    for pmid, topic in conn.execute(
            select(m.c.pmid, m.c.descriptor).where(m.c.descriptor.in_(list(idf)))
            .where(m.c.major.is_(True))):
        if topic in shared.setdefault(pmid, []):
            continue
        shared[pmid].append(topic)
        scores[pmid] = scores.get(pmid, 0.0) + idf[topic]
    for names in shared.values():
        names.sort(key=lambda t: -idf[t])
    best = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return best, shared


def live_candidates(conn: Connection, pmids: Sequence[str]) -> dict[str, Candidate]:
    """The stored (not deleted) papers among ``pmids``, with what a related list shows."""
    p = s.papers
    out: dict[str, Candidate] = {}
    for start in range(0, len(pmids), 500):
        for row in conn.execute(select(p.c.pmid, p.c.title, p.c.retracted)
                                .where(p.c.pmid.in_(pmids[start:start + 500]))):
            out[row.pmid] = Candidate(row.pmid, row.title, bool(row.retracted))
    return out
