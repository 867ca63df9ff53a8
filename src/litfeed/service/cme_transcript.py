"""The reader's CME transcript (CSV or PDF) and the whole log as JSON for a privacy export."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from litfeed.cme import transcript as cme_transcript
from litfeed.cme.pdf import to_pdf
from litfeed.cme.transcript import Transcript
from litfeed.config import Settings
from litfeed.errors import InvalidInput
from litfeed.formats.cite import format_citations
from litfeed.models import User
from litfeed.service import cme as cme_service
from litfeed.store import Store
from litfeed.store import cme as store_cme
from litfeed.store import papers as store_papers
from litfeed.store.clock import now as utc_now

TranscriptFormat = Literal["csv", "pdf"]
FORMATS: dict[str, str] = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}
FIRST_YEAR, LAST_YEAR = 1990, 2200


def check_year(year: int | None) -> int | None:
    if year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidInput(f"year {year} is out of range; expected {FIRST_YEAR} to {LAST_YEAR}")
    return year


def transcript(store: Store, settings: Settings, user: User, *, year: int | None = None,
               now: datetime | None = None) -> Transcript:
    """The reader's completed cycles (of credit ``year`` when given) with cited sources,
    totals and the statement of who awards the credit."""
    at = now or utc_now()
    check_year(year)
    activities = cme_service.list_activities(store, user.id, statuses=["completed"], year=year,
                                             now=at)
    pmids = list(dict.fromkeys(p for a in activities for p in a.sources))
    with store.read() as conn:
        papers = store_papers.get_papers(conn, pmids) if pmids else {}
    found = [papers[p] for p in pmids if p in papers]
    citations = dict(zip((p.pmid for p in found), format_citations(found, "ama", "text"),
                         strict=True))
    return cme_transcript.build(
        activities, citations=citations, rules=cme_service.current_rules(store, settings),
        reader_name=user.name or user.email, reader_email=user.email,
        tz=cme_service.reader_zone(store, user.id), year=year, now=at)


def transcript_file(store: Store, settings: Settings, user: User, fmt: str, *,
                    year: int | None = None, now: datetime | None = None
                    ) -> tuple[bytes, str, str]:
    """``(content, media type, file name)`` of the transcript as ``csv`` or ``pdf``.

    :raise InvalidInput: another format, or a year out of range.
    """
    if fmt not in FORMATS:
        raise InvalidInput(f"transcript format {fmt!r} is not one of {', '.join(FORMATS)}")
    made = transcript(store, settings, user, year=year, now=now)
    if fmt == "pdf":
        return to_pdf(made), FORMATS[fmt], made.filename("pdf")
    return cme_transcript.to_csv(made).encode("utf-8"), FORMATS[fmt], made.filename("csv")


def export_log(store: Store, user_id: int, *, now: datetime | None = None) -> dict[str, Any]:
    """Every cycle (any status) and every audit row of the reader, for "all my data"."""
    at = now or utc_now()
    with store.read() as conn:
        activities = store_cme.list_activities(conn, user_id=user_id)
        audit = store_cme.list_audit(conn, user_id=user_id)
    return {"activities": [a.to_json(at) for a in activities],
            "audit": [r.to_json() for r in audit]}
