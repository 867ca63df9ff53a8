from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litfeed.errors import InvalidInput, NotFound, ParseError
from litfeed.rank.ann import recall_at_k
from litfeed.rank.vectors import Dtype, VectorIndex

DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def clustered(n: int, dim: int, seed: int) -> np.ndarray:
    """Vectors in topical clusters, as sentence embeddings of abstracts are."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(n // 50, 1), dim))
    return unit(centers[rng.integers(0, len(centers), n)] + 0.6 * rng.standard_normal((n, dim)))


def brute_force(vectors: np.ndarray, pmids: list[str], query: np.ndarray, k: int) -> list[str]:
    scores = unit(vectors) @ (query / np.linalg.norm(query))
    return [pmids[i] for i in np.argsort(-scores, kind="stable")[:k]]


@pytest.fixture
def data() -> tuple[list[str], np.ndarray]:
    vectors = clustered(500, DIM, seed=1)
    return [str(10_000 + i) for i in range(len(vectors))], vectors


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_exact_search_returns_the_true_top_k(
    dtype: Dtype, data: tuple[list[str], np.ndarray]
) -> None:
    pmids, vectors = data
    index = VectorIndex(DIM, dtype=dtype)
    index.add(pmids, vectors)
    rng = np.random.default_rng(2)
    for query in rng.standard_normal((20, DIM)).astype(np.float32):
        hits = index.search(query, k=10)
        scores = [s for _, s in hits]
        assert scores == sorted(scores, reverse=True)
        if dtype == "float32":
            assert [p for p, _ in hits] == brute_force(vectors, pmids, query, 10)
            best = vectors[pmids.index(hits[0][0])]
            assert scores[0] == pytest.approx(float(best @ query) / np.linalg.norm(query), abs=1e-5)
        else:  # int8 rows keep the ranking except among near-ties
            truth = brute_force(vectors, pmids, query, 10)
            assert len(set(truth) & {p for p, _ in hits}) >= 9


def test_a_vector_finds_itself_first(data: tuple[list[str], np.ndarray]) -> None:
    pmids, vectors = data
    index = VectorIndex(DIM, dtype="int8")
    index.add(pmids, vectors)
    pmid, score = index.search(vectors[7], k=1)[0]
    assert pmid == pmids[7] and score == pytest.approx(1.0, abs=1e-3)


def test_exclude_and_k_larger_than_the_index() -> None:
    index = VectorIndex(DIM)
    vectors = clustered(5, DIM, seed=3)
    index.add(["1", "2", "3", "4", "5"], vectors)
    hits = index.search(vectors[0], k=10, exclude={"1", "3", "999"})
    assert sorted(p for p, _ in hits) == ["2", "4", "5"]
    assert VectorIndex(DIM).search(vectors[0], k=5) == []


def test_deleted_and_replaced_vectors_are_never_returned(
    data: tuple[list[str], np.ndarray],
) -> None:
    pmids, vectors = data
    index = VectorIndex(DIM)
    index.add(pmids, vectors)
    assert index.delete([pmids[0], pmids[1], "not-there"]) == 2
    assert pmids[0] not in index and index.find(pmids[0]) is None and len(index) == 498
    assert pmids[0] not in [p for p, _ in index.search(vectors[0], k=20)]
    with pytest.raises(NotFound):
        index.get(pmids[0])
    # Replacing a vector moves the paper to its new neighbourhood.
    index.add([pmids[2]], vectors[[300]])
    assert len(index) == 498
    top = [p for p, _ in index.search(vectors[300], k=2)]
    assert set(top) == {pmids[2], pmids[300]}
    np.testing.assert_allclose(index.get(pmids[2]), vectors[300], atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "int8"])
@pytest.mark.parametrize("mmap", [True, False])
def test_save_and_load_round_trip(
    tmp_path: Path, dtype: Dtype, mmap: bool, data: tuple[list[str], np.ndarray]
) -> None:
    pmids, vectors = data
    index = VectorIndex(DIM, dtype=dtype, model="m", version="v1")
    index.add(pmids, vectors)
    index.delete(pmids[:10])
    path = tmp_path / "vectors.idx"
    index.save(path)
    loaded = VectorIndex.load(path, mmap=mmap)
    assert (loaded.model, loaded.version, loaded.dtype, loaded.dim) == ("m", "v1", dtype, DIM)
    assert loaded.pmids == pmids[10:]
    query = vectors[42] + 0.1
    assert loaded.search(query, k=10) == index.search(query, k=10)
    np.testing.assert_allclose(loaded.get(pmids[20]), index.get(pmids[20]))
    # A loaded (memory-mapped) index still takes changes, and saves over its own file.
    loaded.add(["new"], vectors[[0]])
    loaded.delete([pmids[20]])
    loaded.save(path)
    again = VectorIndex.load(path)
    assert "new" in again and pmids[20] not in again and len(again) == 490
    assert [f.name for f in tmp_path.iterdir()] == ["vectors.idx"]


def test_an_empty_index_saves_and_loads(tmp_path: Path) -> None:
    """A store with no vectors yet still gets a cache file, and it must read back (it was
    reported truncated, so every process rebuilt it and `litfeed check` called it damaged)."""
    VectorIndex(8, model="m", version="v1").save(tmp_path / "empty.vec")
    loaded = VectorIndex.load(tmp_path / "empty.vec")
    assert len(loaded) == 0 and loaded.version == "v1"
    assert loaded.search(np.ones(8, dtype=np.float32), k=5) == []


def test_loading_something_else_fails_clearly(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        VectorIndex.load(tmp_path / "missing.idx")
    junk = tmp_path / "junk.idx"
    junk.write_bytes(b"not an index at all")
    with pytest.raises(ParseError, match="not a litfeed vector index"):
        VectorIndex.load(junk)
    index = VectorIndex(DIM)
    index.add(["1", "2"], clustered(2, DIM, seed=4))
    index.save(tmp_path / "ok.idx")
    data = (tmp_path / "ok.idx").read_bytes()
    (tmp_path / "cut.idx").write_bytes(data[: len(data) - 100])
    with pytest.raises(ParseError, match="truncated"):
        VectorIndex.load(tmp_path / "cut.idx")


def test_bad_input_is_refused() -> None:
    index = VectorIndex(DIM)
    with pytest.raises(InvalidInput, match="shape"):
        index.add(["1"], np.ones((2, DIM)))
    with pytest.raises(InvalidInput, match="non-zero"):
        index.add(["1"], np.zeros((1, DIM)))
    with pytest.raises(InvalidInput, match="twice"):
        index.add(["1", "1"], np.ones((2, DIM)))
    with pytest.raises(InvalidInput, match="dimensions"):
        index.search(np.ones(DIM + 1))
    with pytest.raises(InvalidInput, match="dtype"):
        VectorIndex(DIM, dtype="float16")  # type: ignore[arg-type]


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_hnsw_recall_at_10_is_at_least_095(dtype: Dtype) -> None:
    vectors = clustered(4000, 96, seed=5)
    pmids = [str(i) for i in range(len(vectors))]
    index = VectorIndex(96, dtype=dtype, ann_threshold=1000)
    index.add(pmids, vectors)
    rng = np.random.default_rng(6)
    queries = vectors[rng.integers(0, len(vectors), 100)] + 0.3 * rng.standard_normal((100, 96))
    exact = [[p for p, _ in index.search(q, k=10, exact=True)] for q in queries]
    approximate = [[p for p, _ in index.search(q, k=10)] for q in queries]
    assert index.has_ann
    assert recall_at_k(exact, approximate) >= 0.95


def test_hnsw_search_honours_deletions_and_survives_save(tmp_path: Path) -> None:
    vectors = clustered(2000, 48, seed=7)
    pmids = [str(i) for i in range(len(vectors))]
    index = VectorIndex(48, ann_threshold=100)
    index.add(pmids, vectors)
    index.build_ann()
    gone = pmids[:200]
    index.delete(gone)
    index.add(["replaced"], vectors[[500]])
    for q in vectors[:200]:
        assert not set(gone) & {p for p, _ in index.search(q, k=10)}
    assert index.search(vectors[500], k=2, exclude={pmids[500]})[0][0] == "replaced"
    index.save(tmp_path / "v.idx")
    hnsw_files = [f.name for f in tmp_path.glob("v.idx.*.hnsw")]
    assert len(hnsw_files) == 1
    loaded = VectorIndex.load(tmp_path / "v.idx", ann_threshold=100)
    assert loaded.has_ann
    for q in vectors[:50]:
        assert loaded.search(q, k=10) == index.search(q, k=10)
    loaded.save(tmp_path / "v.idx")  # a new graph file replaces the old one
    assert [f.name for f in tmp_path.glob("v.idx.*.hnsw")] != hnsw_files
    assert len(list(tmp_path.glob("v.idx.*.hnsw"))) == 1


def test_recall_at_k() -> None:
    assert recall_at_k([["a", "b"], ["c", "d"]], [["b", "a"], ["c", "x"]]) == 0.75
    with pytest.raises(InvalidInput):
        recall_at_k([["a"]], [])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "delete", "search"]),
                          st.integers(0, 15), st.integers(0, 2**31)), max_size=30))
def test_index_agrees_with_a_dict_after_any_sequence_of_changes(
    ops: list[tuple[str, int, int]],
) -> None:
    index = VectorIndex(8)
    model: dict[str, np.ndarray] = {}
    for op, key, seed in ops:
        pmid = f"p{key}"
        if op == "add":
            vector = unit(np.random.default_rng(seed).standard_normal((1, 8)))
            index.add([pmid], vector)
            model[pmid] = vector[0]
        elif op == "delete":
            assert index.delete([pmid]) == (1 if model.pop(pmid, None) is not None else 0)
        else:
            query = np.random.default_rng(seed).standard_normal(8).astype(np.float32)
            hits = index.search(query, k=5)
            expected = sorted(model, key=lambda p: -float(model[p] @ query))[:5]
            assert [p for p, _ in hits] == expected
        assert sorted(index.pmids) == sorted(model) and len(index) == len(model)


def test_background_graph_answers_exactly_until_built_then_catches_up() -> None:
    vectors = clustered(3000, 48, seed=11)
    pmids = [str(i) for i in range(len(vectors))]
    index = VectorIndex(48, ann_threshold=1000, background_ann=True)
    index.add(pmids[:2500], vectors[:2500])
    assert index.uses_ann and not index.has_ann
    first = index.search(vectors[0], k=5)  # starts the build, answers exactly meanwhile
    assert first == index.search(vectors[0], k=5, exact=True)
    # changes made while the graph may still be building must reach it
    index.delete(pmids[:100])
    index.add(pmids[2500:], vectors[2500:])
    assert index.wait_for_ann(timeout=120)
    assert not index.building_ann
    for q in range(0, 3000, 150):
        found = {p for p, _ in index.search(vectors[q], k=10, exact=False)}
        assert not found & set(pmids[:100])
    for q in range(2500, 3000, 50):
        assert index.search(vectors[q], k=1, exact=False)[0][0] == pmids[q]


def test_snapshot_is_a_frozen_view_of_the_live_rows() -> None:
    vectors = clustered(300, DIM, seed=12)
    pmids = [str(i) for i in range(300)]
    index = VectorIndex(DIM)
    index.add(pmids[:200], vectors[:200])
    index.delete(["5"])
    ids, matrix = index.snapshot()
    assert ids == [p for p in pmids[:200] if p != "5"] and matrix.shape == (199, DIM)
    assert not matrix.flags.writeable
    before = matrix.copy()
    index.add(pmids[200:], vectors[200:])
    index.delete(pmids[:50])
    index.search(vectors[0], k=3)  # compacts
    assert np.array_equal(matrix, before)
    assert index.generation > 0
