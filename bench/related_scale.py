"""Related papers at scale: a replicated million-paper store, served by ``litfeed serve``.

Builds (once per ``--workdir``; each stage is skipped when its marker file exists) a SQLite
litfeed store of ``--scale`` papers (bench/scale_corpus.py: 20k real PubMed records replicated
with fresh PMIDs; replica vectors are the original's MiniLM vector plus N(0, σ²) noise per
dimension, ``--noise``, not embedded again), its Tantivy index (``service.search.refresh``) and
its saved vector index with the HNSW graph (``service.embeddings.save_vector_index``, what
``litfeed embed`` does after a run), then measures, over ``--seeds`` random papers with an
abstract:

* the vector index: recall@10 of the HNSW graph against exact search, and both latencies,
  for a few ``expansion_search`` values (the query-time breadth);
* each step of ``service.related`` (store reads, MeSH, vectors, lexical, fusion);
* ``GET /api/papers/{pmid}/related?limit=10`` on a real ``litfeed serve`` (uvicorn) over one
  keep-alive connection: p50 / p95.

    PYTHONPATH=src python bench/related_scale.py --scale 1000000 --workdir .bench-data/scale-1m
    rm -r .bench-data/scale-1m    # ~10 GB at 1M

The load average (2 shared cores) is printed with every figure.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_corpus import base_corpus, replica_pmid, scaled_papers, scaled_vectors

from litfeed.config import Settings
from litfeed.rank import onnx_export
from litfeed.rank import related as fusion
from litfeed.rank.ann import recall_at_k
from litfeed.rank.embeddings import paper_text
from litfeed.service import embeddings as emb
from litfeed.service import related as related_service
from litfeed.store import Store
from litfeed.store import papers as store_papers
from litfeed.store import related as store_related
from litfeed.store import schema as s
from search import build_index, build_store, free_port, settings_for, start_server

VECTOR_CHUNK = 5_000


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def stage(work: Path, name: str, fn: Callable[[], object]) -> None:
    """Run a build stage once per work directory, and say how long it took."""
    marker = work / f"{name}.done"
    if marker.exists():
        return
    start = time.perf_counter()
    fn()
    took = time.perf_counter() - start
    marker.write_text(f"{took:.1f} s\n")
    print(f"built {name}: {took:.1f} s ({load()})", file=sys.stderr, flush=True)


@dataclasses.dataclass(frozen=True)
class _Model:
    """What ``write_vectors`` needs to know of the embedder the vectors stand for."""

    name: str
    version: str
    dim: int


def store_vectors(settings: Settings, base: np.ndarray, pmids: list[str], noise: float) -> None:
    """The embeddings table (and its change log) for every paper, written as `embed` does."""
    from sqlalchemy import select

    version = emb.default_embedder(settings).version
    model = _Model(onnx_export.MODEL_NAME, version, base.shape[1])
    store = Store.open(settings)
    for start in range(0, len(pmids), VECTOR_CHUNK):
        chunk = pmids[start:start + VECTOR_CHUNK]
        with store.read() as conn:
            hashes = dict(conn.execute(select(s.papers.c.pmid, s.papers.c.content_hash)
                                       .where(s.papers.c.pmid.in_(chunk))).all())
        vectors = scaled_vectors(base, start, start + len(chunk), noise)
        emb.write_vectors(store, model, chunk, vectors, hashes)  # type: ignore[arg-type]
        print(f"\rvectors {start + len(chunk):,}/{len(pmids):,}", end="", file=sys.stderr)
    print(file=sys.stderr)
    store.close()


def pct(times: list[float]) -> str:
    p50, p95 = np.percentile(np.array(times) * 1000, [50, 95])
    return f"{p50:8.1f} {p95:8.1f}"


def timed(fn: Callable[[str], object], seeds: list[str]) -> list[float]:
    fn(seeds[0])
    out = []
    for seed in seeds:
        start = time.perf_counter()
        fn(seed)
        out.append(time.perf_counter() - start)
    return out


def measure_vectors(store: Store, settings: Settings, seeds: list[str]) -> None:
    index = emb.vector_index(store, settings)
    index.wait_for_ann()
    graph = index._ann
    assert graph is not None, "the index has no HNSW graph"
    print(f"\nvector index: {len(index):,} vectors, HNSW {index.hnsw_params} ({load()})")
    queries = {p: index.get(p) for p in seeds}
    start = time.perf_counter()
    exact: dict[str, list[str]] = {}
    exact_times = []
    for p in seeds:
        t0 = time.perf_counter()
        exact[p] = [q for q, _ in index.search(queries[p], 10, exclude={p}, exact=True)]
        exact_times.append(time.perf_counter() - t0)
    print(f"{'search':<44} {'recall@10':>9} {'p50 ms':>8} {'p95 ms':>8}")
    print(f"{'exact (fp32 matrix), k=10':<44} {1.0:9.3f} {pct(exact_times)}")
    default = graph._params
    for breadth in sorted({64, 128, default.expansion_search, 256, 512}):
        graph._params = dataclasses.replace(default, expansion_search=breadth)
        for k in (10, 100):
            found, times = [], []
            for p in seeds:
                t0 = time.perf_counter()
                hits = index.search(queries[p], k, exclude={p}, exact=False)
                times.append(time.perf_counter() - t0)
                found.append([q for q, _ in hits[:10]])
            recall = recall_at_k([exact[p] for p in seeds], found)
            label = f"HNSW expansion_search={breadth}, k={k}"
            print(f"{label:<44} {recall:9.3f} {pct(times)}", flush=True)
    graph._params = default
    print(f"(exact search of {len(seeds)} seeds: {time.perf_counter() - start:.0f} s in all)")


def measure_steps(store: Store, settings: Settings, seeds: list[str]) -> None:
    index = emb.vector_index(store, settings)
    search_index = related_service._search_index(store, settings)
    with store.read() as conn:
        papers = store_papers.get_papers(conn, seeds)
    texts = {p: paper_text(papers[p]) for p in seeds}
    lists: dict[str, dict[str, list[tuple[str, float]]]] = {p: {} for p in seeds}
    total = 0

    def mesh(seed: str) -> None:
        nonlocal total
        with store.read() as conn:
            topics = store_related.major_topics(conn, seed)
            total = related_service._corpus_size(store, conn)
            others = {p for name in (fusion.EMBEDDING, fusion.LEXICAL)
                      for p, _ in lists[seed].get(name, [])}
            hits, _ = store_related.papers_sharing_topics(conn, topics, limit=101, total=total,
                                                          among=others)
        lists[seed][fusion.MESH] = hits

    def vectors(seed: str) -> None:
        lists[seed][fusion.EMBEDDING] = index.search(index.get(seed), 100, exclude={seed})

    def lexical(seed: str) -> None:
        lists[seed][fusion.LEXICAL] = search_index.similar(texts[seed], limit=100, exclude=seed)

    def find(seed: str) -> None:
        with store.read() as conn:
            store_papers.find_paper(conn, seed)

    def fuse(seed: str) -> None:
        fusion.rank(lists[seed], limit=30, exclude={seed})

    def live(seed: str) -> None:
        with store.read() as conn:
            store_related.live_candidates(conn, [p for p, _ in lists[seed][fusion.EMBEDDING][:30]])

    steps: list[tuple[str, Callable[[str], object]]] = [
        ("store: find_paper (the seed)", find),
        ("vectors: VectorIndex.search, k=100", vectors),
        ("lexical: SearchIndex.similar, 100", lexical),
        ("MeSH: major topics + papers sharing them", mesh),
        ("fusion: rank.related.rank", fuse),
        ("store: live_candidates (30)", live),
        ("service.related(limit=10), all of the above",
         lambda p: related_service.related(store, settings, p, limit=10)),
    ]
    print(f"\n{'step (' + str(len(seeds)) + ' seeds)':<46} {'p50 ms':>8} {'p95 ms':>8}  ({load()})")
    for label, fn in steps:
        print(f"{label:<46} {pct(timed(fn, seeds))}", flush=True)
    with_mesh = sum(1 for p in seeds if lists[p].get(fusion.MESH))
    print(f"({with_mesh} of {len(seeds)} seeds have papers sharing a major MeSH topic)")


def measure_http(settings: Settings, seeds: list[str], rounds: int) -> None:
    port = free_port()
    server = start_server(settings, port)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            start = time.perf_counter()
            client.get(f"/api/papers/{seeds[0]}/related").raise_for_status()
            print(f"\nfirst related request (loads the indexes): "
                  f"{time.perf_counter() - start:.1f} s")
            for round_no in range(rounds):
                times = []
                for seed in seeds:
                    t0 = time.perf_counter()
                    r = client.get(f"/api/papers/{seed}/related", params={"limit": 10})
                    r.raise_for_status()
                    times.append(time.perf_counter() - t0)
                print(f"HTTP GET /api/papers/{{pmid}}/related?limit=10, round {round_no + 1}, "
                      f"{len(seeds)} seeds: p50/p95 {pct(times)} ms ({load()})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path(".bench-data/scale-1m"))
    parser.add_argument("--seeds", type=int, default=300)
    parser.add_argument("--noise", type=float, default=0.02)
    parser.add_argument("--rounds", type=int, default=2, help="HTTP rounds over the seeds")
    parser.add_argument("--skip", nargs="*", default=[], choices=["vectors", "steps", "http"])
    args = parser.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    settings = dataclasses.replace(settings_for(work), embed_after_ingest=False,
                                   model_dir=Path(__file__).resolve().parents[1]
                                   / ".bench-data" / "scale-base" / "models")
    base_papers, base_vectors = base_corpus()
    n = args.scale
    pmids = [base_papers[k].pmid if k < len(base_papers) else replica_pmid(k) for k in range(n)]
    print(f"{n:,} papers ({len(base_papers):,} originals replicated, vector noise σ="
          f"{args.noise}) in {work} ({load()})", file=sys.stderr)
    stage(work, "papers", lambda: build_store(settings, scaled_papers(base_papers, n)))
    stage(work, "vectors", lambda: store_vectors(settings, base_vectors, pmids, args.noise))
    stage(work, "search", lambda: build_index(settings))

    def vector_index() -> None:
        store = Store.open(settings)
        emb.save_vector_index(store, settings)
        store.close()

    stage(work, "vector-index", vector_index)
    rng = np.random.default_rng(0)
    has_abstract = [bool(p.abstract_text) for p in base_papers]
    rows = rng.choice(n, size=4 * args.seeds, replace=False)
    seeds = [pmids[k] for k in rows if has_abstract[k % len(base_papers)]][:args.seeds]
    store = Store.open(settings)
    if "vectors" not in args.skip:
        measure_vectors(store, settings, seeds)
    if "steps" not in args.skip:
        measure_steps(store, settings, seeds)
    store.close()
    if "http" not in args.skip:
        measure_http(settings, seeds, args.rounds)


if __name__ == "__main__":
    main()
