"""Helpers for the library files tests (importable: this folder is on sys.path while they run)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from litfeed.models import User
from litfeed.service.ingest import ingest_paths
from litfeed.store import Store
from testkit import FIXTURES, need_shared_data

FORMATS = FIXTURES / "formats"
EFETCH = ("pubmed-xml", "efetch-2025-metapub")
SPINK, EFLM, MMWR = "15764155", "38534005", "6789123"
REAL_PMIDS = (SPINK, EFLM, MMWR)
TITLE_ONLY = "90000099"


@dataclass(frozen=True)
class Readers:
    ana: User
    ben: User


def ingest_real(store: Store, pmids: tuple[str, ...]) -> None:
    folder = need_shared_data(*EFETCH)
    summary = ingest_paths(store, [folder / f"{pmid}.xml.gz" for pmid in pmids])
    assert summary.counts.added == len(pmids), summary.to_json()


def efetch_body(pmids: list[str]) -> bytes:
    """One PubmedArticleSet made of the real efetch records for these PMIDs (what NCBI sends)."""
    folder = need_shared_data(*EFETCH)
    articles = []
    for pmid in pmids:
        path: Path = folder / f"{pmid}.xml.gz"
        if not path.exists():
            continue  # NCBI leaves out ids it does not know
        xml = gzip.decompress(path.read_bytes()).decode("utf-8")
        start = xml.index("<PubmedArticleSet>") + len("<PubmedArticleSet>")
        articles.append(xml[start:xml.rindex("</PubmedArticleSet>")])
    return ("<?xml version='1.0' encoding='UTF-8'?>\n<PubmedArticleSet>"
            + "".join(articles) + "</PubmedArticleSet>").encode()
