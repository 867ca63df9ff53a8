"""The store's side of related papers: major MeSH topics, and which candidates are live."""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import NamedTuple

from sqlalchemy import case, func, select
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


def topic_counts(conn: Connection, topics: Sequence[str]) -> dict[str, int]:
    """Papers with each topic as a major one, counted up to ``MAX_TOPIC_PAPERS + 1`` (beyond
    that the topic is skipped anyway): an index range, never a walk of a huge topic."""
    m = s.mesh_terms
    counts: dict[str, int] = {}
    for topic in dict.fromkeys(topics):
        bounded = (select(m.c.pmid).where(m.c.descriptor == topic).where(m.c.major.is_(True))
                   .limit(MAX_TOPIC_PAPERS + 1).subquery())
        counts[topic] = int(conn.execute(select(func.count()).select_from(bounded)).scalar() or 0)
    return counts


def papers_sharing_topics(conn: Connection, topics: Sequence[str], *, limit: int, total: int,
                          among: Collection[str] | None = None
                          ) -> tuple[list[tuple[str, float]], dict[str, list[str]]]:
    """Papers with any of ``topics`` as a major topic, scored by the summed IDF of the shared
    ones (rarer shared topics say more; ``total`` is the corpus size); best first, and each
    paper's shared topics, rarest first.

    The shared topics are given for the ``limit`` best papers and every paper in ``among``
    (say, the other signals' candidates); ``among=None`` gives them for every paper sharing a
    topic, which at a million papers can be tens of thousands of rows.
    """
    if not topics:
        return [], {}
    m = s.mesh_terms
    total = max(total, 1)
    idf = {t: math.log(1 + total / n) for t, n in topic_counts(conn, topics).items()
           if 0 < n <= MAX_TOPIC_PAPERS}
    if not idf:
        return [], {}
    # summed and ranked by the database over the (descriptor, major, pmid) index
    weight = case(idf, value=m.c.descriptor, else_=0.0)
    score = func.sum(weight).label("score")
    best = [(row.pmid, float(row.score)) for row in conn.execute(
        select(m.c.pmid, score).where(m.c.descriptor.in_(list(idf)))
        .where(m.c.major.is_(True)).group_by(m.c.pmid)
        .order_by(score.desc(), m.c.pmid).limit(limit))]
    shared: dict[str, list[str]] = {}
    query = select(m.c.pmid, m.c.descriptor).where(m.c.descriptor.in_(list(idf))) \
        .where(m.c.major.is_(True))
    if among is None:
        rows = list(conn.execute(query))
    else:
        wanted = list(dict.fromkeys([*(p for p, _ in best), *among]))
        rows = []
        for start in range(0, len(wanted), 500):
            rows += conn.execute(query.where(m.c.pmid.in_(wanted[start:start + 500]))).all()
    for pmid, topic in rows:
        if topic not in shared.setdefault(pmid, []):
            shared[pmid].append(topic)
    for names in shared.values():
        names.sort(key=lambda t: -idf[t])
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
