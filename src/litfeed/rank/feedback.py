"""Pseudo-relevance feedback for related papers: widen the seed by its closest neighbours.

A seed paper is one abstract; the papers a reader wants beside it (the other trials of a
systematic review, say) form a topical cluster around it, and the seed alone is a noisy
sample of that cluster. Its best neighbours are mostly in the cluster, so adding what they
share to the query moves the query towards the cluster's centre (Rocchio 1971; for words,
RM3, Lavrenko & Croft 2001 / Abdul-Jaleel et al. 2004). Both are measured in
``bench/related.py`` (docs/ranking.md): together they lift nDCG@10 on the shared screening
reviews well above either signal alone.

Pure functions: vectors and word counts in, a query out; the service runs the searches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: the embedding query: seed + ROCCHIO_WEIGHT × the mean of its ROCCHIO_DEPTH best neighbours,
#: each weighted by its cosine to the seed to the power ROCCHIO_POWER (α-query expansion,
#: Radenović et al. 2018): in a small library the 80 "best" neighbours reach far from the
#: seed, and the weights keep those from pulling the query towards the library's average
ROCCHIO_DEPTH = 80
ROCCHIO_WEIGHT = 2.0
ROCCHIO_POWER = 3.0
#: the word query: the seed's words + RM3_WEIGHT × the RM3_TERMS heaviest words of the
#: RM3_DEPTH best neighbours (the seed's part and the neighbours' part each sum to 1)
RM3_DEPTH = 10
RM3_TERMS = 100
RM3_WEIGHT = 0.5
#: the word query's BM25 in a title counts this many times its BM25 in an abstract (a BM25F
#: field weight: a neighbour's shared word in the title says what the paper is about)
RM3_TITLE_BOOST = 3.0
#: BM25's term-frequency saturation, as the index scores (k1 = 1.2, b = 0.75)
K1 = 1.2
B = 0.75


def rocchio(seed: np.ndarray, neighbours: np.ndarray, *, weight: float = ROCCHIO_WEIGHT,
            power: float = ROCCHIO_POWER) -> np.ndarray:
    """The unit vector of ``seed + weight × mean(neighbours)`` (the seed itself without any),
    the mean weighted by each neighbour's cosine to the seed to the power ``power`` (0: plain;
    a neighbour at a cosine ≤ 0 counts for nothing).

    All vectors are unit length, so the mean is the neighbours' centroid and ``weight`` says
    how far towards it the query moves.
    """
    query = np.asarray(seed, dtype=np.float32).reshape(-1)
    close = np.asarray(neighbours, dtype=np.float32).reshape(-1, len(query))
    shares = np.clip(close @ query, 0.0, None) ** power if power else np.ones(len(close))
    if len(close) and shares.sum() > 0:
        query = query + weight * (shares @ close) / shares.sum()
    norm = float(np.linalg.norm(query))
    return query / norm if norm > 0 else query


def _bm25_weights(counts: Mapping[str, int], idf: Mapping[str, float], avg_len: float
                  ) -> dict[str, float]:
    """One document's words weighted as BM25 scores them (saturated tf × IDF), unit length."""
    length = sum(counts.values())
    norm = K1 * (1 - B + B * length / avg_len) if avg_len > 0 else K1
    weights = {w: tf * (K1 + 1) / (tf + norm) * idf[w] for w, tf in counts.items() if w in idf}
    total = float(np.sqrt(sum(v * v for v in weights.values())))
    return {w: v / total for w, v in weights.items()} if total > 0 else {}


def rm3(seed: Mapping[str, int], neighbours: Sequence[Mapping[str, int]],
        idf: Mapping[str, float], *, terms: int = RM3_TERMS, weight: float = RM3_WEIGHT
        ) -> dict[str, float]:
    """Word → boost for a BM25 query: the seed's words by relative frequency, plus ``weight``
    × the ``terms`` words that weigh most in the neighbours on average (each neighbour's words
    weighted as BM25 scores them, so frequent but common words count little).

    Words missing from ``idf`` (not in the index) are left out of the neighbours' part.
    Without neighbours the query is the seed's words alone.
    """
    total = sum(seed.values())
    query = {w: tf / total for w, tf in seed.items()} if total else {}
    if not neighbours:
        return query
    avg_len = float(np.mean([sum(c.values()) for c in neighbours]))
    mean: dict[str, float] = {}
    for counts in neighbours:
        for word, value in _bm25_weights(counts, idf, avg_len).items():
            mean[word] = mean.get(word, 0.0) + value / len(neighbours)
    best = sorted(mean.items(), key=lambda item: (-item[1], item[0]))[:terms]
    mass = sum(v for _, v in best)
    for word, value in best:
        query[word] = query.get(word, 0.0) + weight * value / mass
    return query
