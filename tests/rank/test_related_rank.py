"""The related-paper fusion: the ranker contract on lists with a known answer."""

import numpy as np
import pytest

from litfeed.rank.related import EMBEDDING, LEXICAL, MESH, RRF_K, fuse, fuse_scores, rank

SIGNALS = {
    EMBEDDING: [("seed", 1.0), ("a", 0.9), ("b", 0.8), ("c", 0.7)],
    LEXICAL: [("b", 30.0), ("a", 20.0), ("d", 10.0)],
    MESH: [("d", 5.0)],
}


def test_agreement_wins_and_seed_is_excluded() -> None:
    ranked = rank(SIGNALS, exclude={"seed"}, limit=10)
    assert [r.pmid for r in ranked][:2] in (["a", "b"], ["b", "a"])
    assert "seed" not in {r.pmid for r in ranked}
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)


def test_zscore_fusion_known_values() -> None:
    signals = {EMBEDDING: [("a", 0.9), ("b", 0.5), ("c", 0.1)], LEXICAL: [("c", 8.0), ("a", 4.0)]}
    fused = fuse_scores(signals, weights={EMBEDDING: 1.0, LEXICAL: 0.5})
    emb = np.array([0.9, 0.5, 0.1])
    lex = np.array([4.0, 0.0, 8.0])  # "b" is not in the lexical list: no shared word, 0
    expected = (emb - emb.mean()) / emb.std() + 0.5 * (lex - lex.mean()) / lex.std()
    assert [fused[p] for p in "abc"] == pytest.approx(list(expected))
    # a signal that scores every candidate alike adds nothing; excluded ids are left out
    flat = fuse_scores({**signals, MESH: [("a", 1.0), ("b", 1.0), ("c", 1.0)]},
                       weights={EMBEDDING: 1.0, LEXICAL: 0.5, MESH: 3.0}, exclude={"c"})
    assert set(flat) == {"a", "b"} and flat["a"] > flat["b"]


def test_scores_beat_ranks_when_one_signal_is_sure() -> None:
    # the embedding barely separates a and b; the lexical signal is sure b is far better.
    # RRF sees only the ranks (a first in one list, b first in the other: a tie broken by
    # the embedding's weight); z-scores see how far apart the papers are
    signals = {EMBEDDING: [("a", 0.800), ("b", 0.799), ("c", 0.2)],
               LEXICAL: [("b", 50.0), ("a", 5.0), ("c", 4.0)]}
    weights = {EMBEDDING: 1.0, LEXICAL: 0.9}
    assert rank(signals, weights=weights, fusion="rrf")[0].pmid == "a"
    assert rank(signals, weights=weights)[0].pmid == "b"


def test_rrf_scores_known_values() -> None:
    fused = fuse(SIGNALS, weights={EMBEDDING: 1.0, LEXICAL: 1.0, MESH: 0.5}, exclude={"seed"})
    assert fused["a"] == 1 / (RRF_K + 1) + 1 / (RRF_K + 2)
    assert fused["d"] == 1 / (RRF_K + 3) + 0.5 / (RRF_K + 1)
    assert fused["c"] == 1 / (RRF_K + 3)


def test_limit_ties_and_missing_signals() -> None:
    assert len(rank(SIGNALS, limit=2, exclude={"seed"})) == 2
    assert rank({}, limit=5) == []
    tied = rank({LEXICAL: [("9", 1.0)], EMBEDDING: [("8", 1.0)]}, limit=2)
    assert [r.pmid for r in tied] == ["8", "9"]  # equal fused scores: by PMID


def test_why_names_the_evidence() -> None:
    by_pmid = {r.pmid: r for r in rank(SIGNALS, exclude={"seed"},
                                       shared_mesh={"d": ["Antidepressive Agents"]})}
    assert by_pmid["d"].why == ("shared MeSH: Antidepressive Agents", "similar abstract")
    assert by_pmid["a"].why == ("similar abstract", "similar content")
    assert by_pmid["c"].why == ("similar content",)
