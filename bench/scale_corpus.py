"""The corpus behind the 1M-paper benchmarks (bench/related_scale.py, bench/feed_scale.py).

Base: the first ``PER_FILE`` records of each shared PubMed file (pubmed20n0014: 1970s MEDLINE,
all with MeSH, half with an abstract; pubmed21n1298: 2021, mostly with an abstract): 20k real
papers, each embedded once with litfeed's int8 MiniLM and cached under
``.bench-data/scale-base/`` (``vectors.npy``, ``pmids.txt``; ~25 min on two busy cores).

Scale: the base papers replicated with fresh PMIDs (``FRESH_PMID_BASE + k``, as bench/search.py
does) up to N papers; a replica's vector is its original's plus Gaussian noise (σ per
dimension, default 0.02, re-normalised) instead of being embedded again, so a 1M corpus needs
no 5-hour embedding run. Replicas keep the original's text, MeSH and dates.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from litfeed.models import Paper
from litfeed.pubmed.parse import iter_records
from search import DATA, FILES, FRESH_PMID_BASE, replicate

ROOT = Path(__file__).resolve().parents[1]
BASE_DIR = ROOT / ".bench-data" / "scale-base"
PER_FILE = 10_000


def base_papers() -> list[Paper]:
    papers: dict[str, Paper] = {}
    for name in FILES:
        taken = 0
        for record in iter_records(DATA / name):
            if isinstance(record, Paper) and record.pmid not in papers:
                papers[record.pmid] = record
                taken += 1
                if taken == PER_FILE:
                    break
    return list(papers.values())


def base_corpus() -> tuple[list[Paper], np.ndarray]:
    """The shared PubMed papers and their MiniLM vectors (row i is papers[i]), cached."""
    papers = base_papers()
    vectors_file, pmids_file = BASE_DIR / "vectors.npy", BASE_DIR / "pmids.txt"
    if vectors_file.exists() and pmids_file.exists():
        pmids = pmids_file.read_text().split()
        if pmids == [p.pmid for p in papers]:
            return papers, np.load(vectors_file)
    from litfeed.rank.embeddings import OnnxEmbedder, iter_embeddings, paper_text

    BASE_DIR.mkdir(parents=True, exist_ok=True)
    embedder = OnnxEmbedder.load(BASE_DIR / "models", quantized=True)
    out = np.zeros((len(papers), embedder.dim), dtype=np.float32)
    done = 0
    start = time.perf_counter()
    for pmids, vectors in iter_embeddings(embedder, ((p.pmid, paper_text(p)) for p in papers),
                                          chunk_size=512):
        out[done:done + len(pmids)] = vectors
        done += len(pmids)
        rate = done / (time.perf_counter() - start)
        print(f"\rembedded {done:,}/{len(papers):,} ({rate:.0f}/s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    np.save(vectors_file, out)
    pmids_file.write_text("\n".join(p.pmid for p in papers))
    return papers, out


def replica_pmid(k: int) -> str:
    return str(FRESH_PMID_BASE + k)


def scaled_papers(base: list[Paper], n: int) -> Iterator[Paper]:
    """``base`` then copies with fresh PMIDs until ``n`` papers (bench/search.py's replicas)."""
    return replicate(base, n)


def scaled_vectors(base: np.ndarray, start: int, stop: int, noise: float,
                   seed: int = 0) -> np.ndarray:
    """Vectors of papers ``start:stop`` of the scaled corpus: row k is base[k % len(base)]
    plus N(0, noise²) per dimension for replicas (k ≥ len(base)), unit length. Deterministic
    per row block, so any slice can be regenerated."""
    rows = np.arange(start, stop)
    out = base[rows % len(base)].astype(np.float32)
    rng = np.random.default_rng([seed, start])
    jitter = rng.standard_normal(out.shape, dtype=np.float32) * noise
    jitter[rows < len(base)] = 0.0
    out += jitter
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


if __name__ == "__main__":
    found, matrix = base_corpus()
    print(f"{len(found):,} base papers, vectors {matrix.shape}")
