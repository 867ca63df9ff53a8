"""Related-paper quality and latency on the shared systematic-review screening data.

The acceptance protocol: every record of every review goes into one fresh store (title,
abstract, year; a record without a PMID gets a stable synthetic one). For each review the
positives are ``label_abstract_screening = 1`` (``label_included = 1`` where that is absent);
up to 30 positives with an abstract are sampled as seeds (``random.Random(0)``); a seed's
relevant papers are the review's other positives; the whole corpus minus the seed is ranked.
P@10, nDCG@10 and MAP@100 are averaged per review, then over reviews, for BM25 alone
(title+abstract as the query, k1=1.2, b=0.75, our own implementation over the search index's
tokens), embeddings alone (int8 MiniLM cosine) and the hybrid through ``service.related``,
all in one run. A small grid of fusion settings (tuned here only, never per review) and
related p50/p95 through the service follow.

The embedded store is cached under ``.bench-data/related-<data hash>/`` (first run: ingest +
embedding ≈ 3-5 min on 2 cores; later runs: seconds).

    PYTHONPATH=src python bench/related.py [--scale N]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import math
import random
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from scipy import sparse

from litfeed.config import Settings
from litfeed.rank import related as fusion
from litfeed.rank.metrics import average_precision_at_k, ndcg_at_k, precision_at_k
from litfeed.search.schema import text_analyzer
from litfeed.service import related as related_service
from litfeed.service.embeddings import embed_pending, vector_index
from litfeed.service.ingest import ingest_paths
from litfeed.service.search import refresh
from litfeed.store import Store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "sysrev-screening"
SEEDS_PER_REVIEW = 30
DEPTH = 100
SYNTHETIC_BASE = 9_000_000_000

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
Review = tuple[str, list[str], set[str]]  # name, seeds, positives


def synthetic_pmid(review: str, record_id: str) -> str:
    """A stable numeric id for a record without a PMID (never collides with a real PMID)."""
    digest = hashlib.sha1(f"{review}:{record_id}".encode()).hexdigest()
    return str(SYNTHETIC_BASE + int(digest[:12], 16) % 900_000_000)


def _clean(text: str | None) -> str:
    """The CSV's text without the control characters a few records carry (not legal XML)."""
    return _CONTROL.sub(" ", text or "").strip()


def load_reviews() -> tuple[dict[str, tuple[str, str, str]], list[Review]]:
    """(pmid → (title, abstract, year), reviews with their sampled seeds and positives)."""
    records: dict[str, tuple[str, str, str]] = {}
    reviews: list[Review] = []
    for path in sorted(DATA.glob("*.csv.gz")):
        name = path.name.removesuffix(".csv.gz")
        positives: set[str] = set()
        with_abstract: list[str] = []
        with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                raw = (row.get("pubmedID") or "").strip()
                pmid = raw if raw.isdigit() else synthetic_pmid(name, row["record_id"])
                title = _clean(row.get("title"))
                abstract = _clean(row.get("abstract"))
                if pmid not in records or len(abstract) > len(records[pmid][1]):
                    records[pmid] = (title, abstract, (row.get("year") or "").strip())
                label = row.get("label_abstract_screening", "")
                if label in ("", None):
                    label = row.get("label_included", "")
                if str(label).strip() in ("1", "1.0"):
                    positives.add(pmid)
                    if abstract:
                        with_abstract.append(pmid)
        pool = sorted(set(with_abstract))
        seeds = random.Random(0).sample(pool, min(SEEDS_PER_REVIEW, len(pool)))
        reviews.append((name, seeds, positives))
    return records, reviews


def write_xml(records: dict[str, tuple[str, str, str]], path: Path) -> None:
    with gzip.open(path, "wt", encoding="utf-8") as out:
        out.write("<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>\n")
        for pmid, (title, abstract, year) in sorted(records.items()):
            year_xml = f"<Year>{escape(year[:4])}</Year>" if year[:4].isdigit() else ""
            abstract_xml = (f"<Abstract><AbstractText>{escape(abstract)}</AbstractText></Abstract>"
                            if abstract else "")
            out.write(
                f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
                f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print">'
                f"<Journal><JournalIssue><PubDate>{year_xml}</PubDate></JournalIssue>"
                f"<Title>Screening corpus</Title></Journal>"
                f"<ArticleTitle>{escape(title or '[No title]')}</ArticleTitle>{abstract_xml}"
                f"<Language>eng</Language></Article></MedlineCitation></PubmedArticle>\n")
        out.write("</PubmedArticleSet>\n")


def build(records: dict[str, tuple[str, str, str]]) -> Settings:
    """The embedded, indexed store for these records, cached by their hash."""
    digest = hashlib.sha1(repr(sorted(records.items())).encode()).hexdigest()[:12]
    data_dir = ROOT / ".bench-data" / f"related-{digest}"
    settings = Settings(data_dir=data_dir, embed_after_ingest=False)
    done = data_dir / "READY"
    if done.exists():
        return settings
    data_dir.mkdir(parents=True, exist_ok=True)
    xml = data_dir / "sysrev.xml.gz"
    write_xml(records, xml)
    store = Store.open(settings)
    t0 = time.perf_counter()
    summary = ingest_paths(store, [xml])
    print(f"ingested {summary.to_json()['added']} records in {time.perf_counter() - t0:.0f} s",
          file=sys.stderr)
    refresh(store, settings)
    t0 = time.perf_counter()
    result = embed_pending(store, settings)
    print(f"embedded {result['embedded']} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    store.close()
    done.write_text("ok")
    return settings


class Bm25:
    """Plain BM25 (k1=1.2, b=0.75) over title+abstract, the seed's whole text as the query."""

    def __init__(self, docs: dict[str, str], k1: float = 1.2, b: float = 0.75) -> None:
        analyzer = text_analyzer()
        self.pmids = list(docs)
        self.vocab: dict[str, int] = {}
        rows, cols, vals = [], [], []
        lengths = np.zeros(len(self.pmids))
        for i, pmid in enumerate(self.pmids):
            counts: dict[int, int] = {}
            tokens = analyzer.analyze(docs[pmid])
            lengths[i] = len(tokens)
            for token in tokens:
                j = self.vocab.setdefault(token, len(self.vocab))
                counts[j] = counts.get(j, 0) + 1
            rows.extend([i] * len(counts))
            cols.extend(counts)
            vals.extend(counts.values())
        tf = sparse.csr_matrix((vals, (rows, cols)), shape=(len(self.pmids), len(self.vocab)),
                               dtype=np.float64)
        df = np.bincount(tf.indices, minlength=len(self.vocab))
        n = len(self.pmids)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / lengths.mean())
        tf = tf.tocoo()
        weights = tf.data * (k1 + 1) / (tf.data + norm[tf.row]) * idf[tf.col]
        self.matrix = sparse.csr_matrix((weights, (tf.row, tf.col)), shape=tf.shape)
        self.analyzer = analyzer

    def rank(self, text: str, exclude: str, k: int) -> list[str]:
        query = np.zeros(len(self.vocab))
        for token in self.analyzer.analyze(text):
            j = self.vocab.get(token)
            if j is not None:
                query[j] += 1
        scores = np.asarray(self.matrix @ query).ravel()
        order = np.argsort(-scores, kind="stable")[: k + 1]
        return [self.pmids[i] for i in order if self.pmids[i] != exclude and scores[i] > 0][:k]


def evaluate(reviews: Sequence[Review], ranker: Callable[[str], list[str]]) -> dict[str, float]:
    per_review = []
    for _, seeds, positives in reviews:
        p, n, ap = [], [], []
        for seed in seeds:
            relevant = positives - {seed}
            ranked = ranker(seed)
            p.append(precision_at_k(ranked, relevant, 10))
            n.append(ndcg_at_k(ranked, relevant, 10))
            ap.append(average_precision_at_k(ranked, relevant, DEPTH))
        per_review.append((statistics.fmean(p), statistics.fmean(n), statistics.fmean(ap)))
    return {m: statistics.fmean(r[i] for r in per_review)
            for i, m in enumerate(("P@10", "nDCG@10", "MAP@100"))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-grid", action="store_true", help="skip the fusion grid")
    parser.add_argument("--data-dir", type=Path, help="an already built store (smoke runs)")
    parser.add_argument("--http", action="store_true", help="also time a real litfeed serve")
    parser.add_argument("--reviews", type=int, help="only the first N reviews (smoke runs)")
    parser.add_argument("--steps", action="store_true",
                        help="also time each step of the related path (what feedback costs)")
    args = parser.parse_args()
    records, reviews = load_reviews()
    reviews = reviews[: args.reviews] if args.reviews else reviews
    seeds = sum(len(s) for _, s, _ in reviews)
    print(f"{len(records)} papers, {len(reviews)} reviews, {seeds} seeds")
    settings = (Settings(data_dir=args.data_dir, embed_after_ingest=False) if args.data_dir
                else build(records))
    store = Store.open(settings)
    texts = {p: f"{t}\n{a}" if a else t for p, (t, a, _) in records.items()}
    bm25 = Bm25(texts)
    vectors = vector_index(store, settings)

    def embedding(seed: str) -> list[str]:
        vec = vectors.find(seed)
        return [] if vec is None else [p for p, _ in vectors.search(vec, DEPTH, exclude={seed})]

    index = related_service._search_index(store, settings)
    signals = {seed: related_service.signals(store, settings, seed)[0]
               for _, ss, _ in reviews for seed in ss}
    rows: list[tuple[str, dict[str, float]]] = [
        ("BM25 alone (k1=1.2, b=0.75)", evaluate(reviews, lambda s: bm25.rank(texts[s], s, DEPTH))),
        ("embeddings alone (MiniLM int8)", evaluate(reviews, embedding)),
        ("  + Rocchio feedback (embedding signal)",
         evaluate(reviews, lambda s: [p for p, _ in signals[s].get(fusion.EMBEDDING, [])])),
        ("tantivy MLT of the seed's words",
         evaluate(reviews, lambda s: [p for p, _ in index.similar(texts[s], limit=DEPTH,
                                                                    exclude=s)])),
        ("  + RM3 feedback (lexical signal)",
         evaluate(reviews, lambda s: [p for p, _ in signals[s][fusion.LEXICAL]])),
    ]
    if not args.no_grid:
        for method in ("rrf", "zscore"):
            for w_lex in (0.5, 1.0, 2.0):
                weights = {fusion.EMBEDDING: 1.0, fusion.LEXICAL: w_lex, fusion.MESH: 0.5}
                rows.append((f"  grid: {method}, lexical weight {w_lex}", evaluate(
                    reviews, lambda s, w=weights, m=method: [r.pmid for r in fusion.rank(
                        signals[s], limit=DEPTH, exclude={s}, weights=w, fusion=m)])))
    latencies: list[float] = []

    def hybrid(seed: str) -> list[str]:
        t0 = time.perf_counter()
        out = related_service.related(store, settings, seed, limit=DEPTH)
        latencies.append(time.perf_counter() - t0)
        return [r["pmid"] for r in out["results"]]

    rows.append(("hybrid (service.related, defaults)", evaluate(reviews, hybrid)))
    base = rows[0][1]["nDCG@10"]
    print(f"\n{'ranker':<40} {'P@10':>7} {'nDCG@10':>8} {'MAP@100':>8} {'×BM25':>6}")
    for name, m in rows:
        print(f"{name:<40} {m['P@10']:>7.3f} {m['nDCG@10']:>8.3f} {m['MAP@100']:>8.3f} "
              f"{m['nDCG@10'] / base:>6.2f}")
    ms = sorted(x * 1000 for x in latencies)
    print(f"\nservice.related(limit=100) over {len(ms)} seeds, {len(records)} papers: "
          f"p50 {ms[len(ms) // 2]:.1f} ms, p95 {ms[math.ceil(0.95 * len(ms)) - 1]:.1f} ms")
    if args.steps:
        step_latency(store, settings, [s for _, ss, _ in reviews for s in ss])
    store.close()
    if args.http:
        http_latency(settings, [s for _, ss, _ in reviews for s in ss])


def step_latency(store: Store, settings: Settings, seeds: list[str]) -> None:
    """p50/p95 of each step of ``service.related.signals``, the feedback steps marked (+)."""
    from contextlib import contextmanager

    from litfeed.rank import feedback
    from litfeed.rank.embeddings import paper_text
    from litfeed.store import papers as store_papers

    index = related_service._search_index(store, settings)
    vectors = vector_index(store, settings)
    steps: dict[str, list[float]] = {}

    @contextmanager
    def step(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        yield
        steps.setdefault(name, []).append((time.perf_counter() - t0) * 1000)

    for seed in seeds:
        with store.read() as conn:
            paper = store_papers.find_paper(conn, seed)
        assert paper is not None
        text = paper_text(paper)
        vector = vectors.get(seed)
        with step("lexical: tantivy MLT, 100"):
            lexical = index.similar(text, limit=DEPTH, exclude=seed)
        with step("vectors: seed search, 80"):
            first = vectors.search(vector, feedback.ROCCHIO_DEPTH, exclude={seed})
        with step("(+) Rocchio query (80 vectors)"):
            query = feedback.rocchio(vector, np.stack([vectors.get(p) for p, _ in first]))
        with step("(+) vectors: Rocchio search, 100"):
            close = [p for p, _ in vectors.search(query, DEPTH, exclude={seed})]
        candidates = list(dict.fromkeys(close + [p for p, _ in lexical]))
        with step("(+) cosine of every candidate"):
            [float(v @ query) for p in candidates if (v := vectors.find(p)) is not None]
        with step("(+) RM3 query (10 papers, IDF)"):
            words = related_service._rm3_query(store, index, text, close[:feedback.RM3_DEPTH])
        with step("(+) RM3 re-scoring of the candidates"):
            index.weighted_search(words, limit=len(candidates), among=candidates, exclude=seed,
                                  title_boost=feedback.RM3_TITLE_BOOST)
    print(f"\n{'step':<42} {'p50 ms':>7} {'p95 ms':>7}")
    for name, ms in steps.items():
        ms.sort()
        print(f"{name:<42} {ms[len(ms) // 2]:>7.2f} {ms[math.ceil(0.95 * len(ms)) - 1]:>7.2f}")


def http_latency(settings: Settings, seeds: list[str], port: int = 8765) -> None:
    """p50/p95 of ``GET /api/papers/{pmid}/related?limit=10`` against a real ``litfeed serve``."""
    import os
    import subprocess

    import httpx

    env = {**os.environ, "LITFEED_DATA_DIR": str(settings.data_dir),
           "LITFEED_DATABASE_URL": settings.database_url, "LITFEED_EMBED_AFTER_INGEST": "false"}
    server = subprocess.Popen([sys.executable, "-m", "litfeed", "serve", "--port", str(port),
                               "--no-access-log"], env=env, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            for _ in range(100):
                try:
                    client.get("/api/health")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            client.get(f"/api/papers/{seeds[0]}/related")  # warm: loads the indexes
            times = []
            for seed in seeds:
                t0 = time.perf_counter()
                client.get(f"/api/papers/{seed}/related", params={"limit": 10}).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        print(f"HTTP GET /api/papers/{{pmid}}/related?limit=10 over {len(times)} seeds: "
              f"p50 {times[len(times) // 2]:.1f} ms, "
              f"p95 {times[math.ceil(0.95 * len(times)) - 1]:.1f} ms")
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
