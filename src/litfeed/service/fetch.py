"""Papers from NCBI: E-utilities (by PMID or query) and NLM's update/baseline files.

All network code lives in ``litfeed.pubmed.eutils`` and ``litfeed.pubmed.updates``; this module
feeds what they return through the same checkpointed ingest as local files, and records which
distribution files were applied so ``fetch --updates`` applies each one once, in order.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

import httpx

from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.pubmed.eutils import EutilsClient
from litfeed.pubmed.parse import iter_records_from
from litfeed.pubmed.updates import download, list_remote_files, pending
from litfeed.service.ingest import IngestSummary, ingest_file, ingest_records
from litfeed.store import Store, ingest_log

MAX_QUERY_RESULTS = 9_999  # PubMed refuses to page an ESearch beyond 10,000 hits


def parse_pmids(text: str) -> list[str]:
    """'1,2 3' → ['1', '2', '3']; anything but positive integers is bad input."""
    pmids = [p for p in text.replace(",", " ").split() if p]
    bad = [p for p in pmids if not p.isdigit() or int(p) == 0]
    if bad or not pmids:
        raise InvalidInput(f"PMIDs must be positive integers separated by commas; got {text!r}")
    return list(dict.fromkeys(pmids))


def _client(settings: Settings, http: httpx.Client | None) -> EutilsClient:
    return EutilsClient(settings.ncbi_eutils_url, api_key=settings.ncbi_api_key,
                        email=settings.ncbi_email, client=http)


def fetch_pmids(store: Store, settings: Settings, pmids: Sequence[str], *,
                http: httpx.Client | None = None) -> IngestSummary:
    """EFetch the PMIDs in batches and ingest each response like a file."""
    summary = IngestSummary()
    with _client(settings, http) as client:
        for body in client.efetch(list(pmids)):
            digest = hashlib.sha1(body).hexdigest()
            part = ingest_records(
                store, iter_records_from(io.BytesIO(body), "efetch"), name="efetch",
                fingerprint_=f"efetch:{digest}", source="efetch",
                batch_size=settings.ingest_batch_size)
            summary.merge(part)
    return summary


def fetch_query(store: Store, settings: Settings, query: str, *, max_results: int,
                http: httpx.Client | None = None) -> IngestSummary:
    if not query.strip():
        raise InvalidInput("--query must not be empty")
    if not 1 <= max_results <= MAX_QUERY_RESULTS:
        raise InvalidInput(f"--max must be between 1 and {MAX_QUERY_RESULTS}; got {max_results}")
    with _client(settings, http) as client:
        pmids = client.esearch(query, retmax=max_results)
    if not pmids:
        return IngestSummary()
    return fetch_pmids(store, settings, pmids, http=http)


def fetch_distribution(store: Store, settings: Settings,
                       kind: Literal["updatefiles", "baseline"], *,
                       http: httpx.Client | None = None, keep_files: bool = False,
                       on_file: Callable[[str], None] | None = None) -> IngestSummary:
    """Download, verify (MD5) and apply NLM's files not applied yet, oldest first."""
    summary = IngestSummary()
    dest = settings.data_dir / "pubmed" / kind
    dest.mkdir(parents=True, exist_ok=True)
    own = http is None
    client = http or httpx.Client(timeout=120, follow_redirects=True)
    try:
        files = list_remote_files(settings.pubmed_ftp_url, kind, client=client)
        with store.read() as conn:
            applied = ingest_log.applied_update_names(conn, kind)
        for remote in pending(files, applied):
            if on_file:
                on_file(remote.name)
            path: Path = download(remote, dest, client=client)
            part = ingest_file(store, path, batch_size=settings.ingest_batch_size, source=kind)
            summary.merge(part)
            if part.failed_files:
                break  # never apply a later file over a damaged earlier one
            with store.transaction() as conn:
                ingest_log.mark_update_applied(conn, remote.name, kind)
            if not keep_files:
                path.unlink(missing_ok=True)
    finally:
        if own:
            client.close()
    return summary
