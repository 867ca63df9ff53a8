"""The fast tier: a static embedding table distilled from the same MiniLM (model2vec's method).

A transformer reads every token in context; a static model looks each token up in a table and
averages, so it embeds thousands of abstracts a second on two cores, against tens for MiniLM.
That makes it the tier for candidates at the scale of all of PubMed (38M abstracts: hours,
not days), with MiniLM reranking the candidates. Its vectors live in their own space: never
compare them with MiniLM vectors.

The table is distilled locally, once, into the model cache, the way model2vec's ``distill``
does it, without its torch/transformers dependencies (model2vec's ``distill`` extra pins
``transformers<5.4`` and would downgrade three shared packages): each vocabulary token is run
alone through the fp32 ONNX MiniLM as ``[SEP] token [CLS]`` (model2vec's reversed order, which
also measured better here) and its outputs are mean-pooled, unnormalised; the table is centred
and reduced by PCA; rows are weighted by SIF, ``a / (a + p(token))``, with ``p`` from a Zipf
law over the vocabulary order, so frequent tokens weigh less. On 11k real abstracts ``a=1e-5``
found more of MiniLM's neighbours than model2vec's default 1e-4 (bench/embed.py prints them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from litfeed.errors import ConfigError, StorageError
from litfeed.rank import onnx_export
from litfeed.rank.embeddings import OnnxEmbedder, ensure_exported
from litfeed.rank.model_cache import exclusive, write_atomically

#: The distillation recipe below; bump it when it changes so cached tables are rebuilt.
STATIC_VERSION = 1
STATIC_NAME = "litfeed/static-all-MiniLM-L6-v2"


class TokenEncoder(Protocol):
    """What distillation needs of MiniLM: the model on token ids (``OnnxEmbedder.encode_ids``)."""

    def encode_ids(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, *, normalize: bool = True
    ) -> np.ndarray: ...


def distill_table(
    encoder: TokenEncoder, vocab_size: int, cls_id: int, sep_id: int, *,
    dims: int = 256, sif_coefficient: float = 1e-5, batch_size: int = 1024,
) -> np.ndarray:
    """``float32[vocab_size, dims]``: each token's MiniLM embedding, PCA-reduced, SIF-weighted."""
    rows = []
    for start in range(0, vocab_size, batch_size):
        ids = np.arange(start, min(start + batch_size, vocab_size), dtype=np.int64)
        batch = np.stack([np.full_like(ids, sep_id), ids, np.full_like(ids, cls_id)], axis=1)
        rows.append(encoder.encode_ids(batch, np.ones_like(batch), normalize=False))
    table = np.concatenate(rows).astype(np.float64)
    table -= table.mean(axis=0)
    # PCA through the SVD of the centred table: rows projected on the top principal axes.
    _, _, axes = np.linalg.svd(table, full_matrices=False)
    table = table @ axes[: min(dims, table.shape[1])].T
    inverse_rank = 1.0 / np.arange(2, vocab_size + 2)
    probability = inverse_rank / inverse_rank.sum()
    table *= (sif_coefficient / (sif_coefficient + probability))[:, None]
    return table.astype(np.float32)


class StaticEmbedder:
    """Mean of static token vectors, L2-normalised; implements ``Embedder``.

    A text with no tokens at all (empty) gets a zero vector, the one row that is not unit length.
    """

    def __init__(
        self, table: np.ndarray, tokenizer_file: Path, *, name: str, version: str,
        max_tokens: int = 512,
    ) -> None:
        from tokenizers import Tokenizer

        self._table = np.ascontiguousarray(table, dtype=np.float32)
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._name = name
        self._version = version

    @classmethod
    def load(cls, cache_dir: Path, *, dims: int = 256) -> StaticEmbedder:
        """The static table for the installed MiniLM, distilled into ``cache_dir`` on first use."""
        exported = ensure_exported(cache_dir)
        packaged = exported.model
        path = exported.directory / f"static-d{dims}-s{STATIC_VERSION}.npy"
        if not path.is_file():
            try:
                with exclusive(exported.directory / ".export.lock"):
                    if not path.is_file():
                        table = cls._distill(exported.fp32, packaged, dims)
                        write_atomically(path, lambda tmp: np.save(tmp, table))
            except OSError as exc:
                raise StorageError(f"cannot write the static table {path}: {exc}") from exc
        return cls(
            np.load(path), packaged.tokenizer_file, name=STATIC_NAME,
            version=f"{packaged.package_version}+g{onnx_export.GRAPH_VERSION}"
                    f"-d{dims}-s{STATIC_VERSION}",
        )

    @staticmethod
    def _distill(fp32: Path, packaged: onnx_export.PackagedModel, dims: int) -> np.ndarray:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(packaged.tokenizer_file))
        cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise ConfigError(f"{packaged.tokenizer_file} has no [CLS]/[SEP] token")
        encoder = OnnxEmbedder(fp32, packaged.tokenizer_file, name="", version="")
        return distill_table(encoder, tokenizer.get_vocab_size(), cls_id, sep_id, dims=dims)

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def dim(self) -> int:
        return int(self._table.shape[1])

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts), add_special_tokens=False)
        chunk = 64  # texts per gather: bounds the temporary [tokens, dim] array
        for start in range(0, len(encodings), chunk):
            ids = [e.ids for e in encodings[start : start + chunk]]
            lengths = np.array([len(i) for i in ids])
            # reduceat cannot express an empty segment; empty texts keep their zero row.
            filled = np.flatnonzero(lengths)
            if not len(filled):
                continue
            flat = np.fromiter((t for i in ids for t in i), dtype=np.int64, count=lengths.sum())
            starts = (np.cumsum(lengths) - lengths)[filled]
            out[start + filled] = np.add.reduceat(self._table[flat], starts, axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out
