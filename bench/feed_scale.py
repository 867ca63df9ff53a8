"""The feed at scale: training per reaction and serving, for readers with 50 and 5,000
reactions, over the replicated million-paper store of bench/related_scale.py.

Run bench/related_scale.py first (it builds the store, its vectors and the saved vector index in
``--workdir``). Then, through ``service.feed.feed_for`` (what ``GET /api/feed`` and
``litfeed feed`` call):

* the candidate pool's build (once per process, and when the index has moved on);
* per reader: ``--reactions`` more reactions (a like or a dislike, as a reader would go), each
  followed by one feed request that retrains the model (``last_training_ms``: the fit and the
  pool-wide first pass) and ranks; p50/p95 of the training and of that whole request;
* then ``--requests`` feed requests with the model trained (``limit=20``; ``since=2021-01-01``,
  which holds the replicated 2021 half of the corpus, and ``since=all``): p50/p95.

Readers like papers near a random topic (the 3,000 nearest neighbours of a random paper) and
dislike random ones, one reaction in four a dislike.

    PYTHONPATH=src python bench/feed_scale.py --workdir .bench-data/scale-1m
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from litfeed.models import User
from litfeed.service import feed as feed_service
from litfeed.service import library
from litfeed.service.embeddings import vector_index
from litfeed.store import Store
from litfeed.store import users as store_users
from litfeed.store.clock import now as utc_now
from search import settings_for


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def pct(ms: list[float]) -> str:
    p50, p95 = np.percentile(ms, [50, 95])
    return f"p50 {p50:.0f} ms, p95 {p95:.0f} ms"


def reader(store: Store, name: str) -> User:
    with store.transaction() as conn:
        return store_users.insert_user(conn, email=f"{name}-{time.time_ns()}@bench.test",
                                       password_hash="-", name=None, is_admin=False,
                                       now=utc_now())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=Path(".bench-data/scale-1m"))
    parser.add_argument("--sizes", type=int, nargs="*", default=[50, 5_000],
                        help="reactions each reader has before the timed ones")
    parser.add_argument("--reactions", type=int, default=20, help="timed reactions per reader")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per reader")
    args = parser.parse_args()
    work = args.workdir.resolve()
    if not (work / "vector-index.done").exists():
        sys.exit(f"no built store in {work}: run bench/related_scale.py first")
    settings = dataclasses.replace(settings_for(work), embed_after_ingest=False,
                                   model_dir=Path(__file__).resolve().parents[1]
                                   / ".bench-data" / "scale-base" / "models")
    store = Store.open(settings)
    start = time.perf_counter()
    index = vector_index(store, settings)
    index.wait_for_ann()
    print(f"vector index: {len(index):,} papers, loaded in {time.perf_counter() - start:.1f} s "
          f"({load()})", flush=True)
    start = time.perf_counter()
    pool = feed_service._pool(store, settings)
    print(f"candidate pool: {len(pool.cands.pmids):,} papers, built in "
          f"{time.perf_counter() - start:.1f} s ({load()})", flush=True)
    rng = np.random.default_rng(0)
    pmids = pool.cands.pmids
    for size in args.sizes:
        user = reader(store, f"r{size}")
        seed = pmids[int(rng.integers(len(pmids)))]
        near = [p for p, _ in index.search(index.get(seed), 3_000, exclude={seed})]
        total = size + args.reactions
        likes = iter(rng.permutation(near).tolist())
        others = iter(rng.choice(len(pmids), size=2 * total, replace=False).tolist())
        plan = [("dislike", pmids[next(others)]) if i % 4 == 3 else ("like", next(likes))
                for i in range(total)]
        start = time.perf_counter()
        for value, pmid in plan[:size]:
            library.react(store, user.id, pmid, value)
        print(f"\nreader with {size:,} reactions (stored in {time.perf_counter() - start:.0f} s)")
        feed_service.feed_for(store, settings, user, limit=20, since="all")  # first training
        train_ms, request_ms = [], []
        for value, pmid in plan[size:]:
            library.react(store, user.id, pmid, value)
            t0 = time.perf_counter()
            feed_service.feed_for(store, settings, user, limit=20, since="all")
            request_ms.append((time.perf_counter() - t0) * 1000)
            train_ms.append(feed_service.last_training_ms)
        print(f"  retraining after a reaction ({args.reactions}x): {pct(train_ms)}; the whole "
              f"first request after it: {pct(request_ms)} ({load()})", flush=True)
        for since in ("2021-01-01", "all"):
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                result = feed_service.feed_for(store, settings, user, limit=20, since=since)
                times.append((time.perf_counter() - t0) * 1000)
            assert len(result["results"]) == 20
            print(f"  feed_for(limit=20, since={since}), model trained, "
                  f"{args.requests}x: {pct(times)} ({load()})", flush=True)
    store.close()


if __name__ == "__main__":
    main()
