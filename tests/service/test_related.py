"""Related papers through the service, the CLI and the API, on both backends.

A small corpus with a known answer: a lithium seed, a close lithium paper sharing its major
MeSH topic, a retracted lithium paper, a paper sharing only a MeSH topic, an unrelated insulin
paper and a lithium paper that gets deleted. Vectors come from a keyword embedder stored under
the default model's name, so the service's vector index serves them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from factories import fast
from factories import make_paper as base_paper
from litfeed.config import Settings
from litfeed.errors import InvalidInput, NotFound
from litfeed.models import AbstractSection, Deletion, MeshTerm, Paper
from litfeed.rank import onnx_export
from litfeed.service import embeddings as emb
from litfeed.service.related import related
from litfeed.store import Store
from litfeed.store import papers as sp
from litfeed.web.app import create_app

KEYWORDS = ("lithium", "insulin", "quetiapine")


class KeywordEmbedder:
    """Unit vectors from keyword counts, named like the default model so the index uses them."""

    name = onnx_export.MODEL_NAME
    version = "test"
    dim = 384

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.full((len(texts), self.dim), 0.01, dtype=np.float32)
        for i, text in enumerate(texts):
            for j, word in enumerate(KEYWORDS):
                out[i, j] += text.lower().count(word)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def paper(pmid: str, title: str, abstract: str, topics: Sequence[str],
          retracted: bool = False) -> Paper:
    return dataclasses.replace(
        base_paper(pmid, title=title, retracted=retracted),
        abstract=(AbstractSection(label=None, text=abstract, html=abstract),),
        mesh=(*(MeshTerm(t, major=True) for t in topics), MeshTerm("Humans")))


LITHIUM = ("Serum lithium levels guide lithium maintenance; lithium toxicity and renal "
           "function were monitored in bipolar patients")
CORPUS = [
    paper("1", "Lithium maintenance for bipolar disorder", LITHIUM,
          ["Lithium Compounds", "Bipolar Disorder"]),
    paper("2", "Lithium monitoring in bipolar disorder", LITHIUM + " over ten years",
          ["Lithium Compounds"]),
    paper("3", "Lithium toxicity in bipolar patients", LITHIUM, ["Lithium Compounds"],
          retracted=True),
    paper("4", "Quetiapine for acute mania", "Quetiapine reduced manic symptoms in a trial",
          ["Bipolar Disorder"]),
    paper("5", "Insulin pumps in type 1 diabetes", "Insulin pump therapy lowered HbA1c",
          ["Insulin"]),
    paper("6", "Lithium and renal function", LITHIUM, ["Lithium Compounds"]),
]


def load(store: Store, settings: Settings, *, embed: bool) -> None:
    with store.transaction() as conn:
        sp.apply_batch(conn, list(CORPUS))
    if embed:
        emb.embed_pending(store, settings, embedder=KeywordEmbedder())
    with store.transaction() as conn:  # deleted after embedding: its vector goes by cascade
        sp.apply_batch(conn, [Deletion("6")])


def by_pmid(found: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["pmid"]: r for r in found["results"]}


def test_hybrid_excludes_seed_and_deleted_and_explains(store: Store, settings: Settings) -> None:
    load(store, settings, embed=True)
    found = related(store, settings, "1", limit=10)
    assert found["pmid"] == "1"
    results = by_pmid(found)
    assert "1" not in results and "6" not in results
    assert found["results"][0]["pmid"] in {"2", "3"}
    assert "shared MeSH: Lithium Compounds" in results["2"]["why"]
    assert "similar abstract" in results["2"]["why"]
    assert "similar content" in results["2"]["why"]
    assert results["3"]["retracted"] is True and results["2"]["retracted"] is False
    assert results["4"]["why"].startswith("shared MeSH: Bipolar Disorder")
    scores = [r["score"] for r in found["results"]]
    assert scores == sorted(scores, reverse=True)
    # the insulin paper shares a stray word at most: it ranks below every lithium paper
    order = [r["pmid"] for r in found["results"]]
    assert "5" not in order[:3]
    assert len(related(store, settings, "1", limit=2)["results"]) == 2


def test_without_vectors_falls_back_to_lexical_and_mesh(store: Store,
                                                        settings: Settings) -> None:
    load(store, settings, embed=False)
    found = related(store, settings, "1", limit=10)
    results = by_pmid(found)
    assert {r["pmid"] for r in found["results"][:3]} == {"2", "3", "4"}
    assert "6" not in results
    assert all("similar content" not in r["why"] for r in results.values())


def test_unknown_pmid_and_bad_limit(store: Store, settings: Settings) -> None:
    load(store, settings, embed=False)
    with pytest.raises(NotFound):
        related(store, settings, "999")
    for limit in (0, 101):
        with pytest.raises(InvalidInput):
            related(store, settings, "1", limit=limit)


def test_cli_prints_the_contract_json(store: Store, settings: Settings,
                                      run_cli: Callable[..., Any],
                                      cli_env: dict[str, str]) -> None:
    load(store, settings, embed=True)
    result = run_cli("related", "1", "--limit", "3", "--json", env=cli_env)
    assert result.code == 0, result.stderr
    data = result.json()
    assert data["pmid"] == "1" and len(data["results"]) == 3
    assert set(data["results"][0]) >= {"pmid", "title", "score", "why"}
    assert run_cli("related", "999", env=cli_env).code == 1
    assert run_cli("related", "1", "--limit", "0", env=cli_env).code == 2


def test_api_and_paper_page(store: Store, settings: Settings) -> None:
    load(store, settings, embed=True)
    with TestClient(create_app(fast(settings), store)) as client:
        ok = client.get("/api/papers/1/related", params={"limit": 2})
        assert ok.status_code == 200
        assert ok.json()["pmid"] == "1" and len(ok.json()["results"]) == 2
        assert client.get("/api/papers/999/related").status_code == 404
        assert client.get("/api/papers/1/related", params={"limit": 101}).status_code == 422
        page = client.get("/papers/1")
        assert page.status_code == 200
        assert "Related papers" in page.text and 'href="/papers/2"' in page.text
        assert "shared MeSH: Lithium Compounds" in page.text


# A cluster the seed sits at the edge of: ten lithium papers about the kidney. The target
# is about the kidney effect and never names lithium or any other word of the seed's; the
# stray shares the seed's rarest word ("tremor") and nothing with the cluster. The keyword
# embedder cannot tell the two apart (no keyword in either), so only the words decide: the
# seed's words alone prefer the stray, the seed's and its neighbours' words the target.
SEED_TEXT = "Lithium maintenance for bipolar disorder: serum levels, hand tremor recorded"
KIDNEY = "polyuria with nephrogenic diabetes insipidus; urine concentrating ability fell"
FEEDBACK_CORPUS = [
    paper("100", "Lithium for bipolar disorder", SEED_TEXT, []),
    *(paper(str(101 + i), f"Lithium and the kidney, cohort {i}",
            f"Long-term lithium caused {KIDNEY} in cohort {i}", []) for i in range(10)),
    paper("120", "Nephrogenic diabetes insipidus", f"Case series: {KIDNEY}", []),
    paper("121", "Beta blockade study", "Propranolol reduced tremor amplitude", []),
    # the rest of a library: the cluster's words are not common words
    *(paper(str(130 + i), f"Insulin pumps, trial {i}",
            f"Insulin pump therapy lowered HbA1c in trial {i}", []) for i in range(30)),
]


def test_feedback_finds_what_the_seed_alone_misses(store: Store, settings: Settings) -> None:
    from litfeed.rank import related as fusion
    from litfeed.service.related import _search_index, signals

    with store.transaction() as conn:
        sp.apply_batch(conn, list(FEEDBACK_CORPUS))
    emb.embed_pending(store, settings, embedder=KeywordEmbedder())
    seed_alone = [p for p, _ in _search_index(store, settings).similar(
        SEED_TEXT, limit=100, exclude="100")]
    assert "121" in seed_alone and "120" not in seed_alone
    lexical = [p for p, _ in signals(store, settings, "100")[0][fusion.LEXICAL]]
    assert lexical.index("120") < lexical.index("121")
    order = [r["pmid"] for r in related(store, settings, "100", limit=20)["results"]]
    assert order.index("120") < order.index("121")


def test_mesh_signal_ranks_by_rarity_skips_crowded_topics_and_explains_candidates(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from litfeed.store import related as store_related
    with store.transaction() as conn:
        sp.apply_batch(conn, [
            *CORPUS[:5],
            *(paper(str(10 + i), f"Bipolar cohort {i}", "A cohort", ["Bipolar Disorder"])
              for i in range(4)),
            paper("20", "Lithium and mania", LITHIUM, ["Lithium Compounds", "Bipolar Disorder"]),
        ])
    with store.read() as conn:
        topics = store_related.major_topics(conn, "1")
        best, shared = store_related.papers_sharing_topics(conn, topics, limit=3, total=100,
                                                           among=["4", "5"])
        # both topics beat one; the rarer topic (lithium: 4 papers) beats the commoner (7)
        assert [p for p, _ in best] == ["1", "20", "2"]
        assert shared["20"] == ["Lithium Compounds", "Bipolar Disorder"]
        assert set(shared) == {"1", "20", "2", "4"}  # the best three and the asked-for "4"
        everyone = store_related.papers_sharing_topics(conn, topics, limit=3, total=100)[1]
        assert set(everyone) == {"1", "2", "3", "4", "10", "11", "12", "13", "20"}
        monkeypatch.setattr(store_related, "MAX_TOPIC_PAPERS", 5)  # bipolar (7) is crowded,
        # counted only as far as 6
        assert store_related.topic_counts(conn, topics) == {"Lithium Compounds": 4,
                                                            "Bipolar Disorder": 6}
        best, shared = store_related.papers_sharing_topics(conn, topics, limit=10, total=100,
                                                           among=["4"])
        assert {p for p, _ in best} == {"1", "2", "3", "20"} and "4" not in shared
