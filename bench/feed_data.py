"""The sysrev-screening reviews as a litfeed store: PubMed XML written from the CSVs, ingested
and embedded through the service, cached under ``.bench-data/feed-<hash>/`` so reruns are fast.

Each review is one reader. A record's key is its PMID (Cohen) or a synthetic PMID
``9<record_id>`` padded to 9 digits (Nagtegaal has none). A paper that two reviews share is one
paper in the pooled corpus.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data" / "sysrev-screening").resolve()
CACHE = ROOT / ".bench-data"


@dataclass
class Review:
    name: str
    pmids: list[str] = field(default_factory=list)
    positives: set[str] = field(default_factory=set)


@dataclass
class Record:
    pmid: str
    title: str
    abstract: str
    year: str


def _files() -> list[Path]:
    return sorted(p for p in DATA.glob("*.csv.gz"))


def data_hash() -> str:
    digest = hashlib.sha256()
    for path in _files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def read_reviews() -> tuple[list[Review], dict[str, Record]]:
    """Every review with its records' keys and positives, and the pooled records."""
    reviews: list[Review] = []
    records: dict[str, Record] = {}
    for path in _files():
        name = path.name.removesuffix(".csv.gz")
        review = Review(name)
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pmid = (row.get("pubmedID") or "").strip()
                if not pmid or not pmid.isdigit():
                    pmid = f"9{int(row['record_id']):08d}"
                screening = (row.get("label_abstract_screening") or "").strip()
                label = screening if screening else (row.get("label_included") or "").strip()
                if pmid not in review.pmids:
                    review.pmids.append(pmid)
                if label in ("1", "1.0"):
                    review.positives.add(pmid)
                year = (row.get("year") or "").strip().split(".")[0]
                records.setdefault(pmid, Record(pmid, row.get("title") or "",
                                                row.get("abstract") or "",
                                                year if year.isdigit() else "2000"))
        reviews.append(review)
    return reviews, records


def write_xml(records: dict[str, Record], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<PubmedArticleSet>\n')
        for r in records.values():
            title = escape(r.title.strip() or f"Untitled record {r.pmid}")
            abstract = (f"<Abstract><AbstractText>{escape(r.abstract.strip())}</AbstractText>"
                        "</Abstract>" if r.abstract.strip() else "")
            out.write(
                f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
                f'<PMID Version="1">{r.pmid}</PMID><Article PubModel="Print">'
                f"<Journal><JournalIssue><PubDate><Year>{r.year}</Year></PubDate>"
                f"</JournalIssue><Title>Bench</Title></Journal>"
                f"<ArticleTitle>{title}</ArticleTitle>{abstract}"
                f"<Language>eng</Language></Article></MedlineCitation>"
                f"<PubmedData><PublicationStatus>ppublish</PublicationStatus></PubmedData>"
                f"</PubmedArticle>\n")
        out.write("</PubmedArticleSet>\n")


def prepared_dir() -> Path:
    """The data directory of an ingested, embedded store of every review (built once)."""
    from litfeed.config import Settings
    from litfeed.service.embeddings import embed_pending
    from litfeed.service.ingest import ingest_paths
    from litfeed.store import Store

    folder = CACHE / f"feed-{data_hash()}"
    done = folder / "READY"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    _, records = read_reviews()
    xml = folder / "sysrev.xml"
    write_xml(records, xml)
    settings = Settings(data_dir=folder, embed_after_ingest=False)
    store = Store.open(settings)
    ingest_paths(store, [xml])
    embed_pending(store, settings)
    store.close()
    done.write_text("ok\n")
    return folder


if __name__ == "__main__":
    print(prepared_dir())
