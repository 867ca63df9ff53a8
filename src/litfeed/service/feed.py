"""The personal feed: ``feed_for`` ranks the embedded papers for one reader.

The candidate pool (every paper with a stored vector: unit vectors, tf-idf rows, topics,
dates, retraction flags) is built once per process and rebuilt when the vector index has moved
on: at once when that is quick, else on a thread at most every ``POOL_REFRESH_S`` (or five
times its build time) while the old pool serves (at a million papers a build takes minutes).
Deletions and retractions reach a pool at once all the same: each request applies the
``paper_changes`` logged since (usually none) to its flags, so such a paper never shows.

Each reader's model is cached per process (the ``MAX_MODELS`` most recently used) and retrained
when their reactions, saves or feed settings change (``last_training_ms`` says how long that
took): the fit, then one pass over the pool (``rank.feed.first_pass``). A request then ranks
the ``RERANK`` best first-pass rows that pass its filters with the full model (cached per
``since`` until the next retraining). With ``personalization`` off, no reaction or save is
read for ranking (only to hide papers already reacted to, which the contract requires) and
nothing learned from them is kept: the specialty model is cached by the settings it came from.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.feed import specialties as spec
from litfeed.models import Paper, User
from litfeed.rank import feed as model
from litfeed.rank.embeddings import Embedder, paper_text
from litfeed.rank.feed import Scored
from litfeed.service.embeddings import default_embedder, vector_index
from litfeed.store import Store
from litfeed.store import feed as store_feed
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

log = logging.getLogger(__name__)

MAX_LIMIT = 100
FRESHNESS_DAYS = 730
SETTINGS_KEYS = ("personalization", "specialties", "follows", "muted_topics", "digest")
FOLLOW_KINDS = ("journals", "authors", "mesh")
POOL_SYNC_S = 1.0  # a pool that builds faster than this is rebuilt as soon as it is behind
POOL_REFRESH_S = 60.0  # a slower one at most this often, on a thread
MAX_MODELS = 256  # readers' models kept per process (one float per pool paper each)
MAX_HEADS = 4  # ranked heads kept per model (one per `since` asked for)
_pool_tokens = itertools.count(1)
LEXICAL_SAMPLE = 50_000  # papers the tf-idf vocabulary is fitted on, beyond which it is fixed
POOL_CHUNK = 5_000  # papers read from the store at a time while building the pool


@dataclass
class _Pool:
    cands: model.Candidates
    published: np.ndarray  # YYYYMMDD as an integer, end of the stated period
    blocked: np.ndarray  # retracted or deleted: never recommended
    generation: tuple[int, int]  # (instance, generation) of the vector index it was built from
    built_at: float = 0.0
    build_s: float = 0.0
    token: int = field(default_factory=lambda: next(_pool_tokens))  # tells pools apart
    seq: int = 0  # the paper_changes entry the flags reflect
    epoch: int = 0  # bumped when flags change: ranked heads are then stale


@dataclass
class _Trained:
    key: tuple[Any, ...]
    model: model.FeedModel
    training_ms: float
    scored: Scored
    #: (floor, pool epoch) -> (rows, fused scores, best like row), best first: the RERANK
    #: best first-pass rows that pass the filters, ranked by the full model
    heads: dict[tuple[str | None, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=dict)
    hidden: set[str] | None = None  # papers reacted to or saved (personal models only)


_pools: dict[str, _Pool] = {}
_pool_builds: dict[str, threading.Thread] = {}
_models: OrderedDict[tuple[str, int], _Trained] = OrderedDict()
_cold: OrderedDict[tuple[str, bytes], _Trained] = OrderedDict()
_profile_vectors: dict[str, np.ndarray] = {}
_lock = threading.Lock()
_build_lock = threading.Lock()
last_training_ms: float = 0.0


# --- settings ------------------------------------------------------------------------------------

def _str_list(value: Any, what: str, limit: int = 200) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(f"{what} must be a list of strings")
    cleaned = [" ".join(v.split()) for v in value if v.strip()]
    if len(cleaned) > limit:
        raise InvalidInput(f"{what} has at most {limit} entries")
    return list(dict.fromkeys(cleaned))


def feed_settings(stored: dict[str, Any]) -> dict[str, Any]:
    """The feed's view of a reader's settings, with defaults filled in."""
    raw = stored.get("follows")
    follows: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {"personalization": stored.get("personalization", True) is not False,
            "specialties": [s for s in stored.get("specialties") or [] if s in spec.BY_KEY],
            "follows": {k: list(follows.get(k) or []) for k in FOLLOW_KINDS},
            "muted_topics": list(stored.get("muted_topics") or []),
            "digest": stored.get("digest") or "off"}


def get_settings(store: Store, user_id: int) -> dict[str, Any]:
    """Every stored setting of the reader, the feed's keys filled with their defaults."""
    with store.read() as conn:
        stored = store_feed.user_settings(conn, user_id)
    return {**stored, **feed_settings(stored)}


def update_settings(store: Store, user_id: int, patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into the reader's settings (keys not given are kept).

    :raise InvalidInput: a value of the wrong type, an unknown specialty or digest schedule.
    """
    clean: dict[str, Any] = {}
    for key, value in patch.items():
        if key == "personalization":
            if not isinstance(value, bool):
                raise InvalidInput("personalization must be true or false")
            clean[key] = value
        elif key == "specialties":
            clean[key] = [spec.get(k).key for k in _str_list(value, "specialties")]
        elif key == "muted_topics":
            clean[key] = [t.lower() for t in _str_list(value, "muted_topics")]
        elif key == "follows":
            if not isinstance(value, dict) or set(value) - set(FOLLOW_KINDS):
                raise InvalidInput(f"follows must be an object with keys {', '.join(FOLLOW_KINDS)}")
            clean[key] = {k: _str_list(value.get(k), f"follows.{k}") for k in FOLLOW_KINDS}
        elif key == "digest":
            if value not in ("off", "daily", "weekly"):
                raise InvalidInput("digest must be off, daily or weekly")
            clean[key] = value
        elif key == "institution":
            clean[key] = value
        else:
            raise InvalidInput(f"unknown setting {key!r}; expected one of "
                               f"{', '.join((*SETTINGS_KEYS, 'institution'))}")
    with store.transaction() as conn:
        merged = {**store_feed.user_settings(conn, user_id), **clean}
        store_feed.set_user_settings(conn, user_id, merged)
    if merged.get("personalization") is False:
        with _lock:  # keep nothing learned from history once personalization is off
            _models.pop((store.url, user_id), None)
    return {**merged, **feed_settings(merged)}


def forget_reader(store: Store, user_id: int) -> None:
    """Drop what this process learned about the reader (their trained model): after "clear my
    history" or deleting the account nothing derived from them stays in memory."""
    with _lock:
        _models.pop((store.url, user_id), None)


def list_specialties() -> list[dict[str, Any]]:
    return [{"key": s.key, "name": s.name, "mesh": [{"descriptor": d, "tree": t}
                                                    for d, t in s.mesh],
             "journals": list(s.journals)} for s in spec.SPECIALTIES]


# --- the candidate pool --------------------------------------------------------------------------

def _period_end(published: str | None, year: int | None) -> int:
    """The last day of the stated publication period as YYYYMMDD (0 when undated)."""
    if published and len(published) >= 4:
        parts = published.split("-")
        try:
            return int(parts[0]) * 10000 + int(parts[1] if len(parts) > 1 else 12) * 100 \
                + int(parts[2] if len(parts) > 2 else 31)
        except ValueError:
            pass
    return year * 10000 + 1231 if year else 0


def _topics(paper: Paper) -> frozenset[str]:
    keys = {f"mesh:{m.descriptor.lower()}" for m in paper.mesh}
    if paper.journal:
        for name in (paper.journal.iso_abbrev, paper.journal.title):
            if name:
                keys.add(f"journal:{name.lower().replace('.', '')}")
    for a in paper.authors:
        if a.last:
            keys.add(f"author:{a.last.lower()} {(a.initials or '').lower()}".strip())
    return frozenset(keys)


def _vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2, max_features=200_000,
                           stop_words="english", dtype=np.float32)


def _fitted_on_sample(store: Store, pmids: list[str]) -> TfidfVectorizer | None:
    """A vectorizer whose vocabulary and IDF come from ``LEXICAL_SAMPLE`` random papers: a
    million abstracts' bigrams would need gigabytes just to count, and IDF settles long
    before."""
    sample = sorted(random.Random(0).sample(pmids, LEXICAL_SAMPLE))
    texts = []
    for start in range(0, len(sample), POOL_CHUNK):
        with store.read() as conn:
            texts += [paper_text(Paper.from_doc(orjson.loads(r.doc))) for r in
                      store_feed.candidate_rows(conn, sample[start:start + POOL_CHUNK])]
    try:
        return _vectorizer().fit(texts)
    except ValueError:  # no term occurs twice
        return None


def _build_pool(store: Store, settings: Settings) -> _Pool:
    """Every embedded paper, read from the store a chunk at a time (at a million papers the
    documents are gigabytes: only titles, dates, flags, topic ids and tf-idf rows are kept)."""
    start = time.perf_counter()
    with store.read() as conn:  # before the rows: changes made during the build are replayed
        seq = store_feed.change_head(conn)
    index = vector_index(store, settings)
    generation = (index.instance, index.generation)
    all_pmids, matrix = index.snapshot()
    large = len(all_pmids) > LEXICAL_SAMPLE
    vectorizer = _fitted_on_sample(store, all_pmids) if large else None
    kept: list[int] = []
    titles: list[str] = []
    published: list[int] = []
    blocked: list[bool] = []
    texts: list[str] = []  # small pools: every text, fitted at the end as before
    lex_chunks: list[sparse.csr_matrix] = []
    vocab: dict[str, int] = {}
    topic_ids = array("i")
    indptr = array("q", [0])
    for first in range(0, len(all_pmids), POOL_CHUNK):
        chunk = all_pmids[first:first + POOL_CHUNK]
        with store.read() as conn:
            rows = {r.pmid: r for r in store_feed.candidate_rows(conn, chunk)}
        chunk_texts = []
        for offset, pmid in enumerate(chunk):
            row = rows.get(pmid)
            if row is None:  # deleted since the index was read
                continue
            paper = Paper.from_doc(orjson.loads(row.doc))
            kept.append(first + offset)
            titles.append(paper.title)
            published.append(_period_end(row.published, row.year))
            blocked.append(row.retracted)
            chunk_texts.append(paper_text(paper))
            topic_ids.extend(vocab.setdefault(key, len(vocab)) for key in _topics(paper))
            indptr.append(len(topic_ids))
        if vectorizer is not None:
            lex_chunks.append(vectorizer.transform(chunk_texts).tocsr())
        elif not large:
            texts += chunk_texts
    lexical = None
    if lex_chunks:
        lexical = sparse.vstack(lex_chunks, format="csr")
    elif len(texts) >= 2:
        try:
            lexical = _vectorizer().fit_transform(texts).tocsr()
        except ValueError:  # no term occurs twice: a toy corpus
            lexical = None
    if len(kept) == len(all_pmids):
        pmids, vectors = all_pmids, matrix  # the index's own matrix: no copy
    else:
        pmids, vectors = [all_pmids[i] for i in kept], matrix[kept]
    topic_matrix = sparse.csr_matrix(
        (np.ones(len(topic_ids), dtype=np.float32), np.frombuffer(topic_ids, dtype=np.int32),
         np.frombuffer(indptr, dtype=np.int64)), shape=(len(pmids), max(len(vocab), 1)))
    cands = model.Candidates(pmids=pmids, vectors=vectors, titles=titles, lexical=lexical,
                             topic_vocab=vocab, topic_matrix=topic_matrix)
    return _Pool(cands=cands, published=np.array(published, dtype=np.int64),
                 blocked=np.array(blocked, dtype=bool), seq=seq, generation=generation,
                 built_at=time.monotonic(), build_s=time.perf_counter() - start)


def _rebuild_behind(store: Store, settings: Settings) -> None:
    try:
        pool = _build_pool(store, settings)
        with _lock:
            _pools[store.url] = pool
    except Exception:  # the old pool serves on; the next request past the interval retries
        log.exception("rebuilding the feed's candidate pool failed")
    finally:
        with _lock:
            _pool_builds.pop(store.url, None)


def _pool(store: Store, settings: Settings) -> _Pool:
    """This process's pool, rebuilt when the vector index moved on: at once when that is quick
    (under ``POOL_SYNC_S``), else on a thread at most every ``POOL_REFRESH_S`` (or five build
    times), the old pool serving meanwhile."""
    index = vector_index(store, settings)
    with _lock:
        cached = _pools.get(store.url)
        if cached is not None and cached.generation[0] == index.instance:
            if cached.generation[1] == index.generation:
                return cached
            if cached.build_s >= POOL_SYNC_S:
                due = max(POOL_REFRESH_S, 5 * cached.build_s)
                if time.monotonic() - cached.built_at >= due and store.url not in _pool_builds:
                    thread = threading.Thread(target=_rebuild_behind, args=(store, settings),
                                              daemon=True, name="litfeed-feed-pool")
                    _pool_builds[store.url] = thread
                    thread.start()
                return cached
    # one build at a time: requests arriving while the pool is built wait for that build
    # instead of each making their own (CPU-bound, so N parallel builds each take N times as
    # long: under load, first feed requests of a fresh worker ran past a minute)
    with _build_lock:
        with _lock:
            cached = _pools.get(store.url)
            if cached is not None and cached.generation == (index.instance, index.generation):
                return cached
        pool = _build_pool(store, settings)
        with _lock:
            _pools[store.url] = pool
    return pool


# --- the reader's model --------------------------------------------------------------------------

def _profile(prefs: dict[str, Any], embedder: Embedder | None, settings: Settings,
             dim: int) -> tuple[np.ndarray | None, dict[str, str]]:
    topics: dict[str, str] = {}
    chosen = [spec.BY_KEY[k] for k in prefs["specialties"]]
    for s in chosen:
        for descriptor, _ in s.mesh:
            topics[f"mesh:{descriptor.lower()}"] = descriptor
        for journal in s.journals:
            topics[f"journal:{journal.lower().replace('.', '')}"] = journal
    for descriptor in prefs["follows"]["mesh"]:
        topics[f"mesh:{descriptor.lower()}"] = descriptor
    for journal in prefs["follows"]["journals"]:
        topics[f"journal:{journal.lower().replace('.', '')}"] = journal
    for author in prefs["follows"]["authors"]:
        topics[f"author:{author.lower()}"] = author
    vectors: np.ndarray | None = None
    if chosen:
        rows = []
        for s in chosen:
            cache_key = f"{embedder.name if embedder else 'default'}:{s.key}"
            if cache_key not in _profile_vectors:
                use = embedder or default_embedder(settings)
                _profile_vectors[cache_key] = use.embed([spec.describe(s)])[0].astype(np.float32)
            rows.append(_profile_vectors[cache_key])
        stacked = np.stack(rows)
        vectors = stacked if stacked.shape[1] == dim else None
    return vectors, topics


def _signals(store: Store, user_id: int, personal: bool
             ) -> tuple[list[str], dict[str, float], set[str]]:
    with store.read() as conn:
        reactions = store_feed.reactions_of(conn, user_id)
        saved = store_feed.saved_pmids(conn, user_id)
    hidden = {p for p, _, _ in reactions} | set(saved)
    if not personal:
        return [], {}, hidden
    likes = [p for p, v, _ in reactions if v == "like"]
    positives = list(dict.fromkeys([*likes, *saved]))
    negatives = {p: model.reason_weight(r) for p, v, r in reactions
                 if v == "dislike" and p not in set(positives)}
    return positives, negatives, hidden


def _remember(cache: OrderedDict[Any, _Trained], key: Any, trained: _Trained) -> None:
    with _lock:
        cache[key] = trained
        cache.move_to_end(key)
        while len(cache) > MAX_MODELS:
            cache.popitem(last=False)


def _trained(store: Store, settings: Settings, user_id: int, pool: _Pool,
             prefs: dict[str, Any], embedder: Embedder | None) -> _Trained:
    """The reader's model for this pool, trained now if their signals or settings changed."""
    global last_training_ms
    personal = prefs["personalization"]
    prefs_key = orjson.dumps(prefs, option=orjson.OPT_SORT_KEYS)
    if personal:
        with store.read() as conn:
            signature = store_feed.signal_signature(conn, user_id)
        cache: OrderedDict[Any, _Trained] = _models
        cache_key: Any = (store.url, user_id)
        key: tuple[Any, ...] = (pool.token, signature, prefs_key)
    else:  # no history in the model: readers with the same settings share it
        cache, cache_key, key = _cold, (store.url, prefs_key), (pool.token, prefs_key)
    cached = cache.get(cache_key)
    if cached is not None and cached.key == key:
        with _lock:
            if cache_key in cache:
                cache.move_to_end(cache_key)
        return cached
    positives, negatives, hidden = _signals(store, user_id, personal)
    start = time.perf_counter()
    vectors, topics = _profile(prefs, embedder, settings, pool.cands.vectors.shape[1])
    signals = model.Signals(positives=positives, negatives=negatives, profile_vectors=vectors,
                            profile_topics=topics, muted=frozenset(prefs["muted_topics"]))
    fitted = model.train(pool.cands, signals)
    scored = model.first_pass(fitted, pool.cands)
    trained = _Trained(key=key, model=fitted, scored=scored,
                       training_ms=(time.perf_counter() - start) * 1000,
                       hidden=hidden if personal else None)
    last_training_ms = trained.training_ms
    _remember(cache, cache_key, trained)
    return trained


# --- the feed ------------------------------------------------------------------------------------

def parse_since(since: str | None, today: date | None = None) -> str | None:
    """The earliest publication date as "YYYY-MM-DD", None for everything.

    :raise InvalidInput: not ``all`` nor a date ``YYYY-MM-DD``.
    """
    if since is None or since == "":
        return ((today or utc_now().date()) - timedelta(days=FRESHNESS_DAYS)).isoformat()
    if since == "all":
        return None
    try:
        return date.fromisoformat(since).isoformat()
    except ValueError:
        raise InvalidInput(f"since={since!r} is not a date; expected YYYY-MM-DD or all") from None


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
    return limit


def feed_for(store: Store, settings: Settings, user: User, limit: int = 20,
             since: str | None = None, *, embedder: Embedder | None = None,
             diversify: bool = True) -> dict[str, Any]:
    """``{"user", "results": [{"pmid", "title", "score", "because"}]}`` for ``user``.

    Candidates: embedded papers published on or after ``since`` (default: the last two years;
    ``"all"`` for everything), never retracted, never one the reader reacted to or saved, never
    one matching a muted topic.
    :raise InvalidInput: bad ``limit`` or ``since``.
    """
    check_limit(limit)
    floor = parse_since(since)
    pool = _pool(store, settings)
    prefs = get_settings(store, user.id)
    trained = _trained(store, settings, user.id, pool, prefs, embedder)
    cands = pool.cands
    _follow_changes(store, pool)
    head_key = (floor, pool.epoch)
    head = trained.heads.get(head_key) if prefs["personalization"] else None
    if head is None:
        hidden = trained.hidden if trained.hidden is not None \
            else _signals(store, user.id, False)[2]
        head = _head(pool, trained, floor, hidden)
        if prefs["personalization"]:  # hidden papers are history: kept only when it may be
            if len(trained.heads) >= MAX_HEADS:
                trained.heads.clear()
            trained.heads[head_key] = head
    rows, scores, best = head
    if trained.model.muted and len(rows):
        keep = ~model.muted_rows(trained.model, cands, rows)
        rows, scores, best = rows[keep], scores[keep], best[keep]
    head_size = max(3 * limit, 100)
    if not len(rows):
        return {"user": user.email, "results": []}
    top = np.arange(min(len(rows), head_size))  # the head is sorted best first
    if diversify:
        picks = [int(top[i]) for i in model.mmr(scores[top], cands.vectors[rows[top]], limit)]
    else:
        picks = [int(i) for i in top[:limit]]
    liked = cands.vectors[trained.model.near_pos] if trained.model.personal else None
    results = [{"pmid": cands.pmids[rows[i]], "title": cands.titles[rows[i]],
                "score": round(float(scores[i]), 4),
                "because": model.because(trained.model, cands, int(rows[i]), int(best[i]),
                                         liked_vectors=liked)}
               for i in picks]
    return {"user": user.email, "results": results}


def _follow_changes(store: Store, pool: _Pool) -> None:
    """Apply the papers changed since the pool's flags were set: a deleted or retracted paper
    is blocked, an un-retracted one unblocked (its vector, if new, comes with the next pool)."""
    with store.read() as conn:
        head = store_feed.change_head(conn)
        if head <= pool.seq:
            return
        changed = store_feed.changed_since(conn, pool.seq, head)
        rows = [(r, p) for p in changed if (r := pool.cands.rows.get(p)) is not None]
        flags = store_feed.retraction_flags(conn, [p for _, p in rows])
    with _lock:
        if head <= pool.seq:
            return
        for row, pmid in rows:
            pool.blocked[row] = flags.get(pmid, True)  # gone counts as blocked
        pool.seq = head
        pool.epoch += 1


def _head(pool: _Pool, trained: _Trained, floor: str | None, hidden: set[str]
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows that pass the filters, best first: the ``RERANK`` best by the first pass,
    ranked by the full model (newest first when nothing is known about the reader)."""
    cands = pool.cands
    keep = ~pool.blocked
    if floor is not None:
        keep &= pool.published >= int(floor.replace("-", ""))
    for pmid in hidden:
        row = cands.rows.get(pmid)
        if row is not None:
            keep[row] = False
    rows = np.flatnonzero(keep)
    fitted = trained.model
    cold = not fitted.personal and fitted.profile_vectors is None and not fitted.topic_weights
    first = (pool.published[rows].astype(np.float64) if cold  # newest first
             else trained.scored.first[rows])
    if len(rows) > model.RERANK:
        top = np.argpartition(-first, model.RERANK - 1)[:model.RERANK]
        rows, first = rows[top], first[top]
    if cold:
        scores, best = first, np.full(len(rows), -1, dtype=np.int64)
    else:
        scores, best = model.rerank(fitted, cands, trained.scored, rows)
    order = np.argsort(-scores, kind="stable")
    return rows[order], scores[order], best[order]


@dataclass(frozen=True)
class HomeFeed:
    """What the home page shows a signed-in reader: a page of the feed, and onboarding."""

    papers: list[Paper]
    because: dict[str, list[str]]
    has_more: bool
    onboarding: bool  # no specialty and no reaction yet: show the picker and 'rate these 8'
    chosen: list[str]


def home_feed(store: Store, settings: Settings, user: User, *, page: int,
              page_size: int) -> HomeFeed:
    """A page of the reader's feed; the default freshness window, or everything when the
    window is empty (a small or old corpus)."""
    prefs = get_settings(store, user.id)
    with store.read() as conn:
        signature = store_feed.signal_signature(conn, user.id)
    onboarding = not prefs["specialties"] and signature[0] == 0 and signature[2] == 0
    start = (page - 1) * page_size
    limit = min(MAX_LIMIT, start + page_size + 1)
    results: list[dict[str, Any]] = []
    if start < MAX_LIMIT:
        results = feed_for(store, settings, user, limit=limit)["results"]
        if not results and page == 1:
            results = feed_for(store, settings, user, limit=limit, since="all")["results"]
    shown = results[start:start + page_size]
    with store.read() as conn:
        found = store_papers.get_papers(conn, [r["pmid"] for r in shown])
    return HomeFeed(papers=[found[r["pmid"]] for r in shown if r["pmid"] in found],
                    because={r["pmid"]: r["because"] for r in shown},
                    has_more=len(results) > start + page_size, onboarding=onboarding,
                    chosen=prefs["specialties"])
