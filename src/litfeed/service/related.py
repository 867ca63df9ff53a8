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
from litfeed.search.index import SearchIndex, word_counts
from litfeed.service.embeddings import vector_index
from litfeed.service.search import index_is_current, open_index, sync_index
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import related as store_related

MAX_LIMIT = 100
#: how deep each signal's list goes: fusion needs candidates beyond the ones it keeps
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


def _embedding_neighbours(store: Store, settings: Settings, pmid: str, depth: int
                          ) -> list[tuple[str, float]] | None:
    """The seed's embedding neighbours by cosine to its Rocchio query (seed + the centroid of
    its best neighbours: a second vector search); None when the seed has no vector yet."""
    vectors = vector_index(store, settings)
    vector = vectors.find(pmid)
    if vector is None:
        return None
    first = vectors.search(vector, max(depth, feedback.ROCCHIO_DEPTH), exclude={pmid})
    close = [v for p, _ in first[:feedback.ROCCHIO_DEPTH] if (v := vectors.find(p)) is not None]
    if not close:
        return first[:depth]
    query = feedback.rocchio(vector, np.stack(close))
    return vectors.search(query, depth, exclude={pmid})


def _lexical_neighbours(store: Store, index: SearchIndex, pmid: str, text: str, depth: int,
                        embedded: Sequence[tuple[str, float]] | None
                        ) -> list[tuple[str, float]]:
    """The seed's lexical neighbours by BM25 of an RM3 query: the seed's words plus the words
    its best neighbours share (those by embedding when there are any, else by words).

    Candidates are the "more like this" neighbours of the seed's own text plus the embedding
    neighbours; the expanded query re-scores them, so its length costs little.
    """
    lexical = index.similar(text, limit=depth, exclude=pmid)
    close = [p for p, _ in (embedded or lexical)[:feedback.RM3_DEPTH]]
    if not close:
        return lexical
    with store.read() as conn:
        papers = store_papers.get_papers(conn, close)
    counts = [word_counts(paper_text(papers[p])) for p in close if p in papers]
    seed = word_counts(text)
    idf = index.idf({w for c in counts for w in c})
    query = feedback.rm3(seed, counts, idf)
    among = dict.fromkeys([p for p, _ in lexical] + [p for p, _ in embedded or ()])
    return index.weighted_search(query, limit=depth, among=list(among), exclude=pmid)


def signals(store: Store, settings: Settings, pmid: str, *, depth: int = DEPTH
            ) -> tuple[dict[str, Sequence[tuple[str, float]]], dict[str, list[str]]]:
    """Each signal's neighbours of ``pmid`` (best first) and the major topics each shares.

    :raise NotFound: no stored paper has this PMID.
    """
    with store.read() as conn:
        seed = store_papers.find_paper(conn, pmid)
        if seed is None:
            raise NotFound(f"no paper with PMID {pmid}")
        topics = store_related.major_topics(conn, pmid)
        mesh_hits, shared = store_related.papers_sharing_topics(
            conn, topics, limit=depth + 1, total=_corpus_size(store, conn) if topics else 1)
    found: dict[str, Sequence[tuple[str, float]]] = {
        fusion.MESH: [h for h in mesh_hits if h[0] != pmid][:depth]}
    embedded = _embedding_neighbours(store, settings, pmid, depth)
    if embedded is not None:
        found[fusion.EMBEDDING] = embedded
    found[fusion.LEXICAL] = _lexical_neighbours(
        store, _search_index(store, settings), pmid, paper_text(seed), depth, embedded)
    return found, shared


def related(store: Store, settings: Settings, pmid: str, limit: int = 10, *,
            weights: Mapping[str, float] | None = None) -> dict[str, Any]:
    """``{"pmid", "results": [{"pmid", "title", "score", "why", "retracted"}]}``, best first.

    :raise InvalidInput: ``limit`` is not 1 to 100.
    :raise NotFound: no stored paper has this PMID.
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit={limit}; expected 1 to {MAX_LIMIT}")
    found, shared = signals(store, settings, pmid, depth=max(DEPTH, 2 * limit))
    ranked = fusion.rank(found, limit=limit + 20, exclude={pmid}, weights=weights,
                         shared_mesh=shared)
    with store.read() as conn:
        live = store_related.live_candidates(conn, [r.pmid for r in ranked])
    results = [{"pmid": r.pmid, "title": live[r.pmid].title, "score": round(r.score, 6),
                "why": "; ".join(r.why), "retracted": live[r.pmid].retracted}
               for r in ranked if r.pmid in live][:limit]
    return {"pmid": pmid, "results": results}
