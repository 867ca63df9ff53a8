"""Related papers: several ranked lists of neighbours of one seed paper, fused into one.

Each signal is a list of ``(pmid, score)`` best first — embedding cosine, lexical BM25 of the
seed's own title and abstract (as PubMed's pmra), and shared major MeSH topics weighted by
their rarity. They are fused by weighted reciprocal-rank fusion (Cormack et al. 2009): a paper
earns ``weight / (rrf_k + rank)`` from every list it is in. RRF needs no score calibration
between signals whose scales have nothing in common, and a paper that several signals agree on
rises above one that a single signal likes. A signal that is missing (a seed without a vector
yet, a corpus without MeSH) simply contributes nothing.

Pure: ids and scores in, :class:`Scored` out, best first; the service fetches the lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from litfeed.models import Scored

EMBEDDING = "embedding"
LEXICAL = "lexical"
MESH = "mesh"

#: tuned on the shared screening reviews only (bench/related.py); simple on purpose
DEFAULT_WEIGHTS: Mapping[str, float] = {EMBEDDING: 1.0, LEXICAL: 0.5, MESH: 0.5}
RRF_K = 60
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
         rrf_k: int = RRF_K, shared_mesh: Mapping[str, Sequence[str]] | None = None
         ) -> list[Scored]:
    """The ``limit`` best papers by fused score, best first, each with why it is related.

    Ties break by PMID so the same input always gives the same order.
    """
    fused = fuse(signals, weights=weights, rrf_k=rrf_k, exclude=exclude)
    best = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:max(limit, 0)]
    mesh = shared_mesh or {}
    positions = positions_of(signals)
    return [Scored(pmid, score, explain(pmid, positions, mesh)) for pmid, score in best]
