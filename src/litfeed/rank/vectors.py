"""The vector index: paper embeddings in RAM, searched by cosine similarity.

Up to a few million vectors, search is exact: one matrix-vector product (float32) or an
integer scan (int8, a quarter of the memory) over every live row. Above ``ann_threshold`` the
index also keeps an HNSW graph (``ann.HnswGraph``) and searches that instead. Rows are
addressed by PMID; replacing a PMID's vector or deleting it leaves a tombstone that is
compacted away before the next search, so results never include a deleted or stale vector.

The index is saved as one file (``save``/``load``): a JSON header and aligned raw arrays, so
``load`` memory-maps the matrix instead of reading it. The write is atomic (temporary file,
then rename). The HNSW graph, when there is one, is saved beside it under a name the header
records, so a graph from another save is never paired with this one.

One index is shared by a server's threads: changes and searches hold a lock (a search takes
about a millisecond on the graph). Building a graph over a million vectors takes minutes, so an
index made with ``background_ann=True`` builds it on a thread when it first needs one, answers
exactly meanwhile, then applies the changes made during the build before switching to it.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from litfeed.errors import InvalidInput, NotFound, ParseError
from litfeed.rank.ann import HnswGraph, HnswParams

log = logging.getLogger(__name__)
_instances = itertools.count(1)

Dtype = Literal["float32", "int8"]
MAGIC = b"LITFEED-VECTORS1"
#: from this many vectors on, searches go to the HNSW graph: exact search reads every vector
#: per query (about 30 ms per 200k on two busy cores), too slow for a 50 ms related-papers
#: budget beyond about 100k
ANN_THRESHOLD = 100_000
_ALIGN = 64


def quantize_rows(vectors: np.ndarray) -> np.ndarray:
    """int8 rows scaled so each row's largest component is ±127 (cosine ignores the scale)."""
    peak = np.abs(vectors).max(axis=1, keepdims=True)
    peak[peak == 0] = 1.0
    return np.round(vectors * (127.0 / peak)).astype(np.int8)


class VectorIndex:
    """PMID → unit vector, with top-k search by cosine similarity.

    ``model`` and ``version`` name the embedder whose vectors these are (saved in the file);
    the caller compares them with its embedder before adding to a loaded index.
    """

    def __init__(
        self,
        dim: int,
        *,
        dtype: Dtype = "float32",
        model: str = "",
        version: str = "",
        ann_threshold: int = ANN_THRESHOLD,
        hnsw: HnswParams | None = None,
        threads: int = 0,
        background_ann: bool = False,
    ) -> None:
        if dtype not in ("float32", "int8"):
            raise InvalidInput(f"vector dtype {dtype!r} is not supported; expected float32 or int8")
        if dim <= 0:
            raise InvalidInput(f"vector dimension must be positive, got {dim}")
        self.dim = dim
        self.dtype: Dtype = dtype
        self.model = model
        self.version = version
        self.ann_threshold = ann_threshold
        self.hnsw_params = hnsw or HnswParams()
        self.threads = threads
        self._vectors = np.zeros((0, dim), dtype=np.float32 if dtype == "float32" else np.int8)
        self._inv_norms = np.zeros(0, dtype=np.float32)  # int8 rows: 1 / ||row||
        self._labels = np.zeros(0, dtype=np.int64)  # stable keys for the HNSW graph, increasing
        self._alive = np.zeros(0, dtype=bool)
        self._pmids: list[str] = []
        self._rows: dict[str, int] = {}
        self._size = 0
        self._next_label = 0
        self._ann: HnswGraph | None = None
        self.background_ann = background_ann
        self._building: threading.Thread | None = None
        self._lock = threading.RLock()
        #: bumped by every change, so derived data (the feed's pool) can tell it is behind;
        #: ``instance`` tells this index from one built later (``id()`` can be reused)
        self.generation = 0
        self.instance = next(_instances)

    # -- contents ------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._rows)

    def __contains__(self, pmid: object) -> bool:
        return pmid in self._rows

    @property
    def pmids(self) -> list[str]:
        """The PMIDs with a vector, in insertion order."""
        return [p for p, alive in zip(self._pmids, self._alive[: self._size], strict=True) if alive]

    @property
    def has_ann(self) -> bool:
        return self._ann is not None

    @property
    def uses_ann(self) -> bool:
        """Whether a search without ``exact=`` goes to the HNSW graph (or will, once built)."""
        return len(self) >= self.ann_threshold

    def snapshot(self) -> tuple[list[str], np.ndarray]:
        """The live PMIDs and their unit vectors (row i is pmids[i]), as of now.

        For float32 the matrix is a read-only view, not a copy (1.5 GB at a million papers):
        later changes write past it or into new arrays, so it stays as it was.
        """
        with self._lock:
            self._compact()
            matrix = self._vectors[: self._size]
            if self.dtype == "int8":
                matrix = matrix.astype(np.float32) * self._inv_norms[: self._size, None]
            else:
                matrix = matrix.view()
                matrix.flags.writeable = False
            return list(self._pmids[: self._size]), matrix

    def find(self, pmid: str) -> np.ndarray | None:
        """The stored unit vector of ``pmid`` (dequantized for int8), or None."""
        row = self._rows.get(pmid)
        if row is None:
            return None
        vector = self._vectors[row].astype(np.float32)
        return vector * self._inv_norms[row] if self.dtype == "int8" else vector

    def get(self, pmid: str) -> np.ndarray:
        vector = self.find(pmid)
        if vector is None:
            raise NotFound(f"no embedding for PMID {pmid}; run `litfeed embed` first")
        return vector

    # -- changes -------------------------------------------------------------------------------

    def add(self, pmids: Sequence[str], vectors: np.ndarray) -> None:
        """Add vectors, replacing any that these PMIDs already had. Rows are re-normalised."""
        with self._lock:
            self._add(pmids, vectors)

    def _add(self, pmids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape != (len(pmids), self.dim):
            raise InvalidInput(
                f"expected vectors of shape ({len(pmids)}, {self.dim}), got {vectors.shape}"
            )
        if len(set(pmids)) != len(pmids):
            raise InvalidInput("the same PMID appears twice in one add")
        norms = np.linalg.norm(vectors, axis=1)
        if not np.all(np.isfinite(norms)) or np.any(norms == 0):
            raise InvalidInput("vectors must be finite and non-zero")
        self.delete(p for p in pmids if p in self._rows)
        unit = vectors / norms[:, None]
        stored = quantize_rows(unit) if self.dtype == "int8" else unit
        start, end = self._size, self._size + len(pmids)
        self._reserve(end)
        self._vectors[start:end] = stored
        if self.dtype == "int8":
            self._inv_norms[start:end] = 1.0 / np.linalg.norm(stored.astype(np.float32), axis=1)
        labels = np.arange(self._next_label, self._next_label + len(pmids), dtype=np.int64)
        self._labels[start:end] = labels
        self._alive[start:end] = True
        for offset, pmid in enumerate(pmids):
            self._rows[pmid] = start + offset
        self._pmids.extend(pmids)
        self._size = end
        self._next_label += len(pmids)
        self.generation += 1
        if self._ann is not None:
            self._ann.add(labels, stored)

    def delete(self, pmids: Iterable[str]) -> int:
        """Remove these PMIDs' vectors (unknown ones are ignored); returns how many went."""
        with self._lock:
            rows = [row for pmid in pmids if (row := self._rows.pop(pmid, None)) is not None]
            if rows:
                self._writable()
                self._alive[rows] = False
                self.generation += 1
                if self._ann is not None:
                    self._ann.remove(self._labels[rows])
            return len(rows)

    def compact(self) -> None:
        """Drop tombstoned rows (labels, and so the HNSW graph, stay valid).

        Compaction makes new arrays rather than moving rows in place, so a graph being built
        from the old ones on another thread still reads what it started from.
        """
        with self._lock:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._size])
        if len(keep) == self._size:
            return
        self._vectors = self._vectors[keep]
        self._inv_norms = self._inv_norms[keep]
        self._labels = self._labels[keep]
        self._alive = np.ones(len(keep), dtype=bool)
        self._pmids = [self._pmids[i] for i in keep]
        self._rows = {pmid: row for row, pmid in enumerate(self._pmids)}
        self._size = len(keep)

    def _reserve(self, rows: int) -> None:
        """Room for ``rows`` rows, growing geometrically so repeated adds stay linear."""
        self._writable()
        capacity = len(self._vectors)
        if rows <= capacity:
            return
        new = max(rows, capacity + capacity // 2, 1024)

        def grown(a: np.ndarray) -> np.ndarray:
            out = np.zeros((new, *a.shape[1:]), dtype=a.dtype)
            out[: self._size] = a[: self._size]
            return out

        self._vectors, self._inv_norms = grown(self._vectors), grown(self._inv_norms)
        self._labels, self._alive = grown(self._labels), grown(self._alive)

    def _writable(self) -> None:
        """Copy memory-mapped arrays into RAM before the first change."""
        if isinstance(self._vectors, np.memmap) or not self._vectors.flags.writeable:
            self._vectors = np.array(self._vectors)
            self._inv_norms = np.array(self._inv_norms)
            self._labels = np.array(self._labels)
            self._alive = np.array(self._alive)

    # -- search --------------------------------------------------------------------------------

    def search(
        self,
        vector: np.ndarray,
        k: int = 10,
        exclude: Collection[str] = frozenset(),
        *,
        exact: bool | None = None,
    ) -> list[tuple[str, float]]:
        """The ``k`` most similar PMIDs and their cosine similarity, best first.

        ``exclude`` PMIDs are never returned (the seed paper, papers already seen). ``exact``
        forces exact (True) or HNSW (False) search; by default HNSW is used from
        ``ann_threshold`` vectors on.
        """
        query = np.asarray(vector, dtype=np.float32).reshape(-1)
        if query.shape != (self.dim,):
            raise InvalidInput(f"query vector has {query.size} dimensions; expected {self.dim}")
        norm = float(np.linalg.norm(query))
        if not np.isfinite(norm) or norm == 0:
            raise InvalidInput("query vector must be finite and non-zero")
        query = query / norm
        with self._lock:
            if k <= 0 or not self._rows:
                return []
            self._compact()
            excluded = [row for pmid in exclude if (row := self._rows.get(pmid)) is not None]
            use_ann = self.uses_ann if exact is None else not exact
            if use_ann and exact is None and self._ann is None and self.background_ann:
                self.start_ann_build()
                use_ann = False  # exact until the graph is ready: slower, never wrong
            if use_ann:
                rows = self._ann_rows(query, k + len(excluded))
            elif self.dtype == "float32":
                rows = self._exact_rows_fp32(query, k, excluded)
            else:
                rows = self._exact_rows_int8(query, k + len(excluded))
            if excluded:
                rows = rows[~np.isin(rows, excluded)]
            scores = self._scores(query, rows)
            order = np.argsort(-scores, kind="stable")[:k]
            return [(self._pmids[r], float(s))
                    for r, s in zip(rows[order], scores[order], strict=True)]

    def _scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine similarity of the (unquantized) query to the given rows."""
        scores = self._vectors[rows].astype(np.float32) @ query
        return scores * self._inv_norms[rows] if self.dtype == "int8" else scores

    def _exact_rows_fp32(self, query: np.ndarray, k: int, excluded: list[int]) -> np.ndarray:
        scores = self._vectors[: self._size] @ query
        scores[excluded] = -np.inf
        if k >= len(scores):
            return np.arange(len(scores))
        return np.argpartition(-scores, k - 1)[:k]

    def _exact_rows_int8(self, query: np.ndarray, count: int) -> np.ndarray:
        # usearch's exhaustive int8 cosine scan is ~4x faster than converting to float in numpy.
        from usearch.index import MetricKind
        from usearch.index import search as brute_force

        count = min(count, self._size)
        matches = brute_force(
            self._vectors[: self._size], quantize_rows(query[None, :])[0], count,
            MetricKind.Cos, exact=True, threads=self.threads,
        )
        return np.asarray(matches.keys, dtype=np.int64)

    def _ann_rows(self, query: np.ndarray, count: int) -> np.ndarray:
        graph = self._ann if self._ann is not None else self.build_ann()
        stored = quantize_rows(query[None, :])[0] if self.dtype == "int8" else query
        labels, _ = graph.search(stored, min(count, len(self)))
        # Labels increase with row number (compaction keeps order), so a binary search maps them.
        return np.searchsorted(self._labels[: self._size], labels)

    def build_ann(self) -> HnswGraph:
        """(Re)build the HNSW graph over all live vectors; search uses it from then on."""
        with self._lock:
            self._compact()
            graph = HnswGraph(self.dim, self.dtype, self.hnsw_params, threads=self.threads)
            graph.add(self._labels[: self._size], self._vectors[: self._size])
            self._ann = graph
            return graph

    @property
    def building_ann(self) -> bool:
        return self._building is not None and self._building.is_alive()

    def start_ann_build(self, then: Callable[[], None] | None = None) -> bool:
        """Build the HNSW graph on a background thread (searches stay exact until it is done);
        ``then`` runs on that thread once the graph is in use (say, to save the index).
        False when a graph exists or is being built already."""
        with self._lock:
            if self._ann is not None or self.building_ann:
                return False
            self._compact()
            # views of the current arrays: later adds write past _size or into new arrays,
            # deletes only clear _alive, compaction makes new arrays, so these stay valid
            labels, vectors = self._labels[: self._size], self._vectors[: self._size]
            self._building = threading.Thread(
                target=self._build_behind, args=(labels, vectors, then), daemon=True,
                name="litfeed-hnsw-build")
            self._building.start()
            return True

    def wait_for_ann(self, timeout: float | None = None) -> bool:
        """Wait for a background build; True when a graph is in use afterwards."""
        thread = self._building
        if thread is not None:
            thread.join(timeout)
        return self._ann is not None

    def _build_behind(self, labels: np.ndarray, vectors: np.ndarray,
                      then: Callable[[], None] | None) -> None:
        try:
            graph = HnswGraph(self.dim, self.dtype, self.hnsw_params, threads=self.threads)
            graph.add(labels, vectors)
            with self._lock:  # catch up with what changed during the build, then switch
                self._compact()
                current = self._labels[: self._size]
                graph.remove(np.setdiff1d(labels, current, assume_unique=True))
                last = int(labels[-1]) if len(labels) else -1
                new_rows = np.flatnonzero(current > last)  # labels grow with row numbers
                graph.add(current[new_rows], self._vectors[new_rows])
                self._ann = graph
        except Exception:  # searches stay exact; the next search above the threshold retries
            log.exception("building the HNSW graph failed")
            return
        finally:
            self._building = None
        if then is not None:
            then()

    # -- files ---------------------------------------------------------------------------------

    def save(self, path: Path, *, with_ann: bool = True) -> None:
        """Write the index to ``path`` atomically; the HNSW graph (if any) goes beside it.

        Above ``ann_threshold`` a missing graph is built first, unless ``with_ann`` is False.
        """
        with self._lock:
            self._save(path, with_ann)

    def _save(self, path: Path, with_ann: bool) -> None:
        self._compact()
        if with_ann and self._ann is None and self.uses_ann:
            self.build_ann()
        size = self._size
        ids = np.array(self._pmids, dtype=f"S{max((len(p) for p in self._pmids), default=1)}")
        arrays = {
            "vectors": self._vectors[:size],
            "inv_norms": self._inv_norms[:size],
            "labels": self._labels[:size],
            "pmids": ids,
        }
        ann_file = f"{path.name}.{uuid.uuid4().hex[:12]}.hnsw" if self._ann is not None else None
        header: dict[str, object] = {
            "dim": self.dim, "dtype": self.dtype, "count": size, "model": self.model,
            "version": self.version, "next_label": self._next_label, "ann_file": ann_file,
            "hnsw": [self.hnsw_params.connectivity, self.hnsw_params.expansion_add,
                     self.hnsw_params.expansion_search],
        }
        offsets: dict[str, int] = {}
        offset = 0
        for name, a in arrays.items():
            offsets[name] = offset
            offset += -(-a.nbytes // _ALIGN) * _ALIGN
        header["arrays"] = {
            name: [offsets[name], a.dtype.str, list(a.shape)] for name, a in arrays.items()
        }
        blob = json.dumps(header).encode()
        data_start = -(-(len(MAGIC) + 8 + len(blob)) // _ALIGN) * _ALIGN

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            if self._ann is not None and ann_file is not None:
                self._ann.save(path.with_name(ann_file))
            with tmp.open("wb") as f:
                f.write(MAGIC + len(blob).to_bytes(8, "little") + blob)
                for name, a in arrays.items():
                    f.seek(data_start + offsets[name])
                    f.write(np.ascontiguousarray(a).tobytes())
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except OSError:
            if ann_file is not None:
                path.with_name(ann_file).unlink(missing_ok=True)
            raise
        finally:
            tmp.unlink(missing_ok=True)
        for old in path.parent.glob(f"{path.name}.*.hnsw"):
            if old.name != ann_file:
                old.unlink(missing_ok=True)

    @classmethod
    def load(
        cls,
        path: Path,
        *,
        mmap: bool = True,
        ann_threshold: int = ANN_THRESHOLD,
        threads: int = 0,
        background_ann: bool = False,
    ) -> VectorIndex:
        """Read an index written by :meth:`save`; ``mmap`` maps the matrix instead of reading it.

        :raise NotFound: no file at ``path``.
        :raise ParseError: the file is not a litfeed vector index or is truncated.
        """
        if not path.is_file():
            raise NotFound(f"no vector index at {path}")
        with path.open("rb") as f:
            head = f.read(len(MAGIC) + 8)
            if len(head) < len(MAGIC) + 8 or not head.startswith(MAGIC):
                raise ParseError(f"{path} is not a litfeed vector index")
            try:
                header = json.loads(f.read(int.from_bytes(head[len(MAGIC):], "little")))
            except ValueError as exc:
                raise ParseError(f"{path} has a damaged header: {exc}") from exc
        blob_len = int.from_bytes(head[len(MAGIC):], "little")
        data_start = -(-(len(MAGIC) + 8 + blob_len) // _ALIGN) * _ALIGN
        file_size = path.stat().st_size

        def array(name: str) -> np.ndarray:
            offset, dtype, shape = header["arrays"][name]
            dt = np.dtype(dtype)
            nbytes = dt.itemsize * int(np.prod(shape))
            if nbytes == 0:  # an empty index's file ends with its header
                return np.zeros(shape, dtype=dt)
            if data_start + offset + nbytes > file_size:
                raise ParseError(f"{path} is truncated (array {name})")
            if mmap:
                return np.memmap(path, dtype=dt, mode="r", offset=data_start + offset,
                                 shape=tuple(shape))
            with path.open("rb") as f:
                f.seek(data_start + offset)
                return np.frombuffer(f.read(nbytes), dtype=dt).reshape(shape).copy()

        connectivity, expansion_add, expansion_search = header["hnsw"]
        index = cls(
            int(header["dim"]), dtype=header["dtype"], model=header["model"],
            version=header["version"], ann_threshold=ann_threshold, threads=threads,
            # the search breadth is a query-time knob: a newer default applies to old files
            hnsw=HnswParams(connectivity, expansion_add,
                            max(expansion_search, HnswParams().expansion_search)),
            background_ann=background_ann,
        )
        index._vectors = array("vectors")
        index._inv_norms = array("inv_norms")
        index._labels = array("labels")
        index._pmids = [p.decode() for p in array("pmids").tolist()]
        index._size = int(header["count"])
        index._alive = np.ones(index._size, dtype=bool)
        index._rows = {pmid: row for row, pmid in enumerate(index._pmids)}
        index._next_label = int(header["next_label"])
        ann_file = header.get("ann_file")
        if ann_file and (path.parent / ann_file).is_file():
            graph = HnswGraph(index.dim, index.dtype, index.hnsw_params, threads=threads)
            graph.load(path.parent / ann_file)
            index._ann = graph
        return index
