"""Related-paper latency at scale: each signal of ``service.related`` timed on a replicated corpus.

Takes the embedded screening store built by ``bench/related.py`` (run that first), replicates
its papers with fresh PMIDs up to ``--scale`` into a fresh Tantivy index, and its vectors with
Gaussian noise into a :class:`VectorIndex`, then times, per seed (one per replica family):
the lexical signal (``SearchIndex.similar``, depth 100), vector search for 100 neighbours
(exact fp32, exact int8 and HNSW) and the RRF fusion. The MeSH signal is one indexed SQL
query whose cost is bounded by ``MAX_TOPIC_PAPERS``; these records carry no MeSH, so it is
not timed here.

    PYTHONPATH=src python bench/related_scale.py --scale 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from litfeed.config import Settings
from litfeed.rank import related as fusion
from litfeed.rank.embeddings import paper_text
from litfeed.rank.vectors import VectorIndex
from litfeed.search.index import SearchIndex
from litfeed.service.embeddings import vector_index
from litfeed.store import Store
from litfeed.store import papers as store_papers

ROOT = Path(__file__).resolve().parents[1]
FRESH = 5_000_000_000  # replica PMIDs: above the real and synthetic ones


def percentiles(times: list[float]) -> tuple[float, float]:
    p50, p95 = np.percentile(np.array(times) * 1000, [50, 95])
    return float(p50), float(p95)


def timed(label: str, fn: Callable[[], object]) -> None:
    start = time.perf_counter()
    fn()
    print(f"{label}: {time.perf_counter() - start:.1f} s", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=200_000)
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--sparse", action="store_true",
                        help="also time a scipy BM25 matrix for the lexical signal")
    args = parser.parse_args()
    ready = sorted(ROOT.glob(".bench-data/related-*/READY"))
    if not ready:
        sys.exit("run bench/related.py first: it builds the embedded screening store")
    settings = Settings(data_dir=ready[-1].parent, embed_after_ingest=False)
    store = Store.open(settings)
    base = vector_index(store, settings)
    pmids = base.pmids
    with store.read() as conn:
        papers = store_papers.get_papers(conn, pmids)
    store.close()
    copies = max(1, -(-args.scale // len(pmids)))
    n = min(args.scale, copies * len(pmids))
    print(f"{n:,} papers ({len(pmids):,} originals × {copies}), {args.seeds} seeds")

    tmp = Path(tempfile.mkdtemp(prefix="litfeed-related-scale-"))
    try:
        index = SearchIndex(tmp / "search", writer_heap_bytes=512_000_000)
        originals = [papers[p] for p in pmids]

        def fill() -> None:
            for copy in range(copies):
                start = copy * len(pmids)
                batch = [p if copy == 0 else dataclasses.replace(p, pmid=str(FRESH + start + i))
                         for i, p in enumerate(originals[: n - start])]
                index.add_or_replace(batch)
            index.commit()
            index.close()

        timed(f"index {n:,} papers in Tantivy", fill)
        base_matrix = np.stack([base.get(p) for p in pmids])
        rng = np.random.default_rng(0)
        all_pmids: list[str] = []
        vectors = np.empty((n, base.dim), dtype=np.float32)
        for copy in range(copies):
            start = copy * len(pmids)
            m = min(len(pmids), n - start)
            rows = base_matrix[:m] + (0.0 if copy == 0 else 0.02) * rng.standard_normal(
                (m, base.dim), dtype=np.float32)
            vectors[start:start + m] = rows
            all_pmids.extend(pmids[:m] if copy == 0 else
                             [str(FRESH + start + i) for i in range(m)])
        exact = VectorIndex(base.dim, ann_threshold=n + 1, threads=args.threads)
        small = VectorIndex(base.dim, dtype="int8", ann_threshold=n + 1, threads=args.threads)
        timed("fill the fp32 vector index", lambda: exact.add(all_pmids, vectors))
        timed("fill the int8 vector index", lambda: small.add(all_pmids, vectors))
        seeds = [pmids[i] for i in rng.choice(len(pmids), args.seeds, replace=False)]
        texts = {s: paper_text(papers[s]) for s in seeds}
        results: dict[str, list[float]] = {}
        lists: dict[str, dict[str, list[tuple[str, float]]]] = {s: {} for s in seeds}

        def run(label: str, fn: Callable[[str], list[tuple[str, float]]], key: str) -> None:
            fn(seeds[0])  # warm-up
            times = []
            for seed in seeds:
                start = time.perf_counter()
                lists[seed][key] = fn(seed)
                times.append(time.perf_counter() - start)
            results[label] = times

        run("lexical: SearchIndex.similar (48 terms, 100)",
            lambda s: index.similar(texts[s], limit=100, exclude=s), fusion.LEXICAL)
        if args.sparse:
            sys.path.insert(0, str(ROOT / "bench"))
            from related import Bm25  # the benchmark's own scipy BM25

            docs: dict[str, str] = {}
            for copy in range(copies):
                start = copy * len(pmids)
                for i, p in enumerate(pmids[: n - start]):
                    docs[p if copy == 0 else str(FRESH + start + i)] = paper_text(papers[p])
            holder: list[Bm25] = []
            timed(f"build a scipy BM25 matrix over {n:,} papers",
                  lambda: holder.append(Bm25(docs)))
            bm25 = holder[0].matrix.tocsc()
            vocab, keys = holder[0].vocab, holder[0].pmids

            def sparse_similar(seed: str) -> list[tuple[str, float]]:
                counts: dict[int, int] = {}
                for token in holder[0].analyzer.analyze(texts[seed]):
                    if (j := vocab.get(token)) is not None:
                        counts[j] = counts.get(j, 0) + 1
                cols = list(counts)
                scores = np.asarray(bm25[:, cols] @ np.array([counts[c] for c in cols],
                                                             dtype=np.float64)).ravel()
                top = np.argpartition(-scores, 101)[:101]
                top = top[np.argsort(-scores[top])]
                return [(keys[i], float(scores[i])) for i in top if keys[i] != seed][:100]

            run("lexical: scipy BM25 (all seed terms), 100", sparse_similar, "sparse")
        run("vectors: exact int8, k=100",
            lambda s: small.search(small.get(s), 100, exclude={s}, exact=True), fusion.EMBEDDING)
        run("vectors: exact fp32, k=100",
            lambda s: exact.search(exact.get(s), 100, exclude={s}, exact=True), fusion.EMBEDDING)
        timed("build HNSW over fp32", exact.build_ann)
        run("vectors: HNSW, k=100",
            lambda s: exact.search(exact.get(s), 100, exclude={s}, exact=False),
            fusion.EMBEDDING)
        fuse_times = []
        for seed in seeds:
            start = time.perf_counter()
            fusion.rank({k: v for k, v in lists[seed].items() if k != "sparse"}, limit=10,
                        exclude={seed})
            fuse_times.append(time.perf_counter() - start)
        results["fusion: rank.related.rank"] = fuse_times
        print(f"\n{'step':<46} {'p50 ms':>8} {'p95 ms':>8}")
        for label, times in results.items():
            p50, p95 = percentiles(times)
            print(f"{label:<46} {p50:8.1f} {p95:8.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
