"""Personal feed quality and speed: litfeed's feed against arxiv-sanity's tf-idf + linear SVM.

Protocol (docs/ranking.md, "Feed"): each review of ../shared/data/sysrev-screening is one
reader; positives are label_abstract_screening = 1 (label_included where that is absent). For
each review with at least 10 positives, three repeats (one generator, seed 0): the reader likes
5 random positives and dislikes 10 random negatives of that review; every other paper of the
pooled corpus (all reviews together, since=all) is ranked; relevant = the review's remaining
positives. P@10, nDCG@20 and recall@100 are averaged per review, then over reviews, for:

* svm — arxiv-sanity-lite's ranker: tf-idf of title+abstract (1–2-grams, 20k features),
  LinearSVC(class_weight="balanced", C=0.1), likes positive, every other paper negative;
* centroid — cosine to the mean of the liked papers' embeddings;
* litfeed — ``service.feed.feed_for`` (limit=100, since=all) after the reactions are stored
  through ``service.library.react``, exactly as the API does it.

Then the feed's speed: training time per reaction, and p50/p95 of feed_for at this scale, and
(``--synthetic N``) of the model's scoring over N random candidate vectors. The same on a
replicated million-paper store, through the service: bench/feed_scale.py.

Usage: PYTHONPATH=src python bench/feed.py [--synthetic 1000000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from feed_data import prepared_dir, read_reviews
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from litfeed.config import Settings
from litfeed.rank import feed as model
from litfeed.rank.metrics import ndcg_at_k, precision_at_k, recall_at_k
from litfeed.service import feed as service_feed
from litfeed.service import library
from litfeed.service.embeddings import vector_index
from litfeed.store import Store
from litfeed.store import users as store_users
from litfeed.store.clock import now as utc_now

RANKERS = ("svm", "centroid", "litfeed")


def metrics(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    return (precision_at_k(ranked, relevant, 10), ndcg_at_k(ranked, relevant, 20),
            recall_at_k(ranked, relevant, 100))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--synthetic", type=int, default=0,
                        help="also time scoring over this many synthetic candidate vectors")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    source = prepared_dir()
    work = Path(tempfile.mkdtemp(prefix="litfeed-feed-bench-"))
    for name in ("litfeed.db", "vectors"):
        if (source / name).is_dir():
            shutil.copytree(source / name, work / name)
        elif (source / name).exists():
            shutil.copy(source / name, work / name)
    (work / "models").symlink_to((source / "models").resolve())
    settings = Settings(data_dir=work, embed_after_ingest=False)
    store = Store.open(settings)
    reviews, records = read_reviews()
    index = vector_index(store, settings)
    pool = [p for p in index.pmids]
    pool_set = set(pool)
    texts = [f"{records[p].title}\n{records[p].abstract}" for p in pool]
    vectors = np.stack([index.get(p) for p in pool])
    row = {p: i for i, p in enumerate(pool)}
    tfidf = TfidfVectorizer(ngram_range=(1, 2), max_features=20_000, sublinear_tf=True,
                            stop_words="english").fit_transform(texts)
    print(f"pool: {len(pool)} papers, {len(reviews)} reviews", file=sys.stderr)

    rng = np.random.default_rng(0)
    per_review: dict[str, dict[str, list[tuple[float, float, float]]]] = {}
    feed_ms: list[float] = []
    train_ms: list[float] = []
    user_no = 0
    for review in reviews:
        positives = sorted(p for p in review.positives if p in pool_set)
        negatives = sorted(p for p in review.pmids if p in pool_set and p not in review.positives)
        if len(positives) < 10:
            continue
        scores: dict[str, list[tuple[float, float, float]]] = {r: [] for r in RANKERS}
        for _ in range(args.repeats):
            likes = list(rng.choice(positives, size=5, replace=False))
            dislikes = list(rng.choice(negatives, size=min(10, len(negatives)), replace=False))
            seen = set(likes) | set(dislikes)
            relevant = set(positives) - seen
            cand_rows = np.array([row[p] for p in pool if p not in seen])
            cand_pmids = [pool[i] for i in cand_rows]
            # arxiv-sanity: likes positive, every other paper negative
            y = np.zeros(len(pool))
            y[[row[p] for p in likes]] = 1
            svm = LinearSVC(class_weight="balanced", C=0.1, max_iter=10_000).fit(tfidf, y)
            order = np.argsort(-svm.decision_function(tfidf[cand_rows]), kind="stable")
            scores["svm"].append(metrics([cand_pmids[i] for i in order[:100]], relevant))
            centroid = vectors[[row[p] for p in likes]].mean(axis=0)
            order = np.argsort(-(vectors[cand_rows] @ centroid), kind="stable")
            scores["centroid"].append(metrics([cand_pmids[i] for i in order[:100]], relevant))
            # litfeed, through the service
            user_no += 1
            with store.transaction() as conn:
                user = store_users.insert_user(conn, email=f"reader{user_no}@bench.test",
                                               password_hash="-", name=None, is_admin=False,
                                               now=utc_now())
            uid = user.id
            for p in likes:
                library.react(store, uid, p, "like")
            for p in dislikes:
                library.react(store, uid, p, "dislike")
            start = time.perf_counter()
            result = service_feed.feed_for(store, settings, user, limit=100, since="all")
            feed_ms.append((time.perf_counter() - start) * 1000)
            train_ms.append(service_feed.last_training_ms)
            start = time.perf_counter()
            service_feed.feed_for(store, settings, user, limit=100, since="all")
            feed_ms[-1] = (time.perf_counter() - start) * 1000  # warm: model cached
            ranked = [r["pmid"] for r in result["results"]]
            assert not seen & set(ranked), "the feed returned a paper the reader reacted to"
            scores["litfeed"].append(metrics(ranked, relevant))
        per_review[review.name] = scores

    print(f"\nFeed quality on {len(per_review)} reviews x {args.repeats} repeats "
          f"(pool {len(pool)} papers; 5 likes + 10 dislikes each)")
    print(f"{'review':40s} " + " ".join(f"{r + ' nDCG@20':>17s}" for r in RANKERS))
    for name, scores in per_review.items():
        print(f"{name:40s} " + " ".join(f"{np.mean([s[1] for s in scores[r]]):17.3f}"
                                         for r in RANKERS))
    print(f"\n{'ranker':10s} {'P@10':>7s} {'nDCG@20':>8s} {'R@100':>7s}")
    means = {}
    for r in RANKERS:
        per = np.array([np.mean(scores[r], axis=0) for scores in per_review.values()])
        means[r] = per.mean(axis=0)
        print(f"{r:10s} {means[r][0]:7.3f} {means[r][1]:8.3f} {means[r][2]:7.3f}")
    print(f"litfeed / svm nDCG@20 = {means['litfeed'][1] / means['svm'][1]:.2f}x")
    print(f"\ntraining per reaction change: p50 {np.percentile(train_ms, 50):.1f} ms, "
          f"p95 {np.percentile(train_ms, 95):.1f} ms")
    print(f"feed_for (model cached, {len(pool)} candidates, limit 100): "
          f"p50 {np.percentile(feed_ms, 50):.1f} ms, p95 {np.percentile(feed_ms, 95):.1f} ms")
    if args.synthetic:
        synthetic(args.synthetic)
    store.close()
    shutil.rmtree(work, ignore_errors=True)


def synthetic(n: int) -> None:
    """The service's two steps over ``n`` random unit vectors (embedding components only, no
    text): training (fit + the pool-wide first pass, once per reaction change) and serving
    (exclude seen/old rows, the RERANK best first-pass rows re-scored, MMR to 100)."""
    rng = np.random.default_rng(1)
    vectors = rng.standard_normal((n, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    cands = model.Candidates(pmids=[str(i) for i in range(n)], vectors=vectors,
                             titles=[""] * n)
    signals = model.Signals(positives=[str(i) for i in range(50)],
                            negatives={str(i): 1.0 for i in range(50, 150)})
    start = time.perf_counter()
    fitted = model.train(cands, signals)
    scored = model.first_pass(fitted, cands)
    train = (time.perf_counter() - start) * 1000
    published = rng.integers(0, 3650, size=n)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        keep = published >= 100
        keep[:150] = False
        rows = np.flatnonzero(keep)
        first = scored.first[rows]
        top = rows[np.argpartition(-first, model.RERANK - 1)[:model.RERANK]]
        scores, _ = model.rerank(fitted, cands, scored, top)
        order = np.argsort(-scores)[:300]
        model.mmr(scores[order], vectors[top[order]], 100)
        times.append((time.perf_counter() - start) * 1000)
    print(f"synthetic {n} candidates (50 likes, 100 dislikes): training + first pass "
          f"{train:.0f} ms; serving p50 {np.percentile(times, 50):.0f} ms, "
          f"p95 {np.percentile(times, 95):.0f} ms")


if __name__ == "__main__":
    main()
