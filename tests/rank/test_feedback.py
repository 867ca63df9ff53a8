"""Pseudo-relevance feedback: the query moves towards what the seed's best neighbours share."""

from __future__ import annotations

import math

import numpy as np
import pytest

from litfeed.rank.feedback import rm3, rocchio


def unit(*values: float) -> np.ndarray:
    v = np.array(values, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_rocchio_is_the_unit_seed_plus_weighted_centroid() -> None:
    seed = unit(1, 0, 0)
    near, far = unit(1, 1, 0), unit(0, 0, 1)  # cosines to the seed: 0.707 and 0
    neighbours = np.stack([near, far])
    plain = seed + 2.0 * (near + far) / 2
    assert np.allclose(rocchio(seed, neighbours, weight=2.0, power=0),
                       plain / np.linalg.norm(plain))
    # weighted by cosine^power: a neighbour orthogonal to the seed adds nothing
    weighted = seed + 2.0 * near
    for power in (1.0, 3.0):
        assert np.allclose(rocchio(seed, neighbours, weight=2.0, power=power),
                           weighted / np.linalg.norm(weighted))
    assert np.allclose(rocchio(seed, far[None, :]), seed)
    assert np.allclose(rocchio(seed, np.zeros((0, 3))), seed)


def test_rocchio_finds_a_cluster_member_the_seed_alone_ranks_below_a_stray() -> None:
    # the seed sits at the edge of a cluster (axis 1); a stray paper leans towards the seed's
    # own idiosyncrasy (axis 3), the target lies in the cluster's core
    seed = unit(1.0, 0.2, 0.0, 0.6)
    cluster = np.stack([unit(1.0, 0.9, 0.1, 0.0), unit(1.0, 0.8, -0.1, 0.1),
                        unit(1.0, 1.0, 0.0, -0.1)])
    target, stray = unit(1.0, 1.2, 0.0, 0.0), unit(0.3, 0.0, 0.0, 1.0)
    assert seed @ stray > seed @ target  # the seed alone prefers the stray
    query = rocchio(seed, cluster, weight=2.0)
    assert query @ target > query @ stray


def test_rm3_keeps_the_seed_and_adds_what_neighbours_share() -> None:
    seed = {"lithium": 3, "bipolar": 1}
    neighbours = [{"lithium": 2, "polyuria": 3, "patients": 5},
                  {"polyuria": 2, "thirst": 1, "patients": 4}]
    idf = {"lithium": 3.0, "polyuria": 4.0, "thirst": 4.0, "patients": 0.1}
    query = rm3(seed, neighbours, idf, terms=3, weight=0.5)
    # the seed's part sums to 1, the neighbours' part to the weight
    assert sum(query.values()) == pytest.approx(1.5)
    assert query["bipolar"] == pytest.approx(0.25)  # seed only
    assert query["lithium"] > 0.75  # seed + neighbours
    # a word the neighbours share and the seed lacks enters the query; a common one weighs
    # less than a rare one, and beyond ``terms`` words the neighbours' part stops
    assert query["polyuria"] > query.get("patients", 0.0)
    assert "thirst" in query and "patients" not in query
    assert math.isclose(sum(v for w, v in query.items() if w not in seed)
                        + query["lithium"] - 0.75, 0.5)


def test_rm3_without_neighbours_or_idf_is_the_seed_alone() -> None:
    seed = {"lithium": 1, "renal": 3}
    assert rm3(seed, [], {}) == {"lithium": 0.25, "renal": 0.75}
    # neighbours' words unknown to the index add nothing
    assert rm3(seed, [{"zzz": 4}], {}) == {"lithium": 0.25, "renal": 0.75}
    assert rm3({}, [], {}) == {}
