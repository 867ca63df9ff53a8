"""The feed model's bounds at scale: what one training reads, and the two scoring passes."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from litfeed.rank import feed


def pool(n: int, seed: int = 0, dim: int = 32) -> feed.Candidates:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((20, dim))
    vectors = centers[rng.integers(0, 20, n)] + 0.8 * rng.standard_normal((n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return feed.Candidates(pmids=[str(i) for i in range(n)], vectors=vectors.astype(np.float32),
                           titles=[f"paper {i}" for i in range(n)])


def test_training_reads_a_bounded_sample_whatever_the_pool_size(
        monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []
    fit = LogisticRegression.fit

    def counting_fit(self: LogisticRegression, x: np.ndarray, *args: object, **kw: object
                     ) -> LogisticRegression:
        seen.append(len(x))
        return fit(self, x, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(LogisticRegression, "fit", counting_fit)
    signals = feed.Signals(positives=[str(i) for i in range(0, 50)],
                           negatives={str(i): 1.0 for i in range(50, 150)})
    for n in (2_000, 200_000):
        feed.train(pool(n), signals)
    assert seen == [50 + 100 + feed.WEAK_NEGATIVES] * 2


def test_many_reactions_keep_the_most_recent_labels_for_the_neighbour_vote() -> None:
    cands = pool(5_000)
    likes = [str(i) for i in range(2_000)]
    dislikes = {str(i): 1.0 for i in range(2_000, 3_000)}
    model = feed.train(cands, feed.Signals(positives=likes, negatives=dislikes))
    assert len(model.pos) == 2_000 and len(model.neg) == 1_000  # the fit used them all
    assert len(model.near_pos) + len(model.near_neg) == feed.MAX_KNN_LABELS
    assert model.near_pos[-1] == 1_999 and model.near_neg[-1] == 2_999  # the newest kept
    scored = feed.first_pass(model, cands)
    scores, best = feed.rerank(model, cands, scored, np.arange(3_000, 5_000))
    assert scores.shape == (2_000,) and set(best) <= set(model.near_pos.tolist())


@pytest.mark.parametrize("n", [1_000, 12_000])  # below and above the scaling sample
def test_a_papers_score_does_not_depend_on_what_it_is_ranked_with(n: int) -> None:
    cands = pool(n, seed=3)
    model = feed.train(cands, feed.Signals(positives=["1", "2", "3", "4", "5"],
                                           negatives={"6": 1.0, "7": 0.5}))
    scored = feed.first_pass(model, cands)
    everything, _ = feed.rerank(model, cands, scored, np.arange(n))
    some = np.array([n - 1, 10, 500, 42])
    alone, _ = feed.rerank(model, cands, scored, some)
    assert np.allclose(alone, everything[some], atol=1e-5)
    # the likes' own cluster leads the pool
    liked_center = cands.vectors[:5].mean(axis=0)
    top = np.argsort(-everything)[:20]
    assert (cands.vectors[top] @ liked_center).mean() > (cands.vectors @ liked_center).mean()
