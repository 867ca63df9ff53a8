"""The personal feed model: trained per reader on likes, saves and dislikes; scores, diversifies
and explains candidates. Pure code over ids, vectors and sparse text features: no store here.

Score = a weighted sum (``FUSION``) of z-scored components, each of which a reader can reason
about. The weights were chosen once on the pooled sysrev benchmark (bench/feed.py), averaged
over all reviews: the embedding logistic regression carries most of the weight; kNN and
lexical similarity add little there but keep dislikes local and exact terms visible.

* ``logreg`` — a logistic regression over embeddings: likes and saves positive, dislikes
  negative (weighted by reason: "off topic" counts fully, "weak study" half, "already read"
  barely, since it says nothing against the topic), and papers sampled from the pool as weak
  negatives (they are mostly not what this reader wants, but unlabeled);
* ``knn`` — a similarity-weighted vote of the candidate's nearest labeled papers in embedding
  space (likes +1, dislikes −weight), which is what makes a dislike demote its close neighbours;
* ``lexical`` — tf-idf cosine to the liked papers (mean of the best two), minus the same to the
  disliked ones: exact words (drug names, designs) that embeddings blur;
* ``lexlr`` — a logistic regression on the tf-idf rows (weight 0: it did not help on top of
  ``logreg`` in the benchmark; kept to re-test on corpora with MeSH-rich records);
* ``topics`` — MeSH descriptors and journals shared with liked papers, the reader's specialties
  and follows, when the records have them.

A reader without reactions (or with personalization off) gets the ``profile`` component only:
similarity to the embedded specialty descriptions plus topic and follow matches.

Scoring runs in two passes so that a million-paper pool costs one matrix product per training:
``first_pass`` scores every pool row with the components that are a product with a few fixed
vectors (logreg, centroid, topics; profile when cold), each z-scored over the pool; ``rerank``
adds the components that compare a candidate with every labelled paper (knn, lexical) for the
best ``RERANK`` rows of a request only, z-scored with the mean and spread they have on a fixed
sample of the pool. A paper's fused score is the same whichever rows it is ranked with; on a
pool no larger than the sample it is exactly the one-pass score.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

#: how much a dislike counts as a negative, by its reason (None: no reason given)
DISLIKE_WEIGHTS: dict[str | None, float] = {None: 1.0, "off_topic": 1.0, "weak_study": 0.5,
                                            "already_read": 0.1}
WEAK_NEGATIVES = 300  # unlabeled papers sampled as weak negatives per training
WEAK_WEIGHT = 0.3  # each weak negative's weight, relative to a dislike
LOGREG_C = 1.0
LEXICAL_C = 10.0
KNN_K = 5
MAX_KNN_LABELS = 1000  # most recent labels in the kNN vote and lexical part (bounded work)
RERANK = 2000  # rows of a request that get the second pass (after the pool-wide first pass)
STATS_SAMPLE = 2048  # pool rows that fix the scale of the second-pass components
FUSION = {"centroid": 1.0, "logreg": 1.0, "knn": 0.25, "lexical": 0.15, "lexlr": 0.0,
          "topics": 0.5, "profile": 1.0, "cold_topics": 2.0}


@dataclass
class Candidates:
    """The pool the feed ranks: row i of each array describes ``pmids[i]``.

    ``vectors`` are unit rows; ``lexical`` an L2-normalised tf-idf matrix (or None to skip the
    lexical component); ``topics`` the MeSH descriptors, journal and followed-author keys of
    each paper, lower-cased (empty when the record has none). The topics are kept only as
    ``topic_matrix`` (paper x key, over ``topic_vocab``): a million frozensets of strings
    would take gigabytes. A caller may pass the matrix and vocabulary instead of ``topics``.
    """

    pmids: list[str]
    vectors: np.ndarray
    titles: list[str]
    lexical: sparse.csr_matrix | None = None
    topics: list[frozenset[str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    topic_vocab: dict[str, int] = field(default_factory=dict)
    topic_matrix: sparse.csr_matrix | None = None
    topic_names: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.rows:
            self.rows = {p: i for i, p in enumerate(self.pmids)}
        if self.topics and self.topic_matrix is None:
            indptr, indices = [0], []
            for keys in self.topics:
                for key in keys:
                    indices.append(self.topic_vocab.setdefault(key, len(self.topic_vocab)))
                indptr.append(len(indices))
            self.topic_matrix = sparse.csr_matrix(
                (np.ones(len(indices), dtype=np.float32), indices, indptr),
                shape=(len(self.topics), max(len(self.topic_vocab), 1)))
        self.topics = []
        if self.topic_vocab and not self.topic_names:
            self.topic_names = [""] * len(self.topic_vocab)
            for key, col in self.topic_vocab.items():
                self.topic_names[col] = key

    def topics_of(self, row: int) -> list[str]:
        """The topic keys of one paper."""
        if self.topic_matrix is None:
            return []
        m = self.topic_matrix
        return [self.topic_names[c] for c in m.indices[m.indptr[row]:m.indptr[row + 1]]]


@dataclass(frozen=True)
class Signals:
    """What one reader told us. ``negatives`` maps PMID to its weight (see DISLIKE_WEIGHTS)."""

    positives: Sequence[str] = ()
    negatives: dict[str, float] = field(default_factory=dict)
    profile_vectors: np.ndarray | None = None  # embedded specialty descriptions
    profile_topics: dict[str, str] = field(default_factory=dict)  # topic key -> label
    muted: frozenset[str] = frozenset()


@dataclass
class FeedModel:
    """A trained reader model (``pos``/``neg`` are row numbers into the candidates)."""

    pos: np.ndarray
    neg: np.ndarray
    neg_weight: np.ndarray
    coef: np.ndarray | None
    intercept: float
    lex_coef: np.ndarray | None
    lex_pos: sparse.csr_matrix | None
    lex_neg: sparse.csr_matrix | None
    topic_weights: dict[str, float]
    topic_labels: dict[str, str]
    profile_vectors: np.ndarray | None
    muted: frozenset[str]
    #: the labelled rows the kNN vote, the lexical part and ``because`` compare with: the
    #: most recent ``MAX_KNN_LABELS`` (positives first, each in reaction order)
    near_pos: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    near_neg: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    near_neg_weight: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))

    @property
    def personal(self) -> bool:
        return len(self.pos) > 0


def reason_weight(reason: str | None) -> float:
    return DISLIKE_WEIGHTS.get(reason, 1.0)


def _recent(pos: np.ndarray, neg: np.ndarray) -> tuple[int, int]:
    """How many of the most recent positives and negatives the per-candidate parts use."""
    total = len(pos) + len(neg)
    if total <= MAX_KNN_LABELS:
        return len(pos), len(neg)
    keep_pos = min(len(pos), max(MAX_KNN_LABELS // 2, MAX_KNN_LABELS - len(neg)))
    return keep_pos, MAX_KNN_LABELS - keep_pos


def train(cands: Candidates, signals: Signals, *, seed: int = 0) -> FeedModel:
    """Fit the reader's model; with no positive, only the profile parts are set.

    The fit sees every reaction plus ``WEAK_NEGATIVES`` sampled papers, whatever the pool's
    size, on one thread (a few hundred rows: BLAS threads only contend, ~10x slower on a
    busy machine).
    """
    pos = np.array([cands.rows[p] for p in signals.positives if p in cands.rows], dtype=np.int64)
    negs = [(cands.rows[p], w) for p, w in signals.negatives.items() if p in cands.rows]
    neg = np.array([r for r, _ in negs], dtype=np.int64)
    neg_w = np.array([w for _, w in negs], dtype=np.float32)
    coef: np.ndarray | None = None
    lex_coef: np.ndarray | None = None
    intercept = 0.0
    if len(pos):
        rng = np.random.default_rng(seed)
        seen = set(pos.tolist()) | set(neg.tolist())
        want = min(len(cands.pmids), WEAK_NEGATIVES + len(seen))
        # a sample of the pool's size, not a permutation of it: O(sample) at a million papers
        draw = (rng.choice(len(cands.pmids), size=want, replace=False)
                if len(cands.pmids) <= 20 * want
                else np.unique(rng.integers(0, len(cands.pmids), size=2 * want)))
        rng.shuffle(draw)
        weak = np.array([r for r in draw if r not in seen][:WEAK_NEGATIVES], dtype=np.int64)
        x = cands.vectors[np.concatenate([pos, neg, weak])]
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(weak))])
        # positives balance the total negative weight, so five likes are not drowned
        neg_total = float(neg_w.sum()) + WEAK_WEIGHT * len(weak)
        w = np.concatenate([np.full(len(pos), max(neg_total / len(pos), 1.0)), neg_w,
                            np.full(len(weak), WEAK_WEIGHT)])
        if len(weak) or len(neg):
            with threadpool_limits(1):
                clf = LogisticRegression(C=LOGREG_C, max_iter=300)
                clf.fit(x, y, sample_weight=w)
                coef = clf.coef_[0].astype(np.float32)
                intercept = float(clf.intercept_[0])
                if cands.lexical is not None and FUSION["lexlr"]:
                    rows_all = np.concatenate([pos, neg, weak])
                    lex_clf = LogisticRegression(C=LEXICAL_C, max_iter=300)
                    lex_clf.fit(cands.lexical[rows_all], y, sample_weight=w)
                    lex_coef = lex_clf.coef_[0].astype(np.float32)
    n_pos, n_neg = _recent(pos, neg)
    near_pos, near_neg = pos[len(pos) - n_pos:], neg[len(neg) - n_neg:]
    near_neg_w = neg_w[len(neg) - n_neg:]
    lex_pos = lex_neg = None
    if cands.lexical is not None and len(pos):
        lex_pos = cands.lexical[near_pos]
        lex_neg = cands.lexical[near_neg] if len(near_neg) else None
    topic_weights: dict[str, float] = defaultdict(float)
    labels = dict(signals.profile_topics)
    for key in signals.profile_topics:
        topic_weights[key] += 1.0
    for r in pos:
        for t in cands.topics_of(r):
            topic_weights[t] += 1.0
            labels.setdefault(t, t.split(":", 1)[-1])
    for r, weight in negs:
        for t in cands.topics_of(r):
            topic_weights[t] -= 0.5 * weight
    return FeedModel(pos=pos, neg=neg, neg_weight=neg_w, coef=coef, intercept=intercept,
                     lex_coef=lex_coef,
                     lex_pos=lex_pos, lex_neg=lex_neg,
                     topic_weights={k: v for k, v in topic_weights.items() if v},
                     topic_labels=labels, profile_vectors=signals.profile_vectors,
                     muted=signals.muted, near_pos=near_pos, near_neg=near_neg,
                     near_neg_weight=near_neg_w)


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 1e-9 else np.zeros_like(values)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    if sims.shape[1] <= k:
        return np.asarray(sims.mean(axis=1)).ravel()
    part = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(part.mean(axis=1)).ravel()


def _topic_scores(model: FeedModel, cands: Candidates, rows: np.ndarray | None) -> np.ndarray:
    """Summed topic weights of ``rows`` (None: every pool row, without copying the matrix)."""
    if not model.topic_weights or cands.topic_matrix is None:
        return np.zeros(len(cands.pmids) if rows is None else len(rows), dtype=np.float32)
    weights = np.zeros(len(cands.topic_vocab), dtype=np.float32)
    for key, w in model.topic_weights.items():
        col = cands.topic_vocab.get(key)
        if col is not None:
            weights[col] = w
    matrix = cands.topic_matrix if rows is None else cands.topic_matrix[rows]
    return np.asarray(matrix @ weights).ravel()


@dataclass
class Scored:
    """A trained model's pool-wide first pass, and what its second pass needs."""

    first: np.ndarray  # first-pass fused score of every pool row
    stats: dict[str, tuple[float, float]]  # second-pass component -> (mean, std) on the sample
    near_vectors: np.ndarray  # unit vectors of model.near_pos then model.near_neg
    #: the vocabulary columns the labelled papers use, and their lexical rows over just those
    #: columns, transposed (a candidate's other words cannot add to a dot product with them)
    lex_cols: np.ndarray | None = None
    lex_pos_t: np.ndarray | sparse.csr_matrix | None = None
    lex_neg_t: np.ndarray | sparse.csr_matrix | None = None


def _z_with(values: np.ndarray, stats: tuple[float, float]) -> np.ndarray:
    mean, std = stats
    return (values - mean) / std if std > 1e-9 else np.zeros_like(values)


def _columns(rows: sparse.csr_matrix | None, cols: np.ndarray
             ) -> np.ndarray | sparse.csr_matrix | None:
    """``rows[:, cols].T``: dense when small (sparse x dense is the cheapest product), sparse
    when a dense copy would be large (hundreds of labels over a wide vocabulary)."""
    if rows is None:
        return None
    narrow = rows[:, cols]
    if narrow.shape[0] * narrow.shape[1] <= 4_000_000:
        return narrow.T.toarray()
    return narrow.T.tocsr()


def _product(lex: sparse.csr_matrix, columns: np.ndarray | sparse.csr_matrix) -> np.ndarray:
    out = lex @ columns
    return np.asarray(out.toarray() if sparse.issparse(out) else out)


def _second_parts(model: FeedModel, cands: Candidates, scored: Scored, rows: np.ndarray
                  ) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The per-candidate components (unscaled) of ``rows``, and each row's best positive."""
    parts: dict[str, np.ndarray] = {}
    n_pos = len(model.near_pos)
    sims = cands.vectors[rows] @ scored.near_vectors.T
    pos_sims = sims[:, :n_pos]
    best = model.near_pos[pos_sims.argmax(axis=1)] if n_pos else np.full(len(rows), -1)
    signs = np.concatenate([np.ones(n_pos, dtype=np.float32), -model.near_neg_weight])
    k = min(KNN_K, sims.shape[1])
    if sims.shape[1] > k:
        top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        top_sims = np.take_along_axis(sims, top, axis=1)
        knn = (np.maximum(top_sims, 0) ** 2 * signs[top]).sum(axis=1)
    else:
        knn = (np.maximum(sims, 0) ** 2 * signs).sum(axis=1)
    parts["knn"] = knn + 0.5 * _top_mean(pos_sims, 2)
    if scored.lex_pos_t is not None and cands.lexical is not None and FUSION["lexical"]:
        lex = cands.lexical[rows][:, scored.lex_cols]
        lexical = _top_mean(_product(lex, scored.lex_pos_t), 2)
        if scored.lex_neg_t is not None:
            lexical = lexical - 0.5 * _top_mean(_product(lex, scored.lex_neg_t), 2)
        parts["lexical"] = lexical
    return parts, best


def first_pass(model: FeedModel, cands: Candidates, *, seed: int = 0) -> Scored:
    """Score every pool row with the parts that are one product over the pool, and fix the
    scale of the second-pass parts on a sample of the pool (all of it when it is small)."""
    n = len(cands.pmids)
    first = np.zeros(n, dtype=np.float32)
    near = np.concatenate([model.near_pos, model.near_neg])
    scored = Scored(first=first, stats={}, near_vectors=cands.vectors[near])
    if model.personal:
        columns = [cands.vectors[model.pos].mean(axis=0)[:, None]]
        if model.coef is not None:
            columns.append(model.coef[:, None])
        products = cands.vectors @ np.hstack(columns).astype(np.float32)
        # cosine to the centroid of the likes (up to its norm, the mean similarity)
        first += FUSION["centroid"] * _z(products[:, 0])
        if model.coef is not None:
            first += FUSION["logreg"] * _z(products[:, 1])
        if model.lex_coef is not None and cands.lexical is not None:
            first += FUSION["lexlr"] * _z(np.asarray(cands.lexical @ model.lex_coef).ravel())
        if model.lex_pos is not None:
            used = [model.lex_pos.indices]
            if model.lex_neg is not None:
                used.append(model.lex_neg.indices)
            scored.lex_cols = np.unique(np.concatenate(used))
            scored.lex_pos_t = _columns(model.lex_pos, scored.lex_cols)
            scored.lex_neg_t = _columns(model.lex_neg, scored.lex_cols)
        sample = (np.arange(n) if n <= STATS_SAMPLE else
                  np.sort(np.random.default_rng(seed).choice(n, STATS_SAMPLE, replace=False)))
        parts, _ = _second_parts(model, cands, scored, sample)
        scored.stats = {name: (float(v.mean()), float(v.std())) for name, v in parts.items()}
    elif model.profile_vectors is not None and len(model.profile_vectors):
        sims = cands.vectors @ model.profile_vectors.T.astype(np.float32)
        first += FUSION["profile"] * _z(sims.max(axis=1))
    topics = _topic_scores(model, cands, None)
    if topics.any():
        # explicit choices (specialties, follows) are precise where records carry MeSH and
        # journals: they lead a cold start, and nudge a trained model
        weight = FUSION["topics"] if model.personal else FUSION["cold_topics"]
        first += weight * _z(topics)
    return scored


def rerank(model: FeedModel, cands: Candidates, scored: Scored, rows: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray]:
    """Fused scores of ``rows`` (first pass plus the scaled second-pass parts), and each row's
    most similar liked paper (a pool row, -1 when the model has no like)."""
    scores = scored.first[rows].astype(np.float32)
    if not model.personal or not len(rows):
        return scores, np.full(len(rows), -1, dtype=np.int64)
    parts, best = _second_parts(model, cands, scored, rows)
    for name, values in parts.items():
        scores += FUSION[name] * _z_with(values, scored.stats[name]).astype(np.float32)
    return scores, best


def score(model: FeedModel, cands: Candidates, rows: np.ndarray,
          label_vectors: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fused scores of ``rows`` in one call (both passes; ``label_vectors`` is unused and kept
    for callers of the one-pass version)."""
    return rerank(model, cands, first_pass(model, cands), rows)


def muted_rows(model: FeedModel, cands: Candidates, rows: np.ndarray) -> np.ndarray:
    """A mask of ``rows`` that match a muted topic (MeSH descriptor or words in the title)."""
    if not model.muted:
        return np.zeros(len(rows), dtype=bool)
    out = np.zeros(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        topics = cands.topics_of(r)
        title = cands.titles[r].lower()
        out[i] = any(m in title or f"mesh:{m}" in topics for m in model.muted)
    return out


def mmr(scores: np.ndarray, vectors: np.ndarray, limit: int, *, lam: float = 0.8,
        threshold: float = 0.75) -> list[int]:
    """Maximal marginal relevance over a ranked head (``scores`` best first, ``vectors`` its
    unit rows): each pick pays for its similarity above ``threshold`` to what is already on
    the page, so near-duplicates and one narrow topic do not fill it. Returns positions."""
    if len(scores) == 0:
        return []
    rel = _z(scores) if len(scores) > 1 else np.zeros(1, dtype=np.float32)
    chosen: list[int] = []
    max_sim = np.full(len(scores), -1.0, dtype=np.float32)
    available = np.ones(len(scores), dtype=bool)
    for _ in range(min(limit, len(scores))):
        redundancy = np.maximum(max_sim - threshold, 0) / (1 - threshold)
        value = lam * rel - (1 - lam) * 2.0 * redundancy
        value[~available] = -np.inf
        pick = int(np.argmax(value))
        chosen.append(pick)
        available[pick] = False
        max_sim = np.maximum(max_sim, vectors @ vectors[pick])
    return chosen


def because(model: FeedModel, cands: Candidates, row: int, best_pos: int = -1, *,
            liked_vectors: np.ndarray | None = None) -> list[str]:
    """Why this paper: the liked papers it most resembles (among the recent ones;
    ``liked_vectors`` are their vectors, if already at hand) and the topics it shares."""
    reasons: list[str] = []
    if model.personal:
        vectors = (liked_vectors if liked_vectors is not None
                   else cands.vectors[model.near_pos])
        sims = vectors @ cands.vectors[row]
        for j in np.argsort(-sims)[:2]:
            if sims[j] > 0.3 or not reasons:
                title = cands.titles[model.near_pos[j]]
                short = title if len(title) <= 90 else title[:87] + "…"
                reasons.append(f"like: {short}")
    shared = [t for t in cands.topics_of(row) if model.topic_weights.get(t, 0.0) > 0]
    shared.sort(key=lambda t: -model.topic_weights[t])
    for t in shared[:3]:
        reasons.append(f"topic: {model.topic_labels.get(t, t.split(':', 1)[-1])}")
    if not reasons:
        reasons.append("recent in your specialties" if model.profile_vectors is not None
                       else "recent")
    return reasons
