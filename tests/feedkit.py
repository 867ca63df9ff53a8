"""A small topical corpus with word-hash embeddings, for feed tests (service, CLI and web)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from factories import add_papers, make_paper
from litfeed.config import Settings
from litfeed.models import Journal, MeshTerm, Paper
from litfeed.rank.onnx_export import MODEL_NAME
from litfeed.service import embeddings
from litfeed.store import Store

TOPICS = {
    "psych": ("antidepressant therapy for major depression and anxiety symptoms",
              "Am J Psychiatry", "Mental Disorders"),
    "cardio": ("beta blocker lowers blood pressure in hypertension and heart failure",
               "Circulation", "Hypertension"),
    "onco": ("chemotherapy regimen improves survival in metastatic breast cancer",
             "J Clin Oncol", "Neoplasms"),
}


class WordEmbedder:
    """Bag-of-words hashed into 384 dimensions: papers sharing words are close, as with MiniLM
    (same name and size, so the store's vector index serves these vectors)."""

    name = MODEL_NAME
    version = "test-words"
    dim = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                out[i, int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dim] += 1.0
            out[i, 0] += 0.01
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def topical_paper(pmid: str, topic: str, n: int, *, published: str = "2026-06",
                  retracted: bool = False, extra: str = "") -> Paper:
    words, journal, mesh = TOPICS[topic]
    return replace(make_paper(pmid, title=f"{words} {extra} study {n}".replace("  ", " "),
                              published=published, retracted=retracted),
                   journal=Journal(title=journal, iso_abbrev=journal),
                   mesh=(MeshTerm(mesh, major=True), MeshTerm("Humans")))


def corpus(store: Store, settings: Settings) -> dict[str, list[str]]:
    """Ten recent papers per topic (PMIDs 1000+), embedded; returns PMIDs per topic."""
    papers, by_topic = [], {}
    for topic, base in [("psych", 1000), ("cardio", 2000), ("onco", 3000)]:
        pmids = [str(base + i) for i in range(10)]
        by_topic[topic] = pmids
        papers += [topical_paper(p, topic, i) for i, p in enumerate(pmids)]
    add_papers(store, papers)
    embed(store, settings)
    return by_topic


def embed(store: Store, settings: Settings) -> None:
    embeddings.embed_pending(store, settings, embedder=WordEmbedder())
