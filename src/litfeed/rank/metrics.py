"""Ranking metrics at a cut-off ``k``, as plain functions (pyserini / implicit style).

``ranked`` is the ranker's output, best first; ``relevant`` the ids that count as hits (binary
relevance). Every function returns 0.0 when there is nothing relevant to find, so a query
without relevant documents drags an average down instead of raising.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the first ``k`` slots holding a relevant id (empty slots count as misses)."""
    if k <= 0:
        return 0.0
    return sum(1 for pmid in ranked[:k] if pmid in relevant) / k


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant ids found in the first ``k``."""
    if not relevant or k <= 0:
        return 0.0
    return sum(1 for pmid in ranked[:k] if pmid in relevant) / len(relevant)


def ndcg_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Binary-gain nDCG: DCG of the first ``k`` over the DCG of a perfect ranking."""
    if not relevant or k <= 0:
        return 0.0
    dcg = sum(1.0 / math.log2(i + 2) for i, pmid in enumerate(ranked[:k]) if pmid in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def average_precision_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """AP@k: mean precision at each relevant hit in the first ``k``, over min(k, |relevant|)."""
    if not relevant or k <= 0:
        return 0.0
    hits = 0
    total = 0.0
    for i, pmid in enumerate(ranked[:k]):
        if pmid in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / min(k, len(relevant))
