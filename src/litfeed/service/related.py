"""Related papers for one seed: embedding neighbours, lexical neighbours, shared MeSH, fused.

The seed's neighbours come from three places: the in-RAM vector index (cosine of MiniLM
vectors), the Tantivy index (BM25 of the seed's own title and abstract, as PubMed's pmra) and
the store (papers sharing the seed's major MeSH topics). ``rank.related`` fuses them. A seed
that has no vector yet (ingested, not embedded) is related by the other two, so a new paper
has neighbours at once. Candidates are checked against the store last, so a paper deleted
after an index was built never appears.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Connection

from litfeed.config import Settings
from litfeed.errors import InvalidInput, NotFound, StorageError
from litfeed.rank import feedback
from litfeed.rank import related as fusion
from litfeed.rank.embeddings import paper_text
from litfeed.rank.vectors import VectorIndex
from litfeed.search.index import SearchIndex, word_counts
from litfeed.service.embeddings import vector_index
from litfeed.service.search import index_is_current, open_index, sync_index
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import related as store_related

MAX_LIMIT = 100
#: how deep each signal's list goes: every signal scores the union of the lists, so even at
#: limit=100 the fusion has more candidates than it keeps (200 each measured no better)
DEPTH = 100
_indexes: dict[Path, SearchIndex] = {}
_lock = threading.Lock()
SIZE_TTL_S = 60.0
_sizes: dict[str, tuple[float, int]] = {}


def _corpus_size(store: Store, conn: Connection) -> int:
    """The number of papers, counted at most once a minute (a full count costs ~10 ms per
    million rows, and IDF barely moves between counts)."""
    now = time.monotonic()
    cached = _sizes.get(store.url)
    if cached is None or now - cached[0] > SIZE_TTL_S:
        cached = _sizes[store.url] = (now, store_related.count_papers(conn))
    return cached[1]


def _search_index(store: Store, settings: Settings) -> SearchIndex:
    """This process's reader of the search index, caught up with the store when possible."""
    with _lock:
        index = _indexes.get(settings.data_dir)
        if index is None:
            index = _indexes[settings.data_dir] = open_index(settings)
    if not index_is_current(store, index):
        try:
            sync_index(store, index)
        except StorageError:
            pass  # another process is indexing: use its last commit
        finally:
            index.close()  # release the writer; readers stay open
    return index


def _rocchio_query(vectors: VectorIndex, pmid: str, depth: int
                   ) -> tuple[np.ndarray, list[tuple[str, float]]] | None:
    """The seed's embedding query (its vector moved towards the centroid of its best
    neighbours) and the neighbours of that query with their cosines, best first; None
    without a seed vector."""
    vector = vectors.find(pmid)
    if vector is None:
        return None
    first = vectors.search(vector, feedback.ROCCHIO_DEPTH, exclude={pmid})
    close = [v for p, _ in first if (v := vectors.find(p)) is not None]
    query = feedback.rocchio(vector, np.stack(close)) if close else vector
    return query, vectors.search(query, depth, exclude={pmid})


def _rm3_query(store: Store, index: SearchIndex, text: str, close: Sequence[str]
               ) -> dict[str, float]:
    """Word → boost: the seed's words and those its ``close`` neighbours share (RM3)."""
    with store.read() as conn:
        papers = store_papers.get_papers(conn, list(close))
    counts = [word_counts(paper_text(papers[p])) for p in close if p in papers]
    return feedback.rm3(word_counts(text), counts, index.idf({w for c in counts for w in c}))


def signals(store: Store, settings: Settings, pmid: str, *, depth: int = DEPTH
            ) -> tuple[dict[str, Sequence[tuple[str, float]]], dict[str, list[str]]]:
    """Each signal's scores of every candidate (best first) and the major topics each shares.

    Candidates are the seed's neighbours by embedding (after Rocchio feedback), by its own
    words (Tantivy "more like this") and by shared major MeSH topics, ``depth`` of each. Every
    signal then scores every candidate: cosine to the embedding query, BM25 of the RM3 query
    (its words plus its best neighbours' words), the summed IDF of the shared topics.

    :raise NotFound: no stored paper has this PMID.
    """
    with store.read() as conn:
        seed = store_papers.find_paper(conn, pmid)
        if seed is None:
            raise NotFound(f"no paper with PMID {pmid}")
    text = paper_text(seed)
    index = _search_index(store, settings)
    lexical = [p for p, _ in index.similar(text, limit=depth, exclude=pmid)]
    vectors = vector_index(store, settings)
    embedded = _rocchio_query(vectors, pmid, depth)
    close = [p for p, _ in embedded[1]] if embedded is not None else lexical
    # MeSH last, so the shared topics are fetched for the other signals' candidates only
    # (every paper sharing a topic can be tens of thousands at a million papers)
    with store.read() as conn:
        topics = store_related.major_topics(conn, pmid)
        mesh_hits, shared = store_related.papers_sharing_topics(
            conn, topics, limit=depth + 1, total=_corpus_size(store, conn) if topics else 1,
            among={*close, *lexical})
    mesh = [h for h in mesh_hits if h[0] != pmid][:depth]
    candidates = list(dict.fromkeys([*close, *lexical, *(p for p, _ in mesh)]))
    found: dict[str, Sequence[tuple[str, float]]] = {fusion.MESH: mesh}
    if embedded is not None:
        query, cosines = embedded[0], dict(embedded[1])
        for p in candidates:  # the other signals' candidates: their cosine to the query too
            if p not in cosines and (v := vectors.find(p)) is not None:
                cosines[p] = float(v @ query)
        found[fusion.EMBEDDING] = sorted(cosines.items(), key=lambda hit: (-hit[1], hit[0]))
    words = _rm3_query(store, index, text, close[:feedback.RM3_DEPTH])
    found[fusion.LEXICAL] = index.weighted_search(
        words, limit=len(candidates), among=candidates, exclude=pmid,
        title_boost=feedback.RM3_TITLE_BOOST)
    return found, shared


def related(store: Store, settings: Settings, pmid: str, limit: int = 10, *,
            weights: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``{"pmid", "results": [{"pmid", "title", "score", "why", "retracted"}]}``, best first.

    :raise InvalidInput: ``limit`` is not 1 to 100.
    :raise NotFound: no stored paper has this PMID.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit={limit}; expected 1 to {MAX_LIMIT}")
    found, shared = signals(store, settings, pmid)
    ranked = fusion.rank(found, limit=limit + 20, exclude={pmid}, weights=weights,
                         shared_mesh=shared)
    with store.read() as conn:
        live = store_related.live_candidates(conn, [r.pmid for r in ranked])
    results = [{"pmid": r.pmid, "title": live[r.pmid].title, "score": round(r.score, 6),
                "why": "; ".join(r.why), "retracted": live[r.pmid].retracted}
               for r in ranked if r.pmid in live][:limit]
    return {"pmid": pmid, "results": results}
