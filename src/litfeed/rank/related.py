"""Related papers: several scored lists of neighbours of one seed paper, fused into one.

Each signal is a list of ``(pmid, score)`` best first — embedding cosine, lexical BM25 (as
PubMed's pmra, of the seed's words widened by its neighbours', see ``rank.feedback``), and
shared major MeSH topics weighted by their rarity. The service has every signal score every
candidate (the union of the lists), so the scores can be fused directly: each signal's scores
are z-scored over the candidates (a paper a signal does not list scores 0 there: no shared
word, no shared topic) and summed with weights. On the shared screening reviews this beat
reciprocal-rank fusion of the same lists (docs/ranking.md), which throws the scores away and
keeps only ranks; RRF (Cormack et al. 2009: ``weight / (rrf_k + rank)`` from every list)
stays available for lists whose scores cannot be compared. A signal that is missing (a seed
without a vector yet, a corpus without MeSH) simply contributes nothing.

Pure: ids and scores in, :class:`Scored` out, best first; the service fetches the lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Literal

import numpy as np

from litfeed.models import Scored

EMBEDDING = "embedding"
LEXICAL = "lexical"
MESH = "mesh"

#: tuned on the shared screening reviews only (bench/related.py), which have no MeSH: the MeSH
#: weight is a judgement (half a signal), not a measurement
DEFAULT_WEIGHTS: Mapping[str, float] = {EMBEDDING: 1.0, LEXICAL: 1.0, MESH: 0.5}
RRF_K = 60
Fusion = Literal["zscore", "rrf"]
#: a signal "links" two papers (and is named in ``why``) when the paper is this high in it
WHY_DEPTH = 20
_WHY_WORDS = {EMBEDDING: "similar content", LEXICAL: "similar abstract"}


def fuse(signals: Mapping[str, Sequence[tuple[str, float]]], *,
         weights: Mapping[str, float] | None = None, rrf_k: int = RRF_K,
         exclude: Collection[str] = ()) -> dict[str, float]:
    """Weighted RRF score of every paper in any list (``exclude``'s ids left out)."""
    weights = DEFAULT_WEIGHTS if weights is None else weights
    fused: dict[str, float] = {}
    for name, hits in signals.items():
        weight = weights.get(name, 1.0)
        if weight <= 0:
            continue
        rank = 0
        for pmid, _ in hits:
            if pmid in exclude:
                continue
            rank += 1
            fused[pmid] = fused.get(pmid, 0.0) + weight / (rrf_k + rank)
    return fused


def fuse_scores(signals: Mapping[str, Sequence[tuple[str, float]]], *,
                weights: Mapping[str, float] | None = None,
                exclude: Collection[str] = ()) -> dict[str, float]:
    """Weighted sum of each signal's z-scored scores over every paper in any list.

    A paper missing from a signal scores 0 there before z-scoring (BM25 with no shared word,
    no shared topic, no vector). A signal whose scores are all equal says nothing and adds 0.
    """
    weights = DEFAULT_WEIGHTS if weights is None else weights
    candidates = list(dict.fromkeys(
        pmid for hits in signals.values() for pmid, _ in hits if pmid not in exclude))
    fused = np.zeros(len(candidates))
    row = {pmid: i for i, pmid in enumerate(candidates)}
    for name, hits in signals.items():
        weight = weights.get(name, 1.0)
        if weight <= 0 or not hits:
            continue
        raw = np.zeros(len(candidates))
        for pmid, score in hits:
            if pmid in row:
                raw[row[pmid]] = score
        spread = float(raw.std())
        if spread > 0:
            fused += weight * (raw - raw.mean()) / spread
    return {pmid: float(fused[i]) for i, pmid in enumerate(candidates)}


def explain(pmid: str, positions: Mapping[str, Mapping[str, int]],
            shared_mesh: Mapping[str, Sequence[str]], depth: int = WHY_DEPTH) -> tuple[str, ...]:
    """What links ``pmid`` to the seed, most concrete first ("shared MeSH: A, B", …).

    ``positions`` maps each signal to its papers' 0-based ranks (see :func:`positions_of`).
    """
    why: list[str] = []
    topics = shared_mesh.get(pmid)
    if topics:
        why.append("shared MeSH: " + ", ".join(topics[:3]))
    ranks = {name: positions.get(name, {}).get(pmid) for name in (LEXICAL, EMBEDDING)}
    why.extend(_WHY_WORDS[name] for name, r in ranks.items() if r is not None and r < depth)
    if not why:  # only deep in the lists: say which evidence there was
        why.extend(_WHY_WORDS[name] for name, r in ranks.items() if r is not None)
    return tuple(why) or ("related",)


def positions_of(signals: Mapping[str, Sequence[tuple[str, float]]]
                 ) -> dict[str, dict[str, int]]:
    return {name: {pmid: i for i, (pmid, _) in reversed(list(enumerate(hits)))}
            for name, hits in signals.items()}


def rank(signals: Mapping[str, Sequence[tuple[str, float]]], *, limit: int = 10,
         exclude: Collection[str] = (), weights: Mapping[str, float] | None = None,
         rrf_k: int = RRF_K, shared_mesh: Mapping[str, Sequence[str]] | None = None,
         fusion: Fusion = "zscore") -> list[Scored]:
    """The ``limit`` best papers by fused score, best first, each with why it is related.

    ``fusion`` is :func:`fuse_scores` ("zscore") or :func:`fuse` ("rrf", with ``rrf_k``).
    Ties break by PMID so the same input always gives the same order.
    """
    fused = (fuse(signals, weights=weights, rrf_k=rrf_k, exclude=exclude) if fusion == "rrf"
             else fuse_scores(signals, weights=weights, exclude=exclude))
    best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:max(limit, 0)]
    mesh = shared_mesh or {}
    positions = positions_of(signals)
    return [Scored(pmid, score, explain(pmid, positions, mesh)) for pmid, score in best]
