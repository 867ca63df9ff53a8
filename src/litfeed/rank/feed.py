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
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression

#: how much a dislike counts as a negative, by its reason (None: no reason given)
DISLIKE_WEIGHTS: dict[str | None, float] = {None: 1.0, "off_topic": 1.0, "weak_study": 0.5,
                                            "already_read": 0.1}
WEAK_NEGATIVES = 300  # unlabeled papers sampled as weak negatives per training
WEAK_WEIGHT = 0.3  # each weak negative's weight, relative to a dislike
LOGREG_C = 1.0
LEXICAL_C = 10.0
KNN_K = 5
MAX_KNN_LABELS = 1000  # most recent labels used by the kNN vote (keeps scoring O(n · 1000))
FUSION = {"centroid": 1.0, "logreg": 1.0, "knn": 0.25, "lexical": 0.15, "lexlr": 0.0,
          "topics": 0.5, "profile": 1.0, "cold_topics": 2.0}


@dataclass
class Candidates:
    """The pool the feed ranks: row i of each array describes ``pmids[i]``.

    ``vectors`` are unit rows; ``lexical`` an L2-normalised tf-idf matrix (or None to skip the
    lexical component); ``topics`` the MeSH descriptors, journal and followed-author keys of
    each paper, lower-cased (empty when the record has none).
    """

    pmids: list[str]
    vectors: np.ndarray
    titles: list[str]
    lexical: sparse.csr_matrix | None = None
    topics: list[frozenset[str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    topic_vocab: dict[str, int] = field(default_factory=dict)
    topic_matrix: sparse.csr_matrix | None = None

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

    @property
    def personal(self) -> bool:
        return len(self.pos) > 0


def reason_weight(reason: str | None) -> float:
    return DISLIKE_WEIGHTS.get(reason, 1.0)


def train(cands: Candidates, signals: Signals, *, seed: int = 0) -> FeedModel:
    """Fit the reader's model; with no positive, only the profile parts are set."""
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
        draw = rng.choice(len(cands.pmids), size=min(len(cands.pmids), WEAK_NEGATIVES + len(seen)),
                          replace=False)
        weak = np.array([r for r in draw if r not in seen][:WEAK_NEGATIVES], dtype=np.int64)
        x = cands.vectors[np.concatenate([pos, neg, weak])]
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(weak))])
        # positives balance the total negative weight, so five likes are not drowned
        neg_total = float(neg_w.sum()) + WEAK_WEIGHT * len(weak)
        w = np.concatenate([np.full(len(pos), max(neg_total / len(pos), 1.0)), neg_w,
                            np.full(len(weak), WEAK_WEIGHT)])
        if len(weak) or len(neg):
            clf = LogisticRegression(C=LOGREG_C, max_iter=300)
            clf.fit(x, y, sample_weight=w)
            coef = clf.coef_[0].astype(np.float32)
            intercept = float(clf.intercept_[0])
            if cands.lexical is not None and FUSION["lexlr"]:
                rows_all = np.concatenate([pos, neg, weak])
                lex_clf = LogisticRegression(C=LEXICAL_C, max_iter=300)
                lex_clf.fit(cands.lexical[rows_all], y, sample_weight=w)
                lex_coef = lex_clf.coef_[0].astype(np.float32)
    lex_pos = lex_neg = None
    if cands.lexical is not None and len(pos):
        lex_pos = cands.lexical[pos]
        lex_neg = cands.lexical[neg] if len(neg) else None
    topic_weights: dict[str, float] = defaultdict(float)
    labels = dict(signals.profile_topics)
    for key in signals.profile_topics:
        topic_weights[key] += 1.0
    if cands.topics:
        for r in pos:
            for t in cands.topics[r]:
                topic_weights[t] += 1.0
                labels.setdefault(t, t.split(":", 1)[-1])
        for r, weight in negs:
            for t in cands.topics[r]:
                topic_weights[t] -= 0.5 * weight
    return FeedModel(pos=pos, neg=neg, neg_weight=neg_w, coef=coef, intercept=intercept,
                     lex_coef=lex_coef,
                     lex_pos=lex_pos, lex_neg=lex_neg,
                     topic_weights={k: v for k, v in topic_weights.items() if v},
                     topic_labels=labels, profile_vectors=signals.profile_vectors,
                     muted=signals.muted)


def _z(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - float(values.mean())) / std if std > 1e-9 else np.zeros_like(values)


def _top_mean(sims: np.ndarray, k: int) -> np.ndarray:
    if sims.shape[1] <= k:
        return np.asarray(sims.mean(axis=1)).ravel()
    part = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
    return np.asarray(part.mean(axis=1)).ravel()


def _topic_scores(model: FeedModel, cands: Candidates, rows: np.ndarray) -> np.ndarray:
    if not model.topic_weights or cands.topic_matrix is None:
        return np.zeros(len(rows), dtype=np.float32)
    weights = np.zeros(len(cands.topic_vocab), dtype=np.float32)
    for key, w in model.topic_weights.items():
        col = cands.topic_vocab.get(key)
        if col is not None:
            weights[col] = w
    return np.asarray(cands.topic_matrix[rows] @ weights).ravel()


def _project(vectors: np.ndarray, rows: np.ndarray, columns: np.ndarray) -> np.ndarray:
    """``vectors[rows] @ columns`` without copying the rows when they are most of the pool."""
    if len(rows) > len(vectors) // 2:
        return (vectors @ columns)[rows]
    return vectors[rows] @ columns


def score(model: FeedModel, cands: Candidates, rows: np.ndarray,
          label_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fused scores of candidate ``rows``, and each row's best-matching positive (index into
    ``model.pos``, -1 when none). ``label_vectors`` = vectors of pos then neg rows."""
    total = np.zeros(len(rows), dtype=np.float32)
    best = np.full(len(rows), -1, dtype=np.int64)
    if model.personal:
        n_pos, n_lab = len(model.pos), len(label_vectors)
        columns = [label_vectors.T]
        if model.coef is not None:
            columns.append(model.coef[:, None])
        sims_all = _project(cands.vectors, rows, np.hstack(columns).astype(np.float32))
        sims = sims_all[:, :n_lab]
        pos_sims = sims[:, :n_pos]
        best = pos_sims.argmax(axis=1)
        signs = np.concatenate([np.ones(n_pos, dtype=np.float32), -model.neg_weight])
        k = min(KNN_K, n_lab)
        if n_lab > k:
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            top_sims = np.take_along_axis(sims, top, axis=1)
            knn = (np.maximum(top_sims, 0) ** 2 * signs[top]).sum(axis=1)
        else:
            knn = (np.maximum(sims, 0) ** 2 * signs).sum(axis=1)
        total += FUSION["knn"] * _z(knn + 0.5 * _top_mean(pos_sims, 2))
        # cosine to the centroid of the likes (up to its norm, the mean similarity)
        total += FUSION["centroid"] * _z(pos_sims.mean(axis=1))
        if model.coef is not None:
            total += FUSION["logreg"] * _z(sims_all[:, n_lab])
        if model.lex_coef is not None and cands.lexical is not None:
            total += FUSION["lexlr"] * _z(np.asarray(cands.lexical[rows] @ model.lex_coef).ravel())
        if model.lex_pos is not None and cands.lexical is not None and FUSION["lexical"]:
            lex = cands.lexical[rows]
            # sparse x dense is far cheaper than sparse x sparse over a large vocabulary
            lexical = _top_mean(np.asarray(lex @ model.lex_pos.T.toarray()), 2)
            if model.lex_neg is not None:
                ln = np.asarray(lex @ model.lex_neg.T.toarray())
                lexical = lexical - 0.5 * _top_mean(ln, 2)
            total += FUSION["lexical"] * _z(lexical)
    elif model.profile_vectors is not None and len(model.profile_vectors):
        sims = _project(cands.vectors, rows, model.profile_vectors.T.astype(np.float32))
        total += FUSION["profile"] * _z(sims.max(axis=1))
    topics = _topic_scores(model, cands, rows)
    if topics.any():
        # explicit choices (specialties, follows) are precise where records carry MeSH and
        # journals: they lead a cold start, and nudge a trained model
        weight = FUSION["topics"] if model.personal else FUSION["cold_topics"]
        total += weight * _z(topics)
    return total, best


def muted_rows(model: FeedModel, cands: Candidates, titles_lower: list[str],
               rows: np.ndarray) -> np.ndarray:
    """A mask of ``rows`` that match a muted topic (MeSH descriptor or words in the title)."""
    if not model.muted:
        return np.zeros(len(rows), dtype=bool)
    out = np.zeros(len(rows), dtype=bool)
    for i, r in enumerate(rows):
        topics = cands.topics[r] if cands.topics else frozenset()
        title = titles_lower[r]
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


def because(model: FeedModel, cands: Candidates, row: int, best_pos: int) -> list[str]:
    """Why this paper: the liked papers it most resembles and the topics it shares."""
    reasons: list[str] = []
    if model.personal:
        sims = cands.vectors[model.pos] @ cands.vectors[row]
        for j in np.argsort(-sims)[:2]:
            if sims[j] > 0.3 or not reasons:
                title = cands.titles[model.pos[j]]
                short = title if len(title) <= 90 else title[:87] + "…"
                reasons.append(f"like: {short}")
    shared = [t for t in (cands.topics[row] if cands.topics else ())
              if model.topic_weights.get(t, 0.0) > 0]
    shared.sort(key=lambda t: -model.topic_weights[t])
    for t in shared[:3]:
        reasons.append(f"topic: {model.topic_labels.get(t, t.split(':', 1)[-1])}")
    if not reasons:
        reasons.append("recent in your specialties" if model.profile_vectors is not None
                       else "recent")
    return reasons
