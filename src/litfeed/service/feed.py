"""The personal feed: ``feed_for`` ranks the embedded papers for one reader.

The candidate pool (every paper with a stored vector: unit vectors, tf-idf rows, topics,
dates, retraction flags) is built once per process and rebuilt when the vector index moves on.
Each reader's model is cached per process and retrained when their reactions, saves or feed
settings change (``last_training_ms`` says how long that took). With ``personalization`` off,
no reaction or save is read for ranking (only to hide papers already reacted to, which the
contract requires) and no model is kept.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import orjson
from sklearn.feature_extraction.text import TfidfVectorizer

from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.feed import specialties as spec
from litfeed.models import Paper, User
from litfeed.rank import feed as model
from litfeed.rank.embeddings import Embedder, paper_text
from litfeed.service.embeddings import default_embedder, vector_index
from litfeed.store import Store
from litfeed.store import feed as store_feed
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

MAX_LIMIT = 100
FRESHNESS_DAYS = 730
SETTINGS_KEYS = ("personalization", "specialties", "follows", "muted_topics", "digest")
FOLLOW_KINDS = ("journals", "authors", "mesh")


@dataclass
class _Pool:
    cands: model.Candidates
    published: np.ndarray  # sortable "YYYY-MM-DD" strings, end of the stated period
    retracted: np.ndarray
    titles_lower: list[str]


@dataclass
class _Trained:
    key: tuple[Any, ...]
    model: model.FeedModel
    label_vectors: np.ndarray
    training_ms: float
    scores: np.ndarray  # the fused score of every pool row (a feed is then a mask + top-k)
    best: np.ndarray


_pools: dict[str, tuple[int, _Pool]] = {}
_models: dict[tuple[str, int], _Trained] = {}
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

def _period_end(published: str | None, year: int | None) -> str:
    if published and len(published) >= 4:
        parts = published.split("-")
        return "-".join([parts[0], parts[1] if len(parts) > 1 else "12",
                         parts[2] if len(parts) > 2 else "31"])
    return f"{year:04d}-12-31" if year else "0000-00-00"


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


def _build_pool(store: Store, settings: Settings) -> _Pool:
    index = vector_index(store, settings)
    pmids = index.pmids
    with store.read() as conn:
        rows = {r.pmid: r for r in store_feed.candidate_rows(conn, pmids)}
    pmids = [p for p in pmids if p in rows]
    vectors = (np.stack([index.get(p) for p in pmids]).astype(np.float32) if pmids
               else np.zeros((0, index.dim), dtype=np.float32))
    papers = [Paper.from_doc(orjson.loads(rows[p].doc)) for p in pmids]
    texts = [paper_text(p) for p in papers]
    lexical = None
    if len(texts) >= 2:
        vectorizer = TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2), min_df=2,
                                     max_features=200_000, stop_words="english",
                                     dtype=np.float32)
        try:
            lexical = vectorizer.fit_transform(texts).tocsr()
        except ValueError:  # no term occurs twice: a toy corpus
            lexical = None
    titles = [p.title for p in papers]
    cands = model.Candidates(pmids=pmids, vectors=vectors, titles=titles, lexical=lexical,
                             topics=[_topics(p) for p in papers])
    return _Pool(cands=cands,
                 published=np.array([_period_end(rows[p].published, rows[p].year)
                                     for p in pmids], dtype="U10"),
                 retracted=np.array([rows[p].retracted for p in pmids], dtype=bool),
                 titles_lower=[t.lower() for t in titles])


def _pool(store: Store, settings: Settings) -> _Pool:
    index = vector_index(store, settings)
    with _lock:
        cached = _pools.get(store.url)
        if cached and cached[0] == id(index):
            return cached[1]
    # one build at a time: requests arriving while the pool is built wait for that build
    # instead of each making their own (CPU-bound, so N parallel builds each take N times as
    # long: under load, first feed requests of a fresh worker ran past a minute)
    with _build_lock:
        with _lock:
            cached = _pools.get(store.url)
            if cached and cached[0] == id(index):
                return cached[1]
        pool = _build_pool(store, settings)
        with _lock:
            _pools[store.url] = (id(index), pool)
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


def _trained(store: Store, settings: Settings, user_id: int, pool: _Pool,
             prefs: dict[str, Any], embedder: Embedder | None) -> tuple[_Trained, set[str]]:
    global last_training_ms
    personal = prefs["personalization"]
    with store.read() as conn:
        signature = store_feed.signal_signature(conn, user_id)
    key = (id(pool), signature, orjson.dumps(prefs, option=orjson.OPT_SORT_KEYS))
    positives, negatives, hidden = _signals(store, user_id, personal)
    cached = _models.get((store.url, user_id)) if personal else None
    if cached is not None and cached.key == key:
        return cached, hidden
    start = time.perf_counter()
    vectors, topics = _profile(prefs, embedder, settings, pool.cands.vectors.shape[1])
    signals = model.Signals(positives=positives, negatives=negatives, profile_vectors=vectors,
                            profile_topics=topics, muted=frozenset(prefs["muted_topics"]))
    fitted = model.train(pool.cands, signals)
    labels = np.concatenate([fitted.pos, fitted.neg])
    label_vectors = pool.cands.vectors[labels]
    everything = np.arange(len(pool.cands.pmids))
    scores, best = model.score(fitted, pool.cands, everything, label_vectors)
    trained = _Trained(key=key, model=fitted, label_vectors=label_vectors,
                       training_ms=(time.perf_counter() - start) * 1000, scores=scores,
                       best=best)
    last_training_ms = trained.training_ms
    if personal:
        with _lock:
            _models[(store.url, user_id)] = trained
    return trained, hidden


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
    trained, hidden = _trained(store, settings, user.id, pool, prefs, embedder)
    cands = pool.cands
    keep = ~pool.retracted
    if floor is not None:
        keep &= pool.published >= floor
    for pmid in hidden:
        row = cands.rows.get(pmid)
        if row is not None:
            keep[row] = False
    rows = np.flatnonzero(keep)
    if trained.model.muted and len(rows):
        rows = rows[~model.muted_rows(trained.model, cands, pool.titles_lower, rows)]
    if not len(rows):
        return {"user": user.email, "results": []}
    scores, best = trained.scores[rows], trained.best[rows]
    if not trained.model.personal and trained.model.profile_vectors is None \
            and not trained.model.topic_weights:
        # nothing known about the reader: newest first
        scores = np.array([float(str(pool.published[r]).replace("-", "")) for r in rows])
    head_size = min(len(scores), max(3 * limit, 100))
    head = np.argpartition(-scores, head_size - 1)[:head_size] if head_size < len(scores) \
        else np.arange(len(scores))
    head = head[np.argsort(-scores[head], kind="stable")]
    if diversify:
        picks = [int(head[i]) for i in model.mmr(scores[head], cands.vectors[rows[head]], limit)]
    else:
        picks = [int(i) for i in head[:limit]]
    results = [{"pmid": cands.pmids[rows[i]], "title": cands.titles[rows[i]],
                "score": round(float(scores[i]), 4),
                "because": model.because(trained.model, cands, int(rows[i]), int(best[i]))}
               for i in picks]
    return {"user": user.email, "results": results}


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
