"""Embedding papers into the store and serving them from the vector index, on both backends."""

from __future__ import annotations

import dataclasses
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


def test_vector_index_catches_up_in_place_and_restarts_from_its_file(
        store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "RECHECK_SECONDS", 0.0)
    add(store, *(make_paper(str(n), title=f"Topic {n} trial") for n in range(50, 60)))
    model = HashEmbedder()
    emb.embed_pending(store, settings, embedder=model)  # saves the index beside the store
    index = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert emb.index_path(settings, model.name).is_file()
    add(store, make_paper("60", title="A new paper"), Deletion("51"))
    emb.embed_pending(store, settings, embedder=model, save_index=False)
    same = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert same is index  # caught up in place, not rebuilt
    assert "60" in same and "51" not in same and len(same) == 10
    add(store, make_paper("52", title="Topic 52 trial, corrected"))
    emb.embed_pending(store, settings, embedder=model, save_index=False)
    assert np.allclose(emb.vector_index(store, settings, model=model.name, dim=model.dim)
                       .get("52"), model.embed([model.seen[-1]])[0])

    # a new process loads the saved file (two changes behind) and replays the logs from there
    emb.forget_indexes()

    def no_rebuild(*args: object) -> None:
        raise AssertionError("the index was rebuilt instead of loaded")

    monkeypatch.setattr(emb, "_build", no_rebuild)
    fresh = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert sorted(fresh.pmids) == sorted(same.pmids)
    assert np.allclose(fresh.get("52"), same.get("52"))


def test_index_of_another_store_state_is_rebuilt(store: Store, settings: Settings,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "RECHECK_SECONDS", 0.0)
    add(store, make_paper("70", title="Gout"), make_paper("71", title="Urate"))
    model = HashEmbedder()
    emb.embed_pending(store, settings, embedder=model)
    path = emb.index_path(settings, model.name)
    saved = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    # a file claiming a later log position than the store has (a restored older database)
    saved.version = saved.version.rsplit("|", 1)[0] + "|999999"
    saved.save(path)
    emb.forget_indexes()
    rebuilt = emb.vector_index(store, settings, model=model.name, dim=model.dim)
    assert sorted(rebuilt.pmids) == ["70", "71"]
    assert not rebuilt.version.endswith("|999999")


def test_above_the_threshold_search_uses_a_graph_that_follows_deletions(
        store: Store, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(emb, "RECHECK_SECONDS", 0.0)
    small = dataclasses.replace(settings, ann_threshold=20)
    add(store, *(make_paper(str(n), title=f"Asthma cohort {n}") for n in range(100, 140)))
    model = HashEmbedder()
    emb.embed_pending(store, small, embedder=model)  # builds the graph, saves it with the index
    assert list(emb.index_path(small, model.name).parent.glob("*.hnsw"))
    emb.forget_indexes()
    index = emb.vector_index(store, small, model=model.name, dim=model.dim)
    assert index.uses_ann and index.has_ann  # loaded with the saved graph, not rebuilt
    add(store, Deletion("101"), Deletion("102"))
    index = emb.vector_index(store, small, model=model.name, dim=model.dim)
    for pmid in ("100", "103", "120"):
        hits = [p for p, _ in index.search(index.get(pmid), 40)]
        assert hits[0] == pmid and not {"101", "102"} & set(hits)
    assert index.ann_threshold == 20 and settings.ann_threshold == 100_000
