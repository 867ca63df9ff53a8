"""Sentence embeddings of papers: all-MiniLM-L6-v2 run by ONNX Runtime.

The model is exported to ONNX once, on first use, into a cache folder in the data directory
(``onnx_export`` builds it from the packaged weights; nothing is downloaded). Two variants live
there: ``fp32.onnx``, the reference (identical to sentence-transformers within float error), and
``int8.onnx``, per-channel int8 dense layers, about twice as fast at a cosine of ~0.995 to fp32.
Every vector is float32, L2-normalised, so a dot product is the cosine similarity.

Embedding a corpus is the service's loop over :func:`iter_embeddings`: it asks the store for
papers without a vector for ``(embedder.name, embedder.version)``, embeds a chunk, and writes the
chunk in one transaction, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from litfeed.errors import StorageError
from litfeed.models import Paper
from litfeed.rank import onnx_export
from litfeed.rank.model_cache import exclusive, write_atomically

if TYPE_CHECKING:
    from tokenizers import Encoding

FP32_FILE = "fp32.onnx"
INT8_FILE = "int8.onnx"


class Embedder(Protocol):
    """What the service needs from a model: an identity to store beside each vector, and vectors.

    ``name`` and ``version`` together say which vectors are comparable: vectors of different
    names never are; a new ``version`` of the same name means the stored vectors are stale.
    """

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """``float32[len(texts), dim]``, each row L2-normalised, in the order of ``texts``."""
        ...


def paper_text(paper: Paper) -> str:
    """Title and abstract as one plain string, the text a paper is embedded from.

    Section labels ("METHODS:") are left out: they carry little meaning and cost tokens of the
    256 the model reads. A paper without an abstract is embedded from its title alone.
    """
    abstract = " ".join(s.text.strip() for s in paper.abstract if s.text.strip())
    title = paper.title.strip()
    return f"{title}\n{abstract}" if abstract else title


@dataclass(frozen=True, slots=True)
class ExportedModel:
    """The cached ONNX files of one model release, and whether this call had to build them."""

    directory: Path
    model: onnx_export.PackagedModel
    exported: bool

    @property
    def fp32(self) -> Path:
        return self.directory / FP32_FILE

    @property
    def int8(self) -> Path:
        return self.directory / INT8_FILE


def ensure_exported(cache_dir: Path) -> ExportedModel:
    """The fp32 and int8 ONNX files for the installed model package, built if missing.

    Files are keyed by the package version and ``onnx_export.GRAPH_VERSION``, so an upgrade of
    either builds a fresh pair beside the old one instead of reusing a stale graph.
    """
    model = onnx_export.find_packaged_model()
    directory = (
        cache_dir / f"all-MiniLM-L6-v2-{model.package_version}-g{onnx_export.GRAPH_VERSION}"
    )
    fp32, int8 = directory / FP32_FILE, directory / INT8_FILE
    if fp32.is_file() and int8.is_file():
        return ExportedModel(directory, model, exported=False)
    exported = False
    try:
        with exclusive(directory / ".export.lock"):
            # Checked again under the lock: another process may have finished while we waited.
            if not fp32.is_file():
                write_atomically(fp32, lambda tmp: onnx_export.export_fp32(model, tmp))
                exported = True
            if not int8.is_file():
                write_atomically(int8, lambda tmp: onnx_export.quantize_int8(fp32, tmp))
                exported = True
    except OSError as exc:
        raise StorageError(f"cannot write the embedding model into {directory}: {exc}") from exc
    return ExportedModel(directory, model, exported=exported)


class OnnxEmbedder:
    """all-MiniLM-L6-v2 (fp32 or int8) in an ONNX Runtime session; implements :class:`Embedder`."""

    def __init__(
        self,
        model_file: Path,
        tokenizer_file: Path,
        *,
        name: str,
        version: str,
        max_tokens: int = 256,
        threads: int | None = None,
        batch_size: int = 4,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or os.cpu_count() or 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # ORT's graph-cleanup notices are not the user's concern
        # Idle worker threads sleep instead of spinning: on a machine shared with the web server
        # (and other jobs) spinning burned ~40% more CPU per abstract and was no faster.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self._session = ort.InferenceSession(
            str(model_file), options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer_file))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=max_tokens)
        self._name = name
        self._version = version
        self._dim = int(self._session.get_outputs()[0].shape[-1])
        self.batch_size = batch_size

    @classmethod
    def load(
        cls, cache_dir: Path, *, quantized: bool = True, threads: int | None = None
    ) -> OnnxEmbedder:
        """The packaged MiniLM, exported into ``cache_dir`` on first use.

        ``quantized=False`` loads the fp32 graph, the reference the int8 one is measured against.
        """
        exported = ensure_exported(cache_dir)
        packaged = exported.model
        variant = "int8" if quantized else "fp32"
        return cls(
            exported.int8 if quantized else exported.fp32,
            packaged.tokenizer_file,
            name=onnx_export.MODEL_NAME,
            version=f"{packaged.package_version}+g{onnx_export.GRAPH_VERSION}-{variant}",
            max_tokens=packaged.max_seq_length,
            threads=threads,
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def version(self) -> str:
        return self._version

    @property
    def dim(self) -> int:
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenize(texts)
        lengths = np.array([len(e.ids) for e in encodings])
        # Batches of similar length waste little work on padding.
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows].max())
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for i, row in enumerate(rows):
                ids[i, : lengths[row]] = encodings[row].ids
                mask[i, : lengths[row]] = 1
            out[rows] = self.encode_ids(ids, mask)
        return out

    def tokenize(self, texts: Sequence[str]) -> list[Encoding]:
        """Token ids as the model reads them: [CLS] text [SEP], at most ``max_tokens``."""
        return self._tokenizer.encode_batch(list(texts))

    def encode_ids(
        self, input_ids: np.ndarray, attention_mask: np.ndarray, *, normalize: bool = True
    ) -> np.ndarray:
        """The model on tokenized, padded ``int64[batch, seq]`` input (with [CLS] and [SEP]).

        ``normalize=False`` returns the mean-pooled vectors before L2 normalisation.
        """
        result = self._session.run(
            [onnx_export.OUTPUT if normalize else onnx_export.POOLED],
            {onnx_export.INPUT_IDS: input_ids, onnx_export.ATTENTION_MASK: attention_mask},
        )
        return np.asarray(result[0], dtype=np.float32)


def iter_embeddings(
    embedder: Embedder,
    items: Iterable[tuple[str, str]],
    *,
    chunk_size: int = 256,
    progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[list[str], np.ndarray]]:
    """Embed ``(pmid, text)`` pairs chunk by chunk, yielding ``(pmids, vectors)`` per chunk.

    Lazy, so the caller can persist each chunk before the next is computed; ``progress`` is
    called with the number of texts embedded in each chunk (for a progress bar).
    """
    pmids: list[str] = []
    texts: list[str] = []
    for pmid, text in items:
        pmids.append(pmid)
        texts.append(text)
        if len(pmids) == chunk_size:
            yield pmids, embedder.embed(texts)
            if progress is not None:
                progress(len(pmids))
            pmids, texts = [], []
    if pmids:
        yield pmids, embedder.embed(texts)
        if progress is not None:
            progress(len(pmids))
