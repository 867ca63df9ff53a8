"""Approximate nearest neighbours: an HNSW graph (usearch) over the vectors of a VectorIndex.

Exact search reads every vector per query (about 0.1 s per million on two cores), which is
fine up to a few million papers. Beyond that :class:`VectorIndex` keeps this graph beside its
matrix and searches it instead. The graph is keyed by the index's stable ``labels`` (not row
numbers), so deleting and compacting rows never invalidates it; a deleted label is removed from
the graph at once, so search never returns a deleted paper.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from litfeed.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class HnswParams:
    """HNSW knobs: ``connectivity`` (M, links per node) and ``expansion_add`` (efConstruction)
    set graph quality and build time; ``expansion_search`` (ef) trades query time for recall and
    is raised to the number of results asked for when that is larger.

    Chosen on replicated MiniLM vectors (real ones plus N(0, 0.02²) noise per dimension: each
    paper has dozens of near-duplicates, the hard case for a graph): with 50 replicas of
    4,000 papers, ``connectivity=16, expansion_add=64`` (the usearch-like defaults used
    before) found recall@10 0.941 even at ``expansion_search=512``, and 0.927 at a million
    vectors; ``24, 96`` found 0.998, ``32, 128`` 1.000 but built three times slower. The
    search breadth is a query-time knob (raised to the number of results asked for); 256
    costs about a millisecond. Figures at a million vectors are in docs/ranking.md.
    """

    connectivity: int = 24
    expansion_add: int = 96
    expansion_search: int = 256


class HnswGraph:
    """A usearch HNSW index over cosine similarity; keys are ``uint64`` labels."""

    def __init__(self, dim: int, dtype: str, params: HnswParams, *, threads: int = 0) -> None:
        from usearch.index import Index

        # fp32 vectors are held as f16 in the graph (half the memory, no measurable recall
        # loss); int8 rows are passed through as they are, already scaled per row.
        self._index = Index(
            ndim=dim,
            metric="cos",
            dtype="i8" if dtype == "int8" else "f16",
            connectivity=params.connectivity,
            expansion_add=params.expansion_add,
            expansion_search=params.expansion_search,
        )
        self._params = params
        self._threads = threads

    def __len__(self) -> int:
        return int(self._index.size)

    def add(self, labels: np.ndarray, vectors: np.ndarray) -> None:
        if len(labels):
            self._index.add(labels.astype(np.uint64), vectors, threads=self._threads)

    def remove(self, labels: Sequence[int] | np.ndarray) -> None:
        if len(labels):
            self._index.remove(np.asarray(labels, dtype=np.uint64))

    def search(self, query: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``count`` ``(labels, cosine similarities)``, most similar first."""
        # usearch defines a setter that its type stubs do not show.
        self._index.expansion_search = max(self._params.expansion_search, count)  # type: ignore[misc]
        matches = self._index.search(query, count, threads=self._threads)
        return matches.keys.astype(np.int64), 1.0 - matches.distances.astype(np.float32)

    def save(self, path: Path) -> None:
        self._index.save(str(path))

    def load(self, path: Path) -> None:
        self._index.load(str(path))


def recall_at_k(
    exact: Sequence[Sequence[Hashable]], approximate: Sequence[Sequence[Hashable]]
) -> float:
    """Mean share of each query's exact top-k that the approximate search also returned."""
    if len(exact) != len(approximate):
        raise InvalidInput("recall_at_k needs one approximate result list per exact one")
    shares = [
        len(set(truth) & set(found)) / len(truth)
        for truth, found in zip(exact, approximate, strict=True)
        if truth
    ]
    return float(np.mean(shares)) if shares else 1.0
