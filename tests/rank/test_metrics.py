"""Metrics checked against answers worked out by hand."""

import math

import pytest

from litfeed.rank.metrics import (
    average_precision_at_k,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
)

RANKED = ["a", "x", "b", "y", "c"]
RELEVANT = {"a", "b", "c", "d"}


def test_precision_counts_hits_in_the_first_k() -> None:
    assert precision_at_k(RANKED, RELEVANT, 2) == 0.5
    assert precision_at_k(RANKED, RELEVANT, 5) == pytest.approx(3 / 5)
    assert precision_at_k(["a"], RELEVANT, 10) == pytest.approx(0.1)  # short list: misses


def test_recall_is_over_all_relevant() -> None:
    assert recall_at_k(RANKED, RELEVANT, 5) == pytest.approx(3 / 4)
    assert recall_at_k(RANKED, set(), 5) == 0.0


def test_ndcg_known_value() -> None:
    dcg = 1 + 1 / math.log2(4) + 1 / math.log2(6)
    ideal = sum(1 / math.log2(i + 2) for i in range(4))
    assert ndcg_at_k(RANKED, RELEVANT, 5) == pytest.approx(dcg / ideal)
    assert ndcg_at_k(["a", "b"], {"a", "b"}, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a"}, 1) == 0.0


def test_average_precision_known_value() -> None:
    # hits at ranks 1, 3, 5: (1/1 + 2/3 + 3/5) / min(5, 4)
    assert average_precision_at_k(RANKED, RELEVANT, 5) == pytest.approx((1 + 2 / 3 + 3 / 5) / 4)
    assert average_precision_at_k(["a", "b"], {"a", "b"}, 100) == pytest.approx(1.0)
    assert average_precision_at_k(RANKED, set(), 5) == 0.0
