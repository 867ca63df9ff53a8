"""Embedding papers into the store and serving them from the vector index, on both backends."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np
import pytest

from litfeed.config import Settings
from litfeed.errors import StorageError
from litfeed.models import Deletion
from litfeed.service import embeddings as emb
from litfeed.store import Store
from litfeed.store import papers as sp
from testkit import make_paper


class HashEmbedder:
    """A deterministic stand-in: a unit vector from the text's digest; counts its work."""

    name = "test/hash"
    version = "1"
    dim = 8

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.seen.extend(texts)
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest()[:32], dtype=np.int8)[:8]
                .astype(np.float32) + 0.5 for t in texts]
        matrix = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def add(store: Store, *papers: object) -> None:
    with store.transaction() as conn:
        sp.apply_batch(conn, list(papers))  # type: ignore[arg-type]


def test_incremental_and_changed_papers(store: Store, settings: Settings) -> None:
    add(store, make_paper("1", title="Lithium"), make_paper("2", title="Valproate"))
    model = HashEmbedder()
    assert emb.embed_pending(store, settings, embedder=model)["embedded"] == 2
    assert emb.embed_pending(store, settings, embedder=model)["embedded"] == 0
    add(store, make_paper("2", title="Valproate, revised"), make_paper("3", title="New"))
    again = emb.embed_pending(store, settings, embedder=model)
    assert again == {"embedded": 2, "model": "test/hash", "dim": 8}
    assert sum("revised" in t for t in model.seen) == 1


def test_limit_then_resume_embeds_each_paper_once(store: Store, settings: Settings) -> None:
    add(store, *(make_paper(str(n), title=f"Paper {n}") for n in range(10, 20)))
    model = HashEmbedder()
    assert emb.embed_pending(store, settings, embedder=model, limit=4)["embedded"] == 4
    assert emb.embed_pending(store, settings, embedder=model)["embedded"] == 6
    assert len(model.seen) == 10


def test_vector_index_follows_deletions(store: Store, settings: Settings,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "RECHECK_SECONDS", 0.0)  # no grace period: check every call
    add(store, make_paper("31", title="Asthma"), make_paper("32", title="Asthma in children"))
    model = HashEmbedder()
    emb.embed_pending(store, settings, embedder=model)
    index = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert set(index.pmids) == {"31", "32"}
    add(store, Deletion("32"))
    index = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert index.pmids == ["31"]
    hits = index.search(index.get("31"), 5)
    assert [pmid for pmid, _ in hits] == ["31"]


def test_one_embedder_at_a_time(store: Store, settings: Settings) -> None:
    lock = settings.data_dir / "embed.lock"
    with emb._exclusive(lock) as mine:
        assert mine
        with pytest.raises(StorageError, match="another `litfeed embed`"):
            emb.embed_pending(store, settings, embedder=HashEmbedder())


@pytest.mark.slow
def test_cli_embed_with_the_real_model(store: Store, run_cli, cli_env: dict[str, str]) -> None:
    add(store, make_paper("41", title="Sertraline versus placebo in major depression"),
        make_paper("42", title="Escitalopram for depressive disorder in adults"),
        make_paper("43", title="Knee arthroplasty outcomes in the elderly"))
    result = run_cli("embed", "--json", env=cli_env)
    assert result.code == 0, result.stderr
    assert result.json() == {"embedded": 3, "model": result.json()["model"], "dim": 384}
    assert run_cli("stats", "--json", env=cli_env).json()["embedded"] == 3
    settings = Settings.from_env({**cli_env})
    index = emb.vector_index(store, settings)
    nearest = [p for p, _ in index.search(index.get("41"), 3) if p != "41"]
    assert nearest[0] == "42"
